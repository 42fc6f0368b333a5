from __future__ import annotations

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core import checks

        from reports.checks import check_chromium

        checks.register(check_chromium)

        from assessments.signals import assessment_submitted
        from reports.prerender import on_assessment_submitted

        assessment_submitted.connect(on_assessment_submitted, dispatch_uid="reports-prerender")
