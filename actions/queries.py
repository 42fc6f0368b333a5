"""Reading action items for the pages: filters, sorting, counts, retired questions.

The number of queries of a list does not depend on the number of items: the page of items
(people, sites and source rounds joined), one aggregate for the counts, and two for which
questions newer instrument versions retired.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone

from actions.models import ActionItem
from assessments import access
from assessments.models import Assessment, Membership, Question, Site

PAGE_SIZE = 50
DUE_SOON_DAYS = 7


class Sort:
    PRIORITY = "priority"
    DUE = "due"
    CHOICES = ((PRIORITY, "Priority (highest first)"), (DUE, "Due date (soonest first)"))


@dataclass(frozen=True)
class ItemFilters:
    site: int | None = None
    domain: str = ""
    owner: int | None = None  # 0: items without an owner
    status: str = ""
    overdue: bool = False
    sort: str = Sort.PRIORITY

    def describe(self, sites: dict[int, str], owners: dict[int, str]) -> list[tuple[str, str]]:
        """(filter, value) pairs for an export's record and its Filters sheet."""
        labels = dict(ActionItem.Status.choices)
        return [
            ("Site", sites.get(self.site, "") if self.site else "All"),
            ("Domain", self.domain or "All"),
            (
                "Owner",
                ("Nobody" if self.owner == 0 else owners.get(self.owner, ""))
                if self.owner is not None
                else "Anyone",
            ),
            ("Status", str(labels.get(self.status, "")) if self.status else "Any"),
            ("Overdue only", "yes" if self.overdue else "no"),
            ("Sorted by", dict(Sort.CHOICES)[self.sort]),
        ]


@dataclass
class ItemRow:
    item: ActionItem
    rights: access.ItemRights
    overdue: bool
    mine: bool
    retired_in: str = ""  # the newer version that no longer asks the question


@dataclass
class ItemList:
    rows: list[ItemRow]
    page: Page[Any]
    counts: dict[str, int]  # per status, plus "overdue" and "total"
    status_counts: list[tuple[str, str, int]] = field(default_factory=list)


def visible_items(membership: Membership, user_id: int) -> QuerySet[ActionItem]:
    return access.visible_site_items(membership, ActionItem.objects.all(), user_id)


def filtered(
    queryset: QuerySet[ActionItem], filters: ItemFilters, today: datetime.date
) -> QuerySet[ActionItem]:
    """Every filter but the status and overdue ones (the counts are of this set)."""
    if filters.site is not None:
        queryset = queryset.filter(site_id=filters.site)
    if filters.domain:
        queryset = queryset.filter(domain_key=filters.domain)
    if filters.owner == 0:
        queryset = queryset.filter(owner__isnull=True)
    elif filters.owner is not None:
        queryset = queryset.filter(owner_id=filters.owner)
    return queryset


def status_filtered(
    queryset: QuerySet[ActionItem], filters: ItemFilters, today: datetime.date
) -> QuerySet[ActionItem]:
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.overdue:
        queryset = queryset.filter(status__in=ActionItem.OPEN_STATUSES, due_date__lt=today)
    return queryset


def ordered(queryset: QuerySet[ActionItem], sort: str, user_id: int) -> QuerySet[ActionItem]:
    """The signed-in person's own items first, then by priority or due date."""
    queryset = queryset.annotate(
        not_mine=Case(
            When(owner_id=user_id, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    )
    if sort == Sort.DUE:
        return queryset.order_by("not_mine", F("due_date").asc(nulls_last=True), "-priority", "pk")
    return queryset.order_by("not_mine", "-priority", F("due_date").asc(nulls_last=True), "pk")


def status_counts(queryset: QuerySet[ActionItem], today: datetime.date) -> dict[str, int]:
    """Items per status, overdue ones and all of them, in one query."""
    counts = queryset.aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Q(status__in=ActionItem.OPEN_STATUSES, due_date__lt=today)),
        **{status: Count("pk", filter=Q(status=status)) for status in ActionItem.Status.values},
    )
    return {key: int(value or 0) for key, value in counts.items()}


def retired_versions(items: Sequence[ActionItem]) -> dict[int, str]:
    """Item id -> the version that retired its question, for items whose question is not in
    the newest instrument version their site answers (two queries, whatever the items)."""
    pairs = {(item.site_id, item.instrument_slug) for item in items}
    if not pairs:
        return {}
    newest: dict[tuple[int, str], tuple[int, str]] = {}
    rounds = (
        Assessment.objects.filter(
            site_id__in={site for site, _ in pairs},
            instrument_slug__in={slug for _, slug in pairs},
        )
        .order_by("site_id", "instrument_slug", "-round_date", "-created_at")
        .values_list("site_id", "instrument_slug", "instrument_id", "instrument__version")
    )
    for site_id, slug, instrument_id, version in rounds:
        newest.setdefault((site_id, slug), (instrument_id, version))
    instrument_ids = {
        instrument_id for pair, (instrument_id, version) in newest.items() if pair in pairs
    }
    keys: dict[int, set[str]] = {}
    for instrument_id, key in Question.objects.filter(instrument_id__in=instrument_ids).values_list(
        "instrument_id", "key"
    ):
        keys.setdefault(instrument_id, set()).add(key)
    retired = {}
    for item in items:
        found = newest.get((item.site_id, item.instrument_slug))
        if found is None:
            continue
        instrument_id, version = found
        if version != item.instrument_version and item.question_key not in keys.get(
            instrument_id, set()
        ):
            retired[item.pk] = version
    return retired


