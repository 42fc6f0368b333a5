"""The questionnaire page's two lists of domains, written in Python.

Every domain is listed twice (the phone's folding switcher and the side navigation), each entry
~25 template nodes: the two loops were a tenth of the domain page, the busiest page (issue 13,
bench/pages.py). Like the question cards (question_card.py), each value is escaped as a
template would; the markup is the one templates/assessments/assessment_take.html had, and the
page's tests and browser tests read it.

`progress` rows come from questionnaire_views._navigation: key, url, domain, answered, total,
complete, and in independent mode status (respondents.progress.DomainStatus) and mine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.safestring import SafeString, mark_safe

from assessments.question_card import text


def _count(row: Mapping[str, Any]) -> str:
    return f"{text(row['answered'])}/{text(row['total'])}"


def _marks(row: Mapping[str, Any], current: str) -> tuple[str, str, str, str]:
    """The classes and attribute of an entry: the page's own domain ("active" and
    aria-current), a domain with every question answered ("domain-done"); and its key."""
    active, aria = (" active", ' aria-current="page"') if row["key"] == current else ("", "")
    done = " domain-done" if row["complete"] else ""
    return active, aria, done, text(row["key"])


def current_count(progress: Iterable[Mapping[str, Any]], current: str) -> SafeString:
    """The page's own domain's count, after its title on the folded switcher."""
    for row in progress:
        if row["key"] == current:
            return mark_safe(  # noqa: S308 - escaped
                f' · <span data-domain-count="{text(row["key"])}">{_count(row)}</span>'
            )
    return mark_safe("")


def switcher_links(progress: Iterable[Mapping[str, Any]], current: str) -> SafeString:
    """The <li> entries of the phone's domain switcher."""
    out = []
    for row in progress:
        active, aria, done, key = _marks(row, current)
        out.append(
            f'\n            <li><a class="domain-switcher-link{active}" href="{text(row["url"])}"'
            f'{aria}><span>{text(row["domain"].title)}</span> <span class="domain-count{done}" '
            f'data-domain-count="{key}">{_count(row)}</span></a></li>\n          '
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


def _state(row: Mapping[str, Any]) -> str:
    """Independent answers: who is done and how far the consensus is, under the title."""
    status = row.get("status")
    if not status:
        return ""
    mine = "yours · " if row.get("mine") else ""
    if status.assigned:
        who = f"{text(status.done)}/{text(status.assigned)} respondents done"
    else:
        who = "nobody assigned"
    consensus = f"consensus {text(status.consensus_set)}/{text(status.consensus_needed)}"
    return f'<span class="d-block small domain-state">{mine}{who} · {consensus}</span>'


def side_links(progress: Iterable[Mapping[str, Any]], current: str) -> SafeString:
    """The links of the side navigation's list group."""
    out = []
    for row in progress:
        active, aria, done, key = _marks(row, current)
        count = _count(row)
        title = f"{text(row['answered'])} of {text(row['total'])} questions answered"
        out.append(
            '\n            <a class="list-group-item list-group-item-action d-flex '
            f'justify-content-between align-items-center{active}"\n'
            f'               href="{text(row["url"])}"{aria} data-domain="{key}">\n'
            f"              <span>{text(row['domain'].title)}{_state(row)}</span>\n"
            f'              <span class="domain-count{done}" data-count '
            f'data-domain-count="{key}" title="{title}">{count}</span>\n'
            "            </a>\n          "
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
