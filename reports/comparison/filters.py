"""What a comparison covers (the filters) and what the filter form may offer (the options)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

# Above this many visible sites the site filter is a name search, not a list of every site.
SITE_LIST_LIMIT = 200
ROUND_LIST_LIMIT = 500
PER_PAGE_CHOICES = (25, 50, 100)
SORTS = ("score", "name", "change", "blockers")
# The direction each sort starts in: best first, names A–Z, most blockers first.
DEFAULT_DESCENDING = {"score": True, "name": False, "change": True, "blockers": True}


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

    def describe(self, instrument_title: str = "") -> list[tuple[str, str]]:
        """The filters as (name, value) pairs, for the export's "Filters" sheet."""
        return [
            ("Instrument", instrument_title or self.slug),
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
