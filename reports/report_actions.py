"""The "Action items" section of the gap report: plain rows any writer can lay out.

The HTML and PDF report render these rows with templates/reports/_action_items.html; a Word
writer can take the same `action_item_rows(assessment)` and `ACTION_ITEM_HEADERS`. The
items are those of the assessment's site and instrument taken on in this round or an
earlier one: an item outlives the round it came from.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, Q, Subquery
from django.utils import timezone

from actions.models import ActionItem
from actions.queries import retired_versions
from assessments.display import display_name
from assessments.models import Assessment

ACTION_ITEM_HEADERS = ("Action", "Question", "Owner", "Due", "Status")


@dataclass(frozen=True)
class ActionItemRow:
    reference: str  # "AI-12"
    title: str
    question_key: str
    domain_title: str
    owner: str  # "" when nobody owns it yet
    due: datetime.date | None
    status: str  # the status label, e.g. "In progress"
    status_value: str
    overdue: bool
    priority: Decimal
    retired_in: str  # "" unless a newer version no longer asks the question
    notes: str

    @property
    def question(self) -> str:
        text = f"{self.question_key} · {self.domain_title}"
        return f"{text} (question retired in {self.retired_in})" if self.retired_in else text

    @property
    def due_text(self) -> str:
        return f"{self.due.day} {self.due:%b %Y}" if self.due else "—"

    @property
    def status_text(self) -> str:
        return f"{self.status} (overdue)" if self.overdue else self.status

    def cells(self) -> tuple[str, str, str, str, str]:
        """The row as text, in ACTION_ITEM_HEADERS order."""
        return (self.title, self.question, self.owner or "—", self.due_text, self.status_text)


def _items(assessment: Assessment):  # type: ignore[no-untyped-def]
    return ActionItem.objects.filter(
        site_id=assessment.site_id,
        instrument_slug=assessment.instrument.slug,
    ).filter(
        Q(assessment=assessment)
        | Q(assessment__round_date__lte=assessment.round_date)
        | Q(assessment__isnull=True)
    )


def action_item_rows(
    assessment: Assessment, *, today: datetime.date | None = None
) -> list[ActionItemRow]:
    """The items of the report, highest priority first (three queries, whatever the count)."""
    today = today or timezone.localdate()
    items = list(_items(assessment).select_related("owner").order_by("-priority", "pk"))
    retired = retired_versions(items)
    return [
        ActionItemRow(
            reference=f"AI-{item.pk}",
            title=item.title,
            question_key=item.question_key,
            domain_title=item.domain_title,
            owner=display_name(item.owner),
            due=item.due_date,
            status=str(item.get_status_display()),
            status_value=item.status,
            overdue=item.is_overdue(today),
            priority=item.priority,
            retired_in=retired.get(item.pk, ""),
            notes=item.notes,
        )
        for item in items
    ]


def action_items_state(assessment: Assessment) -> dict[str, Subquery]:
    """What changes whenever the section's items change (their number and last change), as
    expressions for the one query of the report's fingerprint (reports/report_files.py)."""
    # Grouped by the site every item shares: one row of aggregates, or none without items.
    found = _items(assessment).order_by().values("site_id")
    return {
        "items": Subquery(found.annotate(n=Count("pk")).values("n")[:1]),
        "items_changed": Subquery(found.annotate(last=Max("updated_at")).values("last")[:1]),
    }
