"""./manage.py export_assessment ID [-o FILE]: one assessment as the assessment JSON."""

from __future__ import annotations

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

    def handle(self, **options: Any) -> None:
        assessment = Assessment.objects.with_context().filter(pk=options["id"]).first()
        if assessment is None:
            raise CommandError(f"no assessment with id {options['id']}")
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
