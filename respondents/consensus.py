"""What the pages of independent answers show (issue 15): each domain's state (respondents
done, consensus set), a respondent's own progress, and the consensus table of a domain (every
respondent's answer to every question, the spread, the disagreement flag, the pre-fill).

The rules stay where they live: who may see whose answers is `respondent_answers_visible`
(independent.py), when answers disagree is agreement.py, which questions a set of answers
shows is scoring.visible_keys. This module gathers them for a page; the results and report
section "Where respondents disagreed" is consensus_report.py, on the same rules.

Which follow-ups a respondent saw: their own answers to the domain, and the consensus for the
other domains (`seen_values`), so a follow-up whose parent is in a domain they do not answer
follows that parent's consensus.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import OuterRef, Subquery

from assessments.carry_over import answer_label
from assessments.content import InstrumentContent
from assessments.display import display_name
from assessments.models import Answer, Assessment, Membership, Question
from assessments.scoring import NA, InstrumentSpec, QuestionSpec, normalised_score, visible_keys
from respondents.agreement import Agreement, question_agreements
from respondents.independent import RespondentView, is_independent, respondent_answers_visible
from respondents.models import Assignment, ConsensusNote, RespondentAnswer

FORMER_MEMBER = "Former member"


# --- pure: states and progress ----------------------------------------------------------------


def seen_values(
    spec: InstrumentSpec, consensus: Mapping[str, str], own: Mapping[str, str], domain_key: str
) -> dict[str, str]:
    """The answers that decide which questions of a domain a respondent is shown: their own
    answers to that domain (one left blank is blank, whatever the consensus), the consensus
    answers to the other domains."""
    values = {
        q.key: consensus[q.key]
        for q in spec.questions
        if q.domain != domain_key and q.key in consensus
    }
    values.update(
        (q.key, own[q.key]) for q in spec.questions if q.domain == domain_key and q.key in own
    )
    return values


@dataclass(frozen=True)
class DomainStatus:
    """One domain in independent mode: its active respondents, and the consensus."""

    assigned: int  # active respondents
    done: int  # of them, those who marked their part done
    consensus_set: int  # visible scored questions with a consensus answer
    consensus_needed: int  # visible scored questions (what submit needs)

    @property
    def consensus_complete(self) -> bool:
        return self.consensus_set == self.consensus_needed

    @property
    def all_done(self) -> bool:
        return self.assigned > 0 and self.done == self.assigned


def domain_statuses(
    content: InstrumentContent, consensus: Mapping[str, str], assignments: Iterable[Assignment]
) -> dict[str, DomainStatus]:
    """Per domain key: respondents done n/N and consensus set m/M. "Needed" counts what
    submit asks for (respondents.independent.consensus_missing): visible scored questions."""
    visible = visible_keys(content.spec, consensus)
    active = [a for a in assignments if a.removed_at is None]
    statuses = {}
    for domain in content.domains:
        needed = [
            q.key
            for q in content.spec.questions
            if q.domain == domain.key and q.scored and q.key in visible
        ]
        mine = [a for a in active if a.domain_key == domain.key]
        statuses[domain.key] = DomainStatus(
            assigned=len(mine),
            done=sum(1 for a in mine if a.done_at is not None),
            consensus_set=sum(1 for key in needed if consensus.get(key)),
            consensus_needed=len(needed),
        )
    return statuses


def own_progress(
    spec: InstrumentSpec,
    consensus: Mapping[str, str],
    own: Mapping[str, str],
    domain_key: str,
) -> tuple[int, int]:
    """A respondent's (answered, shown) questions of a domain, free text included, as the
    questionnaire counts them; `own` holds their answers to that domain."""
    visible = visible_keys(spec, seen_values(spec, consensus, own, domain_key))
    shown = [q.key for q in spec.questions if q.domain == domain_key and q.key in visible]
    return sum(1 for key in shown if own.get(key, "").strip()), len(shown)


def own_values_by_domain(
    content: InstrumentContent, answers: Iterable[RespondentAnswer]
) -> dict[str, dict[str, str]]:
    """A respondent's answers (question id -> row) as question key -> value, per domain."""
    keys = {q.pk: (q.domain.key, q.key) for q in content.questions}
    by_domain: dict[str, dict[str, str]] = {}
    for answer in answers:
        if answer.question_id in keys:
            domain_key, key = keys[answer.question_id]
            by_domain.setdefault(domain_key, {})[key] = answer.value
    return by_domain


