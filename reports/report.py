"""The content of an assessment's results and gap report, built once for every output.

`build_report` is what the results page, the HTML report, the PDF and `manage.py
export_report` all read, so the four can never disagree. The results come from
assessments/results.py (stored once submitted, else live) and every rule from
assessments/scoring.py; this module only arranges them for the page. The charts are in
reports/report_charts.py, the PDF and the HTML file in reports/report_files.py.

Queries: the answers with their authors (one query) plus the instrument content, which is
cached per process (two queries the first time only). Nothing here depends on the number of
answers beyond that single query.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from typing import Any, ClassVar

from django.db import models
from django.urls import reverse
from django.utils import timezone

from assessments.content import InstrumentContent, instrument_content
from assessments.display import display_name
from assessments.models import Answer, Assessment, Domain, Organisation, Question
from assessments.results import AssessmentResults, ResultSource, assessment_results, to_decimal
from assessments.scoring import (
    LEVEL_NAMES,
    NA,
    VERDICT_CONDITIONAL,
    VERDICT_NOT_READY,
    VERDICT_READY,
    QuestionSpec,
    level_capped,
    normalised_score,
    option_score,
    priority_band,
    provisional_reasons,
    threshold_words,
    verdict_reasons,
    visible_keys,
)
from evidence.queries import EvidenceRow, evidence_rows
from reports import gaps
from reports.report_charts import Chart, ChartMode, report_charts
from reports.report_crosswalk import CrosswalkFramework, report_crosswalk
from reports.report_options import BOARD_ACTIONS, ReportOptions, report_options
from respondents.blind import blind_rule
from respondents.consensus_report import Disagreements, assessment_disagreements

DEFAULT_TITLE = "AI readiness gap report"
TOP_GAPS = 3


class AnswerStatus(models.TextChoices):
    ANSWERED = "answered", "Answered"
    NA = "na", "Not applicable"
    UNANSWERED = "unanswered", "Not answered"
    TEXT = "text", "Free text"
    # Independent answers: a consensus answer of a domain the reader still answers.
    HIDDEN = "hidden", "Hidden while you answer this domain"


@dataclass
class AnswerRow:
    """One question with its answer, as every section of the report shows it."""

    # For templates: {% if row.status == row.Status.ANSWERED %}.
    Status: ClassVar[type[AnswerStatus]] = AnswerStatus

    number: str  # "3.2": domain 3, question 2 of the instrument (InstrumentContent.numbers)
    question: Question
    domain_title: str
    answer: Answer | None
    visible: bool
    answer_label: str = ""  # option label, "Not applicable", free text; "" when unanswered
    status: AnswerStatus = AnswerStatus.UNANSWERED
    normalised: Fraction | None = None  # counted items only
    points: str = ""  # "3 of 4"
    blocker: bool = False
    action_rank: int | None = None  # its place in the action plan, when it has one
    withheld: bool = False  # the blind rule hides its answer from the reader (`withhold`)

    @property
    def key(self) -> str:
        return self.question.key

    @property
    def percent(self) -> Decimal | None:
        if self.normalised is None:
            return None
        return (Decimal(self.normalised.numerator) * 100 / self.normalised.denominator).quantize(
            Decimal("1")
        )

    @property
    def comment(self) -> str:
        return self.answer.comment if self.answer and not self.withheld else ""

    @property
    def evidence(self) -> str:
        return self.answer.evidence if self.answer and not self.withheld else ""

    @property
    def answered_by(self) -> str:
        return display_name(self.answer.answered_by if self.answer else None)

    @property
    def answered_at(self) -> Any:
        if self.answer is None or self.status in (AnswerStatus.UNANSWERED, AnswerStatus.HIDDEN):
            return None
        return self.answer.answered_at

    def withhold(self) -> None:
        """Show no answer, points, comment, evidence note nor author: the reader still answers
        the domain (respondents/blind.py). Its score still counts where the report scores."""
        self.withheld = True
        self.status = AnswerStatus.HIDDEN
        self.answer_label = AnswerStatus.HIDDEN.label
        self.points = ""

    @property
    def needs_recommendation(self) -> bool:
        return self.normalised is not None and self.normalised < 1


@dataclass
class DomainSection:
    number: int
    domain: Domain
    score: Decimal | None
    level: int | None
    completeness: Decimal | None
    target: Decimal
    gap: Decimal | None
    applicable: bool
    blockers: list[AnswerRow]
    rows: list[AnswerRow]  # visible questions only
    hidden: int  # follow-ups hidden by an earlier answer

    @property
    def key(self) -> str:
        return self.domain.key

    @property
    def title(self) -> str:
        return self.domain.title

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES.get(self.level, "") if self.level else ""

    @property
    def capped(self) -> bool:
        return level_capped(self.score, blocked=bool(self.blockers))

    @property
    def answered(self) -> int:
        return sum(
            1
            for r in self.rows
            if r.status in (AnswerStatus.ANSWERED, AnswerStatus.NA) and r.question.scored
        )

    @property
    def visible_scored(self) -> int:
        return sum(1 for r in self.rows if r.question.scored)


@dataclass
class ActionRow:
    rank: int
    priority: Decimal
    section: DomainSection
    row: AnswerRow
    band: str = ""  # High, Medium or Low (scoring.priority_band)

    @property
    def recommendation(self) -> str:
        return self.row.question.recommendation


@dataclass
class Report:
    # For templates: {% if report.source == report.Source.STORED %}.
    Source: ClassVar[type[ResultSource]] = ResultSource

    assessment: Assessment
    organisation: Organisation
    source: ResultSource
    overall_score: Decimal | None
    overall_level: int | None
    verdict: str | None
    verdict_reason: str
    provisional: bool
    provisional_reason: str
    completeness: Decimal | None
    sections: list[DomainSection]
    action_plan: list[ActionRow]
    still_to_answer: list[AnswerRow]
    blockers: list[AnswerRow]
    top_gaps: list[dict[str, Any]]
    crosswalk: list[CrosswalkFramework]
    coverage_rule: str
    # The instrument's threshold: a counted critical item below it is a blocker.
    blocker_below: Fraction = Fraction(1, 2)
    charts: list[Chart] = field(default_factory=list)
    chart_mode: str = "html"
    generated_at: Any = None
    # Branding, sign-off, sections and paper of this export (reports/report_options.py).
    options: ReportOptions = field(default_factory=ReportOptions)
    actions_left_out: int = 0  # a board summary shows the first few actions only
    # "Where respondents disagreed": None unless the assessment ran in independent mode.
    disagreements: Disagreements | None = None
    # Who reads it on a page (None: a file), for what the blind rule hides from them.
    viewer_id: int | None = None

    @property
    def site(self) -> Any:
        return self.assessment.site

    @property
    def instrument(self) -> Any:
        return self.assessment.instrument

    @property
    def title(self) -> str:
        return self.options.branding.title or DEFAULT_TITLE

    @property
    def signoff(self) -> str:
        return self.options.signed_by

    @property
    def has_logo(self) -> bool:
        return self.options.branding.logo is not None

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES.get(self.overall_level, "") if self.overall_level else ""

    @property
    def applicable_sections(self) -> list[DomainSection]:
        return [s for s in self.sections if s.applicable]

    @property
    def rows(self) -> list[AnswerRow]:
        return [row for section in self.sections for row in section.rows]

    @cached_property
    def evidence_files(self) -> list[EvidenceRow]:
        """The appendix's evidence files: one query, made only by a report that shows it;
        in independent mode only those the blind rule lets the reader see."""
        return evidence_rows(
            self.assessment,
            viewer_id=self.viewer_id,
            blind_domains=self.options.blind_domains,
            parts=self.disagreements.parts if self.disagreements is not None else None,
        )

    @property
    def charts_missing(self) -> bool:
        return self.chart_mode == "svg" and any(c.svg is None for c in self.charts)

    @property
    def blocker_below_display(self) -> str:
        """The threshold as a decimal, as the instrument file writes it: "0.5", "0.75"."""
        return str(Decimal(self.blocker_below.numerator) / Decimal(self.blocker_below.denominator))

    @property
    def blocker_words(self) -> str:
        """ "half", "three quarters": for sentences such as "scoring below half of the top"."""
        return threshold_words(self.blocker_below)

    @property
    def verdict_names(self) -> dict[str, str]:
        """The verdicts by rule, for the method note: named in scoring.py only."""
        return {
            "ready": VERDICT_READY,
            "conditional": VERDICT_CONDITIONAL,
            "not_ready": VERDICT_NOT_READY,
        }

    @property
    def default_target(self) -> Decimal:
        return Decimal(self.assessment.instrument.default_target)


# --- building -------------------------------------------------------------------------------


def _number(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):g}"


def _answer_row(
    question: Question,
    spec: QuestionSpec,
    number: str,
    answer: Answer | None,
    visible: bool,
) -> AnswerRow:
    row = AnswerRow(
        number=number,
        question=question,
        domain_title=question.domain.title,
        answer=answer,
        visible=visible,
    )
    value = answer.value if answer else ""
    if not value:
        return row
    if not question.scored:
        row.status, row.answer_label = AnswerStatus.TEXT, value
    elif value == NA and question.allow_na:
        row.status, row.answer_label = AnswerStatus.NA, "Not applicable"
    elif (normalised := normalised_score(spec, value)) is not None:
        row.status = AnswerStatus.ANSWERED
        row.answer_label = question.option_label(value)
        row.normalised = normalised
        row.points = (
            f"{_number(option_score(spec, value) or Fraction(0))} of {_number(spec.max_score)}"
        )
    return row


def _sections(
    assessment: Assessment,
    content: InstrumentContent,
    answers: Mapping[int, Answer],
    results: AssessmentResults,
    visible: frozenset[str],
) -> tuple[list[DomainSection], dict[str, AnswerRow]]:
    """One section per domain, and every question's row (hidden ones too) by key."""
    specs = {q.key: q for q in assessment.instrument.spec().questions}
    sections: list[DomainSection] = []
    rows_by_key: dict[str, AnswerRow] = {}
    for d_index, domain in enumerate(content.domains, start=1):
        stored = results.domain(domain.key)
        blocker_keys = set(stored.get("blockers") or [])
        rows = []
        hidden = 0
        for question in content.questions_of(domain.key):
            row = _answer_row(
                question,
                specs[question.key],
                content.numbers[question.key],
                answers.get(question.pk),
                question.key in visible,
            )
            row.blocker = question.key in blocker_keys
            rows_by_key[question.key] = row
            if row.visible:
                rows.append(row)
            else:
                hidden += 1
        target = to_decimal(stored.get("target"))
        sections.append(
            DomainSection(
                number=d_index,
                domain=domain,
                score=to_decimal(stored.get("score")),
                level=stored.get("level"),
                completeness=to_decimal(stored.get("completeness")),
                target=target if target is not None else assessment.target_for(domain),
                gap=to_decimal(stored.get("gap")),
                applicable=bool(stored.get("applicable", True)),
                blockers=[rows_by_key[k] for k in stored.get("blockers") or [] if k in rows_by_key],
                rows=rows,
                hidden=hidden,
            )
        )
    return sections, rows_by_key


