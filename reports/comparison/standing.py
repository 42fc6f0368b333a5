"""A site's latest submitted results against the median of its organisation's sites."""

from __future__ import annotations

from assessments.models import Membership, Site
from reports.comparison import queries
from reports.comparison.frames import from_tenths, standing_frame
from reports.comparison.rows import (
    MEDIAN_MIN_SITES,
    MEDIAN_MIN_SITES_RESTRICTED,
    DomainStanding,
    SiteStanding,
)


def site_standing(*, site: Site, membership: Membership) -> SiteStanding | None:
    """Where the site stands against the median of its organisation's sites (3 queries).

    Both sides read each site's latest submitted assessment of the same instrument (any
    version). Archived sites are left out of the median. None when the site has no
    submitted assessment.
    """
    latest_own = queries.latest_submitted(site)
    if latest_own is None:
        return None
    pk, label, date, slug, title, instrument_id = latest_own
    frame = standing_frame(queries.standing_rows(site=site, assessment_id=pk, slug=slug))
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
    for key, domain_title in queries.domain_titles(instrument_id):
        score = from_tenths(own.get(key))
        median = from_tenths(medians.get(key))
        standing.domains.append(
            DomainStanding(
                key=key,
                title=domain_title,
                score=score,
                median=median,
                difference=None if score is None or median is None else score - median,
            )
        )
    return standing
