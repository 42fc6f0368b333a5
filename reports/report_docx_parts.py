"""Building blocks of the Word report: page set-up, tables, fields, pictures, HTML paragraphs.

With reports/report_docx.py (the sections), the only modules that import python-docx.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from html.parser import HTMLParser
from typing import Any

from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

from reports.report import Report

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TABLE_STYLE = "Light Grid Accent 1"
# The text width between 2 cm margins on US letter (the narrower paper), for tables.
USABLE_WIDTH_CM = 17.0
DASH = "—"
# Both paper sizes of reports/report_options.py (`page_size`), in centimetres.
PAPER_CM = {"a4": (21.0, 29.7), "letter": (21.59, 27.94)}
TOC_HINT = (
    "Table of contents: in Word, right-click here and choose Update Field "
    "(the file asks to update it when it opens)."
)


def plain_text(value: Any) -> str:
    return DASH if value is None or value == "" else str(value)


# --- low-level helpers ------------------------------------------------------------------------


def add_field(paragraph: Paragraph, instruction: str, placeholder: str = "") -> None:
    """A Word field (TOC, PAGE) as begin / instruction / separate / result / end runs."""

    def char(kind: str) -> Any:
        run = paragraph.add_run()
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            element.set(qn("w:dirty"), "true")
        run._r.append(element)
        return run

    char("begin")
    code = paragraph.add_run()._r
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    code.append(instr)
    char("separate")
    paragraph.add_run(placeholder)
    char("end")


def update_fields_on_open(document: DocumentObject) -> None:
    # Word fills the table of contents (and page numbers) when the file opens.
    settings = document.settings.element
    element = OxmlElement("w:updateFields")
    element.set(qn("w:val"), "true")
    settings.append(element)


def new_table(
    document: DocumentObject,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    widths_cm: Sequence[float] | None = None,
    caption: str = "",
    header_row: bool = True,
) -> Table:
    """A table in a built-in style whose header row repeats on every page.

    Without `header_row` the headers are ignored: a two-column list of facts (the cover).
    Widths are set on the columns and on every cell, with autofit off: Word reads the
    columns, LibreOffice the cells, and both otherwise squeeze text into narrow columns.
    """
    table = document.add_table(rows=1 if header_row else 0, cols=len(headers))
    table.style = document.styles[TABLE_STYLE]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    if header_row:
        header = table.rows[0]
        header_props = header._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        header_props.append(repeat)
        for cell, text in zip(header.cells, headers, strict=True):
            cell.text = text
    else:
        # No header row: the style's first-row emphasis would make the first fact a heading.
        look = table._tbl.tblPr.find(qn("w:tblLook"))
        if look is not None:
            look.set(qn("w:firstRow"), "0")
            look.set(qn("w:val"), "0480")  # the same flags as a bit mask, which older readers use
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = plain_text(value)
    widths = widths_cm or [USABLE_WIDTH_CM / len(headers)] * len(headers)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)
    if caption:
        # Word's table description: read by screen readers ("Alt Text" of the table).
        properties = table._tbl.tblPr
        description = OxmlElement("w:tblDescription")
        description.set(qn("w:val"), caption)
        properties.append(description)
    return table


def labelled_line(
    document: DocumentObject, label: str, value: str, style: str | None = None
) -> None:
    paragraph = document.add_paragraph(style=style)
    paragraph.add_run(f"{label}: ").bold = True
    paragraph.add_run(value)


class HtmlToDocx(HTMLParser):
    """Just enough HTML for the method note: headings, paragraphs, lists, tables, emphasis."""

    def __init__(self, document: DocumentObject) -> None:
        super().__init__()
        self.document = document
        self.paragraph: Paragraph | None = None
        self.lists: list[str] = []
        self.bold = 0
        self.italic = 0
        self.table_rows: list[list[str]] | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("ul", "ol"):
            self.lists.append(tag)
        elif tag == "li":
            style = "List Number" if self.lists and self.lists[-1] == "ol" else "List Bullet"
            self.paragraph = self.document.add_paragraph(style=style)
        elif tag == "p":
            self.paragraph = self.document.add_paragraph()
        elif tag == "h3":
            self.paragraph = self.document.add_heading(level=2)
        elif tag in ("strong", "b"):
            self.bold += 1
        elif tag in ("em", "var", "i"):
            self.italic += 1
        elif tag == "table":
            self.table_rows = []
        elif tag == "tr" and self.table_rows is not None:
            self.table_rows.append([])
        elif tag in ("td", "th") and self.table_rows is not None:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        elif tag in ("li", "p", "h3"):
            self.paragraph = None
        elif tag in ("strong", "b"):
            self.bold -= 1
        elif tag in ("em", "var", "i"):
            self.italic -= 1
        elif tag in ("td", "th") and self.cell is not None and self.table_rows:
            self.table_rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "table" and self.table_rows:
            header, *body = [r for r in self.table_rows if r]
            new_table(self.document, header, body, caption="Maturity level by score")
            self.table_rows = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)
            return
        if self.paragraph is None or not data.strip() and not self.paragraph.runs:
            return
        text = " ".join(data.split())
        if data[:1].isspace() and self.paragraph.runs:
            text = " " + text
        if data[-1:].isspace() and text:
            text += " "
        run = self.paragraph.add_run(text)
        run.bold = self.bold > 0 or None
        run.italic = self.italic > 0 or None


# --- sections ---------------------------------------------------------------------------------


def set_up_pages(document: DocumentObject, report: Report) -> None:
    width, height = PAPER_CM.get(report.options.page_size, PAPER_CM["letter"])
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(width), Cm(height)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.0))
    section.top_margin = section.bottom_margin = Cm(2.0)
    # The cover has no running title; every later page does (Word's "different first page").
    section.different_first_page_header_footer = True
    header = section.header.paragraphs[0]
    running = f"{report.title} · {report.organisation.name} · {report.site.name}"
    header.text = f"DRAFT · {running}" if report.options.draft else running
    header.style = document.styles["Header"]
    footer = section.footer.paragraphs[0]
    footer.text = f"{report.assessment.round_label} · page "
    add_field(footer, "PAGE", "1")
    # The body font: Word's default theme font, a size that prints like the PDF's.
    document.styles["Normal"].font.size = Pt(10)


def add_logo(document: DocumentObject, report: Report) -> None:
    logo = report.options.branding.logo
    if logo is None:
        return
    try:
        with logo.storage.open(str(logo.name), "rb") as handle:
            data = handle.read()
    except (FileNotFoundError, OSError):
        return
    try:
        shape = document.add_picture(io.BytesIO(data), height=Cm(2.0))
    except Exception:  # an image python-docx cannot size: the cover goes on without it
        return
    describe_shape(shape, f"{report.organisation.name} logo")


def describe_shape(shape: Any, text: str, title: str = "") -> None:
    """The picture's text alternative (Word's Alt Text), read by screen readers."""
    doc_pr = shape._inline.docPr
    doc_pr.set("descr", text)
    if title:
        doc_pr.set("title", title)
