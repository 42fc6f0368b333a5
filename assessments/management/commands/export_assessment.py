"""./manage.py export_assessment ID [-o FILE]: one assessment as the assessment JSON."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.models import Assessment
from assessments.transfer_export import dumps, export_assessment


class Command(BaseCommand):
    help = (
        "Write one assessment as JSON (the format import_assessment reads): instrument, "
        "organisation, site, round, status, targets, answers and computed results. "
        "Standard output by default."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("id", type=int, metavar="ID", help="the assessment's id")
        parser.add_argument(
            "-o", "--output", type=Path, metavar="FILE", help="write to FILE instead of stdout"
        )
        parser.add_argument(
            "--with-evidence",
            action="store_true",
            help="write a ZIP of the JSON and the evidence files (needs -o FILE.zip)",
        )

    def handle(self, **options: Any) -> None:
        assessment = Assessment.objects.with_context().filter(pk=options["id"]).first()
        if assessment is None:
            raise CommandError(f"no assessment with id {options['id']}")
        if options["with_evidence"]:
            self._with_evidence(assessment, options["output"])
            return
        text = dumps(export_assessment(assessment))
        output: Path | None = options["output"]
        if output is None:
            # ending="" because dumps() already ends the text with a newline.
            self.stdout.write(text, ending="")
            return
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc.strerror or exc}") from exc
        self.stderr.write(f"Assessment {assessment.pk} written to {output}")

    def _with_evidence(self, assessment: Assessment, output: Path | None) -> None:
        # Imported here: the evidence app builds on assessments, never the reverse.
        from evidence.services import EvidenceError
        from evidence.transfer import export_with_evidence

        if output is None:
            raise CommandError("--with-evidence writes a ZIP: name it with -o FILE.zip")
        try:
            export = export_with_evidence(assessment=assessment, user_id=None)
        except EvidenceError as exc:
            raise CommandError(exc.message) from exc
        try:
            with export.file, output.open("wb") as target:
                shutil.copyfileobj(export.file, target)
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc.strerror or exc}") from exc
        self.stderr.write(
            f"Assessment {assessment.pk} written to {output} with {export.files} evidence file(s)"
        )
