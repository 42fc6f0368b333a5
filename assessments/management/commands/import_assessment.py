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
        "Create an assessment from a JSON file written by export_assessment, or from the ZIP "
        "of export_assessment --with-evidence (its files attached again). Organisation and "
        "site are taken from the file by name and created when missing; the instrument version "
        "must already be loaded. Results in the file are ignored and recomputed. Nothing is "
        "written unless the whole file is valid. Prints the new assessment's id on the last line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, metavar="FILE")

    def handle(self, **options: Any) -> None:
        path: Path = options["file"]
        # Imported here: the evidence app builds on assessments, never the reverse.
        from evidence.transfer import assessment_import_zip, files_listed, is_zip

        left_out = 0
        try:
            with path.open("rb") as handle:
                if is_zip(handle):  # an export with evidence: assessment.json and its files
                    assessment = assessment_import_zip(
                        archive=handle,
                        size=path.stat().st_size,
                        user=None,
                        json_limit=MAX_FILE_BYTES,
                    )
                else:
                    if path.stat().st_size > MAX_FILE_BYTES:
                        raise CommandError(f"{path}: file: too big to be an assessment file")
                    data = parse_assessment_json(handle.read())
                    assessment = assessment_import(data=data, user=None)
                    left_out = files_listed(data)
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from exc
        except TransferError as exc:
            # One line: scripts read the last line of output, people read the first problem.
            raise CommandError(f"{path}: {exc}") from exc
        if left_out:
            self.stderr.write(
                f"{left_out} evidence file(s) listed in the JSON were not imported: their "
                "content travels only in an export with evidence (export_assessment "
                "--with-evidence)."
            )
        site = assessment.site
        self.stdout.write(
            f"Imported {assessment.instrument.slug} {assessment.instrument.version} "
            f'"{assessment.round_label}" for {site.organisation.name} / {site.name} '
            f"({assessment.get_status_display().lower()}, "
            f"{assessment.answers.count()} answers)"
        )
        self.stdout.write(str(assessment.pk))
