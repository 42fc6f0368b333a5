"""Cross-site comparison of stored results; the only module that imports pandas.

The database does the filtering and the aggregation over the results stored at submission
(`Assessment.result_*` and `DomainResult`), never a rescoring: a comparison shows what each
site handed in. Every entry point runs a fixed number of queries whatever the number of sites
or rounds: one for the assessments (with the previous round's score as a subquery), one for
the domain results of each site's latest round (a NOT EXISTS subquery picks it), one for the
domain titles. pandas then reshapes those rows (pivot domain × site, ranking, medians,
quartiles) and hands back plain lists and dicts: no DataFrame leaves this module.

Scores travel through pandas as integer tenths in float columns (62.3 -> 623.0): integers
are exact in a float, so a median of two scores (a .5 of a tenth at worst) is exact too and is
rounded half up like every other score (PRODUCT.md, "Rounding").
"""

from __future__ import annotations

import datetime
import io
import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pandas as pd
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
    ExportRecord,
    Instrument,
    Membership,
    Site,
)
from assessments.rounds import version_key
from assessments.scoring import LEVEL_NAMES, round_half_up

logger = logging.getLogger(__name__)

SUBMITTED = Assessment.Status.SUBMITTED
# Above this many visible sites the site filter is a name search, not a list of every site.
SITE_LIST_LIMIT = 200
ROUND_LIST_LIMIT = 500
PER_PAGE_CHOICES = (25, 50, 100)
SORTS = ("score", "name", "change", "blockers")
# The direction each sort starts in: best first, names A–Z, most blockers first.
DEFAULT_DESCENDING = {"score": True, "name": False, "change": True, "blockers": True}
# Strip plots of single sites only while they stay readable and light.
STRIP_LIMIT = 200
# A site admin sees the organisation's median only when this many sites make it up, so that
# no other site's score can be read off it; those who see every site see it from two on.
MEDIAN_MIN_SITES_RESTRICTED = 5
MEDIAN_MIN_SITES = 2
# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
# Control characters: openpyxl refuses them in a cell and spreadsheet programs skip them, so
# "\x01=HYPERLINK(…)" is a formula once they are gone. They are removed before the check.
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --- filters and options ---------------------------------------------------------------------


@dataclass(frozen=True)
class CompareFilters:
    """What the comparison covers; every field narrows the sites or rounds compared."""

    slug: str
    version: str = ""  # "" = every version of the instrument
    round_label: str = ""  # "" = each site's latest round
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    site_ids: tuple[int, ...] = ()
    name: str = ""  # site name contains
    kind: str = ""
    include_archived: bool = False

    def describe(self) -> list[tuple[str, str]]:
        """The filters as (name, value) pairs, for the export's "Filters" sheet."""
        return [
            ("Instrument", self.slug),
            ("Version", self.version or "all versions"),
            ("Round", self.round_label or "latest round of each site"),
            ("From", self.date_from.isoformat() if self.date_from else ""),
            ("To", self.date_to.isoformat() if self.date_to else ""),
            ("Sites", ", ".join(str(pk) for pk in self.site_ids) or "all visible sites"),
            ("Site name contains", self.name),
            ("Kind of site", self.kind or "all kinds"),
            ("Archived sites", "included" if self.include_archived else "left out"),
        ]


@dataclass(frozen=True)
class InstrumentChoice:
    value: str  # "slug" or "slug@version"
    label: str
    slug: str
    version: str
    count: int


@dataclass
class CompareOptions:
    """What the filter form offers: only instruments that have submitted assessments."""

    instruments: list[InstrumentChoice]
    sites: list[tuple[int, str]] | None  # None when there are too many to list
    site_count: int

    @property
    def default_value(self) -> str:
        # The instrument most sites were assessed with; ties alphabetically.
        per_slug = [c for c in self.instruments if not c.version]
        if not per_slug:
            return ""
        return sorted(per_slug, key=lambda c: (-c.count, c.slug))[0].value

    def choice(self, value: str) -> InstrumentChoice | None:
        return next((c for c in self.instruments if c.value == value), None)


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


