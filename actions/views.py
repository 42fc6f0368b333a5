"""Action item pages: the lists per site and per organisation, one item, tracking the plan,
and the exports. Every object is fetched through assessments/access.py."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from actions import exports, queries, services
from actions.forms import FilterForm, ItemForm, PlanForm
from actions.models import ActionItem
from assessments import access
from assessments.display import display_name
from assessments.http import private_no_store
from assessments.models import Membership, Site
from reports.services import export_record_create

TOP = 10


def _user_id(request: HttpRequest) -> int:
    return cast(int, request.user.pk)


def _list_page(request: HttpRequest, membership: Membership, *, site: Site | None) -> HttpResponse:
    me = _user_id(request)
    sites = queries.site_choices(membership)
    form = FilterForm(
        request.GET,
        sites=sites,
        domains=queries.domain_choices(membership, me),
        owners=queries.owner_choices(membership.organisation_id),
        me=me,
    )
    filters = form.filters(site=site.pk if site else None)
    listing = queries.item_list(membership, me, filters, page_number=request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    export_query = query.copy()
    if site is not None:
        export_query["site"] = str(site.pk)
    context = {
        "current_membership": membership,
        "organisation": membership.organisation,
        "site": site,
        "form": form,
        "filters": filters,
        "listing": listing,
        "query": query.urlencode(),
        "export_query": export_query.urlencode(),
        "today": timezone.localdate(),
    }
    return private_no_store(render(request, "actions/action_list.html", context))


@login_required
@require_GET
def organisation_actions(request: HttpRequest, slug: str) -> HttpResponse:
    membership = access.get_organisation_for_user(_user_id(request), slug, "view")
    return _list_page(request, membership, site=None)


@login_required
@require_GET
def site_actions(request: HttpRequest, pk: int) -> HttpResponse:
    site, membership = access.get_site_for_user(_user_id(request), pk, "view")
    membership.organisation = site.organisation
    return _list_page(request, membership, site=site)


def _owners(organisation_id: int) -> dict[int, User]:
    members = Membership.objects.filter(organisation_id=organisation_id).select_related("user")
    people = [m.user for m in members if m.user.is_active]
    return {user.pk: user for user in sorted(people, key=lambda u: display_name(u).casefold())}


@login_required
@require_http_methods(["GET", "POST"])
def item(request: HttpRequest, pk: int) -> HttpResponse:
    me = _user_id(request)
    action_item, membership, rights = access.get_action_item_for_user(
        me, pk, change=request.method == "POST"
    )
    owners = _owners(action_item.organisation_id) if rights.edit else {}
    form = ItemForm(item=action_item, owners=owners, full=rights.edit)
    status = 200
    if request.method == "POST":
        form = ItemForm(request.POST, item=action_item, owners=owners, full=rights.edit)
        if form.is_valid():
            try:
                changed = services.action_item_update(
                    item=action_item,
                    user=cast(User, request.user),
                    changes=form.changes(),
                    revision=form.cleaned_data["revision"],
                )
            except services.StaleItem as stale:
                last = stale.item.events.select_related("user").first()
                who = display_name(last.user if last is not None else None)
                messages.error(
                    request,
                    f"{who or 'Someone'} changed this item while you were editing it. Nothing "
                    "of yours was saved: the item as it is now is below; make your change again.",
                )
                return redirect("actions:item", action_item.pk)
            if not changed:
                messages.info(request, "Nothing changed.")
            elif "status" in changed and action_item.status == ActionItem.Status.DONE:
                messages.success(
                    request, "Marked done. Answer its question again so the score shows it."
                )
            else:
                messages.success(request, "Saved.")
            return redirect("actions:item", action_item.pk)
        status = 422
        messages.error(request, "Not saved: see the messages next to the fields.")
    reanswer = (
        queries.reanswer_link(action_item) if action_item.status == ActionItem.Status.DONE else None
    )
    row = queries.item_rows([action_item], membership, me, timezone.localdate())[0]
    context = {
        "current_membership": membership,
        "item": action_item,
        "row": row,
        "rights": rights,
        "form": form,
        "events": list(action_item.events.select_related("user")[:200]),
        "reanswer": reanswer,
    }
    return private_no_store(render(request, "actions/action_detail.html", context, status=status))


@login_required
@require_POST
def track(request: HttpRequest, pk: int) -> HttpResponse:
    """Track recommendations of the assessment's action plan as items (from the results)."""
    assessment, _ = access.get_assessment_for_user(_user_id(request), pk, "plan")
    results_url = reverse("reports:results", args=[assessment.pk]) + "#track"
    form = PlanForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Nothing tracked: choose a recommendation, the top 10 or all.")
        return redirect(results_url)
    question = form.cleaned_data["question"]
    scope = form.cleaned_data["scope"]
    try:
        created = services.action_items_create_from_plan(
            assessment=assessment,
            user=cast(User, request.user),
            keys=[question] if question else None,
            limit=TOP if scope == "top10" else None,
        )
    except services.PlanItemError as error:
        messages.error(request, f"Nothing tracked: {error}")
        return redirect(results_url)
    if created:
        messages.success(
            request,
            f"{len(created)} action item{'s' if len(created) != 1 else ''} created. Give "
            "each an owner and a due date on the site's action items.",
        )
    else:
        messages.info(request, "Already tracked: no new action item.")
    return redirect(results_url)


def _export(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    me = _user_id(request)
    membership = access.get_organisation_for_user(me, slug, "view")
    sites = queries.site_choices(membership)
    owners = queries.owner_choices(membership.organisation_id)
    form = FilterForm(
        request.GET,
        sites=sites,
        domains=queries.domain_choices(membership, me),
        owners=owners,
        me=me,
    )
    filters = form.filters()
    rows = queries.export_items(membership, me, filters, timezone.localdate())
    described = [
        ("Organisation", membership.organisation.name),
        *filters.describe(dict(sites), dict(owners)),
    ]
    if kind == "csv":
        export = exports.items_csv(rows)
    else:
        export = exports.items_xlsx(
            rows, described=described, who=display_name(cast(User, request.user))
        )
    export_record_create(
        organisation=membership.organisation,
        user=cast(User, request.user),
        kind=f"action-items-{kind}",
        rows=export.rows,
        filters=described,
    )
    response = HttpResponse(export.content, content_type=export.content_type)
    name = f"action-items-{membership.organisation.slug}-{timezone.localdate():%Y-%m-%d}.{kind}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return private_no_store(response)


@login_required
@require_GET
def export_csv(request: HttpRequest, slug: str) -> HttpResponse:
    return _export(request, slug, "csv")


@login_required
@require_GET
def export_xlsx(request: HttpRequest, slug: str) -> HttpResponse:
    return _export(request, slug, "xlsx")