def _action_plan(
    results: AssessmentResults,
    sections: Iterable[DomainSection],
    rows_by_key: Mapping[str, AnswerRow],
) -> list[ActionRow]:
    """The recommendations in the order of the results; each row learns its rank."""
    section_by_key = {s.key: s for s in sections}
    items = (i for i in results.data.get("action_plan", []) if i["question"] in rows_by_key)
    plan = [
        ActionRow(
            rank=rank,
            priority=Decimal(str(item["priority"])).quantize(Decimal("0.0001")),
            section=section_by_key[item["domain"]],
            row=rows_by_key[item["question"]],
        )
        for rank, item in enumerate(items, start=1)
    ]
    highest = max((action.priority for action in plan), default=Decimal(0))
    for action in plan:
        action.row.action_rank = action.rank
        action.band = priority_band(action.priority, highest=highest, blocker=action.row.blocker)
    return plan


def _domain_gaps(sections: Iterable[DomainSection]) -> list[gaps.DomainGap]:
    return [
        gaps.DomainGap(
            key=s.key,
            title=s.title,
            order=s.number,
            score=s.score,
            target=s.target,
            gap=s.gap,
            blockers=len(s.blockers),
        )
        for s in sections
    ]


def _top_gaps(sections: list[DomainSection], plan: list[ActionRow]) -> list[dict[str, Any]]:
    """The largest gaps, each with its domain and the domain's first recommendation."""
    section_by_key = {s.key: s for s in sections}
    first_action: dict[str, ActionRow] = {}
    for action in plan:
        first_action.setdefault(action.section.key, action)
    return [
        {"gap": g, "section": section_by_key[g.key], "action": first_action.get(g.key)}
        for g in gaps.top_gaps(_domain_gaps(sections), TOP_GAPS)
    ]


