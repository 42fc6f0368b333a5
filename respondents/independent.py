"""Independent answers and consensus (issue 15): the writes and the blind reads.

In this mode an assigned respondent's saves go to RespondentAnswer, never to the assessment's
Answer rows. Nobody sees another respondent's answers, comments or evidence before that
respondent marks their part of the domain done (`respondent_answers_visible`). The coordinator's
consensus is written through `answers_save`, so only it scores and the audit trail records it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from assessments.content import instrument_content
from assessments.models import Answer, Assessment
from assessments.scoring import visible_keys
from assessments.services import (
    AnswerChange,
    SaveOutcome,
    answers_save,
    lock_for_answers,
    snapshot_hash,
)
from respondents.blind import rule_of
from respondents.models import (
    Assignment,
    AssignmentEvent,
    ConsensusNote,
    IndependentAnswering,
    RespondentAnswer,
)


class IndependentError(ValueError):
    """A change that cannot be made; the message says why, for the page."""


def is_independent(assessment: Assessment) -> bool:
    """Whether the assessment runs in independent-answers mode. Free for an assessment read
    through assessments.access (which selects the mode with it); one query otherwise."""
    try:
        assessment.independent_answering  # noqa: B018 (the related row, cached once read)
    except IndependentAnswering.DoesNotExist:
        return False
    return True


def mode_locked_reason(assessment: Assessment) -> str | None:
    """Why the answering mode cannot be changed now, for the page; None when it can.

    Switching on with shared answers given would make them the consensus though no
    respondent gave them; switching off with respondents' own answers would hide those
    answers from every page and from the score. Either loses what people said, so both are
    refused: a new round starts in the other mode."""
    if not assessment.is_editable:
        return "This assessment has been submitted: reopen it first."
    shared = Answer.objects.filter(assessment_id=assessment.pk).exclude(value="").count()
    own = RespondentAnswer.objects.filter(assessment_id=assessment.pk)
    if shared and not is_independent(assessment):
        return (
            "The answering mode can only be changed before anyone has answered: "
            f"{shared} question{'s' if shared != 1 else ''} already "
            f"{'have' if shared != 1 else 'has'} a shared answer, which would silently "
            "become the consensus though no respondent gave it. Start a new round to answer "
            "independently."
        )
    if is_independent(assessment) and (shared or own.exists()):
        people = own.values("user_id").distinct().count()
        given = own.count()
        parts = []
        if given:
            parts.append(
                f"{people} respondent{'s' if people != 1 else ''} gave {given} answer"
                f"{'s' if given != 1 else ''} of their own, which would no longer be shown "
                "or used"
            )
        if shared:
            parts.append(
                f"{shared} consensus answer{'s' if shared != 1 else ''} "
                f"{'are' if shared != 1 else 'is'} set"
            )
        return (
            "The answering mode can only be changed before anyone has answered: "
            + " and ".join(parts)
            + "."
        )
    return None


def independent_mode_set(*, assessment: Assessment, user: User, enabled: bool) -> None:
    """Switch the mode; only before any answer exists (of the assessment or a respondent),
    see `mode_locked_reason`."""
    if not assessment.is_editable:
        raise IndependentError("This assessment has been submitted: reopen it first.")
    with transaction.atomic():
        Assessment.objects.select_for_update().filter(pk=assessment.pk).first()
        # Asked again under the lock: the mode read with the page may be stale.
        assessment._state.fields_cache.pop("independent_answering", None)
        if enabled == is_independent(assessment):
            return
        reason = mode_locked_reason(assessment)
        if reason is not None:
            raise IndependentError(f"{reason} Nothing was changed.")
        if enabled:
            IndependentAnswering.objects.create(assessment=assessment, set_by=user)
        else:
            IndependentAnswering.objects.filter(assessment=assessment).delete()
        assessment._state.fields_cache.pop("independent_answering", None)
        AssignmentEvent.objects.create(
            assessment=assessment,
            domain_key="",
            user=user,
            action=AssignmentEvent.Action.MODE,
            detail={"independent": enabled},
        )


def _active_assignment(assessment: Assessment, user: User, domain_key: str) -> Assignment:
    assignment = (
        Assignment.objects.active()
        .filter(assessment_id=assessment.pk, domain_key=domain_key, user_id=user.pk)
        .first()
    )
    if assignment is None:
        raise IndependentError("This domain is not assigned to you.")
    return assignment


def respondent_answers_save(
    *, assessment: Assessment, user: User, domain_key: str, changes: list[AnswerChange]
) -> SaveOutcome:
    """Save a respondent's own answers to one domain. A change based on a revision that is no
    longer current is refused as a conflict (another tab of theirs saved meanwhile)."""
    from assessments.services import Conflict

    outcome = SaveOutcome()
    content = instrument_content(assessment.instrument)
    with transaction.atomic():
        lock_for_answers(assessment)
        assignment = _active_assignment(assessment, user, domain_key)
        if assignment.done_at is not None:
            raise IndependentError("You marked this domain done: ask the coordinator to reopen it.")
        current = {
            r.question_id: r
            for r in RespondentAnswer.objects.filter(
                assessment=assessment, user=user, question__domain__key=domain_key
            )
        }
        now = timezone.now()
        events: list[AssignmentEvent] = []
        for change in changes:
            question = content.by_key.get(change.key)
            if question is None or question.domain.key != domain_key:
                raise IndependentError(f"{change.key}: not a question of this domain.")
            existing = current.get(question.pk)
            new = {"value": change.value, "comment": change.comment, "evidence": change.evidence}
            old = existing.snapshot() if existing else None
            if old == new or (existing is None and not any(new.values())):
                continue
            # As answers_save: a question untouched on the page (same fingerprint as shown)
            # writes nothing, and "keep the other version" after a conflict keeps it.
            if change.base_hash is not None and change.base_hash == snapshot_hash(
                change.value, change.comment, change.evidence
            ):
                continue
            if change.resolution == "theirs":
                continue
            revision = existing.revision if existing else 0
            if change.base_revision != revision:
                outcome.conflicts[change.key] = Conflict(
                    key=change.key,
                    mine=new,
                    theirs=old or {"value": "", "comment": "", "evidence": ""},
                    their_revision=revision,
                    their_user="you, in another window",
                    their_at=existing.answered_at if existing else now,
                )
                continue
            if existing is None:
                existing = RespondentAnswer(
                    assessment=assessment, question=question, user=user, revision=0
                )
            existing.value, existing.comment, existing.evidence = (
                change.value,
                change.comment,
                change.evidence,
            )
            existing.answered_at = now
            existing.revision += 1
            existing.save()
            outcome.saved[change.key] = existing  # type: ignore[assignment]
            events.append(
                AssignmentEvent(
                    assessment=assessment,
                    domain_key=domain_key,
                    respondent=user,
                    user=user,
                    at=now,
                    action=AssignmentEvent.Action.ANSWERED,
                    detail={"question": change.key, "old": old, "new": new},
                )
            )
        AssignmentEvent.objects.bulk_create(events)
    return outcome


def respondent_domain_done(*, assessment: Assessment, user: User, domain_key: str) -> None:
    """Mark the respondent's part of the domain done: from now others may see their answers."""
    with transaction.atomic():
        assignment = _active_assignment(assessment, user, domain_key)
        if assignment.done_at is not None:
            return
        assignment.done_at = timezone.now()
        assignment.save(update_fields=["done_at"])
        AssignmentEvent.objects.create(
            assessment=assessment,
            domain_key=domain_key,
            respondent=user,
            user=user,
            action=AssignmentEvent.Action.DONE,
        )


