"""The one shape of `instrument_schema` and `assessment_schema`: publish a file format as JSON
Schema, or with --check say whether the published file is stale."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from django.core.management.base import BaseCommand, CommandError, CommandParser
from pydantic import BaseModel

from assessments import format_base


class SchemaCommand(BaseCommand):
    """Subclasses name the validating model, the published file and their own command name."""

    model: ClassVar[type[BaseModel]]
    path: ClassVar[Path]
    command: ClassVar[str]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true")

    def handle(self, **options: Any) -> None:
        name = self.path.name
        if options["check"]:
            current = self.path.read_text(encoding="utf-8") if self.path.exists() else ""
            if current != format_base.schema_text(self.model):
                raise CommandError(f"{name} is stale: run ./manage.py {self.command}")
            self.stdout.write(f"{name} is up to date")
            return
        changed = format_base.write_schema(self.model, self.path)
        self.stdout.write(f"{name} {'written' if changed else 'unchanged'}")
