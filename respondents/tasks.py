"""Celery tasks of assignments: the daily reminder (scheduled in CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from respondents.reminders import reminders_send


@shared_task(name="respondents.tasks.assignment_reminders_send")
def assignment_reminders_send() -> str:
    """The same reminders as `manage.py send_assignment_reminders`, for a Celery beat schedule."""
    return str(reminders_send())
