"""Cells safe to open in a spreadsheet, and the exported file; plain Python, no pandas.

Apart from reports/comparison/exports.py so that the files written without pandas (the CSV
summary of a batch ZIP in reports/batches.py, the action items' exports) do not load it: a
Celery worker that renders reports never needs pandas (issue 13, memory per worker).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
# Control characters: openpyxl refuses them in a cell and spreadsheet programs skip them, so
# "\x01=HYPERLINK(…)" is a formula once they are gone. They are removed before the check.
ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    content_type: str
    rows: int  # table rows, headers left out


def neutralise(value: Any) -> Any:
    """Text without control characters; if a spreadsheet would run it as a formula, it is
    prefixed with a single quote. The characters go first: checked before, they hid the "="."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_XLSX.sub("", value)
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value
