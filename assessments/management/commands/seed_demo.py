"""./manage.py seed_demo: demo organisations, sites, people and two rounds of assessments."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from assessments.demo import format_logins, seed_demo


class Command(BaseCommand):
    help = (
        "Load the shipped instruments and create the demo organisations (Riverbend Health "
        "Network, Lakeside Counselling) with sites, people and two rounds of assessments. "
        "Idempotent: what is already there is left as it is. Prints the demo logins."
    )

    def handle(self, **options: Any) -> None:
        summary = seed_demo()
        self.stdout.write(str(summary.instruments))
        self.stdout.write(str(summary))
        self.stdout.write(format_logins())
