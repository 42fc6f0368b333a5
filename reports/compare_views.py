"""The comparison page across an organisation's sites and its CSV and Excel exports.

The views validate the filters (reports/forms.py) and build the charts; the
reports/comparison package reads the stored results and reshapes them (with pandas) into
typed rows, so no DataFrame reaches a template. Who exported what is recorded through
reports/services.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from assessments import access
from assessments.http import AuthenticatedHttpRequest, private_no_store
from assessments.models import Membership
from assessments.scoring import LEVEL_NAMES
from reports import charts, comparison
from reports.comparison import CompareFilters, CompareOptions
from reports.forms import CompareFilterForm
from reports.services import export_record_create

SORT_LABELS = {
    "score": "Overall score",
    "name": "Site",
    "change": "Change",
    "blockers": "Blockers",
}
# What a short column heading means, for screen readers.
SORT_HINTS = {"change": " since the previous round"}


@dataclass
class Setup:
    membership: Membership
    form: CompareFilterForm
    filters: CompareFilters | None  # None: nothing submitted to compare yet
    options: CompareOptions


def _int_param(request: AuthenticatedHttpRequest, name: str, default: int | None) -> int | None:
    """Paging and focus come from links, not fields: a bad value falls back quietly."""
    raw = request.GET.get(name, "")
    if not re.fullmatch(r"\d{1,9}", raw):
        return default
    return int(raw)


def _setup(request: AuthenticatedHttpRequest, slug: str) -> Setup:
    membership = access.get_organisation_for_user(request.user.pk, slug, "compare")
    options = comparison.compare_options(membership)
    # The round list depends on the instrument: read it before the form validates.
    chosen = options.choice(request.GET.get("instrument", "")) or options.choice(
        options.default_value
    )
    rounds = comparison.round_labels(membership, chosen.slug) if chosen else []
    bound = any(k in request.GET for k in CompareFilterForm.base_fields)
    form = CompareFilterForm(
        request.GET if bound else None,
        membership=membership,
        options=options,
        rounds=rounds,
        initial={"instrument": chosen.value if chosen else ""},
    )
    data: dict[str, Any] = {}
    if bound:
        form.is_valid()
        data = getattr(form, "cleaned_data", {})
    if chosen is None:
        return Setup(membership, form, None, options)
    choice = options.choice(data.get("instrument") or "") or chosen
    filters = CompareFilters(
        slug=choice.slug,
        version=choice.version,
        round_label=data.get("round") or "",
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        site_ids=tuple(data.get("site") or ()),
        name=data.get("name") or "",
        kind=data.get("kind") or "",
        include_archived=bool(data.get("archived")),
    )
    return Setup(membership, form, filters, options)


def _query(request: AuthenticatedHttpRequest, **changes: Any) -> str:
    """The current query string with some parameters changed (None removes one)."""
    query: QueryDict = request.GET.copy()
    for name, value in changes.items():
        query.pop(name, None)
        if value is not None:
            query[name] = str(value)
    return query.urlencode()


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _chart(chart_id: str, title: str, caption: str, figure: Any) -> dict[str, Any]:
    return {
        "id": chart_id,
        "data_id": f"{chart_id}-data",
        "title": title,
        "caption": caption,
        "payload": charts.figure_html_payload(figure),
    }


def _charts(result: comparison.Comparison) -> dict[str, dict[str, Any]]:
    rows = result.rows
    heatmap = charts.comparison_heatmap(
        sites=[r.site for r in rows],
        domains=[d.title for d in result.domains],
        scores=[[_f(c.score) for c in r.domains] for r in rows],
        levels=[[c.level for c in r.domains] for r in rows],
        links=[reverse("assessments:detail", args=[r.assessment_id]) for r in rows],
    )
    trend = charts.trend_lines(
        result.rounds,
        [
            charts.TrendSeries(
                label=s.site,
                scores=tuple(_f(v) for v in s.scores),
                highlight=any(r.focus and r.site_id == s.site_id for r in rows),
            )
            for s in result.trend
        ],
        [_f(v) for v in result.trend_median],
    )
    distribution = charts.domain_distribution(
        [
            charts.DistributionBox(
                label=d.title,
                count=d.count,
                minimum=_f(d.minimum),
                q1=_f(d.q1),
                median=_f(d.median),
                q3=_f(d.q3),
                maximum=_f(d.maximum),
                points=tuple((name, float(v)) for name, v in d.points if v is not None),
            )
            for d in result.distribution
        ]
    )
    first, last = result.first_rank, result.first_rank + len(rows) - 1
    return {
        "heatmap": _chart(
            "chart-heatmap",
            "Domain scores by site",
            f"Sites {first}–{last} of {result.total_sites} in the order of the ranking below. "
            "Each cell is the domain's score in the site's latest round, coloured by maturity "
            "level; a grey cell with “—” has no score.",
            heatmap,
        ),
        "trend": _chart(
            "chart-trend",
            "Overall score across rounds",
            "One line per site of this page; the dashed line is the median of all "
            f"{result.total_sites} compared sites in each round.",
            trend,
        ),
        "distribution": _chart(
            "chart-distribution",
            "Spread of domain scores across sites",
            "Per domain, the box spans the middle half of the sites' latest scores with the "
            "median inside; the whiskers reach the lowest and the highest site."
            + (" Dots are single sites." if any(d.points for d in result.distribution) else ""),
            distribution,
        ),
    }


def _left_out(
    request: AuthenticatedHttpRequest, result: comparison.Comparison
) -> list[dict[str, Any]]:
    """The sites left out for being on another instrument, grouped by that instrument, each
    group with a link that compares on it instead (the round filter is the instrument's own,
    so it goes)."""
    groups: dict[str, dict[str, Any]] = {}
    for site in result.left_out:
        group = groups.setdefault(
            site.slug,
            {
                "slug": site.slug,
                "title": site.title,
                "sites": [],
                "url": "?"
                + _query(request, instrument=site.slug, round=None, page=None, focus=None),
            },
        )
        group["sites"].append(site)
    return list(groups.values())


def _sort_links(
    request: AuthenticatedHttpRequest, result: comparison.Comparison
) -> dict[str, dict[str, Any]]:
    links = {}
    for key, label in SORT_LABELS.items():
        current = result.sort == key
        descending = (not result.descending) if current else comparison.DEFAULT_DESCENDING[key]
        links[key] = {
            "label": label,
            "hint": SORT_HINTS.get(key, ""),
            "url": "?"
            + _query(request, sort=key, dir="desc" if descending else "asc", page=None, focus=None),
            "current": current,
            "aria_sort": ("descending" if result.descending else "ascending") if current else None,
            "next": "descending" if descending else "ascending",
        }
    return links


@login_required
@require_GET
def compare(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    setup = _setup(request, slug)
    membership = setup.membership
    context: dict[str, Any] = {
        "current_membership": membership,
        "organisation": membership.organisation,
        "form": setup.form,
        "options": setup.options,
        "result": None,
        # Batch export of the matching reports (reports/job_views.py): org admins, consultants.
        "may_batch_export": access.allows(membership, "batch-export"),
    }
    if setup.filters is not None:
        sort = request.GET.get("sort", "score")
        direction = request.GET.get("dir")
        result = comparison.compare_sites(
            membership,
            setup.filters,
            sort=sort,
            descending=None if direction not in ("asc", "desc") else direction == "desc",
            page=_int_param(request, "page", 1) or 1,
            per_page=(
                getattr(setup.form, "cleaned_data", {}).get("per_page")
                or comparison.PER_PAGE_CHOICES[0]
            ),
            focus=_int_param(request, "focus", None) if "page" not in request.GET else None,
        )
        context.update(
            result=result,
            charts=_charts(result),
            sort_links=_sort_links(request, result),
            left_out=_left_out(request, result),
            page_url="?" + _query(request, page=None, focus=None) + "&page=",
            export_query=_query(request, page=None, focus=None, sort=None, dir=None),
            clear_sites_query=_query(request, site=None, page=None, focus=None),
            level_names=sorted(LEVEL_NAMES.items()),
            sort_label=f"{SORT_LABELS[result.sort].lower()}{SORT_HINTS.get(result.sort, '')}, "
            + ("descending" if result.descending else "ascending"),
            instrument_title=_instrument_label(setup.options, setup.filters) or setup.filters.slug,
        )
    status = 422 if setup.form.is_bound and setup.form.errors else 200
    return private_no_store(render(request, "reports/compare.html", context, status=status))


def _instrument_label(options: CompareOptions, filters: CompareFilters) -> str:
    """The compared instrument as the filter's choice names it, "Title — all versions" or
    "Title 1.1", without its count (no query)."""
    return next(
        (
            c.label.rsplit(" (", 1)[0]
            for c in options.instruments
            if c.slug == filters.slug and c.version == filters.version
        ),
        "",
    )


def _export_name(filters: CompareFilters, extension: str) -> str:
    raw = f"comparison-{filters.slug}-{filters.version or 'all'}-{timezone.localdate():%Y-%m-%d}"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", raw).lower() + f".{extension}"


def _export(request: AuthenticatedHttpRequest, slug: str, kind: str) -> HttpResponse:
    setup = _setup(request, slug)
    if setup.form.is_bound and setup.form.errors:
        # The page shows what is wrong with the filters, next to each field.
        return redirect(reverse("reports:compare", args=[slug]) + "?" + request.GET.urlencode())
    # Nothing submitted yet: the export is the table's headers alone, as for filters that
    # match nothing, so that a script reading it needs no special case.
    filters = setup.filters or CompareFilters(slug="")
    # The title, not the slug; the version has its own column.
    title = _instrument_label(setup.options, filters).removesuffix(" — all versions")
    if kind == "csv":
        export = comparison.export_csv(setup.membership, filters, instrument_title=title)
    else:
        export = comparison.export_xlsx(
            setup.membership, filters, user=request.user, instrument_title=title
        )
    export_record_create(
        organisation=setup.membership.organisation,
        user=request.user,
        kind=f"comparison-{kind}",
        rows=export.rows,
        filters=filters.describe(title),
    )
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{_export_name(filters, kind)}"'
    return private_no_store(response)


@login_required
@require_GET
def compare_csv(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    return _export(request, slug, "csv")


@login_required
@require_GET
def compare_xlsx(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    return _export(request, slug, "xlsx")