# --- the queries -------------------------------------------------------------------------------


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


def _round_filters(filters: CompareFilters) -> Q:
    """The conditions on an assessment itself (not on its site)."""
    condition = Q(
        status=SUBMITTED,
        instrument__in=Instrument.objects.filter(slug=filters.slug).values("pk")
        if not filters.version
        else Instrument.objects.filter(slug=filters.slug, version=filters.version).values("pk"),
    )
    if filters.round_label:
        condition &= Q(round_label=filters.round_label)
    if filters.date_from:
        condition &= Q(round_date__gte=filters.date_from)
    if filters.date_to:
        condition &= Q(round_date__lte=filters.date_to)
    return condition


def _submitted(membership: Membership, filters: CompareFilters) -> QuerySet[Assessment]:
    """Submitted assessments of the filtered, visible sites: the rows every view reads."""
    # No ordering: the rows are reshaped in pandas, and a sort would cost the database.
    return Assessment.objects.filter(
        _round_filters(filters), site__in=_sites(membership, filters)
    ).order_by()


def _latest(queryset: QuerySet[Assessment], rounds: Q) -> QuerySet[Assessment]:
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


def _assessment_frame(queryset: QuerySet[Assessment], slug: str) -> pd.DataFrame:
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
    frame = pd.DataFrame.from_records(list(rows), columns=ASSESSMENT_COLUMNS)
    for column in ("score", "completeness", "previous_score", "level"):
        frame[column] = frame[column].astype("float64")
    frame["change"] = frame["score"] - frame["previous_score"]
    return frame


def _domain_frame(queryset: QuerySet[Assessment]) -> pd.DataFrame:
    """Long format: one row per (assessment, domain) of the given assessments."""
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
    frame = pd.DataFrame.from_records(
        list(rows), columns=["id", "domain_key", "score", "level", "applicable", "blockers"]
    )
    frame["score"] = frame["score"].astype("float64")
    frame["level"] = frame["level"].astype("float64")
    frame["blockers"] = frame["blockers"].fillna(0).astype("int64")
    return frame


@dataclass(frozen=True)
class DomainColumn:
    key: str
    title: str


def _domains(filters: CompareFilters) -> list[DomainColumn]:
    """The instrument's domains in order, titles from its newest version (1 query).

    Domains found only in older versions follow, so that no stored result is left out.
    """
    queryset = Domain.objects.filter(instrument__slug=filters.slug)
    if filters.version:
        queryset = queryset.filter(instrument__version=filters.version)
    rows = list(queryset.values_list("key", "title", "order", "instrument__version"))
    rows.sort(key=lambda r: (version_key(r[3]), r[2]), reverse=True)
    newest = rows[0][3] if rows else ""
    seen: dict[str, tuple[tuple[int, Any], str]] = {}
    for key, title, order, version in rows:
        if key not in seen:
            rank = (0 if version == newest else 1, order)
            seen[key] = (rank, title)
    ordered = sorted(seen.items(), key=lambda item: item[1][0])
    return [DomainColumn(key, title) for key, (_, title) in ordered]


# --- numbers ----------------------------------------------------------------------------------


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def from_tenths(value: Any) -> Decimal | None:
    """A score from integer tenths (or a median's half tenth), rounded half up to 0.1."""
    if _missing(value):
        return None
    number = float(value)
    if number.is_integer():
        return Decimal(int(number)).scaleb(-1)
    return round_half_up(Fraction(number) / 10)


def _int(value: Any) -> int | None:
    return None if _missing(value) else int(value)


# --- the comparison page -----------------------------------------------------------------------


