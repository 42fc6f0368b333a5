"""The gap report as an editable Word file: the ONLY module that imports python-docx.

It lays out the same `Report` the HTML page and the PDF show (reports/report.py), in the
same sections and order, with Word's own styles: Title and Heading 1-3 (so the navigation
pane and the table-of-contents field work, and a consultant can restyle the whole file from
the Styles pane), List Bullet/List Number, and built-in table styles with a repeated header
row. Charts are PNG pictures with their text alternative; where no Chromium can draw them,
the chart's data table and a note take their place, as in the PDF. The action items are the
rows of reports/report_actions.py; the method note is the PDF's own template, read into
paragraphs here so its wording is written once.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from html.parser import HTMLParser
from typing import Any

from django.template.loader import render_to_string
from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

from assessments.models import Assessment
from reports.report import AnswerRow, Report, build_report, report_context
from reports.report_actions import ACTION_ITEM_HEADERS, action_item_rows
from reports.report_options import ReportOptions

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


def _text(value: Any) -> str:
    return DASH if value is None or value == "" else str(value)


# --- low-level helpers ------------------------------------------------------------------------


def _field(paragraph: Paragraph, instruction: str, placeholder: str = "") -> None:
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


def _update_fields_on_open(document: DocumentObject) -> None:
    # Word fills the table of contents (and page numbers) when the file opens.
    settings = document.settings.element
    element = OxmlElement("w:updateFields")
    element.set(qn("w:val"), "true")
    settings.append(element)


def _table(
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
            cell.text = _text(value)
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


def _labelled(document: DocumentObject, label: str, value: str, style: str | None = None) -> None:
    paragraph = document.add_paragraph(style=style)
    paragraph.add_run(f"{label}: ").bold = True
    paragraph.add_run(value)


class _HtmlToDocx(HTMLParser):
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
            _table(self.document, header, body, caption="Maturity level by score")
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


def _page_setup(document: DocumentObject, report: Report) -> None:
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
    _field(footer, "PAGE", "1")
    # The body font: Word's default theme font, a size that prints like the PDF's.
    document.styles["Normal"].font.size = Pt(10)


def _logo(document: DocumentObject, report: Report) -> None:
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
    _describe(shape, f"{report.organisation.name} logo")


def _describe(shape: Any, text: str, title: str = "") -> None:
    """The picture's text alternative (Word's Alt Text), read by screen readers."""
    doc_pr = shape._inline.docPr
    doc_pr.set("descr", text)
    if title:
        doc_pr.set("title", title)


def _cover(document: DocumentObject, report: Report) -> None:
    _logo(document, report)
    assessment = report.assessment
    document.add_paragraph(
        f"{report.instrument.title} · version {report.instrument.version}", style="Subtitle"
    )
    document.add_paragraph(report.title, style="Title")
    document.add_paragraph(report.site.name, style="Subtitle")
    document.add_paragraph(assessment.round_label)
    if report.options.draft:
        draft = document.add_paragraph().add_run(
            f"DRAFT · This assessment is {assessment.get_status_display().lower()}, not "
            "submitted: its results can still change, and the report is not signed."
        )
        draft.bold = True
        draft.font.color.rgb = RGBColor(0xA4, 0x1E, 0x22)
    verdict = document.add_paragraph()
    verdict.add_run("Verdict: ").bold = True
    verdict.add_run(_text(report.verdict))
    if report.provisional and report.verdict:
        verdict.add_run(" (provisional)")
    if report.overall_score is not None:
        verdict.add_run(
            f" · Overall score {report.overall_score} · level {report.overall_level} "
            f"{report.level_name}"
        )
    status = str(assessment.get_status_display())
    if assessment.submitted_at and assessment.status == Assessment.Status.SUBMITTED:
        status += f", submitted {assessment.submitted_at:%-d %B %Y}"
    if report.source == report.Source.LIVE:
        status += " (live results from the current answers)"
    _table(
        document,
        ("", ""),
        [
            ("Organisation", report.organisation.name),
            ("Site", f"{report.site.name} ({report.site.get_kind_display()})"),
            ("Instrument", f"{report.instrument.title}, version {report.instrument.version}"),
            ("Round", f"{assessment.round_label}, {assessment.round_date:%-d %B %Y}"),
            ("Status", status),
            ("Report date", f"{report.generated_at:%-d %B %Y}"),
        ],
        widths_cm=(4.0, 13.0),
        caption="About this report",
        header_row=False,
    )
    if report.signoff:
        _labelled(document, "Signed by", report.signoff)
    if report.provisional and report.verdict:
        document.add_paragraph(report.provisional_reason)


def _contents(document: DocumentObject) -> None:
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    document.add_paragraph("Contents", style="TOC Heading")
    _field(document.add_paragraph(), r'TOC \o "1-2" \h \z \u', TOC_HINT)


def _new_page(document: DocumentObject) -> None:
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _domain_rows(report: Report) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for s in report.sections:
        title = f"{s.number}. {s.title}"
        if not s.applicable:
            rows.append((title, "Not applicable", DASH, DASH, DASH, DASH, DASH))
            continue
        level = f"{s.level} {s.level_name}" if s.level else "No score yet (counts as 1)"
        if s.capped:
            level += " (capped)"
        blockers = ", ".join(r.number for r in s.blockers) if s.blockers else DASH
        completeness = f"{s.completeness}%" if s.completeness is not None else DASH
        rows.append(
            (title, _text(s.score), level, completeness, str(s.target), _text(s.gap), blockers)
        )
    return rows


def _summary(document: DocumentObject, report: Report) -> None:
    document.add_heading("Executive summary", level=1)
    _table(
        document,
        ("Readiness verdict", "Overall score", "Maturity level", "Answered", "Blockers"),
        [
            (
                _text(report.verdict) + (" (provisional)" if report.provisional else ""),
                f"{report.overall_score} / 100" if report.overall_score is not None else DASH,
                f"{report.overall_level} {report.level_name}" if report.overall_level else DASH,
                f"{report.completeness}%" if report.completeness is not None else DASH,
                str(len(report.blockers)),
            )
        ],
        caption="The headline numbers",
    )
    for reason in (report.verdict_reason, report.provisional_reason):
        if reason:
            document.add_paragraph(reason)
    intro = (
        f"{report.site.name} answered the {report.instrument.title} questionnaire (version "
        f"{report.instrument.version}) for the round “{report.assessment.round_label}”. "
    )
    if report.overall_score is not None:
        intro += (
            f"Its overall score is {report.overall_score} out of 100, maturity level "
            f"{report.overall_level} ({report.level_name}), and the readiness verdict is "
            f"{report.verdict}{' (provisional)' if report.provisional else ''}. "
        )
    else:
        intro += "No domain has a score yet, so there is no overall score. "
    intro += (
        f"{len(report.applicable_sections)} of {len(report.sections)} domains apply to this site."
    )
    document.add_paragraph(intro)
    if report.blockers:
        document.add_heading(
            f"Blockers: critical safeguards scoring below {report.blocker_words} of the top answer",
            level=2,
        )
        document.add_paragraph(
            "Each caps its domain at level 2 and rules out a "
            f"“{report.verdict_names['ready']}” verdict until it is fixed."
        )
        for row in report.blockers:
            item = document.add_paragraph(style="List Bullet")
            item.add_run(f"{row.number} ").bold = True
            item.add_run(
                f"{row.question.text} — {row.domain_title}; answer: {row.answer_label} "
                f"({row.points}). "
            )
            item.add_run("Do: ").bold = True
            item.add_run(row.question.recommendation)
    document.add_heading("Largest gaps", level=2)
    if report.top_gaps:
        for gap in report.top_gaps:
            section = gap["section"]
            item = document.add_paragraph(style="List Number")
            item.add_run(section.title).bold = True
            text = (
                f": score {section.score} against a target of {section.target}, a gap of "
                f"{section.gap} points"
            )
            if section.blockers:
                count = len(section.blockers)
                text += f", with {count} blocker{'s' if count != 1 else ''}"
            item.add_run(text + ".")
            if gap["action"]:
                item.add_run(f" First step: {gap['action'].recommendation}")
    else:
        document.add_paragraph("No domain with a score is below its target.")
    if not report.options.board:
        document.add_heading("Results per domain", level=2)
        _table(
            document,
            ("Domain", "Score", "Level", "Answered", "Target", "Gap", "Blockers"),
            _domain_rows(report),
            widths_cm=(4.0, 1.5, 3.4, 2.3, 1.9, 1.4, 2.5),
            caption="Results per domain: score, level, answered, target, gap and blockers",
        )
    if report.signoff:
        document.add_paragraph(f"Signed by {report.signoff} · {report.generated_at:%-d %B %Y}")


def _charts(document: DocumentObject, report: Report) -> None:
    document.add_heading("Scores and gaps at a glance", level=1)
    usable = Cm(USABLE_WIDTH_CM)
    for chart in report.charts:
        document.add_heading(chart.title, level=2)
        if chart.png:
            shape = document.add_picture(io.BytesIO(chart.png), width=usable)
            _describe(
                shape,
                f"{chart.title}. {chart.caption} The same figures are in the domain results table.",
                title=chart.title,
            )
            document.add_paragraph(chart.caption, style="Caption")
        else:
            if chart.note:
                document.add_paragraph(chart.note)
            _table(document, chart.columns, chart.table, caption=chart.title)


def _answer(document: DocumentObject, row: AnswerRow) -> None:
    question = document.add_heading(level=3)
    question.add_run(f"{row.number} ")
    question.add_run(row.question.text)
    if row.blocker:
        question.add_run(" · Blocker")
    elif row.question.critical:
        question.add_run(" · Critical")
    if row.status == row.Status.ANSWERED:
        answer = f"{row.answer_label} ({row.points})"
    elif row.status == row.Status.NA:
        answer = "Not applicable"
    elif row.status == row.Status.TEXT:
        answer = row.answer_label
    else:
        answer = "Not answered yet"
    _labelled(document, "Answer", answer)
    if row.comment:
        _labelled(document, "Comment", row.comment)
    if row.evidence:
        _labelled(document, "Evidence", row.evidence)
    if row.action_rank:
        blocker = ", a blocker" if row.blocker else ""
        _labelled(document, "Next step", f"Action plan item {row.action_rank}{blocker}")
    if row.question.references:
        _labelled(document, "References", "; ".join(str(r) for r in row.question.references))


def _domains(document: DocumentObject, report: Report) -> None:
    document.add_heading("Results by domain", level=1)
    for section in report.sections:
        document.add_heading(f"{section.number}. {section.title}", level=2)
        if section.domain.description:
            document.add_paragraph(section.domain.description)
        if section.applicable:
            level = f"{section.level} {section.level_name}" if section.level else DASH
            if section.capped:
                level += " (capped by a blocker)"
            answered = (
                f"{section.completeness}% ({section.answered} of {section.visible_scored})"
                if section.completeness is not None
                else DASH
            )
            _table(
                document,
                ("Score", "Level", "Answered", "Target", "Gap", "Blockers"),
                [
                    (
                        _text(section.score),
                        level,
                        answered,
                        str(section.target),
                        _text(section.gap),
                        str(len(section.blockers)),
                    )
                ],
                caption=f"{section.title}: score, level, answered, target, gap, blockers",
            )
        else:
            document.add_paragraph("Not applicable: left out of the overall score and the verdict.")
        if not section.rows:
            document.add_paragraph("No question of this domain is shown for these answers.")
        for row in section.rows:
            _answer(document, row)
        if section.hidden:
            plural = "s" if section.hidden != 1 else ""
            verb = "are" if section.hidden != 1 else "is"
            document.add_paragraph(
                f"{section.hidden} follow-up question{plural} hidden by an earlier answer "
                f"{verb} left out."
            )


def _action_plan(document: DocumentObject, report: Report) -> None:
    board = report.options.board
    document.add_heading("First actions" if board else "Action plan", level=1)
    if board:
        more = (
            f"; the full report lists {report.actions_left_out} more"
            if report.actions_left_out
            else ""
        )
        document.add_paragraph(
            f"The {len(report.action_plan)} recommendations of highest priority{more}."
        )
    else:
        document.add_paragraph(
            "Every answered question below its top option, with its recommendation, in order "
            "of priority: how far the answer is from the top, the question's share of its "
            "domain, the domain's weight and gap to target, doubled for critical safeguards "
            "(see “How the scores are computed”)."
        )
    if not report.action_plan:
        document.add_paragraph("No recommendations: every answered question is at its top option.")
        return
    rows = []
    for action in report.action_plan:
        mark = " · Blocker" if action.row.blocker else ""
        rows.append(
            (
                str(action.rank),
                f"{action.row.number} · {action.section.title}\n{action.row.question.text}\n"
                f"Answer: {action.row.answer_label} ({action.row.points}){mark}",
                action.recommendation,
                f"{action.band}\n{action.priority}",
            )
        )
    _table(
        document,
        ("#", "Question and current answer", "Recommendation", "Priority"),
        rows,
        widths_cm=(1.0, 7.5, 6.5, 2.0),
        caption="Action plan: recommendations in priority order (highest first)",
    )


def _action_items(document: DocumentObject, report: Report) -> None:
    document.add_heading("Action items", level=1)
    rows = action_item_rows(report.assessment)
    if not rows:
        document.add_paragraph("No recommendation of this report is tracked as an action item yet.")
        return
    document.add_paragraph(
        f"The recommendations taken on as tracked work at {report.site.name}, highest priority "
        "first: who owns each, when it is due and where it stands."
    )
    _table(
        document,
        ACTION_ITEM_HEADERS,
        [row.cells() for row in rows],
        widths_cm=(6.0, 4.5, 2.5, 2.0, 2.0),
        caption="Action items: owner, due date and status",
    )


def _crosswalk(document: DocumentObject, report: Report) -> None:
    document.add_heading("Framework crosswalk", level=1)
    document.add_paragraph(
        "The questions cite published frameworks. For each framework, which of the cited "
        f"references this site covers and which are gaps. {report.coverage_rule}"
    )
    if not report.crosswalk:
        document.add_paragraph("The questions of this instrument cite no framework.")
    for framework in report.crosswalk:
        document.add_heading(framework.title, level=2)
        count = len(framework.references)
        document.add_paragraph(
            f"{framework.covered} covered, {framework.gaps} gap{'s' if framework.gaps != 1 else ''}, "
            f"{framework.not_assessed} not assessed, of {count} reference{'s' if count != 1 else ''}."
        )
        rows = []
        for ref in framework.rows:
            label = ref.label
            if ref.reference.title:
                label += f" {ref.reference.title}"
            cited = ", ".join(q["number"] + (" (gap)" if q["gap"] else "") for q in ref.cited)
            if ref.pending:
                cited += f" · {ref.pending} still to answer"
            rows.append((label, ref.status_label, cited))
        _table(
            document,
            ("Reference", "Status", "Questions"),
            rows,
            widths_cm=(8.5, 3.0, 5.5),
            caption=f"{framework.title}: coverage of each reference",
        )


def _still_to_answer(document: DocumentObject, report: Report) -> None:
    document.add_heading("Still to answer", level=1)
    count = len(report.still_to_answer)
    document.add_paragraph(
        f"{count} question{'s' if count != 1 else ''} shown to this site "
        f"{'have' if count != 1 else 'has'} no answer yet. They do not count in any score."
    )
    _table(
        document,
        ("No.", "Domain", "Question"),
        [
            (
                row.number,
                row.domain_title,
                row.question.text + (" · Critical" if row.question.critical else ""),
            )
            for row in report.still_to_answer
        ],
        widths_cm=(1.5, 4.5, 11.0),
        caption="Questions still to answer, in questionnaire order",
    )


def _appendix(document: DocumentObject, report: Report) -> None:
    document.add_heading("Appendix: every answer", level=1)
    document.add_paragraph(
        "Every question shown for these answers, in questionnaire order, with its key in data "
        "exports, the answer, its points (the option's score out of the question's top score) "
        "and who gave it when. Follow-ups hidden by an earlier answer are left out; question "
        "texts, comments and evidence notes are in the domain sections."
    )
    rows = []
    for row in report.rows:
        if row.status == row.Status.ANSWERED:
            answer = row.answer_label
        elif row.status == row.Status.NA:
            answer = "Not applicable"
        elif row.status == row.Status.TEXT:
            answer = f"(free text, see {row.number})"
        else:
            answer = "not answered"
        when = f"{row.answered_at:%-d %b %Y}" if row.answered_at else DASH
        who = (row.answered_by or DASH) if row.answered_at else DASH
        rows.append((row.number, row.key, answer, row.points or DASH, who, when))
    _table(
        document,
        ("No.", "Key", "Answer", "Points", "Answered by", "Date"),
        rows,
        widths_cm=(1.2, 3.6, 4.2, 1.8, 3.6, 2.6),
        caption="Every answer of the assessment",
    )


def _method(document: DocumentObject, report: Report) -> None:
    document.add_heading("How the scores are computed", level=1)
    html = render_to_string("reports/_method_note.html", report_context(report, pdf=True))
    parser = _HtmlToDocx(document)
    parser.feed(html)
    parser.close()


# --- the file -----------------------------------------------------------------------------------


def render_docx(report: Report) -> bytes:
    """The report as .docx bytes, its sections chosen by `report.options.sections`."""
    document = Document()
    document.core_properties.title = f"{report.title} · {report.site.name}"
    document.core_properties.subject = report.assessment.round_label
    document.core_properties.author = report.signoff or report.organisation.name
    _page_setup(document, report)
    _update_fields_on_open(document)
    _cover(document, report)
    sections = report.options.sections
    if not report.options.board:
        _contents(document)
    _new_page(document)
    if "summary" in sections:
        _summary(document, report)
    if "charts" in sections:
        _charts(document, report)
    if "domains" in sections:
        _new_page(document)
        _domains(document, report)
    if "action-plan" in sections:
        _action_plan(document, report)
        if not report.options.board:
            _action_items(document, report)
    if "crosswalk" in sections:
        _crosswalk(document, report)
    if report.still_to_answer and "still-to-answer" in sections:
        _still_to_answer(document, report)
    if "appendix" in sections:
        _appendix(document, report)
    if "method" in sections:
        _method(document, report)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def report_docx(
    assessment: Assessment, *, with_charts: bool = True, options: ReportOptions | None = None
) -> bytes:
    """The gap report of `assessment` as a Word file (view and `export_report --format docx`)."""
    report = build_report(assessment, charts_mode="png" if with_charts else "none", options=options)
    return render_docx(report)