def _crosswalk(
    rows_by_key: Mapping[str, AnswerRow], blocker_below: Fraction
) -> list[CrosswalkFramework]:
    return report_crosswalk(
        (
            gaps.QuestionCoverage(
                key=row.key,
                references=tuple(str(r) for r in (row.question.references or [])),
                normalised=row.normalised if row.visible else None,
                pending=row.visible
                and row.question.scored
                and row.status == AnswerStatus.UNANSWERED,
            )
            for row in rows_by_key.values()
        ),
        {key: row.number for key, row in rows_by_key.items()},
        blocker_below,
    )


def _sentence(clauses: Iterable[str], prefix: str = "") -> str:
    """Clauses as one sentence: "Provisional: a; b." or "A; b." ("" without a clause)."""
    text = "; ".join(clauses)
    if not text:
        return ""
    if not prefix:
        text = text[:1].upper() + text[1:]
    return f"{prefix}{text}."


def _verdict_reason(sections: list[DomainSection], blocker_below: Fraction) -> str:
    return _sentence(
        verdict_reasons(
            levels=[s.level for s in sections if s.applicable],
            blockers=sum(len(s.blockers) for s in sections),
            blocker_below=blocker_below,
        )
    )


def _provisional_reason(provisional: bool, sections: list[DomainSection]) -> str:
    if not provisional:
        return ""
    reasons = provisional_reasons(
        answered=sum(s.answered for s in sections),
        visible_scored=sum(s.visible_scored for s in sections),
        unscored_domains=[s.title for s in sections if s.applicable and s.score is None],
    )
    return _sentence(reasons, prefix="Provisional: ") or "Provisional."