def item_rows(
    items: Iterable[ActionItem], membership: Membership, user_id: int, today: datetime.date
) -> list[ItemRow]:
    items = list(items)
    site_ids = access.site_admin_site_ids(membership)
    retired = retired_versions(items)
    return [
        ItemRow(
            item=item,
            rights=access.item_rights(
                membership,
                site_id=item.site_id,
                owner_id=item.owner_id,
                user_id=user_id,
                site_ids=site_ids,
            ),
            overdue=item.is_overdue(today),
            mine=item.owner_id == user_id,
            retired_in=retired.get(item.pk, ""),
        )
        for item in items
    ]


def item_list(
    membership: Membership,
    user_id: int,
    filters: ItemFilters,
    *,
    page_number: Any = 1,
    today: datetime.date | None = None,
) -> ItemList:
    today = today or timezone.localdate()
    base = filtered(visible_items(membership, user_id), filters, today)
    counts = status_counts(base, today)
    queryset = ordered(status_filtered(base, filters, today), filters.sort, user_id)
    queryset = queryset.select_related("site", "owner", "assessment")
    paginator = Paginator(queryset, PAGE_SIZE)
    page = paginator.get_page(page_number)
    rows = item_rows(page.object_list, membership, user_id, today)
    labels = ActionItem.Status.choices
    return ItemList(
        rows=rows,
        page=page,
        counts=counts,
        status_counts=[(value, str(label), counts[value]) for value, label in labels],
    )


def export_items(
    membership: Membership, user_id: int, filters: ItemFilters, today: datetime.date
) -> list[ItemRow]:
    """Every item the filters select (no page), in the page's order."""
    queryset = ordered(
        status_filtered(
            filtered(visible_items(membership, user_id), filters, today), filters, today
        ),
        filters.sort,
        user_id,
    ).select_related("site", "owner", "assessment")
    return item_rows(queryset, membership, user_id, today)


def domain_choices(membership: Membership, user_id: int) -> list[tuple[str, str]]:
    """The domains the visible items belong to (by key; the newest title)."""
    seen: dict[str, str] = {}
    for key, title in (
        visible_items(membership, user_id)
        .order_by("domain_key", "-created_at")
        .values_list("domain_key", "domain_title")
    ):
        seen.setdefault(key, title)
    return sorted(seen.items(), key=lambda pair: pair[1].casefold())


def owner_choices(organisation_id: int) -> list[tuple[int, str]]:
    """The organisation's members, who may own an item."""
    from assessments.display import display_name

    members = Membership.objects.filter(organisation_id=organisation_id).select_related("user")
    people = [(m.user.pk, display_name(m.user)) for m in members if m.user.is_active]
    return sorted(people, key=lambda pair: pair[1].casefold())


def site_choices(membership: Membership) -> list[tuple[int, str]]:
    return list(access.visible_sites(membership).values_list("pk", "name"))


# --- across rounds ----------------------------------------------------------------------------


def items_by_question(
    assessment: Assessment, *, only: tuple[str, ...] | None = None
) -> dict[str, ActionItem]:
    """The newest item of each question of the assessment's site and instrument (any round).
    `only`: the fields read of each item (a page that shows a badge needs a few of ~20)."""
    items = ActionItem.objects.filter(
        site_id=assessment.site_id, instrument_slug=assessment.instrument.slug
    )
    if only is not None:
        items = items.only("question_key", *only)
    found: dict[str, ActionItem] = {}
    for item in items.order_by("-created_at", "-pk"):
        found.setdefault(item.question_key, item)
    return found


def done_between(
    site: Site, instrument_slug: str, since: datetime.datetime | None
) -> list[ActionItem]:
    """Items of the site and instrument marked done after `since` (all done ones if None)."""
    queryset = ActionItem.objects.filter(
        site=site, instrument_slug=instrument_slug, status=ActionItem.Status.DONE
    ).select_related("owner")
    if since is not None:
        queryset = queryset.filter(done_at__gte=since)
    return list(queryset.order_by("-done_at", "pk"))


def round_start(assessment: Assessment) -> datetime.datetime:
    """When a round counts as taken: its submission, else the start of its round date."""
    if assessment.submitted_at is not None:
        return assessment.submitted_at
    return timezone.make_aware(datetime.datetime.combine(assessment.round_date, datetime.time()))


@dataclass(frozen=True)
class Reanswer:
    url: str
    label: str


def reanswer_link(item: ActionItem) -> Reanswer:
    """Where to answer the item's question again now that the work is done: the site's newest
    open round that asks it, else the site's page to start the next round."""
    editable = (
        Assessment.objects.filter(
            site_id=item.site_id,
            instrument_slug=item.instrument_slug,
            status__in=[Assessment.Status.DRAFT, Assessment.Status.REOPENED],
        )
        .select_related("instrument")
        .order_by("-round_date", "-created_at")
        .first()
    )
    if editable is not None:
        question = (
            Question.objects.filter(instrument_id=editable.instrument_id, key=item.question_key)
            .select_related("domain")
            .first()
        )
        if question is not None:
            url = reverse("assessments:domain", args=[editable.pk, question.domain.key])
            return Reanswer(
                url=f"{url}#q-{question.key}",
                label=f"Answer {question.key} again in {editable.round_label}",
            )
    return Reanswer(
        url=reverse("assessments:site", args=[item.site_id]),
        label=f"Start the next round of {item.site.name} to answer {item.question_key} again",
    )
