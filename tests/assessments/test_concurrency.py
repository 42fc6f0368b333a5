"""Two people saving the same question at the same moment: one wins, the other is told."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from assessments.models import Answer, AuditEntry
from assessments.services import AnswerChange, SaveOutcome, answers_save
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_concurrent_writers_never_lose_an_update(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    barrier = threading.Barrier(2)
    outcomes: dict[str, SaveOutcome] = {}
    errors: list[BaseException] = []

    def write(user, value: str) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[value] = answers_save(
                assessment=assessment,
                user=user,
                changes=[AnswerChange(key="gov.q03", value=value, base_revision=0)],
            )
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=write, args=(world.alice, "4")),
        threading.Thread(target=write, args=(world.sam, "1")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    winners = [v for v, o in outcomes.items() if "gov.q03" in o.saved]
    losers = [v for v, o in outcomes.items() if "gov.q03" in o.conflicts]
    assert len(winners) == 1, (connection.vendor, outcomes)
    assert len(losers) == 1
    answer = Answer.objects.get(assessment=assessment, question__key="gov.q03")
    assert answer.value == winners[0]
    assert answer.revision == 1
    conflict = outcomes[losers[0]].conflicts["gov.q03"]
    assert conflict.theirs["value"] == winners[0]
    assert AuditEntry.objects.filter(assessment=assessment, action="answer").count() == 1


def test_many_concurrent_writers_on_different_questions_all_land(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    keys = ["gov.q01", "gov.q03", "ops.q01", "ops.q02"]
    values = {"gov.q01": "yes", "gov.q03": "2", "ops.q01": "some", "ops.q02": "3"}
    barrier = threading.Barrier(len(keys))
    errors: list[BaseException] = []

    def write(key: str) -> None:
        try:
            barrier.wait(timeout=10)
            answers_save(
                assessment=assessment,
                user=world.alice,
                changes=[AnswerChange(key=key, value=values[key])],
            )
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert dict(assessment.answers.values_list("question__key", "value")) == values
    assert AuditEntry.objects.filter(assessment=assessment, action="answer").count() == 4
