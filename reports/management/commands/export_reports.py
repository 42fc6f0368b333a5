"""manage.py export_reports --org SLUG [--round NAME] -o FILE.zip: a batch export, here and now.

The same ZIP as the batch export of the web (one PDF per assessment named by site and round,
and summary.csv), rendered in this process: it needs no broker and no worker. It is recorded
like every batch (a ReportBatch row, started by "a command") and as an export of the
organisation.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.models import Organisation
from reports import batches, jobs
from reports.job_services import report_batch_create
from reports.services import export_record_create


class Command(BaseCommand):
    help = (
        "Write a ZIP of the gap reports of an organisation's submitted assessments (a round's, "
        "or each site's latest) with a CSV summary."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="The organisation's slug.")
        parser.add_argument("--round", help="The round's name; each site's latest when absent.")
        parser.add_argument("-o", "--output", required=True, help="The ZIP file to write.")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(slug=options["org"]).first()
        if organisation is None:
            raise CommandError(f"No organisation with the slug {options['org']!r}.")
        membership = batches.organisation_membership(organisation)
        selection = batches.from_round(membership, options.get("round"))
        if not selection.assessment_ids:
            raise CommandError("No submitted assessment matches: nothing to export.")
        batch = report_batch_create(
            organisation=organisation,
            user=None,
            title=selection.title,
            filters=selection.filters,
            assessment_ids=selection.assessment_ids,
        )
        batch = jobs.batch_run_here(batch.pk)
        if not batch.finished or not batch.file:
            raise CommandError(f"The export did not finish (batch {batch.pk}).")
        export_record_create(
            organisation=organisation,
            user=None,
            kind="report-batch",
            rows=batch.total,
            filters=[(name, value) for name, value in batch.filters],
        )
        shutil.copyfile(Path(settings.MEDIA_ROOT) / batch.file, options["output"])
        for failure in batch.failures:
            self.stderr.write(f"Failed: {failure['site']}, {failure['round']}: {failure['error']}")
        self.stdout.write(
            f"Wrote {batch.total - len(batch.failures)} of {batch.total} reports "
            f"to {options['output']}"
        )
        if batch.failures:
            raise CommandError(f"{len(batch.failures)} reports failed; the ZIP holds the rest.")
