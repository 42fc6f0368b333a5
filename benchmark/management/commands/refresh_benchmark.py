"""./manage.py refresh_benchmark: compute the benchmark and publish what the rules allow."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from benchmark.publishing import benchmark_refresh


class Command(BaseCommand):
    help = (
        "Refresh the anonymous benchmark of every shared instrument version from the latest "
        "submitted assessment of each participating site (for cron where no Celery beat runs)."
    )

    def handle(self, **options: Any) -> None:
        self.stdout.write(str(benchmark_refresh()))
