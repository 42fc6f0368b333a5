"""Sending work to the Celery workers without ever failing the request that sends it.

An unreachable broker (Redis down, a full disk under the file-system queue) is logged and
reported as False; the caller then does the work itself or leaves it for the periodic
`report_jobs_resume`.

With a charts queue (settings.CELERY_CHARTS_QUEUE), a task that lays out a report PDF is sent
to that queue first, as `report_charts`: a worker of its own draws the charts with Chromium
into the shared cache, then sends the layout on (reports/tasks.py). The workers that lay out
PDFs then never start a browser, and each kind of worker stays small (README, "Running on
several machines"). Callers do not change: they ask for the layout task as always.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


# After a failed send, this process does not try the broker again for this many seconds: the
# Redis client spends about two seconds on retries before it gives up, which every download
# would otherwise pay while Redis is down.
BROKER_RETRY_SECONDS = 30.0
_broker_down_until = 0.0


# The tasks that lay out a report PDF: with a charts queue, their charts are drawn first.
LAYOUT_TASKS = frozenset({"reports.tasks.report_render", "reports.tasks.report_batch_item"})
CHARTS_TASK = "reports.tasks.report_charts"


def enqueue(task_name: str, *args: Any) -> bool:
    """Send `task_name(*args)` to the workers now; False when the broker cannot be reached.

    A layout task goes through the charts queue when there is one (see the module's doc).
    """
    from django.conf import settings

    charts_queue = settings.CELERY_CHARTS_QUEUE
    if charts_queue and task_name in LAYOUT_TASKS:
        return send(CHARTS_TASK, task_name, *args, queue_name=charts_queue)
    return send(task_name, *args)


def send(task_name: str, *args: Any, queue_name: str | None = None) -> bool:
    """Send `task_name(*args)` as it is, to `queue_name` or the default queue."""
    global _broker_down_until
    from readiness.celery import app

    if time.monotonic() < _broker_down_until:
        logger.warning("Broker unreachable (recently): %s%r was not queued", task_name, args)
        return False
    try:
        # No retries: a web request must not wait for a broker that is down.
        options: dict[str, Any] = {"queue": queue_name} if queue_name else {}
        app.send_task(task_name, args=list(args), retry=False, **options)
    except Exception:
        _broker_down_until = time.monotonic() + BROKER_RETRY_SECONDS
        logger.warning("Broker unreachable: %s%r was not queued", task_name, args, exc_info=True)
        return False
    return True


def enqueue_on_commit(task_name: str, *args: Any) -> None:
    """Send the task once the current transaction has committed (workers see its rows)."""
    transaction.on_commit(lambda: enqueue(task_name, *args))


def broker_state() -> str:
    """The broker's state for /healthz: "ok" or "unreachable"."""
    from readiness.celery import app

    try:
        # One attempt, no retry: a refused connection answers at once, and a load balancer
        # asks again in a few seconds anyway.
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=0, timeout=2)
    except Exception:
        return "unreachable"
    return "ok"
