"""./manage.py assessment_schema [--check]: publish the assessment file format as JSON Schema."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.assessment_format import SCHEMA_PATH, schema_text, write_schema


class Command(BaseCommand):
    help = (
        "Write assessments/assessment.schema.json from the models that validate assessment "
        "files (the assessment JSON), so that a script or an editor can check a file before "
        "it is imported. With --check, write nothing and exit 1 when the published file is stale."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true")

    def handle(self, **options: Any) -> None:
        if options["check"]:
            current = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
            if current != schema_text():
                raise CommandError(
                    f"{SCHEMA_PATH.name} is stale: run ./manage.py assessment_schema"
                )
            self.stdout.write(f"{SCHEMA_PATH.name} is up to date")
            return
        changed = write_schema()
        self.stdout.write(f"{SCHEMA_PATH.name} {'written' if changed else 'unchanged'}")
