"""Where respondents disagreed (issue 15): per domain, how often the respondents agreed, and
for each question they disagreed on every respondent's answer, the consensus and its note.

The rules of agreement are respondents/agreement.py; this module gathers the answers and
applies them, for the results page and the gap report (HTML, PDF, Word) alike.

Blind rule, as in `respondent_answers_visible`: a respondent's answers to a domain are shown
only once they marked the domain done (removed respondents included, marked). And a viewer who
still has an open assignment in a domain (active, not marked done) sees none of that domain's
answers here (`blind`): whoever still answers must not see the others' answers first.

Queries: none for an assessment in the single-answer mode read through assessments.access
(which reads the mode with the assessment; one otherwise), one in the independent mode (the
assignments joined to their people's answers, with each person's role and each question's
consensus note), whatever the number of respondents or answers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import FilteredRelation, OuterRef, Q, Subquery

from assessments.carry_over import answer_label
from assessments.content import InstrumentContent
from assessments.display import name_of
from assessments.models import Assessment, Membership
from respondents.agreement import question_agreements
from respondents.blind import PartState
from respondents.consensus import seen_values
from respondents.independent import is_independent
from respondents.models import Assignment, AssignmentEvent, ConsensusNote

NOT_A_MEMBER = "Former member"
# How the section explains itself, in every format (HTML, PDF, Word).
METHOD = (
    "each answered their assigned domains without seeing the others' answers, and a "
    "respondent's answers are compared here once they marked their domain done. A question is "
    "flagged where answers are two or more scale points apart, yes against no, not applicable "
    "against an answer, or options scoring more than half the range apart. Only the consensus "
    "answer scores."
)


@dataclass(frozen=True)
class Respondent:
    """One person assigned to a domain, as the report names them (role and name)."""

    user_id: int
    name: str
    role: str  # the role's label in the organisation, e.g. "Viewer"
    removed: bool  # no longer assigned: their answers stay in the record, marked
    done: bool

    @property
    def who(self) -> str:
        return f"{self.role} · {self.name}"


@dataclass(frozen=True)
class AnswerShown:
    respondent: Respondent
    value: str
    label: str  # the option's label, "Not applicable", or the free text
    comment: str


@dataclass(frozen=True)
class FlaggedQuestion:
    key: str
    number: str  # "3.2", as every page numbers it
    text: str
    answers: tuple[AnswerShown, ...]
    consensus: str  # the consensus answer's label; "" while there is none
    note: str  # the coordinator's note on the consensus


@dataclass(frozen=True)
class DomainAgreement:
    key: str
    number: int
    title: str
    respondents: int  # who marked the domain done (their answers are compared)
    compared: int  # questions answered by at least two of them
    agreed: int  # of those, the ones without a disagreement
    flagged: tuple[FlaggedQuestion, ...]
    withheld: bool = False  # the viewer still answers this domain: nothing of it is shown

    @property
    def percent(self) -> int | None:
        """The share of compared questions on which all agreed, a whole percentage."""
        if not self.compared:
            return None
        share = Decimal(100 * self.agreed) / Decimal(self.compared)
        return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Disagreements:
    """The section "Where respondents disagreed" of one assessment in independent mode."""

    domains: tuple[DomainAgreement, ...]
    respondents: int  # distinct people whose answers are compared
    # Every assignment's state, read with the section: the report's evidence appendix takes
    # its blind rule from them (respondents/blind.py) instead of asking again.
    parts: tuple[PartState, ...] = ()

    @property
    def flagged(self) -> list[FlaggedQuestion]:
        return [q for d in self.domains for q in d.flagged]

    @property
    def withheld(self) -> bool:
        return any(d.withheld for d in self.domains)

    @property
    def lead(self) -> str:
        """The section's first paragraph."""
        by = f" by {self.respondents} respondent{'s' if self.respondents != 1 else ''}"
        return (
            f"This assessment was answered independently{by if self.respondents else ''}: {METHOD}"
        )


# --- pure: the answers gathered, compared -----------------------------------------------------


def disagreements_of(
    content: InstrumentContent,
    *,
    assignments: Sequence[tuple[str, Respondent]],
    answers: Mapping[int, Mapping[str, tuple[str, str]]],
    consensus: Mapping[str, str],
    notes: Mapping[str, str],
    visible: Collection[str],
    blind: Collection[str] = (),
) -> Disagreements:
    """Compare the answers of each domain's respondents who marked it done.

    `assignments`: (domain key, respondent) in the order to show them; `answers`: per user id,
    question key -> (value, comment); `consensus`: the assessment's answers (question key ->
    value); `visible`: the questions the consensus shows (a follow-up hidden by the consensus on
    its parent does not count); `blind`: domains whose answers the viewer may not see yet.
    """
    by_domain: dict[str, list[Respondent]] = defaultdict(list)
    for domain_key, respondent in assignments:
        by_domain[domain_key].append(respondent)
    compared_people: set[int] = set()
    domains = []
    for number, domain in enumerate(content.domains, start=1):
        assigned = by_domain.get(domain.key)
        if not assigned:
            continue
        if domain.key in blind:
            domains.append(
                DomainAgreement(
                    key=domain.key,
                    number=number,
                    title=domain.title,
                    respondents=0,
                    compared=0,
                    agreed=0,
                    flagged=(),
                    withheld=True,
                )
            )
            continue
        done = [r for r in assigned if r.done]
        compared_people.update(r.user_id for r in done)
        questions = content.questions_of(domain.key)
        own = [
            {q.key: answers[r.user_id][q.key] for q in questions if q.key in answers[r.user_id]}
            if r.user_id in answers
            else {}
            for r in done
        ]
        # Which follow-ups each respondent saw: the consensus pages' rule.
        seen_by = [
            seen_values(content.spec, consensus, {k: v for k, (v, _) in mine.items()}, domain.key)
            for mine in own
        ]
        agreements = question_agreements(content.spec, seen_by, domain.key)
        compared = agreed = 0
        flagged = []
        for question in questions:
            result = agreements[question.key]
            if question.key not in visible or result.answered < 2:
                continue
            compared += 1
            if not result.disagree:
                agreed += 1
                continue
            shown = tuple(
                AnswerShown(
                    respondent=r,
                    value=mine[question.key][0],
                    label=answer_label(question, mine[question.key][0]),
                    comment=mine[question.key][1],
                )
                for r, mine in zip(done, own, strict=True)
                if mine.get(question.key, ("", ""))[0]
            )
            value = consensus.get(question.key, "")
            flagged.append(
                FlaggedQuestion(
                    key=question.key,
                    number=content.numbers[question.key],
                    text=question.text,
                    answers=shown,
                    consensus=answer_label(question, value) if value else "",
                    note=notes.get(question.key, ""),
                )
            )
        domains.append(
            DomainAgreement(
                key=domain.key,
                number=number,
                title=domain.title,
                respondents=len(done),
                compared=compared,
                agreed=agreed,
                flagged=tuple(flagged),
            )
        )
    return Disagreements(domains=tuple(domains), respondents=len(compared_people))


