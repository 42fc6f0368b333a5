"""./manage.py seed_demo: demo organisations, sites, people and two rounds of assessments."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from assessments.demo import LOGINS, format_logins, seed_demo


def mfa_required_roles_apply() -> bool:
    """Whether some demo login would be forced to set up a second factor."""
    from django.conf import settings

    exempt = set(settings.MFA_EXEMPT_USERS)
    return bool(settings.MFA_REQUIRED_ROLES) and not all(
        login.username.casefold() in exempt for login in LOGINS
    )


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
        # Action items live in their own app, built on the assessments just made.
        from actions.demo import demo_actions_seed

        if items := demo_actions_seed():
            self.stdout.write(f"Demo action items: {items} created.")
        # Evidence files too (a small PDF, CSV and PNG on a few answers).
        from evidence.demo import demo_evidence_seed

        if files := demo_evidence_seed():
            self.stdout.write(f"Demo evidence files: {files} attached.")
        # Last: anonymous peers for the benchmark, and its refresh over everything seeded.
        from benchmark.demo import demo_benchmark_seed

        if peers := demo_benchmark_seed():
            self.stdout.write(f"Demo benchmark: {peers} assessments of anonymous peers created.")
        self.stdout.write(format_logins())
        # Org admins and consultants must otherwise set up two-factor sign-in first.
        if mfa_required_roles_apply():
            self.stdout.write(
                "Two-factor sign-in: the demo admin and consultant are asked to set it up "
                "unless MFA_EXEMPT_USERS names them (make run does)."
            )
