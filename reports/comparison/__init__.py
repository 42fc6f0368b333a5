"""Cross-site comparison of stored results; the only package that imports pandas.

- `filters`: what a comparison covers and what the filter form may offer (plain dataclasses);
- `queries`: the database side, access-checked, returning plain rows (a fixed number of
  queries whatever the number of sites or rounds);
- `frames`: those rows as pandas frames, and scores back from them as exact decimals;
- `ranking` and `standing`: the reshaping (pivot domain × site, ranking, medians,
  quartiles) into the typed rows of `rows`, which is what views and templates receive;
- `exports`: the table behind the page and its CSV and Excel files.

No DataFrame leaves this package. Who exported what is recorded by reports/services.py.
"""

from __future__ import annotations

from assessments.rounds import version_key
from reports.comparison.exports import (
    EXPORT_HEADERS,
    ExportFile,
    comparison_table,
    export_csv,
    export_xlsx,
    neutralise,
)
from reports.comparison.filters import (
    DEFAULT_DESCENDING,
    PER_PAGE_CHOICES,
    SORTS,
    CompareFilters,
    CompareOptions,
    InstrumentChoice,
)
from reports.comparison.queries import compare_options, round_labels, visible_site_ids
from reports.comparison.ranking import compare_sites
from reports.comparison.rows import (
    Comparison,
    DomainCell,
    DomainColumn,
    DomainSpread,
    DomainStanding,
    LeftOutSite,
    MostImproved,
    RankedSite,
    SiteStanding,
    Summary,
    TrendLine,
)
from reports.comparison.standing import site_standing

__all__ = [
    "DEFAULT_DESCENDING",
    "EXPORT_HEADERS",
    "PER_PAGE_CHOICES",
    "SORTS",
    "CompareFilters",
    "CompareOptions",
    "Comparison",
    "DomainCell",
    "DomainColumn",
    "DomainSpread",
    "DomainStanding",
    "ExportFile",
    "InstrumentChoice",
    "LeftOutSite",
    "MostImproved",
    "RankedSite",
    "SiteStanding",
    "Summary",
    "TrendLine",
    "compare_options",
    "compare_sites",
    "comparison_table",
    "export_csv",
    "export_xlsx",
    "neutralise",
    "round_labels",
    "site_standing",
    "version_key",
    "visible_site_ids",
]