# --- the consensus table of one domain ----------------------------------------------------------


@dataclass(frozen=True)
class Respondent:
    user_id: int
    name: str
    role: str  # their role in the organisation, e.g. "Viewer"; "Former member"
    removed: bool  # no longer assigned: answers kept in the record, marked
    done: bool
    is_viewer: bool


@dataclass(frozen=True)
class GivenAnswer:
    respondent: Respondent
    # "answered"; "unanswered"; "hidden": not marked done, nobody else sees it yet;
    # "not_shown": a follow-up their own answers did not show them.
    state: str
    label: str = ""  # as people read it: the option's label, "Not applicable", the text
    comment: str = ""
    evidence: str = ""


@dataclass(frozen=True)
class ConsensusRow:
    question: Question
    number: str
    answers: tuple[GivenAnswer, ...]
    agreement: Agreement  # among the respondents who marked their part done
    reason: str  # why the answers disagree, "" when they do not
    spread: str  # lowest to highest scored answer, "" with fewer than two different
    tally: tuple[tuple[str, int], ...]  # (answer label, how many gave it)
    consensus: Answer | None
    note: str
    prefill: str  # the answer all compared respondents gave, offered while no consensus
    visible: bool  # shown by the consensus answers (a hidden follow-up does not count)


@dataclass(frozen=True)
class ConsensusTable:
    respondents: tuple[Respondent, ...]
    rows: tuple[ConsensusRow, ...]
    # The viewer still answers this domain themself: the others' answers stay hidden.
    viewer_answering: bool

    @property
    def waiting(self) -> int:
        return sum(1 for r in self.respondents if not r.done and not r.removed)

    @property
    def compared(self) -> int:
        return sum(1 for r in self.respondents if r.done)

    @property
    def flagged(self) -> list[ConsensusRow]:
        return [row for row in self.rows if row.agreement.disagree]


def _reason(question: Question, values: Iterable[str]) -> str:
    """Which rule of agreement.py a flagged question meets, in words."""
    given = set(values)
    if NA in given and len(given) > 1:
        return "Not applicable against an answer"
    if question.type == Question.Type.YES_NO:
        return "Yes against no"
    if question.type == Question.Type.SCALE:
        return "Two or more scale points apart"
    return "Options scoring more than half the range apart"


def _label(question: Question, value: str) -> str:
    """An answer as the questionnaire shows it: a scale's number with its label."""
    label = answer_label(question, value)
    if question.type == Question.Type.SCALE and value != NA:
        return f"{value} — {label}"
    return label


def _short(question: Question, value: str) -> str:
    """An answer in a few words: a scale's number, else the option's label."""
    if question.type == Question.Type.SCALE and value != NA:
        return value
    return answer_label(question, value)


def _spread(question: Question, spec: QuestionSpec, values: Iterable[str]) -> str:
    """The lowest to the highest scored answer of a scale or a choice (N/A left out); empty
    where all are alike, or where the two ends say it all (yes against no)."""
    if question.type not in (Question.Type.SCALE, Question.Type.CHOICE):
        return ""
    scored = sorted(
        {(score, value) for value in values if (score := normalised_score(spec, value)) is not None}
    )
    if len(scored) < 2:
        return ""
    return f"{_short(question, scored[0][1])} to {_short(question, scored[-1][1])}"


def assignments_with_roles(assessment: Assessment) -> list[Assignment]:
    """The assessment's assignments (removed ones included), each with `role`: the person's
    role in the organisation, None for a former member. One query."""
    return list(
        Assignment.objects.filter(assessment_id=assessment.pk)
        .annotate(
            role=Subquery(
                Membership.objects.filter(
                    organisation_id=assessment.site.organisation_id, user_id=OuterRef("user_id")
                ).values("role")[:1]
            )
        )
        .order_by("pk")
    )


def respondents_of(
    views: Sequence[RespondentView], assignments: Iterable[Assignment], viewer: User
) -> dict[int, Respondent]:
    """The people of `respondent_answers_visible`'s views, with their role (from
    `assignments_with_roles`)."""
    labels = dict(Membership.Role.choices)
    roles = {a.user_id: getattr(a, "role", None) for a in assignments}
    return {
        view.user.pk: Respondent(
            user_id=view.user.pk,
            name=display_name(view.user),
            role=str(labels.get(roles.get(view.user.pk) or "", FORMER_MEMBER)),
            removed=view.removed,
            done=view.done,
            is_viewer=view.user.pk == viewer.pk,
        )
        for view in views
    }


