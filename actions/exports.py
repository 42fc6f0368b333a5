"""Action items as CSV and Excel in a plan-of-action-and-milestones layout.

Every text cell goes through the comparison exports' `neutralise`, so that no name, note or
recommendation runs as a formula in a spreadsheet program (one rule for every export).
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from actions.queries import ItemRow
from assessments.display import display_name
from reports.comparison.cells import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, ExportFile, neutralise

HEADERS = [
    "Item",
    "Site",
    "Domain",
    "Question",
    "Weakness",
    "Action",
    "Priority",
    "Owner",
    "Due date",
    "Status",
    "Milestone notes",
]


def _status(row: ItemRow) -> str:
    text = str(row.item.get_status_display())
    if row.overdue:
        text += " (overdue)"
    if row.item.reason and row.item.status == row.item.Status.WONT_DO:
        text += f": {row.item.reason}"
    return text


def _question(row: ItemRow) -> str:
    text = f"{row.item.question_key} {row.item.question_text}"
    if row.retired_in:
        text += f" (question retired in {row.retired_in})"
    return text


def item_table(rows: Sequence[ItemRow]) -> list[list[Any]]:
    """One line per item, neutralised, in HEADERS order."""
    table = []
    for row in rows:
        item = row.item
        table.append(
            [
                neutralise(value)
                for value in (
                    f"AI-{item.pk}",
                    item.site.name,
                    item.domain_title,
                    _question(row),
                    item.weakness,
                    item.title,
                    float(item.priority),
                    display_name(item.owner),
                    item.due_date,
                    _status(row),
                    item.notes,
                )
            ]
        )
    return table


def items_csv(rows: Sequence[ItemRow]) -> ExportFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for line in item_table(rows):
        writer.writerow(
            [
                "" if v is None else (v.isoformat() if isinstance(v, datetime.date) else v)
                for v in line
            ]
        )
    return ExportFile(buffer.getvalue().encode("utf-8"), CSV_CONTENT_TYPE, len(rows))


def items_xlsx(
    rows: Sequence[ItemRow],
    *,
    described: Sequence[tuple[str, str]],
    who: str,
    now: datetime.datetime | None = None,
) -> ExportFile:
    """A workbook: "Plan of action" (the items) and "Filters" (what, who, when)."""
    # openpyxl (with numpy, lxml and Pillow) is loaded by the first export, not by every web
    # process and worker at start-up (tests/reports/test_worker_memory.py).
    from openpyxl import Workbook
    from openpyxl.styles import Font

    now = now or timezone.now()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Plan of action"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in item_table(rows):
        sheet.append(line)
    for index, width in enumerate((9, 22, 24, 50, 26, 50, 9, 20, 12, 22, 50), start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width
    for cell in sheet["I"][1:]:
        cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "B2"
    filters = book.create_sheet("Filters")
    filters.append(["Filter", "Value"])
    for name, value in [
        *described,
        ("Rows", str(len(rows))),
        ("Exported by", who),
        ("Exported at", timezone.localtime(now).strftime("%Y-%m-%d %H:%M %Z")),
    ]:
        filters.append([neutralise(name), neutralise(value)])
    filters.column_dimensions["A"].width = 22
    filters.column_dimensions["B"].width = 60
    buffer = io.BytesIO()
    book.save(buffer)
    return ExportFile(buffer.getvalue(), XLSX_CONTENT_TYPE, len(rows))
