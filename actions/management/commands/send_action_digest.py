"""./manage.py send_action_digest: the daily e-mail to owners of items due soon or overdue.

For cron where no Celery beat runs, e.g. `15 6 * * * .venv/bin/python manage.py send_action_digest`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from actions.digest import digest_send


class Command(BaseCommand):
    help = (
        "E-mail each owner of action items due within 7 days or overdue (once a day, from "
        "cron or Celery beat). People who turned the digest off are left out."
    )

    def handle(self, **options: Any) -> None:
        self.stdout.write(str(digest_send()))
