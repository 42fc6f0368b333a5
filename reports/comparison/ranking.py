"""The comparison page's data: ranking, heatmap rows, trend and distribution, from pandas."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pandas as pd

from assessments.models import Membership, Site
from assessments.scoring import (
    LEVEL_NAMES,
    VERDICT_CONDITIONAL,
    VERDICT_NOT_READY,
    VERDICT_READY,
)
from reports.comparison import queries
from reports.comparison.filters import (
    DEFAULT_DESCENDING,
    PER_PAGE_CHOICES,
    SORTS,
    CompareFilters,
)
from reports.comparison.frames import (
    assessment_frame,
    domain_frame,
    from_tenths,
    missing,
    to_int,
    wide,
)
from reports.comparison.rows import (
    Comparison,
    DomainCell,
    DomainColumn,
    DomainSpread,
    LeftOutSite,
    MostImproved,
    RankedSite,
    Summary,
    TrendLine,
)

# Strip plots of single sites only while they stay readable and light.
STRIP_LIMIT = 200
# How the summary counts a site without a verdict (every domain not applicable).
NO_VERDICT = "—"
VERDICT_ORDER = (VERDICT_READY, VERDICT_CONDITIONAL, VERDICT_NOT_READY, NO_VERDICT)
_KINDS = dict(Site.Kind.choices)


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
    """The comparison page's data: ranking, heatmap rows, trend and distribution, the
    most improved site and the sites left out for being on another instrument (4 queries).

    `focus` (a site id) moves to the page where that site is, unless a page was asked for.
    """
    sort = sort if sort in SORTS else "score"
    descending = DEFAULT_DESCENDING[sort] if descending is None else descending
    per_page = per_page if per_page in PER_PAGE_CHOICES else PER_PAGE_CHOICES[0]
    submitted = queries.submitted(membership, filters)
    assessments = assessment_frame(queries.assessment_rows(submitted, filters.slug))
    domain_rows = domain_frame(
        queries.domain_rows(queries.latest(submitted, queries.round_filters(filters)))
    )
    domains = queries.domain_columns(filters)

    # Each site's latest round, in the same order the database used for `latest`.
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
    cells = _cells(shown_domains)
    rows = [
        _row(record, [_cell(cells, int(record["id"]), d) for d in domains], focus)
        for record in shown.to_dict("records")
    ]
    rounds, trend, trend_median = _trend(assessments, [int(s) for s in shown["site_id"]])
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
        summary=_summary(latest),
        rounds=rounds,
        trend=trend,
        trend_median=trend_median,
        distribution=_distribution(domain_rows, latest, domains),
        focus_found=focus_found,
        left_out=[LeftOutSite(*row) for row in queries.other_instrument_rows(membership, filters)],
        most_improved=_most_improved(latest),
    )


def _most_improved(latest: pd.DataFrame) -> MostImproved | None:
    """The largest change of overall score since the site's previous round (a fall when
    every site fell); ties go to the site first by name. None when no site has two rounds."""
    moved = latest.dropna(subset=["change"])
    if moved.empty:
        return None
    moved = moved.assign(_name=moved["site"].str.casefold()).sort_values(
        ["change", "_name", "site_id"], ascending=[False, True, True], kind="mergesort"
    )
    best = moved.iloc[0]
    change = from_tenths(best["change"])
    if change is None:  # not reached: rows without a change were dropped
        return None
    return MostImproved(
        site_id=int(best["site_id"]),
        site=str(best["site"]),
        change=change,
        score=from_tenths(best["score"]),
        previous_score=from_tenths(best["previous_score"]),
    )


def _order(frame: pd.DataFrame, sort: str, descending: bool) -> pd.DataFrame:
    """Sort the ranking; sites without a value sort last either way, ties by name."""
    frame = frame.assign(_name=frame["site"].str.casefold())
    if sort == "name":
        keys, ascending = ["_name", "site_id"], [not descending, True]
    else:
        column = {"score": "score", "change": "change", "blockers": "blockers"}[sort]
        keys, ascending = [column, "_name", "site_id"], [not descending, True, True]
    return frame.sort_values(keys, ascending=ascending, na_position="last", kind="mergesort")


_Cell = tuple[Any, Any, Any]  # score (tenths), level, applicable, as pandas holds them


def _cells(frame: pd.DataFrame) -> dict[tuple[int, str], _Cell]:
    """The page's domain results by (assessment id, domain key): a page has few sites."""
    return {
        (int(aid), str(key)): (score, level, applicable)
        for aid, key, score, level, applicable in zip(
            frame["id"],
            frame["domain_key"],
            frame["score"],
            frame["level"],
            frame["applicable"],
            strict=True,
        )
    }


