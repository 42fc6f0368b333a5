"""Organisation admin screens: sites, members and the instruments the organisation can use.

All of them need the "manage" action (organisation admins). Objects are always looked up
within the organisation the access module returned, so an id of another organisation's site
or membership is a 404 like any other unknown id.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from assessments import access
from assessments.admin_forms import (
    InstrumentUploadForm,
    InvitationForm,
    MemberEditForm,
    SiteForm,
    problem_lines,
)
from assessments.display import display_name, file_size
from assessments.http import AuthenticatedHttpRequest
from assessments.instrument_loading import instrument_sync
from assessments.instruments import InstrumentError
from assessments.invitation_views import (
    accept_url_for,
    invitation_sent_message,
    pending_invitations,
)
from assessments.invitations import invitation_create
from assessments.models import (
    Assessment,
    Domain,
    Instrument,
    Membership,
    Organisation,
    Question,
    Site,
)
from assessments.services import (
    LastOrgAdmin,
    SiteNameTaken,
    membership_remove,
    membership_update,
    site_archive,
    site_create,
    site_update,
)

ROLE_ORDER = {role: n for n, role in enumerate(Membership.Role.values)}

LAST_ADMIN_MESSAGE = (
    "{name} is the only organisation admin of {organisation}. Make someone else an "
    "organisation admin first, so that somebody can still manage it."
)


def _organisation_admin(request: AuthenticatedHttpRequest, slug: str) -> Membership:
    """The requester's membership of `slug`: 404 if they have none, 403 unless org admin."""
    # login_required runs first, so the user has a pk.
    return access.get_organisation_for_user(request.user.pk, slug, "manage")


def _site(organisation: Organisation, pk: int) -> Site:
    site = Site.objects.filter(organisation=organisation, pk=pk).first()
    if site is None:
        raise Http404
    return site


def _member(organisation: Organisation, pk: int) -> Membership:
    membership = (
        Membership.objects.filter(organisation=organisation, pk=pk)
        .select_related("user", "organisation")
        .first()
    )
    if membership is None:
        raise Http404
    return membership


