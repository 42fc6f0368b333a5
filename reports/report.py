"""The content of an assessment's results and gap report, built once for every output.

`build_report` is what the results page, the HTML report, the PDF and `manage.py
export_report` all read, so the four can never disagree. A submitted assessment reads its
stored results (what was handed in, and what comparisons aggregate); any other assessment
is scored live from its current answers.

Queries: the answers with their authors (one query) plus the instrument content, which is
cached per process (two queries the first time only). Nothing here depends on the number of
answers beyond that single query.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from django.urls import reverse
from django.utils import timezone

from assessments.caching import cache_get, cache_set
from assessments.content import InstrumentContent, instrument_content
from assessments.models import Answer, Assessment, Domain, Organisation, Question
from assessments.scoring import (
    LEVEL_NAMES,
    NA,
    VERDICT_CONDITIONAL,
    VERDICT_READY,
    level_for,
    provisional_reasons,
    result_to_dict,
    visible_keys,
)
from reports import charts, gaps

# Bump when the report's templates or content change, so cached PDFs are rendered again.
REPORT_TEMPLATE_VERSION = "2"
DEFAULT_TITLE = "AI readiness gap report"
TOP_GAPS = 3

ChartMode = Literal["html", "svg", "none"]


@dataclass
class AnswerRow:
    """One question with its answer, as every section of the report shows it."""

    number: str  # "3.2": domain 3, question 2 of the instrument
    question: Question
    domain_title: str
    answer: Answer | None
    visible: bool
    answer_label: str = ""  # option label, "Not applicable", free text; "" when unanswered
    status: str = "unanswered"  # answered | na | unanswered | text
    normalised: Fraction | None = None  # counted items only
    points: str = ""  # "3 of 4"
    blocker: bool = False
    action_rank: int | None = None  # its place in the action plan, when it has one

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
        return self.answer.comment if self.answer else ""

    @property
    def evidence(self) -> str:
        return self.answer.evidence if self.answer else ""

    @property
    def answered_by(self) -> str:
        user = self.answer.answered_by if self.answer else None
        if user is None:
            return ""
        return user.get_full_name() or user.get_username()

    @property
    def answered_at(self) -> Any:
        return self.answer.answered_at if self.answer and self.status != "unanswered" else None

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
        uncapped = level_for(self.score)
        return bool(self.blockers) and uncapped is not None and (self.level or 0) < uncapped

    @property
    def answered(self) -> int:
        return sum(1 for r in self.rows if r.status in ("answered", "na") and r.question.scored)

    @property
    def visible_scored(self) -> int:
        return sum(1 for r in self.rows if r.question.scored)


@dataclass
class ActionRow:
    rank: int
    priority: Decimal
    section: DomainSection
    row: AnswerRow

    @property
    def recommendation(self) -> str:
        return self.row.question.recommendation


@dataclass
class Chart:
    id: str
    title: str
    caption: str
    columns: tuple[str, ...]
    table: list[tuple[str, ...]]
    payload: dict[str, Any] | None = None  # for plotly.js in the browser
    svg: str | None = None  # for the PDF
    svg_data_uri: str = ""
    note: str = ""

    @property
    def data_id(self) -> str:
        return f"{self.id}-data"


@dataclass
class CrosswalkRow:
    reference: gaps.ReferenceCoverage
    cited: list[dict[str, Any]]  # {"number", "key", "gap"} per citing question

    @property
    def label(self) -> str:
        return self.reference.label

    @property
    def status(self) -> str:
        return self.reference.status

    @property
    def status_label(self) -> str:
        return self.reference.status_label

    @property
    def pending(self) -> int:
        return self.reference.pending


@dataclass
class CrosswalkFramework:
    framework: gaps.FrameworkCoverage
    rows: list[CrosswalkRow]

    @property
    def title(self) -> str:
        return self.framework.title

    @property
    def references(self) -> tuple[gaps.ReferenceCoverage, ...]:
        return self.framework.references

    @property
    def covered(self) -> int:
        return self.framework.covered

    @property
    def gaps(self) -> int:
        return self.framework.gaps

    @property
    def not_assessed(self) -> int:
        return self.framework.not_assessed


@dataclass
class Report:
    assessment: Assessment
    organisation: Organisation
    source: str  # "stored" (submitted) or "live"
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

    @property
    def site(self) -> Any:
        return self.assessment.site

    @property
    def instrument(self) -> Any:
        return self.assessment.instrument

    @property
    def title(self) -> str:
        return self.organisation.report_title or DEFAULT_TITLE

    @property
    def signoff(self) -> str:
        return self.organisation.report_signoff

    @property
    def has_logo(self) -> bool:
        return bool(self.organisation.report_logo)

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES.get(self.overall_level, "") if self.overall_level else ""

    @property
    def applicable_sections(self) -> list[DomainSection]:
        return [s for s in self.sections if s.applicable]

    @property
    def rows(self) -> list[AnswerRow]:
        return [row for section in self.sections for row in section.rows]

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
        return gaps.threshold_words(self.blocker_below)

    @property
    def default_target(self) -> Decimal:
        return Decimal(self.assessment.instrument.default_target)


# --- building -------------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _option_points(question: Question, value: str) -> tuple[Fraction, str] | None:
    scores = {str(o["value"]): Fraction(str(o["score"])) for o in question.options}
    if value not in scores:
        return None
    top = max(scores.values(), default=Fraction(0))
    if top <= 0:
        return None
    score = scores[value]
    return score / top, f"{_number(score)} of {_number(top)}"


def _number(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):g}"


def _answer_row(
    question: Question,
    number: str,
    domain_title: str,
    answer: Answer | None,
    visible: bool,
) -> AnswerRow:
    row = AnswerRow(
        number=number,
        question=question,
        domain_title=domain_title,
        answer=answer,
        visible=visible,
    )
    value = answer.value if answer else ""
    if not value:
        return row
    if not question.scored:
        row.status, row.answer_label = "text", value
    elif value == NA and question.allow_na:
        row.status, row.answer_label = "na", "Not applicable"
    else:
        points = _option_points(question, value)
        if points is not None:
            row.status = "answered"
            row.answer_label = question.option_label(value)
            row.normalised, row.points = points
    return row


def _results(assessment: Assessment, values: dict[str, str]) -> tuple[dict[str, Any], str]:
    """The stored results of a submitted assessment, else live ones, in the same JSON shape."""
    stored = assessment.results
    if (
        assessment.status == Assessment.Status.SUBMITTED
        and isinstance(stored, dict)
        and isinstance(stored.get("domains"), dict)
        and "overall" in stored
    ):
        return stored, "stored"
    return result_to_dict(assessment.compute_results(values)), "live"


def _verdict_reason(
    verdict: str | None, sections: list[DomainSection], blockers: int, blocker_below: Fraction
) -> str:
    if verdict is None:
        return "No domain applies to this site, so there is no overall score and no verdict."
    levels = [s.level or 1 for s in sections if s.applicable]
    at_1 = levels.count(1)
    at_2 = levels.count(2)
    if blockers:
        return (
            f"{blockers} critical safeguard{'s' if blockers != 1 else ''} "
            f"{'score' if blockers != 1 else 'scores'} below "
            f"{gaps.threshold_words(blocker_below)} of the top answer, which rules out a "
            "“Ready” or “Conditionally ready” verdict whatever the scores."
        )
    if verdict == VERDICT_READY:
        return "Every domain that counts is at level 3 (Defined) or above, with no blocker."
    if verdict == VERDICT_CONDITIONAL:
        return (
            f"No blocker and no domain at level 1, but {at_2} domain"
            f"{'s are' if at_2 != 1 else ' is'} at level 2 (Developing)."
        )
    parts = []
    if at_1:
        parts.append(f"{at_1} domain{'s are' if at_1 != 1 else ' is'} at level 1 (Initial)")
    if at_2 > 2:
        parts.append(f"{at_2} domains are at level 2 (Developing), more than two")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "." if text else ""


def _provisional_reason(provisional: bool, sections: list[DomainSection]) -> str:
    if not provisional:
        return ""
    reasons = provisional_reasons(
        answered=sum(s.answered for s in sections),
        visible_scored=sum(s.visible_scored for s in sections),
        unscored_domains=[s.title for s in sections if s.applicable and s.score is None],
    )
    return "Provisional: " + "; ".join(reasons) + "." if reasons else "Provisional."


def build_report(assessment: Assessment, *, charts_mode: ChartMode = "html") -> Report:
    """Everything the results page and the gap report show, for one assessment.

    `charts_mode` picks what the charts carry: the plotly.js payload ("html"), an SVG for the
    PDF ("svg"), or nothing ("none", the layout-only baseline of bench/pdf.py).
    """
    content: InstrumentContent = instrument_content(assessment.instrument)
    answers = {
        a.question_id: a
        for a in Answer.objects.filter(assessment=assessment).select_related("answered_by")
    }
    values = {q.key: answers[q.pk].value for q in content.questions if q.pk in answers}
    results, source = _results(assessment, values)
    visible = visible_keys(assessment.instrument.spec(), values)
    domain_results: dict[str, Any] = results["domains"]

    sections: list[DomainSection] = []
    rows_by_key: dict[str, AnswerRow] = {}
    section_by_key: dict[str, DomainSection] = {}
    for d_index, domain in enumerate(content.domains, start=1):
        stored = domain_results.get(domain.key, {})
        blocker_keys = set(stored.get("blockers") or [])
        rows = []
        hidden = 0
        for q_index, question in enumerate(content.questions_of(domain.key), start=1):
            row = _answer_row(
                question,
                f"{d_index}.{q_index}",
                domain.title,
                answers.get(question.pk),
                question.key in visible,
            )
            row.blocker = question.key in blocker_keys
            rows_by_key[question.key] = row
            if row.visible:
                rows.append(row)
            else:
                hidden += 1
        target = _decimal(stored.get("target"))
        section = DomainSection(
            number=d_index,
            domain=domain,
            score=_decimal(stored.get("score")),
            level=stored.get("level"),
            completeness=_decimal(stored.get("completeness")),
            target=target if target is not None else assessment.target_for(domain),
            gap=_decimal(stored.get("gap")),
            applicable=bool(stored.get("applicable", True)),
            blockers=[rows_by_key[k] for k in stored.get("blockers") or [] if k in rows_by_key],
            rows=rows,
            hidden=hidden,
        )
        sections.append(section)
        section_by_key[domain.key] = section

    action_plan = [
        ActionRow(
            rank=rank,
            priority=Decimal(str(item["priority"])).quantize(Decimal("0.0001")),
            section=section_by_key[item["domain"]],
            row=rows_by_key[item["question"]],
        )
        for rank, item in enumerate(
            (i for i in results.get("action_plan", []) if i["question"] in rows_by_key),
            start=1,
        )
    ]
    for action in action_plan:
        action.row.action_rank = action.rank
    still_to_answer = [
        rows_by_key[k] for k in results.get("still_to_answer", []) if k in rows_by_key
    ]
    blockers = [row for section in sections for row in section.blockers]

    overall = results["overall"]
    verdict = overall.get("verdict") or None
    completeness = _decimal(overall.get("completeness"))
    provisional = bool(overall.get("provisional"))

    first_action: dict[str, ActionRow] = {}
    for action in action_plan:
        first_action.setdefault(action.section.key, action)
    top = gaps.top_gaps(
        [
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
        ],
        TOP_GAPS,
    )
    top_gaps = [
        {"gap": g, "section": section_by_key[g.key], "action": first_action.get(g.key)} for g in top
    ]
    blocker_below = Fraction(str(assessment.instrument.blocker_below))
    coverage = gaps.framework_crosswalk(
        (
            gaps.QuestionCoverage(
                key=row.key,
                references=tuple(str(r) for r in (row.question.references or [])),
                normalised=row.normalised if row.visible else None,
                pending=row.visible and row.question.scored and row.status == "unanswered",
            )
            for row in rows_by_key.values()
        ),
        threshold=blocker_below,
    )
    crosswalk = [
        CrosswalkFramework(
            framework=framework,
            rows=[
                CrosswalkRow(
                    reference=reference,
                    cited=[
                        {
                            "number": rows_by_key[key].number,
                            "key": key,
                            "gap": key in reference.gap_questions,
                        }
                        for key in reference.questions
                    ],
                )
                for reference in framework.references
            ],
        )
        for framework in coverage
    ]

    report = Report(
        assessment=assessment,
        organisation=assessment.site.organisation,
        source=source,
        overall_score=_decimal(overall.get("score")),
        overall_level=overall.get("level"),
        verdict=verdict,
        verdict_reason=_verdict_reason(verdict, sections, len(blockers), blocker_below),
        provisional=provisional,
        provisional_reason=_provisional_reason(provisional, sections),
        completeness=completeness,
        sections=sections,
        action_plan=action_plan,
        still_to_answer=still_to_answer,
        blockers=blockers,
        top_gaps=top_gaps,
        crosswalk=crosswalk,
        coverage_rule=gaps.coverage_rule(blocker_below),
        blocker_below=blocker_below,
        chart_mode=charts_mode,
        generated_at=timezone.now(),
    )
    report.charts = _charts(sections, charts_mode, blocker_below)
    return report


# --- charts ---------------------------------------------------------------------------------


def _fmt(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.1f}"


@functools.lru_cache(maxsize=256)
def _figures(points: tuple[charts.DomainPoint, ...]) -> tuple[Any, Any]:
    """The two figures of a report, built once per distinct set of scores and targets.

    Building a plotly figure is most of a results page's time, and the same numbers come
    back on every view of an unchanged assessment. Figures are not changed after this.
    """
    return charts.domain_radar(points), charts.gap_bars(points)


@functools.lru_cache(maxsize=256)
def _html_payloads(points: tuple[charts.DomainPoint, ...]) -> tuple[Any, Any]:
    radar, gaps = _figures(points)
    return charts.figure_html_payload(radar), charts.figure_html_payload(gaps)


def _charts(sections: list[DomainSection], mode: ChartMode, blocker_below: Fraction) -> list[Chart]:
    points = [
        charts.DomainPoint(
            label=s.title,
            score=None if s.score is None else float(s.score),
            target=float(s.target),
            gap=None if s.gap is None else float(s.gap),
            blocked=bool(s.blockers),
        )
        for s in sections
        if s.applicable
    ]
    radar = Chart(
        id="chart-radar",
        title="Domain scores against targets",
        caption=(
            "Score of each domain (0–100, filled) against its target (dashed). Domains that "
            "do not apply are left out; a domain without a score yet leaves a gap in the line."
        ),
        columns=("Domain", "Score", "Target"),
        table=[(s.title, _fmt(s.score), _fmt(s.target)) for s in sections if s.applicable],
    )
    gap_chart = Chart(
        id="chart-gaps",
        title="Gap to target per domain",
        caption=(
            "Points each scored domain is below its target, largest first. Red bars mark "
            "domains with a blocker (a critical safeguard below "
            f"{gaps.threshold_words(blocker_below)} of its top answer)."
        ),
        columns=("Domain", "Gap", "Blockers"),
        table=[
            (s.title, _fmt(s.gap), str(len(s.blockers)) if s.blockers else "—")
            for s in sorted(
                (s for s in sections if s.gap is not None),
                key=lambda s: (-(s.gap or Decimal(0)), s.number),
            )
        ],
    )
    if mode == "none":
        return [radar, gap_chart]
    if mode == "html":
        radar.payload, gap_chart.payload = _html_payloads(tuple(points))
        return [radar, gap_chart]
    radar_figure, gaps_figure = _figures(tuple(points))
    figures = [(radar, radar_figure), (gap_chart, gaps_figure)]
    for chart, figure in figures:
        chart.svg = charts.figure_svg(figure)
        if chart.svg is None:
            chart.note = (
                "The chart could not be drawn on this server (no Chromium browser was "
                "found for the chart export); its data is shown as a table instead."
            )
        else:
            chart.svg_data_uri = charts.svg_data_uri(chart.svg)
    return [chart for chart, _ in figures]


# --- PDF, cached by what it shows -------------------------------------------------------------


def pdf_cache_key(assessment: Assessment, *, charts_available: bool) -> str:
    """Changes whenever what the PDF shows can change.

    The revision moves with every answer, target and status change; branding, names and the
    template version cover the rest. The date is in it because the cover shows it.
    """
    organisation = assessment.site.organisation
    parts = [
        assessment.pk,
        assessment.revision,
        organisation.report_title,
        organisation.report_logo.name if organisation.report_logo else "",
        organisation.report_signoff,
        organisation.name,
        assessment.site.name,
        assessment.round_label,
        str(assessment.round_date),
        REPORT_TEMPLATE_VERSION,
        charts_available,
        str(timezone.localdate()),
    ]
    digest = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]
    return f"reports:pdf:{assessment.pk}:{digest}"


def report_context(report: Report, *, pdf: bool) -> dict[str, Any]:
    """Template context of the report; the logo comes from /media/ in the PDF (read from disk
    by the PDF's URL fetcher) and from the access-checked logo view in the browser."""
    logo_src = ""
    if report.has_logo:
        if pdf:
            logo_src = report.organisation.report_logo.url
        else:
            logo_src = reverse("reports:branding-logo", args=[report.organisation.slug])
    return {"report": report, "assessment": report.assessment, "pdf": pdf, "logo_src": logo_src}


def report_pdf(
    assessment: Assessment, *, use_cache: bool = True, with_charts: bool = True
) -> bytes:
    """The gap report as PDF; an unchanged assessment is served from the cache."""
    from reports import pdf

    charts_available = with_charts and charts.find_chromium() is not None
    key = pdf_cache_key(assessment, charts_available=charts_available)
    if use_cache:
        cached = cache_get(key)
        if isinstance(cached, bytes):
            return cached
    report = build_report(assessment, charts_mode="svg" if with_charts else "none")
    data = pdf.render_pdf("reports/pdf/gap_report.html", report_context(report, pdf=True))
    # A PDF whose charts failed to export this time is not kept: the next one may succeed.
    if use_cache and not (charts_available and report.charts_missing):
        cache_set(key, data, timeout=7 * 24 * 3600)
    return data


def report_html(assessment: Assessment) -> str:
    """The gap report as one self-contained HTML file (`export_report --format html`).

    The same template as the PDF, with its stylesheet, charts and logo embedded, so the file
    opens anywhere without the app. It is a file, not a page the app serves, so the CSP's
    ban on inline styles does not apply to it.
    """
    import base64
    import re

    from django.contrib.staticfiles import finders
    from django.template.loader import render_to_string

    report = build_report(assessment, charts_mode="svg")
    context = report_context(report, pdf=True)
    if report.has_logo:
        logo = report.organisation.report_logo
        try:
            with logo.storage.open(str(logo.name), "rb") as handle:
                encoded = base64.b64encode(handle.read()).decode("ascii")
            context["logo_src"] = f"data:image/png;base64,{encoded}"
        except FileNotFoundError:
            context["logo_src"] = ""
    html = render_to_string("reports/pdf/gap_report.html", context)
    css_path = finders.find("css/print.css")
    css = Path(css_path).read_text(encoding="utf-8") if isinstance(css_path, str) else ""
    return re.sub(
        r'<link rel="stylesheet" href="[^"]*print[^"]*\.css">',
        lambda _: "<style>" + css.replace("</", "<\\/") + "</style>",
        html,
        count=1,
    )
