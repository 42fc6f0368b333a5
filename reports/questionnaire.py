"""A printable blank questionnaire of an instrument version (issue 11 item 11).

For people who gather answers on paper or in a meeting: every domain and question with the
number the app shows everywhere (assessments/content.py), its help, the answers as boxes to
tick, "Not applicable" where the question allows it, lines for a comment and the evidence,
and the condition under which a follow-up is asked. Rendered by reports/pdf.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assessments.content import instrument_content
from assessments.models import Instrument, Organisation, Question
from reports.report_options import DEFAULT_PAGE_SIZE, PAPER

TEMPLATE = "reports/pdf/blank_questionnaire.html"


@dataclass(frozen=True)
class BlankQuestion:
    number: str
    key: str
    text: str
    help: str
    kind: str  # Question.Type
    options: list[str]  # labels, in the file's order; empty for free text
    allow_na: bool
    condition: str  # "" or "Answer only if 2.3 is “No” or “Partly”."


@dataclass(frozen=True)
class BlankDomain:
    number: int
    title: str
    description: str
    questions: list[BlankQuestion] = field(default_factory=list)


def _quoted(labels: list[str]) -> str:
    quoted = [f"“{label}”" for label in labels]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _condition(question: Question, by_key: dict[str, Question], numbers: dict[str, str]) -> str:
    if not question.show_if_question:
        return ""
    earlier = by_key.get(question.show_if_question)
    if earlier is None:  # not reached: the instrument checks refuse an unknown key
        return ""
    labels = [earlier.option_label(str(v)) for v in question.show_if_values]
    return f"Answer only if {numbers[earlier.key]} is {_quoted(labels)}."


def blank_domains(instrument: Instrument) -> list[BlankDomain]:
    """The instrument version's domains and questions as the blank questionnaire prints them."""
    content = instrument_content(instrument)
    numbers = content.numbers
    domains = []
    for index, domain in enumerate(content.domains, start=1):
        questions = [
            BlankQuestion(
                number=numbers[q.key],
                key=q.key,
                text=q.text,
                help=q.help,
                kind=q.type,
                options=[str(o["label"]) for o in q.options],
                allow_na=q.allow_na and q.type != Question.Type.TEXT,
                condition=_condition(q, content.by_key, numbers),
            )
            for q in content.questions_of(domain.key)
        ]
        domains.append(
            BlankDomain(
                number=index,
                title=domain.title,
                description=domain.description,
                questions=questions,
            )
        )
    return domains


def blank_questionnaire_context(
    instrument: Instrument, organisation: Organisation
) -> dict[str, Any]:
    domains = blank_domains(instrument)
    return {
        "instrument": instrument,
        "organisation": organisation,
        "domains": domains,
        "question_count": sum(len(d.questions) for d in domains),
        "paper": PAPER.get(organisation.report_page_size, PAPER[DEFAULT_PAGE_SIZE]),
    }


def blank_questionnaire_pdf(instrument: Instrument, organisation: Organisation) -> bytes:
    """The blank questionnaire as PDF bytes, on the organisation's report paper size."""
    # Imported here, as in report_files.py: WeasyPrint is slow to import, and most processes
    # (web workers, management commands) never render a PDF.
    from reports import pdf

    return pdf.render_pdf(TEMPLATE, blank_questionnaire_context(instrument, organisation))


def blank_questionnaire_filename(instrument: Instrument) -> str:
    return f"questionnaire-{instrument.slug}-{instrument.version}.pdf"