@dataclass
class Comparison:
    """Everything the comparison page shows, as plain Python data."""

    filters: CompareFilters
    domains: list[DomainColumn]
    rows: list[dict[str, Any]]  # the ranking page, in display order
    total_sites: int
    page: int
    pages: int
    per_page: int
    sort: str
    descending: bool
    summary: dict[str, Any]
    rounds: list[str]  # round labels of the trend, oldest first
    trend: list[dict[str, Any]]  # {"site", "site_id", "scores": [Decimal|None per round]}
    trend_median: list[Decimal | None]
    distribution: list[dict[str, Any]]  # per domain: count, min, q1, median, q3, max, points
    focus_found: bool = False

    @property
    def first_rank(self) -> int:
        return (self.page - 1) * self.per_page + 1

    @property
    def last_rank(self) -> int:
        return self.first_rank + len(self.rows) - 1

    @property
    def page_numbers(self) -> list[int]:
        """A short run of page numbers around the current one, for the pager."""
        start = max(1, min(self.page - 2, self.pages - 4))
        return list(range(start, min(self.pages, start + 4) + 1))


def _order(frame: pd.DataFrame, sort: str, descending: bool) -> pd.DataFrame:
    """Sort the ranking; sites without a value sort last either way, ties by name."""
    frame = frame.assign(_name=frame["site"].str.casefold())
    if sort == "name":
        keys, ascending = ["_name", "site_id"], [not descending, True]
    else:
        column = {"score": "score", "change": "change", "blockers": "blockers"}[sort]
        keys, ascending = [column, "_name", "site_id"], [not descending, True, True]
    return frame.sort_values(keys, ascending=ascending, na_position="last", kind="mergesort")


def compare_sites(
    membership: Membership,
    filters: CompareFilters,
    *,
    sort: str = "score",
    descending: bool | None = None,
    page: int = 1,
    per_page: int = PER_PAGE_CHOICES[0],
    focus: int | None = None,
) -> Comparison:
    """The comparison page's data: ranking, heatmap rows, trend and distribution (3 queries).

    `focus` (a site id) moves to the page where that site is, unless a page was asked for.
    """
    sort = sort if sort in SORTS else "score"
    descending = DEFAULT_DESCENDING[sort] if descending is None else descending
    per_page = per_page if per_page in PER_PAGE_CHOICES else PER_PAGE_CHOICES[0]
    submitted = _submitted(membership, filters)
    assessments = _assessment_frame(submitted, filters.slug)
    domain_rows = _domain_frame(_latest(submitted, _round_filters(filters)))
    domains = _domains(filters)

    # Each site's latest round, in the same order the database used for `_latest`.
    latest = assessments.sort_values(["round_date", "id"]).drop_duplicates("site_id", keep="last")
    blockers = domain_rows.groupby("id")["blockers"].sum()
    latest = latest.assign(blockers=latest["id"].map(blockers).fillna(0).astype("int64"))
    ranked = _order(latest, sort, descending)
    total = len(ranked)
    pages = max(1, math.ceil(total / per_page))
    focus_found = False
    if focus is not None:
        positions = ranked.reset_index(drop=True).index[ranked["site_id"].to_numpy() == focus]
        if len(positions):
            focus_found = True
            page = int(positions[0]) // per_page + 1
    page = min(max(1, page), pages)
    shown = ranked.iloc[(page - 1) * per_page : page * per_page]

    # Domain scores of the shown sites only: the heatmap and the table of this page.
    shown_domains = domain_rows[domain_rows["id"].isin(shown["id"])]
    scores = shown_domains.pivot(index="id", columns="domain_key", values="score")
    levels = shown_domains.pivot(index="id", columns="domain_key", values="level")
    applicable = shown_domains.pivot(index="id", columns="domain_key", values="applicable")
    rows = []
    for record in shown.to_dict("records"):
        aid = record["id"]
        cells = []
        for domain in domains:
            has = aid in scores.index and domain.key in scores.columns
            cells.append(
                {
                    "key": domain.key,
                    "title": domain.title,
                    "score": from_tenths(scores.at[aid, domain.key]) if has else None,
                    "level": _int(levels.at[aid, domain.key]) if has else None,
                    "applicable": bool(applicable.at[aid, domain.key])
                    if has and not _missing(applicable.at[aid, domain.key])
                    else None,
                }
            )
        rows.append(_row(record, cells, focus))

    summary = _summary(latest)
    rounds, trend, trend_median = _trend(assessments, [int(s) for s in shown["site_id"]])
    distribution = _distribution(domain_rows, latest, domains)
    return Comparison(
        filters=filters,
        domains=domains,
        rows=rows,
        total_sites=total,
        page=page,
        pages=pages,
        per_page=per_page,
        sort=sort,
        descending=descending,
        summary=summary,
        rounds=rounds,
        trend=trend,
        trend_median=trend_median,
        distribution=distribution,
        focus_found=focus_found,
    )


