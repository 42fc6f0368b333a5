"""The comparison table behind the page, and its CSV and Excel files.

Every text cell is neutralised against formula injection: a spreadsheet program runs a
cell that starts like a formula, and names, rounds and domain titles are typed by users or
come from uploaded files. Writing who exported what is not done here: reports/services.py
records it (`export_record_create`).
"""

from __future__ import annotations

import datetime
import io
from typing import Any

import pandas as pd
from django.contrib.auth.models import AbstractUser
from django.utils import timezone

from assessments.display import display_name
from assessments.models import Membership, Site
from reports.comparison import queries
from reports.comparison.cells import (
    CSV_CONTENT_TYPE,
    FORMULA_PREFIXES,
    ILLEGAL_XLSX,
    XLSX_CONTENT_TYPE,
    ExportFile,
    neutralise,
)
from reports.comparison.filters import CompareFilters
from reports.comparison.frames import assessment_frame, domain_frame, wide

EXPORT_HEADERS = [
    "Site",
    "Kind",
    "Round",
    "Round date",
    "Instrument",
    "Version",
    "Overall score",
    "Level",
    "Verdict",
    "Provisional",
    "Completeness",
    "Blockers",
    "Change since previous round",
]


def _neutralise_column(column: pd.Series) -> pd.Series:
    """`neutralise` for a whole text column at once."""
    text = column.fillna("").astype(str).str.replace(ILLEGAL_XLSX, "", regex=True)
    return text.where(~text.str.startswith(FORMULA_PREFIXES), "'" + text)


def _export_frame(
    membership: Membership, filters: CompareFilters, title: str
) -> tuple[list[str], pd.DataFrame]:
    """The table behind the page as headers and a frame with positional column names
    (so that a domain titled like a fixed column cannot clash). Three queries.

    The rows are the page's: each site's latest round among the filtered ones (the one
    round chosen, or the latest of each site), never every earlier round besides.
    """
    shown = queries.latest(queries.submitted(membership, filters), queries.round_filters(filters))
    assessments = assessment_frame(queries.assessment_rows(shown, filters.slug))
    domain_rows = domain_frame(queries.domain_rows(shown))
    domains = queries.domain_columns(filters)
    blockers = domain_rows.groupby("id")["blockers"].sum()
    domain_keys = [d.key for d in domains]
    scores = wide(domain_rows, index="id", columns="domain_key", values="score").reindex(
        columns=domain_keys
    )
    # Prefixed, so that a domain called "site" or "level" cannot clash with a column.
    scores.columns = [f"domain:{key}" for key in domain_keys]
    table = (
        assessments.assign(
            blockers=assessments["id"].map(blockers).fillna(0).astype("int64"),
            _name=assessments["site"].str.casefold(),
        )
        .sort_values(["_name", "site_id", "round_date", "id"], kind="mergesort")
        .join(scores, on="id")
        .reset_index(drop=True)
    )
    kinds = dict(Site.Kind.choices)
    # Scores are integer tenths: a tenth of one is the float nearest to the decimal (61.7).
    columns: list[pd.Series] = [
        _neutralise_column(table["site"]),
        _neutralise_column(table["kind"].map(lambda k: kinds.get(k, k))),
        _neutralise_column(table["round_label"]),
        table["round_date"],
        _neutralise_column(pd.Series([title] * len(table), dtype=object)),
        _neutralise_column(table["version"]),
        table["score"] / 10,
        table["level"].astype("Int64"),
        _neutralise_column(table["verdict"]),
        table["provisional"].map({True: "yes", False: "no"}),
        table["completeness"] / 10,
        table["blockers"],
        table["change"] / 10,
        *(table[f"domain:{key}"] / 10 for key in domain_keys),
    ]
    frame = (
        pd.concat(columns, axis=1, ignore_index=True)
        if len(table)
        else pd.DataFrame(columns=range(len(columns)))
    )
    titles = [d.title for d in domains]
    # Two domains with one title (a renamed domain in another version) keep apart by key.
    duplicated = {t for t in titles if titles.count(t) > 1}
    headers = EXPORT_HEADERS + [
        f"{d.title} ({d.key})" if d.title in duplicated else d.title for d in domains
    ]
    return [str(neutralise(h)) for h in headers], frame


def comparison_table(
    membership: Membership, filters: CompareFilters
) -> tuple[list[str], list[list[Any]]]:
    """The table behind the page: one row per site and round, every domain's score a column.

    Values are plain Python (str, int, float, date, None); text is neutralised against
    formula injection. Four queries whatever the size.
    """
    headers, frame = _export_frame(membership, filters, queries.instrument_title(filters))
    plain = frame.astype(object).where(frame.notna(), None)
    return headers, [[_python(v) for v in row] for row in plain.itertuples(index=False)]


def _python(value: Any) -> Any:
    # numpy scalars become int/float, so that templates and tests see plain values.
    return value.item() if hasattr(value, "item") else value


def export_csv(
    membership: Membership, filters: CompareFilters, *, instrument_title: str = ""
) -> ExportFile:
    """The comparison table as UTF-8 CSV (no byte-order mark: the Excel export is for Excel).

    `instrument_title` saves a query where the caller knows it (the page's filter choices).
    """
    title = instrument_title or queries.instrument_title(filters)
    headers, frame = _export_frame(membership, filters, title)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=headers, lineterminator="\r\n")
    return ExportFile(buffer.getvalue().encode("utf-8"), CSV_CONTENT_TYPE, len(frame))


def export_xlsx(
    membership: Membership,
    filters: CompareFilters,
    *,
    user: AbstractUser | None,
    now: datetime.datetime | None = None,
    instrument_title: str = "",
) -> ExportFile:
    """The comparison table as an Excel workbook: "Scores" and "Filters" (who, when, what)."""
    title = instrument_title or queries.instrument_title(filters)
    headers, frame = _export_frame(membership, filters, title)
    now = now or timezone.now()
    who = display_name(user)
    scores = frame.astype(object).where(frame.notna(), None)
    for column in scores.columns:
        if scores[column].map(lambda v: isinstance(v, str)).any():
            scores[column] = scores[column].map(_xlsx_text)
    described = [
        ("Organisation", membership.organisation.name),
        *filters.describe(title),
        ("Rows", str(len(frame))),
        ("Exported by", who),
        ("Exported at", timezone.localtime(now).strftime("%Y-%m-%d %H:%M %Z")),
    ]
    filters_sheet = pd.DataFrame(
        [[_xlsx_text(neutralise(a)), _xlsx_text(neutralise(b))] for a, b in described],
        columns=["Filter", "Value"],
    )
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        scores.to_excel(
            writer, sheet_name="Scores", index=False, header=[_xlsx_text(h) for h in headers]
        )
        filters_sheet.to_excel(writer, sheet_name="Filters", index=False)
        sheet = writer.sheets["Scores"]
        sheet.freeze_panes = "B2"
        for index, header in enumerate(headers, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            # As wide as the longest cell (site names too), within reason.
            longest = max(
                [len(str(header))]
                + [len(str(v)) for v in scores[scores.columns[index - 1]] if v is not None]
            )
            sheet.column_dimensions[letter].width = min(60, max(10, longest + 2))
        writer.sheets["Filters"].column_dimensions["A"].width = 22
        writer.sheets["Filters"].column_dimensions["B"].width = 60
    return ExportFile(buffer.getvalue(), XLSX_CONTENT_TYPE, len(frame))


def _xlsx_text(value: Any) -> Any:
    # openpyxl refuses control characters in a cell; they carry no meaning in a name.
    if isinstance(value, str):
        return ILLEGAL_XLSX.sub("", value)
    return value
