"""./manage.py scan_evidence [--all]: ask the virus scanner about evidence files again."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from evidence.models import EvidenceFile
from evidence.scanning import scanning_enabled
from evidence.services import evidence_rescan

Status = EvidenceFile.Status


class Command(BaseCommand):
    help = (
        "Scan the evidence files that wait for the virus scanner (it could not be reached when "
        "they were attached) or that it could not scan, with the ClamAV daemon of CLAMD_SOCKET; "
        "run it from cron. A clean file becomes available to everyone; a virus deletes the "
        "file's content (its uploader sees why). --all scans every stored file again, e.g. "
        "after the virus signatures were updated."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all", action="store_true", help="every stored file, not only waiting ones"
        )

    def handle(self, **options: Any) -> None:
        if not scanning_enabled():
            raise CommandError("CLAMD_SOCKET is not set: there is no virus scanner to ask")
        files = EvidenceFile.objects.exclude(status=Status.INFECTED)
        if not options["all"]:
            files = files.filter(status__in=[Status.PENDING, Status.FAILED])
        results: Counter[str] = Counter()
        for evidence in files.order_by("pk").iterator():
            results[evidence_rescan(evidence=evidence)] += 1
        total = sum(results.values())
        self.stdout.write(
            f"Scanned {total} file(s): {results[Status.CLEAN]} clean, "
            f"{results[Status.INFECTED]} infected (content deleted), "
            f"{results[Status.PENDING]} still waiting, {results[Status.FAILED]} could not be scanned."
        )
