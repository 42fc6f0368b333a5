"""Celery task of evidence files: the periodic virus scan (scheduled in CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from evidence.scanning import scanning_enabled
from evidence.services import evidence_rescan_waiting

NO_SCANNER = "No virus scanner is configured (CLAMD_SOCKET is empty): nothing to scan."


@shared_task(name="evidence.tasks.evidence_scan_waiting")
def evidence_scan_waiting() -> str:
    """What `manage.py scan_evidence` does, for a Celery beat schedule: the files waiting for
    the scanner, or that it could not scan, are scanned again. Without CLAMD_SOCKET, nothing
    (files are marked "not scanned" and available at once; there is nothing to wait for)."""
    if not scanning_enabled():
        return NO_SCANNER
    return str(evidence_rescan_waiting())
