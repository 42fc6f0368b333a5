"""./manage.py import_assessment FILE: create an assessment from an assessment JSON file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.transfer import TransferError, assessment_import, parse_assessment_json

# The same limit as an upload in the app would be far too tight for no reason here, but a file
# of this size is certainly not an assessment.
MAX_FILE_BYTES = 50 * 1024 * 1024


class Command(BaseCommand):
    help = (
        "Create an assessment from a JSON file written by export_assessment. Organisation and "
        "site are taken from the file by name and created when missing; the instrument version "
        "must already be loaded. Results in the file are ignored and recomputed. Nothing is "
        "written unless the whole file is valid. Prints the new assessment's id on the last line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, metavar="FILE")

    def handle(self, **options: Any) -> None:
        path: Path = options["file"]
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise CommandError(f"{path}: file: too big to be an assessment file")
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from exc
        try:
            assessment = assessment_import(data=parse_assessment_json(raw), user=None)
        except TransferError as exc:
            # One line: scripts read the last line of output, people read the first problem.
            raise CommandError(f"{path}: {exc}") from exc
        site = assessment.site
        self.stdout.write(
            f"Imported {assessment.instrument.slug} {assessment.instrument.version} "
            f'"{assessment.round_label}" for {site.organisation.name} / {site.name} '
            f"({assessment.get_status_display().lower()}, "
            f"{assessment.answers.count()} answers)"
        )
        self.stdout.write(str(assessment.pk))