def _row(record: dict[str, Any], cells: list[dict[str, Any]], focus: int | None) -> dict[str, Any]:
    level = _int(record["level"])
    return {
        "assessment_id": int(record["id"]),
        "site_id": int(record["site_id"]),
        "site": str(record["site"]),
        "kind": str(record["kind"]),
        "kind_display": Site.Kind(record["kind"]).label
        if record["kind"] in Site.Kind.values
        else str(record["kind"]),
        "round_label": str(record["round_label"]),
        "round_date": record["round_date"],
        "version": str(record["version"]),
        "score": from_tenths(record["score"]),
        "level": level,
        "level_name": LEVEL_NAMES.get(level, "") if level else "",
        "verdict": str(record["verdict"] or ""),
        "provisional": bool(record["provisional"]),
        "completeness": from_tenths(record["completeness"]),
        "blockers": int(record["blockers"]),
        "previous_score": from_tenths(record["previous_score"]),
        "change": from_tenths(record["change"]),
        "domains": cells,
        "focus": focus is not None and int(record["site_id"]) == focus,
    }


def _summary(latest: pd.DataFrame) -> dict[str, Any]:
    verdicts = latest["verdict"].fillna("").replace("", "—").value_counts()
    return {
        "sites": len(latest),
        "median_score": from_tenths(latest["score"].median()) if len(latest) else None,
        "verdicts": [
            (name, int(verdicts.get(name, 0)))
            for name in ("Ready", "Conditionally ready", "Not ready", "—")
            if int(verdicts.get(name, 0))
        ],
        "provisional": int(latest["provisional"].sum()) if len(latest) else 0,
        "with_blockers": int((latest["blockers"] > 0).sum()) if len(latest) else 0,
    }


def _trend(
    assessments: pd.DataFrame, site_ids: Sequence[int]
) -> tuple[list[str], list[dict[str, Any]], list[Decimal | None]]:
    """Overall score per round: one line per shown site, and the median of every site.

    Rounds are ordered by the first date any site used them; a site with two assessments of
    one round counts with the later one.
    """
    if assessments.empty:
        return [], [], []
    order = assessments.groupby("round_label")["round_date"].min().sort_values(kind="mergesort")
    rounds = [str(label) for label in order.index]
    per_site = assessments.sort_values(["round_date", "id"]).drop_duplicates(
        ["site_id", "round_label"], keep="last"
    )
    table = per_site.pivot(index="site_id", columns="round_label", values="score").reindex(
        columns=rounds
    )
    medians = table.median(axis=0, skipna=True)
    names = per_site.drop_duplicates("site_id").set_index("site_id")["site"]
    series = [
        {
            "site_id": int(site_id),
            "site": str(names.get(site_id, "")),
            "scores": [from_tenths(v) for v in table.loc[site_id].tolist()],
        }
        for site_id in site_ids
        if site_id in table.index
    ]
    return rounds, series, [from_tenths(medians.get(r)) for r in rounds]


