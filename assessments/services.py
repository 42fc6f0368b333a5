"""Writes that touch several models: answers with their audit trail, submit, reopen, targets."""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from assessments import signals
from assessments.content import InstrumentContent, instrument_content
from assessments.display import name_of
from assessments.models import (
    Answer,
    Assessment,
    AuditEntry,
    DomainResult,
    Instrument,
    Membership,
    Organisation,
    Site,
    round_key,
)
from assessments.scoring import AssessmentResult, result_to_dict

MAX_TEXT = 5000


class AssessmentLocked(Exception):
    """The assessment is submitted: answers and targets are read-only until it is reopened."""


class AssessmentVersionChanged(AssessmentLocked):
    """The draft moved to another version of its instrument after the page was loaded."""

    def __init__(self) -> None:
        super().__init__(
            "This assessment was moved to a newer version of the questionnaire while you "
            "were working. Nothing was changed: reload the page to answer the new version."
        )


def snapshot_hash(value: str, comment: str, evidence: str) -> str:
    """A short fingerprint of an answer as a page showed it, to tell edited from untouched."""
    raw = json.dumps([value, comment, evidence], ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class AnswerChange:
    """One question's fields as posted, with the revision and fingerprint the page started from."""

    key: str
    value: str
    comment: str = ""
    evidence: str = ""
    base_revision: int = 0
    base_hash: str | None = None
    # Set when the person resolved a conflict: "mine" saves theirs over, "theirs" keeps it.
    resolution: str = ""


@dataclass(frozen=True)
class Conflict:
    key: str
    mine: dict[str, str]
    theirs: dict[str, str]
    their_revision: int
    their_user: str
    their_at: datetime.datetime


@dataclass
class SaveOutcome:
    saved: dict[str, Answer] = field(default_factory=dict)
    conflicts: dict[str, Conflict] = field(default_factory=dict)
    # Every answer's value of the assessment once saved (question key -> value), read under
    # the save's lock: what the autosave's progress counts need, without reading them again.
    # None where the save does not read them (a respondent's own answers).
    values: dict[str, str] | None = None


class RoundTaken(Exception):
    """The site already has an assessment of this instrument (any version) for this round."""

    def __init__(self, existing: Assessment | None, round_label: str) -> None:
        self.existing = existing
        self.round_label = round_label
        super().__init__(round_taken_message(existing, round_label))


def round_taken_message(
    existing: Assessment | None,
    round_label: str,
    advice: str = "open that one or choose another round name",
) -> str:
    """One line naming the assessment that already holds the round (none: lost in a race)."""
    if existing is None:
        return f"This site already has a round with this name (“{round_label}”); {advice}."
    instrument = existing.instrument
    return (
        f"This site already has a round with this name: “{existing.round_label}” of "
        f"{instrument.title} at {existing.site.name} (version {instrument.version}, "
        f"{existing.get_status_display().lower()}, assessment {existing.pk}); {advice}."
    )


def assessment_round_taken(
    *, site: Site, instrument_slug: str, round_label: str
) -> Assessment | None:
    """The site's assessment of this instrument (any version) whose round has this name.

    The one rule for "the same round" (see models.round_key), used by every form that
    starts an assessment; the database constraint holds it against races.
    """
    return (
        Assessment.objects.with_context()
        .filter(site=site, instrument_slug=instrument_slug, round_key=round_key(round_label))
        .first()
    )


def assessment_create(
    *,
    site: Site,
    instrument: Instrument,
    round_label: str,
    round_date: datetime.date,
    user: User | None,
    previous: Assessment | None = None,
) -> Assessment:
    """A new draft; raises RoundTaken when the site already has this instrument and round.

    `previous` links it to the round before (started blank: nothing is carried over)."""
    existing = assessment_round_taken(
        site=site, instrument_slug=instrument.slug, round_label=round_label
    )
    if existing is not None:
        raise RoundTaken(existing, round_label)
    with transaction.atomic():
        try:
            # A savepoint: losing the race to another request leaves the transaction usable,
            # so the message can name the winner.
            with transaction.atomic():
                assessment = Assessment.objects.create(
                    site=site,
                    instrument=instrument,
                    round_label=round_label,
                    round_date=round_date,
                    created_by=user,
                    previous=previous,
                )
        except IntegrityError as exc:
            existing = assessment_round_taken(
                site=site, instrument_slug=instrument.slug, round_label=round_label
            )
            raise RoundTaken(existing, round_label) from exc
        AuditEntry.objects.create(
            assessment=assessment,
            user=user,
            action=AuditEntry.Action.CREATED,
            new={
                "round": round_label,
                "instrument": f"{instrument.slug} {instrument.version}",
                **({"previous round": previous.round_label} if previous else {}),
            },
        )
    return assessment


def lock_for_answers(assessment: Assessment) -> None:
    """Inside a transaction: lock the assessment row, so that concurrent saves of one
    assessment run one after the other, and refuse a save to a submitted assessment or to one
    moved to a newer version meanwhile (the posted keys and values were of the old one)."""
    locked = (
        Assessment.objects.select_for_update().only("status", "instrument_id").get(pk=assessment.pk)
    )
    if locked.status == Assessment.Status.SUBMITTED:
        raise AssessmentLocked
    if locked.instrument_id != assessment.instrument_id:
        raise AssessmentVersionChanged


def answers_save(
    *,
    assessment: Assessment,
    user: User,
    changes: list[AnswerChange],
    domain_key: str = "",
) -> SaveOutcome:
    """Save the posted answers of one page in one transaction.

    A change based on a revision that is no longer current is not applied: it comes back
    as a conflict carrying the other person's answer, and every other change is saved.
    Fields the person did not touch (same fingerprint as when the page was shown) are
    skipped, so a stale page never writes back old values over someone else's.
    """
    outcome = SaveOutcome()
    with transaction.atomic():
        lock_for_answers(assessment)
        content = instrument_content(assessment.instrument)
        questions = content.by_key
        wanted = {questions[change.key].pk for change in changes}
        current, names, values = _answers_for_save(assessment, content, wanted)
        now = timezone.now()
        to_create: list[Answer] = []
        to_update: list[Answer] = []
        audit: list[AuditEntry] = []
        for change in changes:
            question = questions[change.key]
            existing = current.get(question.pk)
            new = {"value": change.value, "comment": change.comment, "evidence": change.evidence}
            old = existing.snapshot() if existing else None
            if old == new or (existing is None and not any(new.values())):
                continue
            if change.base_hash is not None and change.base_hash == snapshot_hash(
                change.value, change.comment, change.evidence
            ):
                continue  # untouched on the page
            if change.resolution == "theirs":
                continue
            current_revision = existing.revision if existing else 0
            if change.base_revision != current_revision:
                outcome.conflicts[change.key] = Conflict(
                    key=change.key,
                    mine=new,
                    theirs=old or {"value": "", "comment": "", "evidence": ""},
                    their_revision=current_revision,
                    their_user=(names.get(existing.pk, "") if existing else "") or "someone",
                    their_at=existing.answered_at if existing else now,
                )
                continue
            if existing is None:
                existing = Answer(assessment=assessment, question=question, revision=0)
                to_create.append(existing)
            else:
                to_update.append(existing)
            existing.value, existing.comment, existing.evidence = (
                change.value,
                change.comment,
                change.evidence,
            )
            existing.answered_by = user  # type: ignore[assignment]
            existing.answered_at = now
            existing.revision += 1
            existing.carried_over = False
            outcome.saved[change.key] = existing
            values[change.key] = change.value
            audit.append(
                AuditEntry(
                    assessment=assessment,
                    user=user,
                    at=now,
                    action=AuditEntry.Action.ANSWER,
                    subject=change.key,
                    old=old,
                    new=new,
                )
            )
        if to_create:
            Answer.objects.bulk_create(to_create)
        fields_saved = [
            "value",
            "comment",
            "evidence",
            "answered_by",
            "answered_at",
            "revision",
            "carried_over",
        ]
        if len(to_update) == 1:
            # An autosave's one answer: a plain UPDATE is the same one query as bulk_update's
            # CASE per field, at a fraction of the ORM's work to build it.
            (answer,) = to_update
            Answer.objects.filter(pk=answer.pk).update(
                **{name: getattr(answer, name) for name in fields_saved}
            )
        elif to_update:
            Answer.objects.bulk_update(to_update, fields_saved)
        if audit:
            AuditEntry.objects.bulk_create(audit)
        fields: dict[str, Any] = {}
        if outcome.saved:
            fields.update(updated_at=now, revision=assessment.revision + 1)
        if domain_key and domain_key != assessment.last_domain_key:
            fields["last_domain_key"] = domain_key
        if fields:
            if "revision" in fields:
                # Increment in the database: another save may have bumped it meanwhile.
                fields["revision"] = F("revision") + 1
            Assessment.objects.filter(pk=assessment.pk).update(**fields)
            for name, value in fields.items():
                if name != "revision":
                    setattr(assessment, name, value)
    outcome.values = values
    return outcome


# An Answer's columns in the order of its fields (Model.from_db builds it from them).
ANSWER_FIELDS = [f.attname for f in Answer._meta.concrete_fields]


def _answers_for_save(
    assessment: Assessment, content: InstrumentContent, wanted: set[int]
) -> tuple[dict[int, Answer], dict[int, str], dict[str, str]]:
    """In one query, every answer's value of the assessment (question key -> value) and, for
    the questions in `wanted` (question ids), their answers as instances to update, with
    who gave each (answer pk -> name) for a conflict to show. Rows, not instances, for the
    rest: an autosave changes one answer of ~120, and building every one was most of it."""
    key_of = {q.pk: q.key for q in content.questions}
    rows = Answer.objects.filter(assessment=assessment).values_list(
        *ANSWER_FIELDS,
        "answered_by__first_name",
        "answered_by__last_name",
        "answered_by__username",
    )
    current: dict[int, Answer] = {}
    names: dict[int, str] = {}
    values: dict[str, str] = {}
    width = len(ANSWER_FIELDS)
    question_at = ANSWER_FIELDS.index("question_id")
    value_at = ANSWER_FIELDS.index("value")
    for row in rows:
        question_id = row[question_at]
        if question_id in key_of:
            values[key_of[question_id]] = row[value_at]
        if question_id in wanted:
            answer = Answer.from_db(Answer.objects.db, ANSWER_FIELDS, row[:width])
            answer.assessment = assessment  # the same row: no query to follow the link
            current[question_id] = answer
            names[answer.pk] = name_of(*row[width:])
    return current, names, values


def answers_confirm_carried_over(*, assessment: Assessment, user: User, keys: list[str]) -> int:
    """Mark carried-over answers as confirmed without changing them."""
    with transaction.atomic():
        count = Answer.objects.filter(
            assessment=assessment, question__key__in=keys, carried_over=True
        ).update(carried_over=False, answered_by=user, answered_at=timezone.now())
    return count


RESULT_FIELDS = [
    "result_score",
    "result_level",
    "result_verdict",
    "result_provisional",
    "result_completeness",
    "results",
]


def _store_results(assessment: Assessment, result: AssessmentResult) -> None:
    content = instrument_content(assessment.instrument)
    order = {d.key: i for i, d in enumerate(content.domains)}
    DomainResult.objects.filter(assessment=assessment).delete()
    DomainResult.objects.bulk_create(
        DomainResult(
            assessment=assessment,
            domain_key=d.key,
            order=order[d.key],
            score=d.score,
            level=d.level,
            completeness=d.completeness,
            target=d.target,
            gap=d.gap,
            applicable=d.applicable,
            blockers=list(d.blockers),
        )
        for d in result.domains
    )
    assessment.result_score = result.overall_score
    assessment.result_level = result.overall_level
    assessment.result_verdict = result.verdict or ""
    assessment.result_provisional = result.provisional
    assessment.result_completeness = result.completeness
    assessment.results = result_to_dict(result)


def _set_status(assessment: Assessment, user: User | None, status: str) -> None:
    AuditEntry.objects.create(
        assessment=assessment,
        user=user,
        action=AuditEntry.Action.STATUS,
        subject="status",
        old={"status": assessment.status},
        new={"status": status},
    )
    assessment.status = status
    assessment.revision += 1
    assessment.updated_at = timezone.now()


def assessment_submit(*, assessment: Assessment, user: User | None) -> AssessmentResult:
    """Freeze the answers and store the results that comparisons and reports read."""
    with transaction.atomic():
        Assessment.objects.select_for_update().filter(pk=assessment.pk).first()
        # The instrument too: a draft moved to a newer version is scored by that version.
        assessment.refresh_from_db(fields=["status", "revision", "targets", "instrument"])
        if assessment.status == Assessment.Status.SUBMITTED:
            raise AssessmentLocked
        result = assessment.compute_results()
        _store_results(assessment, result)
        _set_status(assessment, user, Assessment.Status.SUBMITTED)
        assessment.submitted_at = assessment.updated_at
        # Only what submitting changes: a full save would write back stale copies of the
        # other fields (a link to the previous round, the last domain visited...).
        assessment.save(
            update_fields=[*RESULT_FIELDS, "status", "revision", "updated_at", "submitted_at"]
        )
        # Listeners (the reports app pre-renders the report) run once the submit is stored.
        transaction.on_commit(
            lambda: signals.assessment_submitted.send(sender=Assessment, assessment=assessment)
        )
    return result


def assessment_reopen(*, assessment: Assessment, user: User) -> None:
    with transaction.atomic():
        assessment.refresh_from_db(fields=["status", "revision"])
        if assessment.status != Assessment.Status.SUBMITTED:
            return
        _set_status(assessment, user, Assessment.Status.REOPENED)
        assessment.save(update_fields=["status", "revision", "updated_at"])


def assessment_set_targets(
    *, assessment: Assessment, user: User, targets: dict[str, Decimal]
) -> list[str]:
    """Set per-domain targets; returns the keys that changed. Submitted results follow."""
    with transaction.atomic():
        assessment.refresh_from_db(fields=["targets", "status", "revision"])
        content = instrument_content(assessment.instrument)
        changed = []
        new_targets = dict(assessment.targets)
        for domain in content.domains:
            if domain.key not in targets:
                continue
            old = assessment.target_for(domain)
            new = targets[domain.key]
            if old != new:
                changed.append(domain.key)
                new_targets[domain.key] = float(new)
                AuditEntry.objects.create(
                    assessment=assessment,
                    user=user,
                    action=AuditEntry.Action.TARGET,
                    subject=domain.key,
                    old={"target": float(old)},
                    new={"target": float(new)},
                )
        if changed:
            assessment.targets = new_targets
            assessment.revision += 1
            assessment.updated_at = timezone.now()
            fields = ["targets", "revision", "updated_at"]
            if assessment.status == Assessment.Status.SUBMITTED:
                # Gaps and priorities depend on targets: keep stored results true.
                _store_results(assessment, assessment.compute_results())
                fields += RESULT_FIELDS
            assessment.save(update_fields=fields)
    return changed


# --- sites and members (organisation admin screens) ------------------------------------------


class SiteNameTaken(Exception):
    """Another site of the organisation already has this name."""


class LastOrgAdmin(Exception):
    """The change would leave the organisation without an organisation admin."""


def site_create(*, organisation: Organisation, name: str, kind: str) -> Site:
    try:
        # A savepoint: losing a race on the unique name must not break an outer transaction.
        with transaction.atomic():
            return Site.objects.create(organisation=organisation, name=name, kind=kind)
    except IntegrityError as exc:
        raise SiteNameTaken(name) from exc


def site_update(*, site: Site, name: str, kind: str) -> Site:
    site.name, site.kind = name, kind
    try:
        with transaction.atomic():
            site.save(update_fields=["name", "kind"])
    except IntegrityError as exc:
        site.refresh_from_db(fields=["name", "kind"])
        raise SiteNameTaken(name) from exc
    return site


def site_archive(*, site: Site, archived: bool = True) -> Site:
    """Archive (or restore) a site: hidden from the dashboard, no new assessments, data kept."""
    with transaction.atomic():
        site.archived = archived
        site.save(update_fields=["archived"])
    return site


def _username_for(email: str) -> str:
    """A free username derived from the email (usernames allow letters, digits and @.+-_)."""
    User = get_user_model()
    base = "".join(c for c in email if c.isalnum() or c in "@.+-_")[:140] or "user"
    username, n = base, 1
    while User.objects.filter(username__iexact=username).exists():
        n += 1
        username = f"{base}-{n}"
    return username


def _check_sites(organisation: Organisation, role: str, sites: list[Site]) -> list[Site]:
    # The forms only offer the organisation's sites; this guards every other caller too.
    if any(site.organisation_id != organisation.pk for site in sites):
        raise ValueError("a site of another organisation")
    if role != Membership.Role.SITE_ADMIN:
        return []  # only site admins are limited to named sites
    if not sites:
        raise ValueError("a site admin needs at least one site")
    return sites


def _lock_org_admins(organisation_id: int) -> list[int]:
    """The pks of the organisation's admins, locked until the transaction ends.

    Two admins demoting each other at the same moment must not both succeed.
    """
    return list(
        Membership.objects.select_for_update()
        .filter(organisation_id=organisation_id, role=Membership.Role.ORG_ADMIN)
        .values_list("pk", flat=True)
    )


def membership_update(*, membership: Membership, role: str, sites: list[Site]) -> Membership:
    sites = _check_sites(membership.organisation, role, sites)
    with transaction.atomic():
        admins = _lock_org_admins(membership.organisation_id)
        if role != Membership.Role.ORG_ADMIN and admins == [membership.pk]:
            raise LastOrgAdmin
        membership.role = role
        membership.save(update_fields=["role"])
        membership.sites.set(sites)
    return membership


def membership_remove(*, membership: Membership) -> None:
    """End the membership; the person's account stays (they may belong elsewhere)."""
    with transaction.atomic():
        if _lock_org_admins(membership.organisation_id) == [membership.pk]:
            raise LastOrgAdmin
        membership.delete()
