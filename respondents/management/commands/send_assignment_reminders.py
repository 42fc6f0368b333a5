"""./manage.py send_assignment_reminders: the daily e-mail about assigned domains due soon.

For cron, e.g. `30 6 * * * .venv/bin/python manage.py send_assignment_reminders`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from respondents.reminders import reminders_send


class Command(BaseCommand):
    help = (
        "E-mail each person with assigned domains due within 3 days or overdue (once a day). "
        "People who turned assignment reminders off are left out."
    )

    def handle(self, **options: Any) -> None:
        self.stdout.write(str(reminders_send()))
