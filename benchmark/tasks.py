"""Celery tasks of the benchmark: a refresh queued on every submit, and a periodic one."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from benchmark.publishing import benchmark_refresh


@shared_task(name="benchmark.tasks.benchmark_refresh_task", acks_late=True, ignore_result=True)
def benchmark_refresh_task(instrument_ids: list[int] | None = None) -> str:
    # Idempotent: a refresh that finds nothing new publishes nothing.
    return str(benchmark_refresh(instrument_ids=instrument_ids))


def on_assessment_submitted(sender: Any, assessment: Any, **kwargs: Any) -> None:
    """Queue a refresh of the submitted assessment's instrument version (after commit)."""
    from reports.queue import enqueue

    enqueue("benchmark.tasks.benchmark_refresh_task", [assessment.instrument_id])
