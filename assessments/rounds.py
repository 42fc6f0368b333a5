"""Reassessment rounds: the next round, prefilled from a submitted one.

The next round starts as a copy of the previous round's answers, each marked carried over
until someone confirms or changes it (answers_save and answers_confirm_carried_over clear the
mark). On a newer version of the same instrument the answers are mapped by question key
(assessments/carry_over.py): a question the new version no longer has, or a value it no
longer allows, is left behind, and new questions start unanswered. What changed between two
rounds is in assessments/round_diff.py.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from assessments.carry_over import carried_answers, carry_over_plan, version_entry
from assessments.content import instrument_content
from assessments.models import Answer, Assessment, AuditEntry, Instrument, Site
from assessments.services import RoundTaken, assessment_create, assessment_round_taken


class RoundError(Exception):
    """The next round cannot be started as asked; the message says why."""


class RoundAlreadyStarted(RoundError):
    """A draft next round of this assessment exists already (`assessment`)."""

    def __init__(self, assessment: Assessment) -> None:
        super().__init__(f"The next round was already started: {assessment.round_label}.")
        self.assessment = assessment


def version_key(version: str) -> tuple[Any, ...]:
    """Order "1.10" after "1.9": numeric parts compare as numbers, others as text."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"[.\-]", version))


def next_round_instruments(previous: Assessment) -> list[Instrument]:
    """The versions of the previous round's instrument its organisation may use, from the
    previous version on, newest last (1 query)."""
    organisation_id = previous.site.organisation_id
    candidates = Instrument.objects.filter(slug=previous.instrument.slug).filter(
        Q(organisation__isnull=True) | Q(organisation_id=organisation_id)
    )
    floor = version_key(previous.instrument.version)
    usable = [i for i in candidates if version_key(i.version) >= floor]
    return sorted(usable, key=lambda i: version_key(i.version))


def latest_submitted_rounds(assessments: Iterable[Assessment]) -> dict[str, Assessment]:
    """Instrument slug -> the latest submitted of `assessments` (one site's, newest first,
    as Assessment's ordering gives them): what a new round there carries over from."""
    latest: dict[str, Assessment] = {}
    for assessment in assessments:
        if assessment.status == Assessment.Status.SUBMITTED:
            latest.setdefault(assessment.instrument.slug, assessment)
    return latest


_SEASONS = {"spring": "autumn", "autumn": "spring"}


def suggest_round_label(label: str) -> str:
    """A name for the round after `label`: "2026 spring" -> "2026 autumn", "Round 2" -> "Round 3"."""
    season = re.fullmatch(r"(\d{4}) (spring|autumn)", label.strip(), flags=re.IGNORECASE)
    if season:
        year, name = int(season.group(1)), season.group(2).lower()
        return f"{year + 1 if name == 'autumn' else year} {_SEASONS[name]}"
    numbered = re.fullmatch(r"(.*?)(\d+)", label.strip())
    if numbered:
        return f"{numbered.group(1)}{int(numbered.group(2)) + 1}"
    return f"{label.strip()} (next round)"[:100]


def assessment_start_next_round(
    *,
    previous: Assessment,
    user: User | None,
    instrument: Instrument | None = None,
    round_label: str | None = None,
    round_date: datetime.date | None = None,
) -> Assessment:
    """Start the round after a submitted one: a draft on the same site, prefilled.

    Every copied answer is marked carried over (revision 1, its original author kept) and
    audited as imported; the new round points back at `previous`. `instrument` may be a
    newer version of the same instrument that the organisation can use; answers are then
    mapped by question key (see `carry_over_plan`). Targets are kept for domains that remain.
    """
    if previous.status != Assessment.Status.SUBMITTED:
        raise RoundError("Only a submitted assessment can start the next round.")
    instrument = instrument or previous.instrument
    if instrument.pk not in {i.pk for i in next_round_instruments(previous)}:
        raise RoundError(
            "The next round must use the same instrument, in the same or a newer version "
            "that the organisation can use."
        )
    label = (round_label or suggest_round_label(previous.round_label)).strip()[:100]
    date = round_date or max(timezone.localdate(), previous.round_date)
    plan = carry_over_plan(previous=previous, instrument=instrument)
    domain_keys = {d.key for d in instrument_content(instrument).domains}
    now = timezone.now()
    with transaction.atomic():
        # One next round at a time: two clicks (or two people) must not start two drafts.
        Assessment.objects.select_for_update().filter(pk=previous.pk).first()
        pending = previous.next_rounds.exclude(status=Assessment.Status.SUBMITTED).first()
        if pending is not None:
            raise RoundAlreadyStarted(pending)
        try:
            # A savepoint: the same round started another way a moment ago breaks the
            # one-round-per-site constraint; say so instead of failing.
            with transaction.atomic():
                assessment = Assessment.objects.create(
                    site=previous.site,
                    instrument=instrument,
                    round_label=label,
                    round_date=date,
                    previous=previous,
                    created_by=user,
                    targets={k: v for k, v in (previous.targets or {}).items() if k in domain_keys},
                    revision=1,
                )
        except IntegrityError as exc:
            taken = assessment_round_taken(
                site=previous.site, instrument_slug=instrument.slug, round_label=label
            )
            raise RoundTaken(taken, label) from exc
        answers = carried_answers(assessment=assessment, plan=plan, new_round=True)
        Answer.objects.bulk_create(answers)
        note = f"Carried over from {previous.round_label}"
        audit = []
        if instrument.pk != previous.instrument_id:
            # First, so that the history reads every later entry with the new version.
            audit.append(
                version_entry(
                    assessment=assessment,
                    user=user,
                    at=now,
                    old=previous.instrument,
                    new=instrument,
                    plan=plan,
                )
            )
        audit += [
            AuditEntry(
                assessment=assessment,
                user=user,
                at=now,
                action=AuditEntry.Action.CREATED,
                new={
                    "round": label,
                    "instrument": f"{instrument.slug} {instrument.version}",
                    "previous round": previous.round_label,
                    "carried over": len(answers),
                    "left behind": ", ".join(plan.dropped) or "none",
                },
            )
        ]
        audit.extend(
            AuditEntry(
                assessment=assessment,
                user=user,
                at=now,
                action=AuditEntry.Action.IMPORTED,
                subject=answer.question.key,
                old=None,
                new={**answer.snapshot(), "note": note},
            )
            for answer in answers
        )
        AuditEntry.objects.bulk_create(audit)
    return assessment


def assessment_start_round(
    *,
    site: Site,
    instrument: Instrument,
    round_label: str,
    round_date: datetime.date,
    user: User | None,
    previous: Assessment | None,
    carry_over: bool,
) -> Assessment:
    """A new round of `site` from its page: carried over from `previous` when asked, else
    blank; either way linked to `previous` (the site's latest submitted round of the same
    instrument, any version), so that "Changes since previous round" works."""
    if previous is not None and carry_over:
        return assessment_start_next_round(
            previous=previous,
            user=user,
            instrument=instrument,
            round_label=round_label,
            round_date=round_date,
        )
    return assessment_create(
        site=site,
        instrument=instrument,
        round_label=round_label,
        round_date=round_date,
        user=user,
        previous=previous,
    )
