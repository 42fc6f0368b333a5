"""The anonymous benchmark across organisations: what is computed, and what may be published.

For each shared instrument version, the benchmark summarises the latest submitted assessment of
each (unarchived) site of every organisation that opted in: per domain and overall, the median
and quartiles, and how many sites and organisations contributed. `benchmark_refresh` computes it;
`manage.py refresh_benchmark` (cron) and the Celery task queued on every submit both call it.

How it protects each site and organisation (issue 15's differencing attack):

1. Pages never compute anything. They show the latest *published* Snapshot, a stored row, so
   an opt-in, an opt-out, a submit or a filter changes nothing on screen until a refresh
   decides to publish.
2. Thresholds. A benchmark (and each of its rows) is published only from at least 5
   organisations and 10 sites (rules.MIN_ORGANISATIONS, MIN_SITES); below that the snapshot
   says "withheld" and holds no figure at all. The view per kind of site is a snapshot of its
   own under the same thresholds.
3. No small differences, ever. Figures from a set of contributions are published only if, for
   every figure snapshot ever published for that instrument version (all kinds of site, the
   whole history), the contributions are the same or differ in at least 5 organisations
   (rules.may_publish). Otherwise the refresh is suppressed and the last publication stays.
   So two published figures never differ by one organisation opting in or out, one site
   resubmitting, or one kind of site being filtered away: the difference between any two
   published figures involves at least 5 organisations, which is the same protection as the
   threshold itself. Checking against the whole history (not only the last snapshot) stops
   the "out, out, out, in again" walk that would compare snapshot 1 with snapshot 3.
4. Only order statistics, rounded. Medians and quartiles (never means or sums, which can be
   subtracted) rounded to whole numbers; a single score moves them by at most one
   neighbouring order statistic, and rounding hides that.
5. Never a name: a snapshot stores organisation and assessment ids only to check refreshes,
   and the pages show the figures and the two counts.

A snapshot withholding figures (too few contributors) may always replace figures: it shows
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django.db import transaction

from assessments.caching import cache_get, cache_set
from assessments.models import Assessment, DomainResult, Instrument, Site
from benchmark import rules
from benchmark.models import Snapshot


@dataclass
class RefreshSummary:
    published: int = 0
    withheld: int = 0
    unchanged: int = 0
    suppressed: int = 0

    def __str__(self) -> str:
        return (
            f"Benchmark: {self.published} published, {self.withheld} withheld, "
            f"{self.unchanged} unchanged, {self.suppressed} suppressed (too small a change)."
        )


def contributions_for(instrument: Instrument) -> list[rules.Contribution]:
    """The latest submitted assessment of each participating, unarchived site (two queries)."""
    rows = (
        Assessment.objects.filter(
            instrument=instrument,
            status=Assessment.Status.SUBMITTED,
            site__archived=False,
            site__organisation__benchmark_participation__opted_in=True,
        )
        .order_by("site_id", "-submitted_at", "-round_date", "-pk")
        .values_list("pk", "site_id", "site__kind", "site__organisation_id", "result_score")
    )
    latest: dict[int, tuple[int, str, int, object]] = {}
    for pk, site_id, kind, organisation_id, score in rows:
        latest.setdefault(site_id, (pk, kind, organisation_id, score))
    domains: dict[int, dict[str, object]] = {pk: {} for pk, *_ in latest.values()}
    for assessment_id, key, score in DomainResult.objects.filter(
        assessment_id__in=list(domains), applicable=True, score__isnull=False
    ).values_list("assessment_id", "domain_key", "score"):
        domains[assessment_id][key] = score
    return [
        rules.Contribution(
            organisation_id=organisation_id,
            site_id=site_id,
            assessment_id=pk,
            kind=kind,
            overall=score,  # type: ignore[arg-type]
            domains=domains[pk],  # type: ignore[arg-type]
        )
        for site_id, (pk, kind, organisation_id, score) in latest.items()
    ]


def _stored(contributors: rules.Contributors) -> dict[str, list[int]]:
    return {str(org): sorted(ids) for org, ids in sorted(contributors.items())}


def _loaded(stored: dict[str, list[int]]) -> dict[int, frozenset[int]]:
    return {int(org): frozenset(ids) for org, ids in stored.items()}


def latest_snapshots(instrument_id: int) -> dict[str, Snapshot]:
    """The published snapshot of each kind ("" = all) of an instrument version."""
    found: dict[str, Snapshot] = {}
    for snapshot in Snapshot.objects.filter(instrument_id=instrument_id).order_by(
        "-published_at", "-pk"
    ):
        found.setdefault(snapshot.kind, snapshot)
    return found


@transaction.atomic
def instrument_benchmark_refresh(*, instrument: Instrument, summary: RefreshSummary) -> None:
    """Compute the benchmark of one instrument version (all sites, then each kind of site) and
    publish what the rules allow."""
    # Refreshes of one instrument run one at a time (a lock on its row where the database has
    # them), so two workers cannot both publish against the same history.
    Instrument.objects.select_for_update().filter(pk=instrument.pk).first()
    contributions = contributions_for(instrument)
    domains = list(instrument.domains.order_by("order").values_list("key", "title"))
    history = [
        _loaded(stored)
        for stored in Snapshot.objects.filter(instrument=instrument)
        .exclude(figures={})
        .values_list("contributors", flat=True)
    ]
    current = latest_snapshots(instrument.pk)
    for kind in ["", *Site.Kind.values]:
        subset = [c for c in contributions if not kind or c.kind == kind]
        figures = rules.summarise(subset, domains)
        last = current.get(kind)
        if not figures:
            if last is None or not last.withheld:
                _publish(instrument, kind, subset, {}, {})
                summary.withheld += 1
            else:
                summary.unchanged += 1
            continue
        contributors = rules.contributors_of(subset)
        if last is not None and not last.withheld and _loaded(last.contributors) == contributors:
            summary.unchanged += 1
        elif rules.may_publish(contributors, history):
            _publish(instrument, kind, subset, figures, _stored(contributors))
            history.append(contributors)
            summary.published += 1
        else:
            summary.suppressed += 1


def _publish(
    instrument: Instrument,
    kind: str,
    subset: list[rules.Contribution],
    figures: dict[str, object],
    contributors: dict[str, list[int]],
) -> None:
    # Now, and again once committed, so no reader keeps the previous one under the new number.
    cache_set(_GENERATION_KEY, _generation() + 1, None)
    transaction.on_commit(lambda: cache_set(_GENERATION_KEY, _generation() + 1, None))
    Snapshot.objects.create(
        instrument=instrument,
        kind=kind,
        # Counts are published only beside figures: a withheld snapshot says "too few".
        sites=len(subset) if figures else 0,
        organisations=len({c.organisation_id for c in subset}) if figures else 0,
        figures=figures,
        contributors=contributors,
    )


def benchmark_refresh(*, instrument_ids: list[int] | None = None) -> RefreshSummary:
    """Refresh the benchmark of every shared instrument version (or of the given ones)."""
    summary = RefreshSummary()
    instruments = Instrument.objects.filter(organisation__isnull=True).order_by("slug", "pk")
    if instrument_ids is not None:
        instruments = instruments.filter(pk__in=instrument_ids)
    for instrument in instruments:
        instrument_benchmark_refresh(instrument=instrument, summary=summary)
    return summary


# Pages read the published snapshot through the cache (no query once warm); a publication
# moves the generation, so the next read goes to the database. Five minutes bound how long a
# lost generation bump could show the previous publication.
_GENERATION_KEY = "benchmark:generation"
_SNAPSHOT_SECONDS = 300


def _generation() -> int:
    return int(cache_get(_GENERATION_KEY) or 0)


def published_snapshot(instrument_id: int, kind: str = "") -> Snapshot | None:
    """What the pages show: the latest published snapshot, or None (one query when cold)."""
    key = f"benchmark:{_generation()}:{instrument_id}:{kind}"
    cached = cache_get(key)
    if cached is not None:
        return cast("Snapshot | None", cached[0])
    snapshot = (
        Snapshot.objects.filter(instrument_id=instrument_id, kind=kind)
        .order_by("-published_at", "-pk")
        .first()
    )
    cache_set(key, (snapshot,), _SNAPSHOT_SECONDS)
    return snapshot
