"""The Word report's section "Where respondents disagreed" (issue 15): the same content as
templates/reports/_disagreements.html, from `report.disagreements`
(respondents/consensus_report.py). Written only for an assessment run in independent mode.
"""

from __future__ import annotations

from docx.document import Document as DocumentObject
from docx.enum.text import WD_BREAK
from docx.shared import Pt

from reports.report import Report
from reports.report_docx_parts import DASH, labelled_line, new_table


def disagreements(document: DocumentObject, report: Report) -> None:
    found = report.disagreements
    if found is None:
        return
    # A page of its own, as in the PDF.
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    document.add_heading("Where respondents disagreed", level=1)
    document.add_paragraph(found.lead)
    if not found.domains:
        document.add_paragraph("No domain is assigned to a respondent yet.")
        return
    rows = []
    for domain in found.domains:
        title = f"{domain.number}. {domain.title}"
        if domain.withheld:
            rows.append((title, "Shown once you mark your own answers done", DASH, DASH, DASH))
        elif not domain.respondents:
            rows.append((title, "No respondent done yet", DASH, DASH, DASH))
        else:
            agreed = (
                f"{domain.percent}% ({domain.agreed} of {domain.compared})"
                if domain.percent is not None
                else DASH
            )
            rows.append(
                (
                    title,
                    str(domain.respondents),
                    str(domain.compared),
                    agreed,
                    str(len(domain.flagged)),
                )
            )
    new_table(
        document,
        ("Domain", "Respondents", "Questions compared", "All agreed", "Disagreements"),
        rows,
        widths_cm=(4.4, 3.0, 2.8, 3.0, 3.8),
        caption="Agreement per domain",
    )
    for domain in found.domains:
        if not domain.flagged:
            continue
        document.add_heading(f"{domain.number}. {domain.title}", level=2)
        for question in domain.flagged:
            heading = document.add_heading(level=3)
            heading.add_run(f"{question.number} ")
            heading.add_run(question.text)
            new_table(
                document,
                ("Respondent", "Answer", "Comment"),
                [
                    (
                        answer.respondent.who
                        + (" (no longer assigned)" if answer.respondent.removed else ""),
                        answer.label,
                        answer.comment or DASH,
                    )
                    for answer in question.answers
                ],
                widths_cm=(5.8, 4.6, 6.6),
                caption=f"Each respondent's answer to {question.number}",
            )
            labelled_line(document, "Consensus", question.consensus or "Not set yet")
            document.paragraphs[-1].paragraph_format.space_before = Pt(6)
            if question.note:
                labelled_line(document, "Note", question.note)
    if not found.flagged:
        document.add_paragraph(
            "The respondents agreed on every question that two or more of them answered."
        )
