"""The questionnaire's domain page in independent-answers mode (issue 15).

assessments/questionnaire_views.py asks `domain_answering` once per request; in the shared mode it gets
None and nothing here runs. In independent mode a respondent assigned to the domain answers
on their own (their RespondentAnswer rows, saved by `respondent_answers_save`); anyone else
reads the consensus, which the coordinator sets on the consensus page. Nobody's page shows
another respondent's answers: those are on the consensus page, under the blind rule of
`respondent_answers_visible`.

Queries: the assessment's assignments (one), and for a respondent their own answers (one),
whatever the number of respondents.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User

from assessments import questionnaire
from assessments.content import InstrumentContent
from assessments.models import Assessment
from assessments.questionnaire import DomainAnswers
from assessments.services import AnswerChange, AssessmentLocked, SaveOutcome
from respondents.blind import rule_of
from respondents.consensus import (
    DomainStatus,
    domain_statuses,
    own_progress,
    own_values_by_domain,
    seen_values,
)
from respondents.independent import IndependentError, is_independent, respondent_answers_save
from respondents.models import Assignment, RespondentAnswer


@dataclass
class DomainAnswering:
    """Who answers what on one domain page of an assessment in independent mode."""

    assessment: Assessment
    user: User
    domain_key: str
    assignments: list[Assignment]
    # The page's person's assignment of this domain (removed or not), if any.
    assignment: Assignment | None
    own: dict[int, RespondentAnswer] = field(default_factory=dict)

    @property
    def respondent(self) -> bool:
        """The person answers this domain on their own (an active assignment)."""
        return self.assignment is not None and self.assignment.removed_at is None

    @property
    def can_answer(self) -> bool:
        return (
            self.respondent
            and self.assignment is not None
            and self.assignment.done_at is None
            and self.assessment.is_editable
        )

    @property
    def my_domains(self) -> set[str]:
        return {
            a.domain_key
            for a in self.assignments
            if a.user_id == self.user.pk and a.removed_at is None
        }

    consensus: dict[str, str] = field(default_factory=dict)
    # What decides what the person is shown (`seen_basis`), once loaded.
    seen: dict[str, str] | None = None

    def load(self, content: InstrumentContent) -> DomainAnswers:
        """What the page shows: a respondent's own answers to the domain and the values that
        decide what they are shown (their own here, the consensus elsewhere but in the other
        domains they still answer: `seen_basis`); anyone else the consensus, as in the shared
        mode. One query, and one more for the person's own where they answer a domain."""
        questions = content.questions_of(self.domain_key)
        loaded = questionnaire.domain_answers(self.assessment, questions)
        self.consensus = loaded.values
        self.seen = self.seen_basis(content)
        if not self.respondent:
            if self.seen is self.consensus:
                return loaded
            return DomainAnswers(values=self.seen, shown=loaded.shown, last_round=loaded.last_round)
        own = own_values_by_domain(content, self.own.values()).get(self.domain_key, {})
        shown = {q.pk: self.own[q.pk] for q in questions if q.pk in self.own}
        return DomainAnswers(
            values=seen_values(content.spec, self.seen, own, self.domain_key),
            shown=shown,  # type: ignore[arg-type]
            last_round=loaded.last_round,
        )

    def seen_basis(self, content: InstrumentContent) -> dict[str, str]:
        """The answers that decide which questions the person is shown and what their page
        counts and scores: the consensus, but for a domain they still answer their own
        answers, as the blind rule hides its consensus from them (respondents/blind.py): a
        question shown or not after another domain's answer must not tell them that
        domain's consensus. Reads the person's own answers where they answer a domain."""
        domain_of = {q.key: q.domain.key for q in content.questions}
        rule = rule_of(self.assignments, viewer_id=self.user.pk, domain_of=domain_of)
        if self.respondent or rule.still_answering:
            self.load_own()
        if not rule.still_answering:
            return self.consensus
        own = own_values_by_domain(content, self.own.values())
        basis = {
            key: value
            for key, value in self.consensus.items()
            if rule.shows_consensus(domain_of.get(key))
        }
        for domain_key in rule.still_answering:
            basis.update(own.get(domain_key, {}))
        return basis

    def save(
        self, *, assessment: Assessment, user: User, changes: list[AnswerChange], domain_key: str
    ) -> SaveOutcome:
        """A respondent's own answers saved (as answers_save saves the shared ones); a save
        the mode refuses (part marked done, assignment removed) is refused as a locked one."""
        try:
            return respondent_answers_save(
                assessment=assessment, user=user, domain_key=domain_key, changes=changes
            )
        except IndependentError as error:
            raise AssessmentLocked(f"{error} Nothing was changed.") from error

    def load_own(self) -> dict[int, RespondentAnswer]:
        """The person's own answers to every domain they answer, by question id (one query)."""
        rows = RespondentAnswer.objects.filter(
            assessment_id=self.assessment.pk, user_id=self.user.pk
        )
        self.own = {}
        for row in rows:
            row.user = self.user  # their own: no query to name them
            self.own[row.question_id] = row
        return self.own

    def hide_blind_files(self, rows: Iterable[dict[str, Any]]) -> None:
        """Evidence files follow the blind rule of answers (respondents/blind.py), read from
        the assignments the page has already. `rows`: question rows with `files`
        (evidence/questionnaire.py)."""
        rows = list(rows)
        rule = rule_of(
            self.assignments,
            viewer_id=self.user.pk,
            domain_of={row["question"].key: self.domain_key for row in rows},
        )
        for row in rows:
            if row.get("files"):
                row["files"] = rule.files(row["files"])

    def progress(
        self, rows: list[dict[str, Any]], content: InstrumentContent
    ) -> list[dict[str, Any]]:
        """The questionnaire's progress rows with each domain's state (respondents done,
        consensus set), and a respondent's own counts for the domains they answer."""
        consensus = self.consensus
        statuses: dict[str, DomainStatus] = domain_statuses(content, consensus, self.assignments)
        own = own_values_by_domain(content, self.own.values())
        seen = self.seen if self.seen is not None else consensus
        mine = self.my_domains
        for row in rows:
            row["status"] = statuses[row["key"]]
            row["mine"] = row["key"] in mine
            if row["mine"]:
                answered, total = own_progress(
                    content.spec, seen, own.get(row["key"], {}), row["key"]
                )
                row.update(
                    answered=answered,
                    total=total,
                    percent=int(100 * answered / total) if total else 100,
                    complete=answered == total,
                )
        return rows


def domain_answering(
    *, assessment: Assessment, user: User, domain_key: str
) -> DomainAnswering | None:
    """None in the shared mode (no query for an assessment read through access); otherwise
    the page's answering, with the assessment's assignments read (one query)."""
    if not is_independent(assessment):
        return None
    assignments = list(Assignment.objects.filter(assessment_id=assessment.pk).order_by("pk"))
    mine = next(
        (a for a in assignments if a.user_id == user.pk and a.domain_key == domain_key), None
    )
    return DomainAnswering(
        assessment=assessment,
        user=user,
        domain_key=domain_key,
        assignments=assignments,
        assignment=mine,
    )
