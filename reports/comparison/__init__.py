"""Cross-site comparison of stored results; the only package that imports pandas.

- `filters`: what a comparison covers and what the filter form may offer (plain dataclasses);
- `queries`: the database side, access-checked, returning plain rows (a fixed number of
  queries whatever the number of sites or rounds);
- `frames`: those rows as pandas frames, and scores back from them as exact decimals;
- `ranking` and `standing`: the reshaping (pivot domain × site, ranking, medians,
  quartiles) into the typed rows of `rows`, which is what views and templates receive;
- `exports`: the table behind the page and its CSV and Excel files.

No DataFrame leaves this package. Who exported what is recorded by reports/services.py.

pandas (~50 MB) is loaded when a name of `exports`, `ranking` or `standing` is first used,
not when the package is imported: Django's admin imports it in every process, and a Celery
worker rendering reports never needs pandas (issue 13, memory per worker). `cells` holds
what plain-Python files need (`neutralise`, `ExportFile`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from assessments.rounds import version_key
from reports.comparison.cells import ExportFile, neutralise
from reports.comparison.filters import (
    DEFAULT_DESCENDING,
    PER_PAGE_CHOICES,
    SORTS,
    CompareFilters,
    CompareOptions,
    InstrumentChoice,
)
from reports.comparison.queries import compare_options, round_labels, visible_site_ids
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

if TYPE_CHECKING:
    from reports.comparison.exports import (
        EXPORT_HEADERS,
        comparison_table,
        export_csv,
        export_xlsx,
    )
    from reports.comparison.ranking import compare_sites
    from reports.comparison.standing import site_standing

# The names whose modules import pandas, and those modules.
_WITH_PANDAS = {
    "EXPORT_HEADERS": "exports",
    "comparison_table": "exports",
    "export_csv": "exports",
    "export_xlsx": "exports",
    "compare_sites": "ranking",
    "site_standing": "standing",
}


def __getattr__(name: str) -> Any:
    module = _WITH_PANDAS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later uses skip this function
    return value


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