def respondent_domain_reopen(*, assignment: Assignment, user: User) -> None:
    """The coordinator gives a respondent's part back to them after they marked it done.
    Audited: they may have seen the answers of others who were done meanwhile."""
    if (
        not Assessment.objects.filter(pk=assignment.assessment_id)
        .exclude(status=Assessment.Status.SUBMITTED)
        .exists()
    ):
        raise IndependentError("This assessment has been submitted: reopen it first.")
    with transaction.atomic():
        if assignment.done_at is None:
            return
        done_at = assignment.done_at
        assignment.done_at = None
        assignment.save(update_fields=["done_at"])
        AssignmentEvent.objects.create(
            assessment_id=assignment.assessment_id,
            domain_key=assignment.domain_key,
            respondent_id=assignment.user_id,
            user=user,
            action=AssignmentEvent.Action.REOPENED,
            detail={"done_at": done_at.isoformat()},
        )


@dataclass
class RespondentView:
    """One respondent's answers to a domain as a given viewer may see them."""

    user: User
    removed: bool
    done: bool
    answers: dict[str, RespondentAnswer] = field(default_factory=dict)


def respondent_answers_visible(
    *, assessment: Assessment, viewer: User, domain_key: str | None = None
) -> list[RespondentView]:
    """The respondents of the domain (or all domains) with the answers `viewer` may see: their
    own always, another's only once that person marked the domain done and, where the viewer
    is a respondent of the domain still answering, once the viewer marked it done too (a
    coordinator who answers as well stays blind like any respondent): the rule of
    respondents/blind.py. Two queries whatever the number of respondents."""
    rows = Assignment.objects.filter(assessment_id=assessment.pk).select_related("user")
    answers = RespondentAnswer.objects.filter(assessment_id=assessment.pk).select_related(
        "question__domain"
    )
    if domain_key is not None:
        rows = rows.filter(domain_key=domain_key)
        answers = answers.filter(question__domain__key=domain_key)
    assignments = list(rows)
    rule = rule_of(assignments, viewer_id=viewer.pk, domain_of={})
    assigned = {(a.user_id, a.domain_key) for a in assignments}
    views: dict[int, RespondentView] = {}
    for a in assignments:
        view = views.setdefault(a.user_id, RespondentView(user=a.user, removed=True, done=True))
        view.removed = view.removed and a.removed_at is not None
        view.done = view.done and a.done_at is not None
    by_user: dict[int, dict[str, RespondentAnswer]] = defaultdict(dict)
    for answer in answers:
        domain = answer.question.domain.key
        if (answer.user_id, domain) in assigned and rule.shows(answer.user_id, domain):
            by_user[answer.user_id][answer.question.key] = answer
    for user_id, view in views.items():
        view.answers = by_user.get(user_id, {})
    return list(views.values())


