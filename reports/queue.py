"""Sending work to the Celery workers without ever failing the request that sends it.

An unreachable broker (Redis down, a full disk under the file-system queue) is logged and
reported as False; the caller then does the work itself or leaves it for the periodic
`report_jobs_resume`.
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


def enqueue(task_name: str, *args: Any) -> bool:
    """Send `task_name(*args)` to the workers now; False when the broker cannot be reached."""
    global _broker_down_until
    from readiness.celery import app

    if time.monotonic() < _broker_down_until:
        logger.warning("Broker unreachable (recently): %s%r was not queued", task_name, args)
        return False
    try:
        # No retries: a web request must not wait for a broker that is down.
        app.send_task(task_name, args=list(args), retry=False)
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
