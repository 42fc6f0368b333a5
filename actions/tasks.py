"""Celery tasks of action items: the daily digest (scheduled in CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from actions.digest import digest_send


@shared_task(name="actions.tasks.action_digest_send")
def action_digest_send() -> str:
    """The same digest as `manage.py send_action_digest`, for a Celery beat schedule."""
    return str(digest_send())