def consensus_missing(assessment: Assessment) -> list[str]:
    """In independent mode, the visible scored questions without a consensus answer (in
    questionnaire order); always empty otherwise."""
    if not is_independent(assessment):
        return []
    content = instrument_content(assessment.instrument)
    values = assessment.answer_values()
    visible = visible_keys(content.spec, values)
    return [
        q.key
        for q in content.spec.questions
        if q.key in visible and q.scored and not values.get(q.key)
    ]


def consensus_save(
    *,
    assessment: Assessment,
    user: User,
    domain_key: str,
    changes: list[AnswerChange],
    notes: dict[str, str],
) -> SaveOutcome:
    """Set the consensus answers of a domain (the assessment's Answer rows, through
    answers_save: audited, stale saves refused) and the coordinator's note on each.
    A note is written, and audited, only where it changed; not for a conflicted answer."""
    with transaction.atomic():
        outcome = answers_save(
            assessment=assessment, user=user, changes=changes, domain_key=domain_key
        )
        questions = instrument_content(assessment.instrument).by_key
        current = {
            n.question_id: n for n in ConsensusNote.objects.filter(assessment_id=assessment.pk)
        }
        now = timezone.now()
        events: list[AssignmentEvent] = []
        for key, note in notes.items():
            question = questions.get(key)
            if key in outcome.conflicts or question is None:
                continue
            if domain_key and question.domain.key != domain_key:
                continue
            existing = current.get(question.pk)
            old = existing.note if existing else ""
            if old == note:
                continue
            ConsensusNote.objects.update_or_create(
                assessment=assessment,
                question=question,
                defaults={"note": note, "set_by": user, "set_at": now},
            )
            events.append(
                AssignmentEvent(
                    assessment=assessment,
                    domain_key=question.domain.key,
                    user=user,
                    at=now,
                    action=AssignmentEvent.Action.NOTE,
                    detail={"question": key, "old": old, "new": note},
                )
            )
        AssignmentEvent.objects.bulk_create(events)
    return outcome
