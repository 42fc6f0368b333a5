"""`{% site_standing site membership %}`: a site against its organisation's median per domain.

An inclusion tag, so the site page shows it without its view knowing about comparisons; the
numbers come from reports/comparison.py (three queries whatever the number of sites).
"""

from __future__ import annotations

from typing import Any

from django import template

from assessments.models import Membership, Site
from reports.comparison import site_standing as compute_standing

register = template.Library()


@register.inclusion_tag("reports/_site_standing.html")
def site_standing(site: Site, membership: Membership | None) -> dict[str, Any]:
    if membership is None:
        return {"standing": None, "site": site}
    return {
        "standing": compute_standing(site=site, membership=membership),
        "site": site,
        "membership": membership,
    }
