"""The comparison's database side: filtered, access-checked queries that return plain rows.

The database does the filtering and picks each site's latest round, over the results stored
at submission (`Assessment.result_*` and `DomainResult`), never a rescoring: a comparison
shows what each site handed in. Each function runs one query whatever the number of sites or
rounds. Scores leave the database as integer tenths (62.3 -> 623, see `tenths`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any, cast

from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Cast, Round

from assessments import access
from assessments.models import (
    Assessment,
    Domain,
    DomainResult,
    Instrument,
    Membership,
    Site,
)
from assessments.rounds import version_key
from reports.comparison.filters import (
    ROUND_LIST_LIMIT,
    SITE_LIST_LIMIT,
    CompareFilters,
    CompareOptions,
    InstrumentChoice,
)
from reports.comparison.rows import DomainColumn

SUBMITTED = Assessment.Status.SUBMITTED

# One submitted assessment: id, site id, site name, kind, round label, round date, version,
# score, level, verdict, provisional, completeness, the score of the site's round before it.
AssessmentRow = tuple[
    int,
    int,
    str,
    str,
    str,
    datetime.date,
    str,
    int | None,
    int | None,
    str,
    bool,
    int | None,
    int | None,
]
ASSESSMENT_COLUMNS = [
    "id",
    "site_id",
    "site",
    "kind",
    "round_label",
    "round_date",
    "version",
    "score",
    "level",
    "verdict",
    "provisional",
    "completeness",
    "previous_score",
]
# One domain of a submitted assessment: assessment id, domain key, score, level, applicable,
# number of blockers.
DomainRow = tuple[int, str, int | None, int | None, bool, int | None]
DOMAIN_COLUMNS = ["id", "domain_key", "score", "level", "applicable", "blockers"]
# For a site's standing: assessment id, site id, overall score, domain key, domain score.
StandingRow = tuple[int, int, int | None, str, int | None]
STANDING_COLUMNS = ["id", "site_id", "overall", "domain_key", "score"]


def compare_options(membership: Membership) -> CompareOptions:
    """Instruments with submitted assessments at visible sites, and the sites (2 queries)."""
    rows = (
        Assessment.objects.filter(status=SUBMITTED, site__in=access.visible_sites(membership))
        .values_list("instrument__slug", "instrument__version", "instrument__title")
        .annotate(n=Count("id"))
        .order_by("instrument__slug", "instrument__version")
    )
    by_slug: dict[str, list[tuple[str, str, int]]] = {}
    for slug, version, title, count in rows:
        by_slug.setdefault(slug, []).append((version, title, count))
    choices: list[InstrumentChoice] = []
    for slug, versions in by_slug.items():
        versions.sort(key=lambda v: version_key(v[0]))
        title = versions[-1][1]
        total = sum(v[2] for v in versions)
        choices.append(InstrumentChoice(slug, f"{title} — all versions ({total})", slug, "", total))
        if len(versions) > 1:
            for version, vtitle, count in versions:
                choices.append(
                    InstrumentChoice(
                        f"{slug}@{version}", f"{vtitle} {version} ({count})", slug, version, count
                    )
                )
    sites = list(
        access.visible_sites(membership)
        .order_by("name")
        .values_list("pk", "name")[: SITE_LIST_LIMIT + 1]
    )
    too_many = len(sites) > SITE_LIST_LIMIT
    return CompareOptions(
        instruments=choices,
        sites=None if too_many else sites,
        site_count=len(sites),
    )


def round_labels(membership: Membership, slug: str) -> list[str]:
    """Round labels used by submitted assessments of the instrument, oldest first (1 query)."""
    rows = (
        Assessment.objects.filter(
            status=SUBMITTED, site__in=access.visible_sites(membership), instrument__slug=slug
        )
        .values("round_label")
        .annotate(first=Min("round_date"))
        .order_by("first", "round_label")
        .values_list("round_label", flat=True)[:ROUND_LIST_LIMIT]
    )
    return list(rows)


def visible_site_ids(membership: Membership, ids: Iterable[int]) -> set[int]:
    """Which of `ids` the membership may see (1 query); the others are treated as unknown."""
    return set(
        access.visible_sites(membership).filter(pk__in=list(ids)).values_list("pk", flat=True)
    )


class JSONArrayLength(Func):
    """The length of a JSON array column, counted by the database (SQLite and PostgreSQL)."""

    function = "JSON_ARRAY_LENGTH"
    output_field = IntegerField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="JSONB_ARRAY_LENGTH", **extra)


def tenths(field: str) -> Cast:
    """A one-decimal score as integer tenths, computed by the database (62.3 -> 623).

    Integers cross the database driver without Decimal conversion, the main cost of reading
    tens of thousands of scores; ROUND first, so that a float 622.99… on SQLite is still 623.
    """
    return Cast(Round(F(field) * 10), IntegerField())


def _sites(membership: Membership, filters: CompareFilters) -> QuerySet[Site]:
    sites = access.visible_sites(membership)
    if not filters.include_archived:
        sites = sites.filter(archived=False)
    if filters.site_ids:
        sites = sites.filter(pk__in=filters.site_ids)
    if filters.name:
        sites = sites.filter(name__icontains=filters.name)
    if filters.kind:
        sites = sites.filter(kind=filters.kind)
    return sites


def round_filters(filters: CompareFilters) -> Q:
    """The conditions on an assessment itself (not on its site)."""
    instruments = Instrument.objects.filter(slug=filters.slug)
    if filters.version:
        instruments = instruments.filter(version=filters.version)
    condition = Q(status=SUBMITTED, instrument__in=instruments.values("pk"))
    if filters.round_label:
        condition &= Q(round_label=filters.round_label)
    if filters.date_from:
        condition &= Q(round_date__gte=filters.date_from)
    if filters.date_to:
        condition &= Q(round_date__lte=filters.date_to)
    return condition


def submitted(membership: Membership, filters: CompareFilters) -> QuerySet[Assessment]:
    """Submitted assessments of the filtered, visible sites: the rows every view reads."""
    # No ordering: the rows are reshaped in pandas, and a sort would cost the database.
    return Assessment.objects.filter(
        round_filters(filters), site__in=_sites(membership, filters)
    ).order_by()


def latest(queryset: QuerySet[Assessment], rounds: Q) -> QuerySet[Assessment]:
    """Each site's latest round among `queryset`, chosen by the database.

    A later round of the same site must meet the same round conditions (`rounds`); its
    site is the outer row's, which already passed the site filters, so the NOT EXISTS
    stays a cheap lookup on the (site, status, round_date) index.
    """
    later = Assessment.objects.filter(rounds, site_id=OuterRef("site_id")).filter(
        Q(round_date__gt=OuterRef("round_date"))
        | Q(round_date=OuterRef("round_date"), pk__gt=OuterRef("pk"))
    )
    return queryset.filter(~Exists(later))


def other_instrument_rows(
    membership: Membership, filters: CompareFilters
) -> list[tuple[int, str, str, str]]:
    """Filtered, visible sites with no submitted round of the compared instrument (any
    version) but one of another: site id, name, and the slug and title of the instrument of
    its latest submitted round (1 query), by site name."""
    compared = Assessment.objects.filter(status=SUBMITTED, instrument__slug=filters.slug)
    rows = (
        Assessment.objects.filter(status=SUBMITTED, site__in=_sites(membership, filters))
        .exclude(instrument__slug=filters.slug)
        .exclude(site_id__in=compared.values("site_id"))
        .order_by("site__name", "site_id", "-round_date", "-pk")
        .values_list("site_id", "site__name", "instrument__slug", "instrument__title")
    )
    latest_per_site: dict[int, tuple[int, str, str, str]] = {}
    for row in rows:
        latest_per_site.setdefault(row[0], row)
    return list(latest_per_site.values())


def assessment_rows(queryset: QuerySet[Assessment], slug: str) -> list[AssessmentRow]:
    """One row per submitted assessment, with the score of the site's round before it.

    "Before" means the previous submitted round of the same site and instrument (any
    version), whatever the filters: a change is a change since the round before.
    """
    previous = (
        Assessment.objects.filter(
            site_id=OuterRef("site_id"), status=SUBMITTED, instrument__slug=slug
        )
        .filter(
            Q(round_date__lt=OuterRef("round_date"))
            | Q(round_date=OuterRef("round_date"), pk__lt=OuterRef("pk"))
        )
        .order_by("-round_date", "-pk")
        .values(t=tenths("result_score"))[:1]
    )
    rows = queryset.values_list(
        "id",
        "site_id",
        "site__name",
        "site__kind",
        "round_label",
        "round_date",
        "instrument__version",
        tenths("result_score"),
        "result_level",
        "result_verdict",
        "result_provisional",
        tenths("result_completeness"),
        Subquery(previous, output_field=IntegerField()),
    )
    return cast(list[AssessmentRow], list(rows))


def domain_rows(queryset: QuerySet[Assessment]) -> list[DomainRow]:
    """One row per (assessment, domain) of the given assessments."""
    rows = (
        DomainResult.objects.filter(assessment__in=queryset.values("pk"))
        .order_by()
        .values_list(
            "assessment_id",
            "domain_key",
            tenths("score"),
            "level",
            "applicable",
            JSONArrayLength("blockers"),
        )
    )
    return cast(list[DomainRow], list(rows))


def instrument_title(filters: CompareFilters) -> str:
    """The title of the compared instrument (its newest version's, or the chosen version's),
    for the exports; the slug when it is unknown (1 query)."""
    queryset = Instrument.objects.filter(slug=filters.slug)
    if filters.version:
        queryset = queryset.filter(version=filters.version)
    rows = list(queryset.values_list("version", "title"))
    if not rows:
        return filters.slug
    return max(rows, key=lambda row: version_key(row[0]))[1]


def domain_columns(filters: CompareFilters) -> list[DomainColumn]:
    """The instrument's domains in order, titles from its newest version (1 query).

    Domains found only in older versions follow, so that no stored result is left out.
    """
    queryset = Domain.objects.filter(instrument__slug=filters.slug)
    if filters.version:
        queryset = queryset.filter(instrument__version=filters.version)
    rows = list(queryset.values_list("key", "title", "order", "instrument__version"))
    rows.sort(key=lambda r: (version_key(r[3]), r[2]), reverse=True)
    newest = rows[0][3] if rows else ""
    seen: dict[str, tuple[tuple[int, int], str]] = {}
    for key, title, order, version in rows:
        if key not in seen:
            rank = (0 if version == newest else 1, order)
            seen[key] = (rank, title)
    ordered = sorted(seen.items(), key=lambda item: item[1][0])
    return [DomainColumn(key, title) for key, (_, title) in ordered]


# --- a site against the organisation ------------------------------------------------------------


def latest_submitted(site: Site) -> tuple[int, str, datetime.date, str, str, int] | None:
    """The site's latest submitted assessment: id, round label and date, instrument slug,
    title and id (1 query); None when it has none."""
    row = (
        Assessment.objects.filter(site=site, status=SUBMITTED)
        .order_by("-round_date", "-pk")
        .values_list(
            "pk",
            "round_label",
            "round_date",
            "instrument__slug",
            "instrument__title",
            "instrument_id",
        )
        .first()
    )
    return cast(tuple[int, str, datetime.date, str, str, int] | None, row)


def standing_rows(*, site: Site, assessment_id: int, slug: str) -> list[StandingRow]:
    """The domain results of the latest submitted round of the instrument at every
    non-archived site of the organisation, and of the given assessment (1 query)."""
    peers = Assessment.objects.filter(
        status=SUBMITTED,
        instrument__slug=slug,
        site__organisation_id=site.organisation_id,
        site__archived=False,
    )
    chosen = latest(peers, Q(status=SUBMITTED, instrument__slug=slug)) | Assessment.objects.filter(
        pk=assessment_id
    )
    rows = (
        DomainResult.objects.filter(assessment__in=chosen.values("pk"))
        .order_by()
        .values_list(
            "assessment_id",
            "assessment__site_id",
            tenths("assessment__result_score"),
            "domain_key",
            tenths("score"),
        )
    )
    return cast(list[StandingRow], list(rows))


def domain_titles(instrument_id: int) -> list[tuple[str, str]]:
    """(key, title) of the instrument version's domains in order (1 query)."""
    return list(
        Domain.objects.filter(instrument_id=instrument_id)
        .order_by("order")
        .values_list("key", "title")
    )
