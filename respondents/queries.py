"""Reads of assignments for pages: a person's assignments with progress, an assessment's."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import F
from django.utils import timezone

from assessments import questionnaire
from assessments.content import instrument_content
from assessments.models import Answer, Assessment
from respondents.consensus import own_progress
from respondents.independent import is_independent
from respondents.models import Assignment, RespondentAnswer


@dataclass(frozen=True)
class MyAssignment:
    assignment: Assignment
    domain_title: str
    answered: int
    total: int
    overdue: bool
    # Independent answers (issue 15): the counts are of the person's own answers, and they
    # mark their part done.
    independent: bool = False

    @property
    def done(self) -> bool:
        return self.independent and self.assignment.done_at is not None

    @property
    def percent(self) -> int:
        return int(100 * self.answered / self.total) if self.total else 100


def my_assignments(
    user_id: int, *, organisation_id: int | None = None, today: datetime.date | None = None
) -> list[MyAssignment]:
    """The person's active assignments of unsubmitted assessments, with progress per domain.

    Two queries whatever the number of assignments: the assignments, then the answers of
    their assessments (scored in Python, as the organisation page does); a third where some
    run in independent-answers mode, for the person's own answers there."""
    today = today or timezone.localdate()
    rows = (
        Assignment.objects.active()
        .filter(user_id=user_id)
        .exclude(assessment__status=Assessment.Status.SUBMITTED)
        .select_related(
            "assessment__site", "assessment__instrument", "assessment__independent_answering"
        )
        .order_by(F("due_date").asc(nulls_last=True), "assessment_id", "domain_key")
    )
    if organisation_id is not None:
        rows = rows.filter(assessment__site__organisation_id=organisation_id)
    assignments = list(rows)
    values: dict[int, dict[str, str]] = defaultdict(dict)
    if assignments:
        for assessment_id, key, value in Answer.objects.filter(
            assessment_id__in={a.assessment_id for a in assignments}
        ).values_list("assessment_id", "question__key", "value"):
            values[assessment_id][key] = value
    independent = {a.assessment_id for a in assignments if is_independent(a.assessment)}
    own: dict[int, dict[str, str]] = defaultdict(dict)
    if independent:
        for assessment_id, key, value in RespondentAnswer.objects.filter(
            assessment_id__in=independent, user_id=user_id
        ).values_list("assessment_id", "question__key", "value"):
            own[assessment_id][key] = value
    progress: dict[int, dict[str, dict[str, Any]]] = {}
    result = []
    for a in assignments:
        assessment = a.assessment
        if assessment.pk in independent:
            item = _own_item(a, values[assessment.pk], own[assessment.pk], today)
            if item is not None:
                result.append(item)
            continue
        if assessment.pk not in progress:
            content = instrument_content(assessment.instrument)
            answers = values[assessment.pk]
            scored = assessment.compute_results(answers)
            progress[assessment.pk] = {
                row["key"]: row for row in questionnaire.progress_rows(content, scored, answers)
            }
        row = progress[assessment.pk].get(a.domain_key)
        if row is None:
            continue  # the assessment moved to a version without this domain
        result.append(
            MyAssignment(
                assignment=a,
                domain_title=row["domain"].title,
                answered=row["answered"],
                total=row["total"],
                overdue=a.is_overdue(today),
            )
        )
    return result


def _own_item(
    a: Assignment, consensus: dict[str, str], own: dict[str, str], today: datetime.date
) -> MyAssignment | None:
    """An assignment in independent mode, counted on the person's own answers."""
    content = instrument_content(a.assessment.instrument)
    domain = content.domain(a.domain_key)
    if domain is None:
        return None  # the assessment moved to a version without this domain
    mine = {q.key: own[q.key] for q in content.questions_of(a.domain_key) if q.key in own}
    answered, total = own_progress(content.spec, consensus, mine, a.domain_key)
    return MyAssignment(
        assignment=a,
        domain_title=domain.title,
        answered=answered,
        total=total,
        overdue=a.is_overdue(today) and a.done_at is None,
        independent=True,
    )


def assessment_assignments(assessment: Assessment) -> dict[str, list[Assignment]]:
    """The assessment's assignments by domain key, removed ones included (marked)."""
    by_domain: dict[str, list[Assignment]] = defaultdict(list)
    for a in assessment.assignments.select_related("user").order_by("removed_at", "pk"):
        by_domain[a.domain_key].append(a)
    return by_domain
