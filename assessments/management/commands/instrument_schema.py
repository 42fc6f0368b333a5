"""./manage.py instrument_schema [--check]: publish the instrument file format as JSON Schema."""

from __future__ import annotations

from assessments.instrument_format import SCHEMA_PATH, InstrumentFormat
from assessments.management.schema_command import SchemaCommand


class Command(SchemaCommand):
    help = (
        "Write assessments/instruments/instrument.schema.json from the models that validate "
        "instrument files, so that an author's editor checks a file while it is typed. "
        "With --check, write nothing and exit 1 when the published file is stale."
    )
    model = InstrumentFormat
    path = SCHEMA_PATH
    command = "instrument_schema"
