"""A demo round answered in independent mode (issue 15), told by assessments/demo/seed.py for
a round whose plan in riverbend.yaml has an `independent:` block.

The round's answers (drawn or fixed, as for any demo round) are the consensus. Each respondent
of a domain gives the same answers on their own, except the disagreements the file scripts and,
now and then, a scale answer one step away (never flagged), marks the domain done, and the
coordinator then settles the consensus with a note on each disagreement. Everything goes
through the services of independent answers, so the demo has their audit trail; only the
assignments are written directly (assigning sends an e-mail, and the demo must not mail its
people), with the events the service would leave.
"""

from __future__ import annotations

import datetime
import random

from django.contrib.auth.models import User

from assessments.demo.data import IndependentPlan
from assessments.models import Assessment, Question
from assessments.services import AnswerChange
from respondents.independent import (
    consensus_save,
    independent_mode_set,
    respondent_answers_save,
    respondent_domain_done,
)
from respondents.models import (
    Assignment,
    AssignmentEvent,
    IndependentAnswering,
    RespondentAnswer,
)

# How often a respondent's scale answer is a step away from the consensus (not a disagreement).
NEAR_MISS = 0.15


def independent_start(
    *, assessment: Assessment, plan: IndependentPlan, users: dict[str, User], domains: list[str]
) -> None:
    """Switch the new round to independent mode and assign each domain to its respondents."""
    coordinator = users[plan.coordinator]
    independent_mode_set(assessment=assessment, user=coordinator, enabled=True)
    for domain_key in domains:
        for username in plan.respondents_of(domain_key):
            Assignment.objects.create(
                assessment=assessment,
                domain_key=domain_key,
                user=users[username],
                assigned_by=coordinator,
            )
            AssignmentEvent.objects.create(
                assessment=assessment,
                domain_key=domain_key,
                respondent=users[username],
                user=coordinator,
                action=AssignmentEvent.Action.ASSIGNED,
            )


def _own(
    change: AnswerChange, question: Question, rng: random.Random, first: bool, near: float
) -> AnswerChange:
    """A respondent's own answer where the file scripts none: the consensus, or on a scale now
    and then (`near`) one step away; the comment and evidence come from the first respondent."""
    value = change.value
    if question.type == Question.Type.SCALE and value.isdigit() and rng.random() < near:
        values = [str(option["value"]) for option in question.options]
        if value in values:
            index = values.index(value)
            value = values[index + 1 if index + 1 < len(values) else index - 1]
    return AnswerChange(
        key=change.key,
        value=value,
        comment=change.comment if first else "",
        evidence=change.evidence if first else "",
    )


def independent_domain(
    *,
    assessment: Assessment,
    domain_key: str,
    changes: list[AnswerChange],
    questions: dict[str, Question],
    plan: IndependentPlan,
    users: dict[str, User],
    rng: random.Random,
) -> None:
    """The domain answered by each of its respondents and marked done, then the consensus
    (`changes`, the round's answers) set by the coordinator with a note per disagreement."""
    for number, username in enumerate(plan.respondents_of(domain_key)):
        own = []
        for change in changes:
            scripted = plan.disagreements.get(change.key)
            if scripted is not None and scripted.respondent == username:
                own.append(AnswerChange(change.key, scripted.value, comment=scripted.comment))
            else:
                # Beside a scripted answer the others give the consensus itself.
                near = 0.0 if scripted is not None else NEAR_MISS
                own.append(_own(change, questions[change.key], rng, number == 0, near))
        user = users[username]
        respondent_answers_save(
            assessment=assessment, user=user, domain_key=domain_key, changes=own
        )
        respondent_domain_done(assessment=assessment, user=user, domain_key=domain_key)
    notes = {
        key: own.note
        for key, own in plan.disagreements.items()
        if key.split(".", 1)[0] == domain_key and own.note
    }
    consensus_save(
        assessment=assessment,
        user=users[plan.coordinator],
        domain_key=domain_key,
        changes=changes,
        notes=notes,
    )


def independent_dated(
    *,
    assessment: Assessment,
    domain_key: str,
    started: datetime.datetime,
    when: datetime.datetime,
) -> None:
    """Move what the domain's respondents just did to the days the story says: assigned when
    the round started, answered and marked done the day before the consensus (`when`)."""
    answered = when - datetime.timedelta(days=1)
    IndependentAnswering.objects.filter(assessment=assessment).update(set_at=started)
    Assignment.objects.filter(assessment=assessment, domain_key=domain_key).update(
        created_at=started, done_at=answered + datetime.timedelta(hours=2)
    )
    RespondentAnswer.objects.filter(assessment=assessment, question__domain__key=domain_key).update(
        answered_at=answered
    )
    events = AssignmentEvent.objects.filter(assessment=assessment, domain_key=domain_key)
    events.filter(action=AssignmentEvent.Action.ASSIGNED).update(at=started)
    events.filter(action=AssignmentEvent.Action.ANSWERED).update(at=answered)
    events.filter(action=AssignmentEvent.Action.DONE).update(
        at=answered + datetime.timedelta(hours=2)
    )
    events.filter(action=AssignmentEvent.Action.NOTE).update(at=when)
    AssignmentEvent.objects.filter(
        assessment=assessment, action=AssignmentEvent.Action.MODE
    ).update(at=started)
