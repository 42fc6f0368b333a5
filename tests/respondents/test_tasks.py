"""The periodic reminder task (issue 15): the Celery beat entry runs the same daily reminder as
`manage.py send_assignment_reminders`."""

from __future__ import annotations

from django.conf import settings
from django.core import mail
from django.utils import timezone

from respondents.services import assignment_create
from respondents.tasks import assignment_reminders_send
from tests import factories


def test_the_task_sends_the_reminders_once_a_day(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    assignment_create(
        assessment=assessment,
        domain_key="gov",
        respondent=world.victor,
        due_date=timezone.localdate(),
        user=world.alice,
    )
    mail.outbox.clear()
    assert assignment_reminders_send() == "1 reminder e-mail(s) for 1 assignment(s)"
    assert [m.to for m in mail.outbox] == [[world.victor.email]]
    assert assignment_reminders_send() == "0 reminder e-mail(s) for 0 assignment(s)"


def test_the_task_is_in_the_beat_schedule():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "respondents.tasks.assignment_reminders_send" in tasks