def _cell(cells: dict[tuple[int, str], _Cell], aid: int, domain: DomainColumn) -> DomainCell:
    found = cells.get((aid, domain.key))
    if found is None:
        return DomainCell(domain.key, domain.title, None, None, None)
    score, level, applicable = found
    return DomainCell(
        key=domain.key,
        title=domain.title,
        score=from_tenths(score),
        level=to_int(level),
        applicable=None if missing(applicable) else bool(applicable),
    )


def _row(record: dict[str, Any], cells: list[DomainCell], focus: int | None) -> RankedSite:
    level = to_int(record["level"])
    kind = str(record["kind"])
    return RankedSite(
        assessment_id=int(record["id"]),
        site_id=int(record["site_id"]),
        site=str(record["site"]),
        kind=kind,
        kind_display=str(_KINDS.get(kind, kind)),
        round_label=str(record["round_label"]),
        round_date=record["round_date"],
        version=str(record["version"]),
        score=from_tenths(record["score"]),
        level=level,
        level_name=LEVEL_NAMES.get(level, "") if level else "",
        verdict=str(record["verdict"] or ""),
        provisional=bool(record["provisional"]),
        completeness=from_tenths(record["completeness"]),
        blockers=int(record["blockers"]),
        previous_score=from_tenths(record["previous_score"]),
        change=from_tenths(record["change"]),
        domains=cells,
        focus=focus is not None and int(record["site_id"]) == focus,
    )


def _summary(latest: pd.DataFrame) -> Summary:
    verdicts = latest["verdict"].fillna("").replace("", NO_VERDICT).value_counts()
    return Summary(
        sites=len(latest),
        median_score=from_tenths(latest["score"].median()) if len(latest) else None,
        verdicts=[
            (name, int(verdicts.get(name, 0)))
            for name in VERDICT_ORDER
            if int(verdicts.get(name, 0))
        ],
        provisional=int(latest["provisional"].sum()) if len(latest) else 0,
        with_blockers=int((latest["blockers"] > 0).sum()) if len(latest) else 0,
    )


def _trend(
    assessments: pd.DataFrame, site_ids: Sequence[int]
) -> tuple[list[str], list[TrendLine], list[Decimal | None]]:
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
    table = wide(per_site, index="site_id", columns="round_label", values="score").reindex(
        columns=rounds
    )
    medians = table.median(axis=0, skipna=True)
    names = per_site.drop_duplicates("site_id").set_index("site_id")["site"]
    series = [
        TrendLine(
            site_id=int(site_id),
            site=str(names.get(site_id, "")),
            scores=[from_tenths(v) for v in table.loc[site_id].tolist()],
        )
        for site_id in site_ids
        if site_id in table.index
    ]
    return rounds, series, [from_tenths(medians.get(r)) for r in rounds]


def _distribution(
    domain_rows: pd.DataFrame, latest: pd.DataFrame, domains: list[DomainColumn]
) -> list[DomainSpread]:
    """Per domain, the spread of the sites' latest scores: five-number summary, and the
    single points while there are few enough sites to draw them."""
    scored = domain_rows.dropna(subset=["score"])
    names = latest.set_index("id")["site"]
    grouped = scored.groupby("domain_key")["score"]
    stats = grouped.describe() if len(scored) else pd.DataFrame()
    result = []
    for domain in domains:
        if domain.key not in stats.index:
            result.append(DomainSpread(key=domain.key, title=domain.title, count=0))
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
            DomainSpread(
                key=domain.key,
                title=domain.title,
                count=int(row["count"]),
                minimum=from_tenths(row["min"]),
                q1=from_tenths(row["25%"]),
                median=from_tenths(row["50%"]),
                q3=from_tenths(row["75%"]),
                maximum=from_tenths(row["max"]),
                points=points,
            )
        )
    return result
