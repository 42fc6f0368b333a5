"""Whether a file is safe to show others: the configured ClamAV daemon's word on it.

Without CLAMD_SOCKET nothing is scanned and files are marked "not scanned" (the README says
so). With it, a file is scanned before it is stored: a virus refuses the upload, a scanner out
of reach leaves the file waiting ("pending", seen by its uploader only) until
`manage.py scan_evidence` gets an answer, and a scanner that cannot judge it (e.g. over its
stream limit) marks it "failed", also seen by its uploader only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings

from evidence import clamd
from evidence.models import EvidenceFile

logger = logging.getLogger(__name__)

Status = EvidenceFile.Status
MAX_DETAIL = 200  # EvidenceFile.scan_detail


@dataclass(frozen=True)
class ScanOutcome:
    status: str
    detail: str = ""  # the virus's name, or why there is no verdict


def scanning_enabled() -> bool:
    return bool(settings.CLAMD_SOCKET)


def scan_content(stream: BinaryIO) -> ScanOutcome:
    """Scan the whole content of `stream` (seekable; left at its start)."""
    if not scanning_enabled():
        return ScanOutcome(Status.UNSCANNED)
    stream.seek(0)
    try:
        reply = clamd.instream(
            stream, socket_path=settings.CLAMD_SOCKET, timeout=settings.CLAMD_TIMEOUT
        )
    except clamd.ClamdUnavailable as exc:
        logger.warning("evidence scan postponed: %s", exc)
        return ScanOutcome(Status.PENDING, str(exc)[:MAX_DETAIL])
    finally:
        stream.seek(0)
    if reply.infected:
        return ScanOutcome(Status.INFECTED, reply.virus[:MAX_DETAIL])
    if reply.error:
        logger.warning("evidence scan failed: %s", reply.error)
        return ScanOutcome(Status.FAILED, reply.error[:MAX_DETAIL])
    return ScanOutcome(Status.CLEAN)
