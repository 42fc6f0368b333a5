"""The comparison across an organisation's sites, as JSON rows.

The filters are the comparison page's, by the same names in the query string
(instrument, round, date_from, date_to, site, name, kind, archived, per_page), read by the
page's own setup and filter form; a bad value is a 400 naming it (the page shows it next to
the field and leaves it out). The rows are reports/comparison's, as the page shows them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView
from api.problems import form_problem, validation_problem
from api.serializers.comparison import ComparisonSerializer
from reports import comparison
from reports.compare_views import _instrument_label, _setup
from reports.comparison import PER_PAGE_CHOICES, SORTS
from reports.services import export_record_create

PARAMETERS = [
    OpenApiParameter(
        "instrument",
        str,
        description='"slug" or "slug@version"; default: the '
        "instrument most sites were assessed with.",
    ),
    OpenApiParameter("round", str, description="A round's label; default: each site's latest."),
    OpenApiParameter("date_from", OpenApiTypes.DATE),
    OpenApiParameter("date_to", OpenApiTypes.DATE),
    OpenApiParameter("site", int, many=True, description="Only these sites (repeat it)."),
    OpenApiParameter("name", str, description="Site name contains."),
    OpenApiParameter("kind", str, description="Kind of site."),
    OpenApiParameter("archived", OpenApiTypes.BOOL, description="Include archived sites."),
    OpenApiParameter("sort", str, enum=list(SORTS)),
    OpenApiParameter("dir", str, enum=["asc", "desc"]),
    OpenApiParameter("page", int),
    OpenApiParameter("per_page", int, enum=list(PER_PAGE_CHOICES)),
]


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _row(row: comparison.RankedSite) -> dict[str, Any]:
    return {
        "assessment_id": row.assessment_id,
        "site_id": row.site_id,
        "site": row.site,
        "kind": row.kind,
        "round_label": row.round_label,
        "round_date": row.round_date,
        "version": row.version,
        "score": _f(row.score),
        "level": row.level,
        "level_name": row.level_name,
        "verdict": row.verdict,
        "provisional": row.provisional,
        "completeness": _f(row.completeness),
        "blockers": row.blockers,
        "previous_score": _f(row.previous_score),
        "change": _f(row.change),
        "domains": [
            {
                "key": c.key,
                "title": c.title,
                "score": _f(c.score),
                "level": c.level,
                "applicable": c.applicable,
            }
            for c in row.domains
        ],
    }


def _paging(request: Request) -> tuple[str, bool | None, int]:
    """sort, direction and page, strictly: a bad value is named, not quietly replaced."""
    errors: dict[str, list[str]] = {}
    sort = request.query_params.get("sort", "score")
    if sort not in SORTS:
        errors["sort"] = [f"Choose one of: {', '.join(SORTS)}."]
    direction = request.query_params.get("dir")
    if direction not in (None, "asc", "desc"):
        errors["dir"] = ["Choose asc or desc."]
    raw_page = request.query_params.get("page", "1")
    if not raw_page.isascii() or not raw_page.isdigit() or not 1 <= int(raw_page[:9]) <= 10**8:
        errors["page"] = ["A page number from 1."]
    if errors:
        raise validation_problem(errors)
    return sort, None if direction is None else direction == "desc", int(raw_page)


class ComparisonView(ApiView):
    @extend_schema(
        parameters=PARAMETERS,
        responses=ComparisonSerializer,
        summary="The comparison page's rows: each site's latest round (or the round chosen)",
    )
    def get(self, request: Request, slug: str) -> Response:
        # The page's own setup: access ("compare"), the options and the filter form.
        setup = _setup(request._request, slug)
        if setup.form.is_bound and setup.form.errors:
            raise form_problem(setup.form)
        sort, descending, page = _paging(request)
        if setup.filters is None:
            # No submitted assessment yet: nothing to compare.
            empty = {
                "instrument": "",
                "version": "",
                "filters": {},
                "domains": [],
                "count": 0,
                "page": 1,
                "pages": 1,
                "per_page": PER_PAGE_CHOICES[0],
                "sort": sort,
                "descending": bool(descending),
                "summary": None,
                "results": [],
            }
            return Response(ComparisonSerializer(empty).data)
        filters = setup.filters
        per_page = getattr(setup.form, "cleaned_data", {}).get("per_page") or PER_PAGE_CHOICES[0]
        result = comparison.compare_sites(
            setup.membership,
            filters,
            sort=sort,
            descending=descending,
            page=page,
            per_page=per_page,
            focus=None,
        )
        title = _instrument_label(setup.options, filters) or filters.slug
        described = filters.describe(title)
        # Rows across sites leave the app: recorded as the page's CSV export is.
        export_record_create(
            organisation=setup.membership.organisation,
            user=request.user,
            kind="comparison-api",
            rows=len(result.rows),
            filters=described,
        )
        summary = result.summary
        data = {
            "instrument": filters.slug,
            "version": filters.version,
            "filters": dict(described),
            "domains": [{"key": d.key, "title": d.title} for d in result.domains],
            "count": result.total_sites,
            "page": result.page,
            "pages": result.pages,
            "per_page": result.per_page,
            "sort": result.sort,
            "descending": result.descending,
            "summary": {
                "sites": summary.sites,
                "median_score": _f(summary.median_score),
                "verdicts": dict(summary.verdicts),
                "provisional": summary.provisional,
                "with_blockers": summary.with_blockers,
            },
            "results": [_row(row) for row in result.rows],
        }
        return Response(ComparisonSerializer(data).data)
