"""Action items: an organisation's list (the page's filters), one item, an edit, and tracking
an assessment's action plan. Rights are assessments/access.py's (item_rights); the checks are
the item page's form (ItemForm) and actions/services.py."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from actions import queries, services
from actions.forms import FilterForm, ItemForm, PlanForm
from actions.models import ActionItem
from actions.views import TOP, _owners
from api.base import ApiView
from api.problems import conflict_problem, form_problem, validation_problem
from api.serializers.actions import (
    ActionItemDetailSerializer,
    ActionItemSerializer,
    ActionItemWriteSerializer,
    TrackSerializer,
)
from assessments import access
from assessments.models import Membership

FILTERS = [
    OpenApiParameter("site", int),
    OpenApiParameter("domain", str, description="A domain key."),
    OpenApiParameter("owner", str, description='A user id, or "none" for items without one.'),
    OpenApiParameter("status", str, enum=list(ActionItem.Status.values)),
    OpenApiParameter("overdue", OpenApiTypes.BOOL),
    OpenApiParameter("sort", str, enum=[queries.Sort.PRIORITY, queries.Sort.DUE]),
]


def _rows(rows: list[queries.ItemRow]) -> list[dict[str, Any]]:
    return [
        {
            "item": row.item,
            "rights": row.rights,
            "overdue": row.overdue,
            "site_ref": {"id": row.item.site_id, "name": row.item.site.name},
        }
        for row in rows
    ]


def _detail(item: ActionItem, membership: Membership, user_id: int) -> dict[str, Any]:
    row = _rows(queries.item_rows([item], membership, user_id, timezone.localdate()))[0]
    row["events"] = list(item.events.select_related("user")[:200])
    data: dict[str, Any] = ActionItemDetailSerializer(row).data
    return data


class ActionItemListView(ApiView):
    @extend_schema(
        parameters=FILTERS,
        responses=ActionItemSerializer(many=True),
        summary="The organisation's action items I can see (mine first, then by priority)",
    )
    def get(self, request: Request, slug: str) -> Response:
        me = self.user_id
        membership = access.get_organisation_for_user(me, slug, "view")
        form = FilterForm(
            request.query_params,
            sites=queries.site_choices(membership),
            domains=queries.domain_choices(membership, me),
            owners=queries.owner_choices(membership.organisation_id),
            me=me,
        )
        if not form.is_valid():
            raise form_problem(form)
        filters = form.filters()
        today = timezone.localdate()
        items = queries.ordered(
            queries.status_filtered(
                queries.filtered(queries.visible_items(membership, me), filters, today),
                filters,
                today,
            ),
            filters.sort,
            me,
        ).select_related("site__organisation", "owner", "assessment")
        page = self.paginate_queryset(items)
        rows = queries.item_rows(list(page or []), membership, me, today)
        return self.get_paginated_response(ActionItemSerializer(_rows(rows), many=True).data)


class ActionItemDetailView(ApiView):
    @extend_schema(responses=ActionItemDetailSerializer, summary="One action item and its trail")
    def get(self, request: Request, pk: int) -> Response:
        item, membership, _ = access.get_action_item_for_user(self.user_id, pk)
        return Response(_detail(item, membership, self.user_id))

    @extend_schema(
        request=ActionItemWriteSerializer,
        responses=ActionItemDetailSerializer,
        summary="Edit an action item (from the revision given)",
    )
    def patch(self, request: Request, pk: int) -> Response:
        given = ActionItemWriteSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        item, membership, rights = access.get_action_item_for_user(self.user_id, pk, change=True)
        if not rights.edit and {"title", "owner", "due_date"} & set(data):
            raise PermissionDenied
        owners = _owners(item.organisation_id) if rights.edit else {}
        posted = {
            "title": item.title,
            "owner": str(item.owner_id or ""),
            "due_date": item.due_date.isoformat() if item.due_date else "",
            "status": item.status,
            "reason": item.reason,
            "notes": item.notes,
            "revision": str(data.pop("revision")),
        }
        for name, value in data.items():
            if name == "owner":
                posted[name] = "" if value is None else str(value)
            elif name == "due_date":
                posted[name] = value.isoformat() if value else ""
            else:
                posted[name] = value
        if "owner" in data and data["owner"] is not None and data["owner"] not in owners:
            raise validation_problem({"owner": ["Choose a member of the organisation."]})
        form = ItemForm(posted, item=item, owners=owners, full=rights.edit)
        if not form.is_valid():
            raise form_problem(form)
        try:
            services.action_item_update(
                item=item,
                user=request.user,
                changes=form.changes(),
                revision=form.cleaned_data["revision"],
            )
        except services.StaleItem as stale:
            fresh, _, _ = access.get_action_item_for_user(self.user_id, pk)
            raise conflict_problem(
                "Someone else changed this item after the revision your edit was based on. "
                "Nothing was saved: `current` is the item as it is now.",
                current=_detail(fresh, membership, self.user_id),
            ) from stale
        item, membership, _ = access.get_action_item_for_user(self.user_id, pk)
        return Response(_detail(item, membership, self.user_id))


class TrackView(ApiView):
    @extend_schema(
        request=TrackSerializer,
        responses={201: ActionItemSerializer(many=True)},
        summary="Track recommendations of the action plan as action items",
    )
    def post(self, request: Request, pk: int) -> Response:
        given = TrackSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        assessment, membership = access.get_assessment_for_user(self.user_id, pk, "plan")
        form = PlanForm(given.validated_data)
        if not form.is_valid():
            raise form_problem(form)
        question = form.cleaned_data["question"]
        scope = form.cleaned_data["scope"]
        try:
            created = services.action_items_create_from_plan(
                assessment=assessment,
                user=request.user,
                keys=[question] if question else None,
                limit=TOP if scope == "top10" else None,
            )
        except services.PlanItemError as error:
            raise validation_problem({"question": [str(error)]}) from error
        items = ActionItem.objects.with_context().filter(pk__in=[i.pk for i in created])
        rows = queries.item_rows(list(items), membership, self.user_id, timezone.localdate())
        return Response(
            ActionItemSerializer(_rows(rows), many=True).data, status=status.HTTP_201_CREATED
        )