def build_report(
    assessment: Assessment,
    *,
    charts_mode: ChartMode = "html",
    options: ReportOptions | None = None,
    viewer_id: int | None = None,
) -> Report:
    """Everything the results page and the gap report show, for one assessment.

    `charts_mode` picks what the charts carry: the plotly.js payload ("html"), an SVG for the
    PDF ("svg"), or nothing ("none", the layout-only baseline of bench/pdf.py). `viewer_id`:
    who looks, on a page (a respondent still answering a domain sees no one's answers to it).

    Independent answers: the consensus answers of a domain the reader still answers (on a
    page the viewer's open domains, in a file its options' `blind_domains`, which the PDF's
    cache key holds) are withheld, row by row: "Hidden while you answer this domain", no
    value, points, comment nor evidence note, in the domain sections, the action plan, the
    blockers and the appendix (respondents/blind.py). Scores, the action plan's order and
    the blockers stay: they are the organisation's result, computed from every domain's
    consensus as for everyone, and a respondent answering one domain still needs to know
    where the site stands; hiding them would make a second, different report to keep apart.
    """
    content = instrument_content(assessment.instrument)
    answers = {
        a.question_id: a
        for a in Answer.objects.filter(assessment=assessment).select_related("answered_by")
    }
    values = {q.key: answers[q.pk].value for q in content.questions if q.pk in answers}
    results = assessment_results(assessment, values)
    visible = visible_keys(assessment.instrument.spec(), values)
    sections, rows_by_key = _sections(assessment, content, answers, results, visible)
    action_plan = _action_plan(results, sections, rows_by_key)
    blocker_below = Fraction(str(assessment.instrument.blocker_below))
    provisional = bool(results.overall.get("provisional"))
    report = Report(
        assessment=assessment,
        organisation=assessment.site.organisation,
        source=results.source,
        overall_score=results.overall_score,
        overall_level=results.overall_level,
        verdict=results.verdict,
        verdict_reason=_verdict_reason(sections, blocker_below),
        provisional=provisional,
        provisional_reason=_provisional_reason(provisional, sections),
        completeness=to_decimal(results.overall.get("completeness")),
        sections=sections,
        action_plan=action_plan,
        still_to_answer=[
            rows_by_key[k] for k in results.data.get("still_to_answer", []) if k in rows_by_key
        ],
        blockers=[row for section in sections for row in section.blockers],
        top_gaps=_top_gaps(sections, action_plan),
        crosswalk=_crosswalk(rows_by_key, blocker_below),
        coverage_rule=gaps.coverage_rule(blocker_below),
        blocker_below=blocker_below,
        chart_mode=charts_mode,
        generated_at=timezone.now(),
        options=options or report_options(assessment=assessment),
        viewer_id=viewer_id,
    )
    if report.options.board and len(action_plan) > BOARD_ACTIONS:
        report.actions_left_out = len(action_plan) - BOARD_ACTIONS
        report.action_plan = action_plan[:BOARD_ACTIONS]
    report.charts = report_charts(
        _domain_gaps(s for s in sections if s.applicable), charts_mode, blocker_below
    )
    if not report.options.board and report.options.shows("domains"):
        report.disagreements = assessment_disagreements(
            assessment,
            content=content,
            consensus=values,
            visible=visible,
            viewer_id=viewer_id,
            blind=report.options.blind_domains,
        )
    withheld = _withheld_domains(report, viewer_id)
    for row in rows_by_key.values():
        if row.question.domain.key in withheld:
            row.withhold()
    return report


