"""Where a change came from, for the audit trails: the app's pages or the REST API.

Every audit row (AuditEntry, ActionItemEvent, AssignmentEvent, ExportRecord) has a `via`
field whose default is read here when the row is built, so the services that write the
trails need no new argument: the API's views run inside `audit_via(Via.API)` and every row
written meanwhile, by whichever service, says so. A context variable, not a thread-local:
it is reset when the block ends, so nothing leaks into the next request of the thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models


class Via(models.TextChoices):
    PAGES = "", "the app's pages"
    API = "api", "the API"


_via: ContextVar[str] = ContextVar("audit_via", default=Via.PAGES)


def current_via() -> str:
    """The `via` of an audit row built now (a field default: called for each new row)."""
    return str(_via.get())


@contextmanager
def audit_via(via: str) -> Iterator[None]:
    token = _via.set(via)
    try:
        yield
    finally:
        _via.reset(token)