def consensus_table(
    *,
    assessment: Assessment,
    content: InstrumentContent,
    domain_key: str,
    viewer: User,
    consensus: Mapping[int, Answer],
    assignments: Iterable[Assignment],
) -> ConsensusTable:
    """Every question of the domain with each respondent's answer as `viewer` may see it,
    the agreement among those who marked their part done (removed ones included, marked),
    and the consensus with its note. `consensus`: the assessment's answers by question id;
    `assignments`: from `assignments_with_roles`. Three queries whatever the number of
    respondents (the blind read's two, the notes)."""
    views = sorted(
        respondent_answers_visible(assessment=assessment, viewer=viewer, domain_key=domain_key),
        key=lambda v: (v.removed, display_name(v.user).casefold()),
    )
    people = respondents_of(views, assignments, viewer)
    viewer_answering = any(p.is_viewer and not p.done and not p.removed for p in people.values())
    questions = content.questions_of(domain_key)
    keys = {q.pk: q.key for q in content.questions}
    consensus_values = {keys[qid]: a.value for qid, a in consensus.items() if qid in keys}
    notes = {
        keys.get(question_id, ""): note
        for question_id, note in ConsensusNote.objects.filter(
            assessment_id=assessment.pk, question__domain__key=domain_key
        ).values_list("question_id", "note")
    }
    compared = [v for v in views if v.done]
    own = {v.user.pk: {k: a.value for k, a in v.answers.items()} for v in views}
    seen = {
        v.user.pk: seen_values(content.spec, consensus_values, own[v.user.pk], domain_key)
        for v in views
    }
    agreements = question_agreements(content.spec, [seen[v.user.pk] for v in compared], domain_key)
    shown_to = {user_id: visible_keys(content.spec, values) for user_id, values in seen.items()}
    visible = visible_keys(content.spec, consensus_values)
    specs = {q.key: q for q in content.spec.questions}
    rows = []
    for question in questions:
        key = question.key
        given = []
        for view in views:
            person = people[view.user.pk]
            answer = view.answers.get(key)
            if not person.is_viewer and (not person.done or viewer_answering):
                given.append(GivenAnswer(person, "hidden"))
            elif key not in shown_to[view.user.pk]:
                given.append(GivenAnswer(person, "not_shown"))
            elif answer is None or not answer.value.strip():
                given.append(
                    GivenAnswer(
                        person,
                        "unanswered",
                        comment=answer.comment if answer else "",
                        evidence=answer.evidence if answer else "",
                    )
                )
            else:
                given.append(
                    GivenAnswer(
                        person,
                        "answered",
                        label=_label(question, answer.value),
                        comment=answer.comment,
                        evidence=answer.evidence,
                    )
                )
        values = [
            own[v.user.pk][key]
            for v in compared
            if own[v.user.pk].get(key) and key in shown_to[v.user.pk]
        ]
        agreement = agreements[key]
        stored = consensus.get(question.pk)
        rows.append(
            ConsensusRow(
                question=question,
                number=content.numbers[key],
                answers=tuple(given),
                agreement=agreement,
                reason=_reason(question, values) if agreement.disagree else "",
                spread=_spread(question, specs[key], values) if question.scored else "",
                # How many gave which answer, where the table is long enough to need it.
                tally=tuple(
                    (_short(question, value), count)
                    for value, count in Counter(values).most_common()
                )
                if question.scored and len(values) > 2
                else (),
                consensus=stored,
                note=notes.get(key, ""),
                prefill=(agreement.unanimous or "") if stored is None or not stored.value else "",
                visible=key in visible,
            )
        )
    return ConsensusTable(
        respondents=tuple(people[v.user.pk] for v in views),
        rows=tuple(rows),
        viewer_answering=viewer_answering,
    )


def assessment_statuses(
    assessment: Assessment, content: InstrumentContent, consensus: Mapping[str, str]
) -> dict[str, DomainStatus]:
    """Each domain's state in independent mode (one query: the assignments); empty in the
    shared mode (no query for an assessment read through assessments.access)."""
    if not is_independent(assessment):
        return {}
    return domain_statuses(
        content, consensus, Assignment.objects.filter(assessment_id=assessment.pk)
    )
