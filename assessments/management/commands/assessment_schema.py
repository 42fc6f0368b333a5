"""./manage.py assessment_schema [--check]: publish the assessment file format as JSON Schema."""

from __future__ import annotations

from assessments.assessment_format import SCHEMA_PATH, AssessmentFormat
from assessments.management.schema_command import SchemaCommand


class Command(SchemaCommand):
    help = (
        "Write assessments/assessment.schema.json from the models that validate assessment "
        "files (the assessment JSON), so that a script or an editor can check a file before "
        "it is imported. With --check, write nothing and exit 1 when the published file is stale."
    )
    model = AssessmentFormat
    path = SCHEMA_PATH
    command = "assessment_schema"
