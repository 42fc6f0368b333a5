"""./manage.py scan_evidence [--all]: ask the virus scanner about evidence files again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from evidence.scanning import scanning_enabled
from evidence.services import evidence_rescan_waiting


class Command(BaseCommand):
    help = (
        "Scan the evidence files that wait for the virus scanner (it could not be reached when "
        "they were attached) or that it could not scan, with the ClamAV daemon of CLAMD_SOCKET; "
        "run it from cron where no Celery beat runs it (evidence.tasks). A clean file becomes "
        "available to everyone; a virus deletes the file's content (its uploader sees why). "
        "--all scans every stored file again, e.g. after the virus signatures were updated."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all", action="store_true", help="every stored file, not only waiting ones"
        )

    def handle(self, **options: Any) -> None:
        if not scanning_enabled():
            raise CommandError("CLAMD_SOCKET is not set: there is no virus scanner to ask")
        self.stdout.write(str(evidence_rescan_waiting(every=options["all"])))
