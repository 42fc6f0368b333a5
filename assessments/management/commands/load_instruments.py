"""./manage.py load_instruments [FILE ...]: load instrument files into the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.instrument_loading import load_all
from assessments.instruments import InstrumentError


class Command(BaseCommand):
    help = (
        "Validate and load instrument files (default: every assessments/instruments/*.yaml). "
        "A version already loaded with the same content is left as it is; one loaded with "
        "different content is refused. Nothing is loaded unless every file is valid."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", type=Path, metavar="FILE")

    def handle(self, **options: Any) -> None:
        files: list[Path] = options["files"]
        try:
            summary = load_all(files or None)
        except InstrumentError as exc:
            # One "FILE: KEY: reason" line per problem, so an author can fix them all at once.
            self.stderr.write(str(exc))
            count = len(exc.problems)
            noun = "problem" if count == 1 else "problems"
            raise CommandError(f"{count} {noun} in instrument files; nothing was loaded") from exc
        self.stdout.write(str(summary))
