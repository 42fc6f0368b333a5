"""The gap report as an editable Word file, section by section (python-docx is used only here
and in reports/report_docx_parts.py, its building blocks).

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

from django.template.loader import render_to_string
from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_BREAK
from docx.shared import Cm, RGBColor

from assessments.models import Assessment
from evidence.queries import EVIDENCE_HEADERS
from reports.report import AnswerRow, Report, build_report, report_context
from reports.report_actions import ACTION_ITEM_HEADERS, action_item_rows
from reports.report_docx_parts import (
    DASH,
    DOCX_CONTENT_TYPE,
    TABLE_STYLE,
    TOC_HINT,
    USABLE_WIDTH_CM,
    HtmlToDocx,
    add_field,
    add_logo,
    describe_shape,
    labelled_line,
    new_table,
    plain_text,
    set_up_pages,
    update_fields_on_open,
)
from reports.report_docx_respondents import disagreements
from reports.report_options import ReportOptions


def _cover(document: DocumentObject, report: Report) -> None:
    add_logo(document, report)
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
    verdict.add_run(plain_text(report.verdict))
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
    new_table(
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
        labelled_line(document, "Signed by", report.signoff)
    if report.provisional and report.verdict:
        document.add_paragraph(report.provisional_reason)


def _contents(document: DocumentObject) -> None:
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    document.add_paragraph("Contents", style="TOC Heading")
    add_field(document.add_paragraph(), r'TOC \o "1-2" \h \z \u', TOC_HINT)


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
            (
                title,
                plain_text(s.score),
                level,
                completeness,
                str(s.target),
                plain_text(s.gap),
                blockers,
            )
        )
    return rows


def _summary(document: DocumentObject, report: Report) -> None:
    document.add_heading("Executive summary", level=1)
    new_table(
        document,
        ("Readiness verdict", "Overall score", "Maturity level", "Answered", "Blockers"),
        [
            (
                plain_text(report.verdict) + (" (provisional)" if report.provisional else ""),
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
            item.add_run(f"{row.question.text} — {row.domain_title}; answer: {_with_points(row)}. ")
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
        new_table(
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
            describe_shape(
                shape,
                f"{chart.title}. {chart.caption} The same figures are in the domain results table.",
                title=chart.title,
            )
            document.add_paragraph(chart.caption, style="Caption")
        else:
            if chart.note:
                document.add_paragraph(chart.note)
            new_table(document, chart.columns, chart.table, caption=chart.title)


def _with_points(row: AnswerRow) -> str:
    """ "Yes (4 of 4)"; the label alone without points (a withheld answer)."""
    return f"{row.answer_label} ({row.points})" if row.points else row.answer_label


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
    elif row.status in (row.Status.TEXT, row.Status.HIDDEN):
        answer = row.answer_label
    else:
        answer = "Not answered yet"
    labelled_line(document, "Answer", answer)
    if row.comment:
        labelled_line(document, "Comment", row.comment)
    if row.evidence:
        labelled_line(document, "Evidence", row.evidence)
    if row.action_rank:
        blocker = ", a blocker" if row.blocker else ""
        labelled_line(document, "Next step", f"Action plan item {row.action_rank}{blocker}")
    if row.question.references:
        labelled_line(document, "References", "; ".join(str(r) for r in row.question.references))


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
            new_table(
                document,
                ("Score", "Level", "Answered", "Target", "Gap", "Blockers"),
                [
                    (
                        plain_text(section.score),
                        level,
                        answered,
                        str(section.target),
                        plain_text(section.gap),
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
                f"Answer: {_with_points(action.row)}{mark}",
                action.recommendation,
                f"{action.band}\n{action.priority}",
            )
        )
    new_table(
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
    new_table(
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
        new_table(
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
    new_table(
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
        elif row.status == row.Status.HIDDEN:
            answer = row.answer_label
        else:
            answer = "not answered"
        when = f"{row.answered_at:%-d %b %Y}" if row.answered_at else DASH
        who = (row.answered_by or DASH) if row.answered_at else DASH
        rows.append((row.number, row.key, answer, row.points or DASH, who, when))
    new_table(
        document,
        ("No.", "Key", "Answer", "Points", "Answered by", "Date"),
        rows,
        widths_cm=(1.2, 3.6, 4.2, 1.8, 3.6, 2.6),
        caption="Every answer of the assessment",
    )
    if report.evidence_files:
        document.add_heading("Evidence files", level=2)
        document.add_paragraph(
            "The files attached to the answers as evidence, in questionnaire order: the "
            "policies, agreements and logs behind them. They are kept in the app."
        )
        new_table(
            document,
            EVIDENCE_HEADERS,
            [row.cells() for row in report.evidence_files],
            widths_cm=(1.2, 3.4, 4.8, 1.4, 3.6, 2.6),
            caption="Evidence files attached to the answers",
        )


def _method(document: DocumentObject, report: Report) -> None:
    document.add_heading("How the scores are computed", level=1)
    html = render_to_string("reports/_method_note.html", report_context(report, pdf=True))
    parser = HtmlToDocx(document)
    parser.feed(html)
    parser.close()


# --- the file -----------------------------------------------------------------------------------


def render_docx(report: Report) -> bytes:
    """The report as .docx bytes, its sections chosen by `report.options.sections`."""
    document = Document()
    document.core_properties.title = f"{report.title} · {report.site.name}"
    document.core_properties.subject = report.assessment.round_label
    document.core_properties.author = report.signoff or report.organisation.name
    set_up_pages(document, report)
    update_fields_on_open(document)
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
        disagreements(document, report)
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


__all__ = ["DOCX_CONTENT_TYPE", "TABLE_STYLE", "render_docx", "report_docx"]