def _distribution(
    domain_rows: pd.DataFrame, latest: pd.DataFrame, domains: list[DomainColumn]
) -> list[dict[str, Any]]:
    """Per domain, the spread of the sites' latest scores: five-number summary, and the
    single points while there are few enough sites to draw them."""
    scored = domain_rows.dropna(subset=["score"])
    names = latest.set_index("id")["site"]
    grouped = scored.groupby("domain_key")["score"]
    stats = grouped.describe() if len(scored) else pd.DataFrame()
    result = []
    for domain in domains:
        if domain.key not in stats.index:
            result.append({"key": domain.key, "title": domain.title, "count": 0, "points": []})
            continue
        row = stats.loc[domain.key]
        points: list[tuple[str, Decimal | None]] = []
        if int(row["count"]) <= STRIP_LIMIT:
            part = scored[scored["domain_key"] == domain.key]
            points = [
                (str(names.get(aid, "")), from_tenths(score))
                for aid, score in zip(part["id"], part["score"], strict=True)
            ]
        result.append(
            {
                "key": domain.key,
                "title": domain.title,
                "count": int(row["count"]),
                "min": from_tenths(row["min"]),
                "q1": from_tenths(row["25%"]),
                "median": from_tenths(row["50%"]),
                "q3": from_tenths(row["75%"]),
                "max": from_tenths(row["max"]),
                "points": points,
            }
        )
    return result


# --- a site against the organisation ------------------------------------------------------------


@dataclass
class SiteStanding:
    """A site's latest submitted results next to the organisation's median per domain."""

    assessment_id: int
    round_label: str
    round_date: datetime.date
    instrument_title: str
    overall: Decimal | None
    overall_median: Decimal | None
    sites: int  # how many sites make up the median
    domains: list[dict[str, Any]] = field(default_factory=list)
    shown: bool = True  # False when too few sites make up the median to show it
    minimum: int = MEDIAN_MIN_SITES  # how many sites it takes to show the median

    @property
    def overall_difference(self) -> Decimal | None:
        if self.overall is None or self.overall_median is None:
            return None
        return self.overall - self.overall_median