def _withheld_domains(report: Report, viewer_id: int | None) -> frozenset[str]:
    """The domains whose consensus answers the reader may not see: a file's `blind_domains`
    and, on a page, the viewer's open domains (from the assignments the disagreements section
    read; one query where it was not built, none outside the independent mode)."""
    withheld = frozenset(report.options.blind_domains)
    if viewer_id is None:
        return withheld
    parts = report.disagreements.parts if report.disagreements is not None else None
    blind = blind_rule(report.assessment, viewer_id=viewer_id, parts=parts)
    return withheld | blind.still_answering if blind is not None else withheld


def report_context(report: Report, *, pdf: bool) -> dict[str, Any]:
    """Template context of the report; the logo comes from /media/ in the PDF (read from disk
    by the PDF's URL fetcher) and from the access-checked logo view in the browser."""
    logo_src = ""
    logo = report.options.branding.logo
    if logo is not None:
        if pdf:
            logo_src = logo.url
        else:
            logo_src = reverse("reports:branding-logo", args=[report.organisation.slug])
    return {
        # Where static/js/charts.js fetches a page's interactive charts (reports.views).
        "chart_data_url": "" if pdf else reverse("reports:chart-data", args=[report.assessment.pk]),
        "report": report,
        "assessment": report.assessment,
        "pdf": pdf,
        "logo_src": logo_src,
        "options": report.options,
        # The PDF's paper size, set after print.css by base_pdf.html.
        "paper": report.options.paper if pdf else None,
    }
