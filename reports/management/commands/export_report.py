"""manage.py export_report ID --format pdf|html|docx [-o FILE]: the gap report of one assessment."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.models import Assessment
from reports.report_docx import report_docx
from reports.report_files import report_html, report_pdf
from reports.services import report_export_log


class Command(BaseCommand):
    help = "Write the gap report of an assessment as PDF, HTML or Word (to standard output by default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("id", type=int, help="The assessment's id.")
        parser.add_argument("--format", choices=["pdf", "html", "docx"], default="pdf")
        parser.add_argument("-o", "--output", help="File to write; standard output when absent.")

    def handle(self, *args: Any, **options: Any) -> None:
        assessment = Assessment.objects.with_context().filter(pk=options["id"]).first()
        if assessment is None:
            raise CommandError(f"No assessment with id {options['id']}.")
        is_binary = options["format"] in ("pdf", "docx")
        if options["format"] == "pdf":
            data = report_pdf(assessment)
        elif options["format"] == "docx":
            data = report_docx(assessment)
        else:
            data = report_html(assessment).encode("utf-8")
        report_export_log(
            assessment=assessment, user_id=None, subject=f"report-{options['format']}"
        )
        output = options.get("output")
        if output:
            Path(output).write_bytes(data)
            self.stderr.write(f"Wrote {len(data)} bytes to {output}")
        else:
            # Binary-safe: a PDF must not go through the text wrapper of self.stdout.
            stream: Any = getattr(self.stdout, "_out", sys.stdout)
            binary = getattr(stream, "buffer", None)
            if binary is not None:
                stream.flush()
                binary.write(data)
                binary.flush()
            elif isinstance(stream, io.TextIOBase):
                if is_binary:
                    raise CommandError(
                        "Standard output is not binary: use -o FILE for a PDF or Word file."
                    )
                stream.write(data.decode("utf-8"))
            else:
                stream.write(data)