def site_standing(*, site: Site, membership: Membership) -> SiteStanding | None:
    """Where the site stands against the median of its organisation's sites (3 queries).

    Both sides read each site's latest submitted assessment of the same instrument (any
    version). Archived sites are left out of the median. None when the site has no
    submitted assessment.
    """
    latest_own = (
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
    if latest_own is None:
        return None
    pk, label, date, slug, title, instrument_id = latest_own
    peers = Assessment.objects.filter(
        status=SUBMITTED,
        instrument__slug=slug,
        site__organisation_id=site.organisation_id,
        site__archived=False,
    )
    latest = _latest(peers, Q(status=SUBMITTED, instrument__slug=slug)) | Assessment.objects.filter(
        pk=pk
    )
    rows = (
        DomainResult.objects.filter(assessment__in=latest.values("pk"))
        .order_by()
        .values_list(
            "assessment_id",
            "assessment__site_id",
            tenths("assessment__result_score"),
            "domain_key",
            tenths("score"),
        )
    )
    frame = pd.DataFrame.from_records(
        list(rows), columns=["id", "site_id", "overall", "domain_key", "score"]
    )
    frame["score"] = frame["score"].astype("float64")
    frame["overall"] = frame["overall"].astype("float64")
    # An archived site's own page still compares it (its own latest assessment, added above).
    peers_only = frame[(frame["site_id"] != site.pk) | (frame["id"] == pk)]
    medians = peers_only.groupby("domain_key")["score"].median()
    overall = peers_only.drop_duplicates("id")["overall"].median()
    sites = int(peers_only["site_id"].nunique())
    own = frame[frame["id"] == pk].set_index("domain_key")["score"]
    minimum = (
        MEDIAN_MIN_SITES
        if membership.role != Membership.Role.SITE_ADMIN
        else MEDIAN_MIN_SITES_RESTRICTED
    )
    titles = list(
        Domain.objects.filter(instrument_id=instrument_id)
        .order_by("order")
        .values_list("key", "title")
    )
    own_overall = peers_only.loc[peers_only["id"] == pk, "overall"]
    standing = SiteStanding(
        assessment_id=pk,
        round_label=label,
        round_date=date,
        instrument_title=title,
        overall=from_tenths(own_overall.iloc[0]) if len(own_overall) else None,
        overall_median=from_tenths(overall),
        sites=sites,
        shown=sites >= minimum,
        minimum=minimum,
    )
    for key, domain_title in titles:
        score = from_tenths(own.get(key))
        median = from_tenths(medians.get(key))
        standing.domains.append(
            {
                "key": key,
                "title": domain_title,
                "score": score,
                "median": median,
                "difference": None if score is None or median is None else score - median,
            }
        )
    return standing


# --- exports -----------------------------------------------------------------------------------


def neutralise(value: Any) -> Any:
    """Text without control characters; if a spreadsheet would run it as a formula, it is
    prefixed with a single quote. The characters go first: checked before, they hid the "="."""
    if not isinstance(value, str):
        return value
    value = _ILLEGAL_XLSX.sub("", value)
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


EXPORT_HEADERS = [
    "Site",
    "Kind",
    "Round",
    "Round date",
    "Instrument",
    "Version",
    "Overall score",
    "Level",
    "Verdict",
    "Provisional",
    "Completeness",
    "Blockers",
    "Change since previous round",
]


def _neutralise_column(column: pd.Series) -> pd.Series:
    """`neutralise` for a whole text column at once."""
    text = column.fillna("").astype(str).str.replace(_ILLEGAL_XLSX, "", regex=True)
    return text.where(~text.str.startswith(FORMULA_PREFIXES), "'" + text)


def _export_frame(
    membership: Membership, filters: CompareFilters
) -> tuple[list[str], pd.DataFrame]:
    """The table behind the page as headers and a frame with positional column names
    (so that a domain titled like a fixed column cannot clash). Three queries."""
    submitted = _submitted(membership, filters)
    assessments = _assessment_frame(submitted, filters.slug)
    domain_rows = _domain_frame(submitted)
    domains = _domains(filters)
    blockers = domain_rows.groupby("id")["blockers"].sum()
    domain_keys = [d.key for d in domains]
    scores = domain_rows.pivot(index="id", columns="domain_key", values="score").reindex(
        columns=domain_keys
    )
    # Prefixed, so that a domain called "site" or "level" cannot clash with a column.
    scores.columns = [f"domain:{key}" for key in domain_keys]
    table = (
        assessments.assign(
            blockers=assessments["id"].map(blockers).fillna(0).astype("int64"),
            _name=assessments["site"].str.casefold(),
        )
        .sort_values(["_name", "site_id", "round_date", "id"], kind="mergesort")
        .join(scores, on="id")
        .reset_index(drop=True)
    )
    kinds = dict(Site.Kind.choices)
    # Scores are integer tenths: a tenth of one is the float nearest to the decimal (61.7).
    columns: list[pd.Series] = [
        _neutralise_column(table["site"]),
        _neutralise_column(table["kind"].map(lambda k: kinds.get(k, k))),
        _neutralise_column(table["round_label"]),
        table["round_date"],
        _neutralise_column(pd.Series([filters.slug] * len(table), dtype=object)),
        _neutralise_column(table["version"]),
        table["score"] / 10,
        table["level"].astype("Int64"),
        _neutralise_column(table["verdict"]),
        table["provisional"].map({True: "yes", False: "no"}),
        table["completeness"] / 10,
        table["blockers"],
        table["change"] / 10,
        *(table[f"domain:{key}"] / 10 for key in domain_keys),
    ]
    frame = (
        pd.concat(columns, axis=1, ignore_index=True)
        if len(table)
        else pd.DataFrame(columns=range(len(columns)))
    )
    titles = [d.title for d in domains]
    # Two domains with one title (a renamed domain in another version) keep apart by key.
    duplicated = {t for t in titles if titles.count(t) > 1}
    headers = EXPORT_HEADERS + [
        f"{d.title} ({d.key})" if d.title in duplicated else d.title for d in domains
    ]
    return [str(neutralise(h)) for h in headers], frame


def comparison_table(
    membership: Membership, filters: CompareFilters
) -> tuple[list[str], list[list[Any]]]:
    """The table behind the page: one row per site and round, every domain's score a column.

    Values are plain Python (str, int, float, date, None); text is neutralised against
    formula injection. Three queries whatever the size.
    """
    headers, frame = _export_frame(membership, filters)
    plain = frame.astype(object).where(frame.notna(), None)
    return headers, [[_python(v) for v in row] for row in plain.itertuples(index=False)]


def _python(value: Any) -> Any:
    # numpy scalars become int/float, so that templates and tests see plain values.
    return value.item() if hasattr(value, "item") else value


def export_csv(membership: Membership, filters: CompareFilters, *, user: Any) -> bytes:
    """The comparison table as UTF-8 CSV (no byte-order mark: the Excel export is for Excel)."""
    headers, frame = _export_frame(membership, filters)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=headers, lineterminator="\r\n")
    _log_export("csv", membership, filters, user, len(frame))
    return buffer.getvalue().encode("utf-8")


