from __future__ import annotations

from django.apps import AppConfig


class BenchmarkConfig(AppConfig):
    """The anonymous benchmark across organisations (issue 15); see benchmark/publishing.py."""

    name = "benchmark"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from assessments.signals import assessment_submitted
        from benchmark.tasks import on_assessment_submitted

        assessment_submitted.connect(on_assessment_submitted, dispatch_uid="benchmark-refresh")