# --- the database ---------------------------------------------------------------------------


def assessment_disagreements(
    assessment: Assessment,
    *,
    content: InstrumentContent,
    consensus: Mapping[str, str],
    visible: Collection[str],
    viewer_id: int | None = None,
    blind: Collection[str] = (),
) -> Disagreements | None:
    """The section of an assessment in independent mode; None in the single-answer mode.

    `viewer_id`: whoever looks (their open assignments' domains are withheld from them);
    `blind`: domains withheld anyway (see `open_domains`, for exports whose options carry it).
    """
    if not is_independent(assessment):
        return None
    labels = dict(Membership.Role.choices)
    assignments: dict[int, tuple[str, Respondent]] = {}
    domain_of = {q.pk: (q.key, q.domain.key) for q in content.questions}
    answers: dict[int, dict[str, tuple[str, str]]] = defaultdict(dict)
    notes: dict[str, str] = {}
    parts: dict[int, PartState] = {}
    for row in _assignments_with_answers(assessment):
        (pk, domain_key, user_id, username, first, last, removed_at, done_at, role) = row[:9]
        question_id, value, comment, note = row[9:]
        if pk not in assignments:
            parts[pk] = PartState(user_id, domain_key, done_at, removed_at)
            respondent = Respondent(
                user_id=user_id,
                name=name_of(first, last, username),
                role=labels.get(role, NOT_A_MEMBER),
                removed=removed_at is not None,
                done=done_at is not None,
            )
            assignments[pk] = (domain_key, respondent)
            if user_id == viewer_id and removed_at is None and done_at is None:
                blind = {*blind, domain_key}
        key, answer_domain = domain_of.get(question_id, ("", ""))
        # Only answers to the assignment's own domain, once marked done: before that,
        # nobody else sees them.
        if answer_domain != domain_key or done_at is None:
            continue
        answers[user_id][key] = (value, comment)
        if note:
            notes[key] = note
    section = disagreements_of(
        content,
        assignments=list(assignments.values()),
        answers=answers,
        consensus=consensus,
        notes=notes,
        visible=visible,
        blind=blind,
    )
    return replace(section, parts=tuple(parts.values()))


def _assignments_with_answers(assessment: Assessment) -> Any:
    """One row per assignment and answer its person gave to this assessment (any domain; an
    assignment without answers has one row of nulls), with the person's name and role in the
    organisation and the consensus note of the answer's question: the section in one query."""
    given = FilteredRelation(
        "user__respondent_answers",
        condition=Q(user__respondent_answers__assessment_id=assessment.pk),
    )
    role = Membership.objects.filter(
        organisation_id=assessment.site.organisation_id, user_id=OuterRef("user_id")
    ).values("role")[:1]
    note = ConsensusNote.objects.filter(
        assessment_id=assessment.pk, question_id=OuterRef("given__question_id")
    ).values("note")[:1]
    return (
        Assignment.objects.filter(assessment_id=assessment.pk)
        .annotate(given=given, role=Subquery(role), note=Subquery(note))
        .order_by("pk", "given__question_id")
        .values_list(
            "pk",
            "domain_key",
            "user_id",
            "user__username",
            "user__first_name",
            "user__last_name",
            "removed_at",
            "done_at",
            "role",
            "given__question_id",
            "given__value",
            "given__comment",
            "note",
        )
    )


def open_domains(assessment_id: int, user_id: int) -> tuple[str, ...]:
    """The domains of an assessment in independent mode that the person still answers (an
    active assignment not marked done): what exports made for them must leave out. One query."""
    return tuple(
        Assignment.objects.active()
        .filter(
            assessment_id=assessment_id,
            user_id=user_id,
            done_at__isnull=True,
            assessment__independent_answering__isnull=False,
        )
        .order_by("domain_key")
        .values_list("domain_key", flat=True)
    )


def respondents_state(assessment: Assessment) -> dict[str, Subquery]:
    """What changes whenever the section can change without the assessment's revision moving
    (an assignment, a respondent's answer or done, a consensus note: each leaves an event), as
    an expression for the one query of the report's fingerprint (reports/report_files.py).
    Nothing outside the independent mode."""
    if not is_independent(assessment):
        return {}
    events = AssignmentEvent.objects.filter(assessment_id=assessment.pk).order_by("-pk")
    return {"last_event": Subquery(events.values("pk")[:1])}