# --- sites ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def manage_sites(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    membership = _organisation_admin(request, slug)
    organisation = membership.organisation
    form = SiteForm(organisation=organisation)
    if request.method == "POST":
        form = SiteForm(request.POST, organisation=organisation)
        if form.is_valid():
            try:
                site = site_create(
                    organisation=organisation,
                    name=form.cleaned_data["name"],
                    kind=form.cleaned_data["kind"],
                )
            except SiteNameTaken:
                form.add_error("name", "A site with this name was added a moment ago.")
            else:
                messages.success(request, f"Site “{site.name}” added.")
                return redirect("assessments:manage-sites", organisation.slug)
    sites = list(
        Site.objects.filter(organisation=organisation)
        .annotate(assessment_count=Count("assessments"))
        .prefetch_related(
            Prefetch("site_admins", queryset=Membership.objects.select_related("user"))
        )
        .order_by("archived", "name")
    )
    return render(
        request,
        "assessments/manage_sites.html",
        {
            "current_membership": membership,
            "organisation": organisation,
            "sites": sites,
            "active_count": sum(not site.archived for site in sites),
            "form": form,
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit_site(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Rename a site or change its kind; POST action=archive|restore flips the archive flag."""
    membership = _organisation_admin(request, slug)
    organisation = membership.organisation
    site = _site(organisation, pk)
    form = SiteForm(organisation=organisation, site=site)
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action in ("archive", "restore"):
            site_archive(site=site, archived=action == "archive")
            if site.archived:
                messages.success(
                    request,
                    f"Site “{site.name}” archived. Its assessments are kept; it no longer "
                    "shows on the dashboard and no new assessment can be started.",
                )
            else:
                messages.success(request, f"Site “{site.name}” restored.")
            return redirect("assessments:manage-sites", organisation.slug)
        form = SiteForm(request.POST, organisation=organisation, site=site)
        if form.is_valid():
            try:
                site_update(
                    site=site, name=form.cleaned_data["name"], kind=form.cleaned_data["kind"]
                )
            except SiteNameTaken:
                form.add_error("name", "A site with this name was added a moment ago.")
            else:
                messages.success(request, f"Site “{site.name}” saved.")
                return redirect("assessments:manage-sites", organisation.slug)
    return render(
        request,
        "assessments/site_edit.html",
        {
            "current_membership": membership,
            "organisation": organisation,
            "site": site,
            "assessment_count": Assessment.objects.filter(site=site).count(),
            "form": form,
        },
        status=422 if form.errors else 200,
    )


# --- members ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def members(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    membership = _organisation_admin(request, slug)
    organisation = membership.organisation
    form = InvitationForm(organisation=organisation)
    if request.method == "POST":
        form = InvitationForm(request.POST, organisation=organisation)
        if form.is_valid():
            email = form.cleaned_data["email"]
            sent = invitation_create(
                organisation=organisation,
                email=email,
                role=form.cleaned_data["role"],
                sites=form.chosen_sites(),
                invited_by=request.user,
                accept_url=accept_url_for(request),
            )
            if sent.delivered:
                messages.success(request, invitation_sent_message(email, True))
            else:
                messages.error(request, invitation_sent_message(email, False))
            return redirect("assessments:members", organisation.slug)
    rows = sorted(
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .prefetch_related("sites"),
        key=lambda m: (ROLE_ORDER.get(m.role, 99), display_name(m.user).lower()),
    )
    return render(
        request,
        "assessments/members.html",
        {
            "current_membership": membership,
            "organisation": organisation,
            "members": rows,
            "admin_count": sum(m.role == Membership.Role.ORG_ADMIN for m in rows),
            "invitations": pending_invitations(organisation),
            "form": form,
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit_member(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = _organisation_admin(request, slug)
    organisation = membership.organisation
    member = _member(organisation, pk)
    form = MemberEditForm(membership=member)
    if request.method == "POST":
        form = MemberEditForm(request.POST, membership=member)
        if form.is_valid():
            try:
                membership_update(
                    membership=member, role=form.cleaned_data["role"], sites=form.chosen_sites()
                )
            except LastOrgAdmin:
                form.add_error(
                    "role",
                    LAST_ADMIN_MESSAGE.format(
                        name=display_name(member.user), organisation=organisation.name
                    ),
                )
            else:
                messages.success(
                    request, f"{display_name(member.user)} is now {member.get_role_display()}."
                )
                if member.pk == membership.pk and member.role != Membership.Role.ORG_ADMIN:
                    # They just gave up the right to see this screen.
                    return redirect("assessments:organisation", organisation.slug)
                return redirect("assessments:members", organisation.slug)
    return render(
        request,
        "assessments/member_edit.html",
        {
            "current_membership": membership,
            "organisation": organisation,
            "member": member,
            "is_self": member.pk == membership.pk,
            "form": form,
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def remove_member(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST removes the membership (the account stays)."""
    membership = _organisation_admin(request, slug)
    organisation = membership.organisation
    member = _member(organisation, pk)
    name = display_name(member.user)
    is_self = member.pk == membership.pk
    last_admin = (
        member.role == Membership.Role.ORG_ADMIN
        and not Membership.objects.filter(organisation=organisation, role=member.role)
        .exclude(pk=member.pk)
        .exists()
    )
    if request.method == "POST" and not last_admin:
        try:
            membership_remove(membership=member)
        except LastOrgAdmin:
            last_admin = True  # someone demoted the other admin meanwhile
        else:
            messages.success(request, f"{name} was removed from {organisation.name}.")
            if is_self:
                return redirect("assessments:home")
            return redirect("assessments:members", organisation.slug)
    return render(
        request,
        "assessments/member_remove.html",
        {
            "current_membership": membership,
            "organisation": organisation,
            "member": member,
            "is_self": is_self,
            "last_admin_message": LAST_ADMIN_MESSAGE.format(
                name=name, organisation=organisation.name
            )
            if last_admin
            else "",
        },
        status=409 if last_admin and request.method == "POST" else 200,
    )


# --- instruments ------------------------------------------------------------------------------


def _instrument_rows(organisation: Organisation) -> list[dict[str, Any]]:
    """Shipped instruments and the organisation's own, with counts from one query each."""
    instruments = list(
        Instrument.objects.filter(
            Q(organisation__isnull=True) | Q(organisation=organisation)
        ).order_by("title", "slug", "version")
    )
    ids = [i.pk for i in instruments]

    def counts(queryset: Any) -> dict[int, int]:
        rows = queryset.values("instrument_id").annotate(n=Count("pk"))
        return {row["instrument_id"]: row["n"] for row in rows}

    domains = counts(Domain.objects.filter(instrument_id__in=ids))
    questions = counts(Question.objects.filter(instrument_id__in=ids))
    # Only this organisation's assessments: other organisations' use of a shipped one is theirs.
    used = counts(Assessment.objects.filter(instrument_id__in=ids, site__organisation=organisation))
    return [
        {
            "instrument": instrument,
            "domains": domains.get(instrument.pk, 0),
            "questions": questions.get(instrument.pk, 0),
            "assessments": used.get(instrument.pk, 0),
            "own": instrument.organisation_id is not None,
        }
        for instrument in instruments
    ]


@login_required
@require_http_methods(["GET", "POST"])
def instruments(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    membership = _organisation_admin(request, slug)
    organisation = membership.organisation
    form = InstrumentUploadForm()
    if request.method == "POST":
        form = InstrumentUploadForm(request.POST, request.FILES)
        if form.is_valid():
            definition = form.cleaned_data["file"]
            try:
                instrument, created = instrument_sync(
                    definition=definition, organisation=organisation, source_name=form.file_name
                )
            except InstrumentError as exc:
                form.add_error("file", problem_lines(exc))
            else:
                label = f"“{instrument.title}” version {instrument.version}"
                if created:
                    messages.success(
                        request,
                        f"Loaded {label}: {len(definition.domains)} domains, "
                        f"{len(definition.questions)} questions. It can now be chosen when "
                        "starting an assessment.",
                    )
                else:
                    messages.info(request, f"{label} was already loaded with the same content.")
                return redirect("assessments:instruments", organisation.slug)
    return render(
        request,
        "assessments/instruments.html",
        {
            "current_membership": membership,
            "organisation": organisation,
            "rows": _instrument_rows(organisation),
            "form": form,
            "max_size": file_size(settings.UPLOAD_MAX_BYTES),
        },
        status=422 if form.errors else 200,
    )