def export_xlsx(
    membership: Membership,
    filters: CompareFilters,
    *,
    user: Any,
    now: datetime.datetime | None = None,
) -> bytes:
    """The comparison table as an Excel workbook: "Scores" and "Filters" (who, when, what)."""
    from django.utils import timezone

    headers, frame = _export_frame(membership, filters)
    now = now or timezone.now()
    who = (user.get_full_name() or user.get_username()) if user is not None else ""
    scores = frame.astype(object).where(frame.notna(), None)
    for column in scores.columns:
        if scores[column].map(lambda v: isinstance(v, str)).any():
            scores[column] = scores[column].map(_xlsx_text)
    described = [
        ("Organisation", membership.organisation.name),
        *filters.describe(),
        ("Rows", str(len(frame))),
        ("Exported by", who),
        ("Exported at", timezone.localtime(now).strftime("%Y-%m-%d %H:%M %Z")),
    ]
    filters_sheet = pd.DataFrame(
        [[_xlsx_text(neutralise(a)), _xlsx_text(neutralise(b))] for a, b in described],
        columns=["Filter", "Value"],
    )
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        scores.to_excel(
            writer, sheet_name="Scores", index=False, header=[_xlsx_text(h) for h in headers]
        )
        filters_sheet.to_excel(writer, sheet_name="Filters", index=False)
        sheet = writer.sheets["Scores"]
        sheet.freeze_panes = "B2"
        for index, header in enumerate(headers, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            sheet.column_dimensions[letter].width = min(40, max(10, len(str(header)) + 2))
        writer.sheets["Filters"].column_dimensions["A"].width = 22
        writer.sheets["Filters"].column_dimensions["B"].width = 60
    _log_export("xlsx", membership, filters, user, len(frame))
    return buffer.getvalue()


def _xlsx_text(value: Any) -> Any:
    # openpyxl refuses control characters in a cell; they carry no meaning in a name.
    if isinstance(value, str):
        return _ILLEGAL_XLSX.sub("", value)
    return value


def _log_export(
    kind: str, membership: Membership, filters: CompareFilters, user: Any, rows: int
) -> None:
    # An AuditEntry belongs to one assessment; an export spans many, so the organisation
    # keeps its own record of it.
    ExportRecord.objects.create(
        organisation_id=membership.organisation_id,
        user=user if getattr(user, "pk", None) else None,
        kind=f"comparison-{kind}",
        rows=rows,
        filters={str(key): str(value) for key, value in filters.describe()},
    )
    logger.info(
        "comparison export %s: organisation=%s user=%s rows=%d filters=%s",
        kind,
        membership.organisation.slug,
        getattr(user, "pk", None),
        rows,
        dict(filters.describe()),
    )
