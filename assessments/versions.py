"""An assessment across versions of its instrument: moving an open draft to a newer version,
the "new"/"changed" marks on the questionnaire, and which version an audit entry belongs to.

Whether an answer carries over is decided by one rule, `carry_over.question_carries_over`,
the same one a next round on a newer version uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from assessments.caching import cache_get, cache_set
from assessments.carry_over import (
    REASONS,
    VERSION_SUBJECT,
    CarryPlan,
    carried_answers,
    carry_over_plan,
    question_carries_over,
    version_entry,
)
from assessments.content import instrument_content
from assessments.models import Answer, Assessment, AuditEntry, Instrument, Question
from assessments.rounds import RoundError, version_key

MARKS_CACHE_SECONDS = 24 * 3600


class MoveError(RoundError):
    """The draft cannot be moved as asked; the message says why."""


class MoveStale(MoveError):
    """The answers changed since the person saw what would carry over."""

    def __init__(self) -> None:
        super().__init__(
            "Someone changed this assessment after you opened this page, so nothing was "
            "moved. Check what will carry over below and confirm again."
        )


def newer_versions(assessment: Assessment) -> list[Instrument]:
    """Loaded versions of the assessment's instrument newer than its own, from the same owner
    (shipped, or the same organisation's upload), newest last (1 query)."""
    current = assessment.instrument
    owner = (
        Q(organisation__isnull=True)
        if current.organisation_id is None
        else Q(organisation_id=current.organisation_id)
    )
    candidates = Instrument.objects.filter(owner, slug=current.slug).exclude(pk=current.pk)
    floor = version_key(current.version)
    return sorted(
        (i for i in candidates if version_key(i.version) > floor),
        key=lambda i: version_key(i.version),
    )


def assessment_move_to_version(
    *, assessment: Assessment, instrument: Instrument, user: User, revision: int
) -> CarryPlan:
    """Move an open draft to a newer version of its instrument, in one transaction.

    `revision` is the assessment's revision the person saw with the plan: if anything changed
    since, MoveStale and nothing moves. Answers that carry over (`question_carries_over`) are
    kept with their author, time and carried-over mark; the rest start unanswered. Every old
    answer is written to the audit trail with the version it belonged to, then one entry
    records the move itself (from, to, counts), so the history still shows every old answer.
    """
    with transaction.atomic():
        locked = (
            Assessment.objects.select_for_update(of=("self",))
            .with_context()
            .filter(pk=assessment.pk)
        )
        current = locked.first()
        if current is None:
            raise MoveError("This assessment no longer exists.")
        if not current.is_editable:
            raise MoveError(
                "This assessment is submitted: a submitted round keeps its version. "
                "Start the next round on the newer version instead."
            )
        if current.revision != revision:
            raise MoveStale
        if instrument.pk not in {i.pk for i in newer_versions(current)}:
            raise MoveError(
                "An assessment can only move to a newer version of the same questionnaire."
            )
        plan = carry_over_plan(previous=current, instrument=instrument)
        now = timezone.now()
        old_answers = list(Answer.objects.filter(assessment=current).order_by("pk"))
        carried_ids = {old.pk: question for question, old in plan.carried}
        reasons = {item.key: item.reason_label for item in plan.left_behind}
        old_keys = {q.pk: q.key for q in instrument_content(current.instrument).questions}
        audit: list[AuditEntry] = []
        for old in old_answers:
            if not (old.value or old.comment or old.evidence):
                continue
            key = old_keys.get(old.question_id, "")
            carried_to = carried_ids.get(old.pk)
            if carried_to is not None:
                action = AuditEntry.Action.IMPORTED
                new = {**old.snapshot(), "note": f"Carried over to version {instrument.version}"}
            else:
                action = AuditEntry.Action.ANSWER
                new = {
                    "value": "",
                    "note": f"Not carried over to version {instrument.version}: "
                    f"{reasons.get(key, REASONS['removed'])}",
                }
            audit.append(
                AuditEntry(
                    assessment=current,
                    user=user,
                    at=now,
                    action=action,
                    subject=key,
                    old=old.snapshot(),
                    new=new,
                )
            )
        # Last: entries before it are read with the old version's questions (see
        # questions_of_entries), this one and later ones with the new version's.
        audit.append(
            version_entry(
                assessment=current,
                user=user,
                at=now,
                old=current.instrument,
                new=instrument,
                plan=plan,
            )
        )
        Answer.objects.filter(assessment=current).delete()
        Answer.objects.bulk_create(carried_answers(assessment=current, plan=plan, new_round=False))
        AuditEntry.objects.bulk_create(audit)
        domain_keys = {d.key for d in instrument_content(instrument).domains}
        fields = {
            "instrument": instrument,
            "targets": {k: v for k, v in (current.targets or {}).items() if k in domain_keys},
            "last_domain_key": current.last_domain_key
            if current.last_domain_key in domain_keys
            else "",
            "updated_at": now,
        }
        Assessment.objects.filter(pk=current.pk).update(**fields, revision=F("revision") + 1)
    # The caller's copy follows, so that it can go on (e.g. to score the new version).
    for name, value in fields.items():
        setattr(assessment, name, value)
    assessment.revision = current.revision + 1
    return plan


# --- which version: the marks while answering, and the history --------------------------------


@dataclass(frozen=True)
class VersionMark:
    """A question of the assessment's version that did not carry over from `from_version`."""

    kind: str  # "new" or "changed"
    reason: str  # a REASONS key
    from_version: str
    to_version: str

    @property
    def label(self) -> str:
        if self.kind == "new":
            return f"New in version {self.to_version}"
        return f"Changed in version {self.to_version}"

    @property
    def reason_label(self) -> str:
        return REASONS.get(self.reason, self.reason)


def version_base(assessment: Assessment) -> Instrument | None:
    """The version the assessment's answers came from, when another one (at most 2 queries):
    the latest version change in its audit trail, else the previous round's version."""
    old = (
        AuditEntry.objects.filter(
            assessment=assessment, action=AuditEntry.Action.STATUS, subject=VERSION_SUBJECT
        )
        .order_by("-pk")
        .values_list("old", flat=True)
        .first()
    )
    if isinstance(old, dict) and old.get("version"):
        return Instrument.objects.filter(
            slug=assessment.instrument.slug, version=str(old["version"])
        ).first()
    if assessment.previous_id is None:
        return None
    return (
        Instrument.objects.filter(assessments=assessment.previous_id)
        .exclude(pk=assessment.instrument_id)
        .first()
    )


def version_marks(assessment: Assessment) -> dict[str, VersionMark]:
    """Question key -> mark, for every question that did not carry over from the version the
    answers came from. The page shows a mark until the question is answered.

    Cached by assessment and version: they only change when the version does, and the
    questionnaire page is the busiest page, so a warm page costs no query for them.
    """
    stamp = int(assessment.created_at.timestamp())
    key = f"version-marks:{assessment.pk}:{stamp}:{assessment.instrument_id}"
    cached = cache_get(key)
    if isinstance(cached, dict):
        return cached
    marks = _version_marks(assessment)
    cache_set(key, marks, MARKS_CACHE_SECONDS)
    return marks


def _version_marks(assessment: Assessment) -> dict[str, VersionMark]:
    base = version_base(assessment)
    if base is None:
        return {}
    old_by_key = instrument_content(base).by_key
    marks = {}
    for question in instrument_content(assessment.instrument).questions:
        reason = question_carries_over(old_by_key.get(question.key), question)
        if reason is not None:
            marks[question.key] = VersionMark(
                kind="new" if reason == "new" else "changed",
                reason=reason,
                from_version=base.version,
                to_version=assessment.instrument.version,
            )
    return marks


def questions_of_entries(
    assessment: Assessment, entries: Sequence[AuditEntry]
) -> dict[int, Question | None]:
    """Entry pk -> the question it is about, in the version the assessment had then.

    An answer given on version 1.0 is shown with 1.0's options and labels, even after the
    draft moved to 1.1 (at most 2 queries, whatever the number of entries).
    """
    moves = list(
        AuditEntry.objects.filter(
            assessment=assessment, action=AuditEntry.Action.STATUS, subject=VERSION_SUBJECT
        )
        .order_by("pk")
        .values_list("pk", "old")
    )
    versions = {
        str(old["version"]) for _, old in moves if isinstance(old, dict) and "version" in old
    }
    instruments = (
        {
            i.version: i
            for i in Instrument.objects.filter(
                slug=assessment.instrument.slug, version__in=versions
            )
        }
        if versions
        else {}
    )
    current = instrument_content(assessment.instrument).by_key
    result: dict[int, Question | None] = {}
    for entry in entries:
        by_key = current
        # The version in effect before the first move recorded after this entry.
        for pk, old in moves:
            if pk > entry.pk:
                instrument = instruments.get(str(old.get("version"))) if old else None
                if instrument is not None:
                    by_key = instrument_content(instrument).by_key
                break
        result[entry.pk] = by_key.get(entry.subject)
    return result
