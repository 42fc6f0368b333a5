"""Invitations: revoke and resend from the members page, and the page behind the emailed link.

Revoke and resend need the "manage" action; an invitation or member of another
organisation is a 404 like any unknown id. The accept page is public: the link is the
credential, and it says nothing about any account but the one signed in.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from assessments import access
from assessments.admin_forms import AcceptInvitationForm
from assessments.http import AuthenticatedHttpRequest
from assessments.invitations import (
    AcceptUrl,
    AccountExists,
    InvitationExpired,
    InvitationInvalid,
    WrongAccount,
    account_can_sign_in,
    invitation_accept,
    invitation_accept_new_account,
    invitation_for_token,
    invitation_resend,
    invitation_revoke,
    member_invitation_resend,
)
from assessments.models import Invitation, Membership, Organisation, Site

# The invitation page signs in the account it has just created, with the ordinary backend
# (the login-limit backend needs a password attempt, and there was none).
SIGN_IN_BACKEND = "django.contrib.auth.backends.ModelBackend"


def accept_url_for(request: HttpRequest) -> AcceptUrl:
    """Absolute links on the host the admin is using (as Django's password reset does)."""

    def url(token: str) -> str:
        return request.build_absolute_uri(reverse("assessments:accept-invitation", args=[token]))

    return url


def pending_invitations(organisation: Organisation) -> list[Invitation]:
    """Invitations neither accepted nor revoked, expired ones included (they can be resent)."""
    return list(
        Invitation.objects.filter(
            organisation=organisation, accepted_at__isnull=True, revoked_at__isnull=True
        )
        .select_related("invited_by")
        .prefetch_related(Prefetch("sites", queryset=Site.objects.order_by("name")))
        .order_by("email", "-sent_at")
    )


def _invitation(request: AuthenticatedHttpRequest, slug: str, pk: int) -> Invitation:
    membership = access.get_organisation_for_user(request.user.pk, slug, "manage")
    invitation = (
        Invitation.objects.select_related("organisation")
        .filter(pk=pk, organisation=membership.organisation)
        .first()
    )
    if invitation is None:
        raise Http404
    return invitation


def invitation_sent_message(email: str, delivered: bool) -> str:
    """The same words whoever the address belongs to: the page never tells who has an account."""
    if not delivered:
        return (
            f"The invitation to {email} is saved, but the email could not be sent. "
            "Try “Resend” in the list of pending invitations later."
        )
    return (
        f"Invitation sent to {email} if the address can receive email. They become a member "
        "when they accept it from the link in that email."
    )


def _sent(request: HttpRequest, email: str, delivered: bool) -> None:
    if delivered:
        messages.success(request, invitation_sent_message(email, True))
    else:
        messages.error(request, invitation_sent_message(email, False))


@login_required
@require_POST
def revoke_invitation(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    invitation = _invitation(request, slug, pk)
    if invitation.is_open:
        invitation_revoke(invitation=invitation, user=request.user)
        messages.success(
            request, f"The invitation to {invitation.email} is revoked: its link no longer works."
        )
    return redirect("assessments:members", invitation.organisation.slug)


@login_required
@require_POST
def resend_invitation(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    invitation = _invitation(request, slug, pk)
    if not invitation.is_open:
        messages.info(request, f"The invitation to {invitation.email} was already answered.")
    else:
        sent = invitation_resend(
            invitation=invitation, user=request.user, accept_url=accept_url_for(request)
        )
        _sent(request, invitation.email, sent.delivered)
    return redirect("assessments:members", invitation.organisation.slug)


@login_required
@require_POST
def resend_member_invitation(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """For a member who never set a password: an invitation that lets them choose one."""
    membership = access.get_organisation_for_user(request.user.pk, slug, "manage")
    organisation = membership.organisation
    member = (
        Membership.objects.select_related("user", "organisation")
        .filter(pk=pk, organisation=organisation)
        .first()
    )
    if member is None:
        raise Http404
    try:
        sent = member_invitation_resend(
            membership=member, user=request.user, accept_url=accept_url_for(request)
        )
    except InvitationInvalid:
        messages.info(request, "This member can sign in already: there is nothing to resend.")
    else:
        _sent(request, member.user.email, sent.delivered)
    return redirect("assessments:members", organisation.slug)


def _page(
    request: HttpRequest, state: str, context: dict[str, object] | None = None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "assessments/invitation_accept.html",
        {"state": state, **(context or {})},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = invitation_for_token(token)
    except InvitationExpired:
        return _page(request, "expired")
    except InvitationInvalid:
        return _page(request, "invalid")
    organisation = invitation.organisation
    context: dict[str, object] = {"invitation": invitation, "organisation": organisation}
    user = request.user
    if user.is_authenticated:
        try:
            if request.method == "POST":
                invitation_accept(invitation=invitation, user=user)  # type: ignore[arg-type]
                messages.success(
                    request,
                    f"Welcome to {organisation.name}: you joined as "
                    f"{invitation.get_role_display()}.",
                )
                return redirect("assessments:organisation", organisation.slug)
            if str(user.email or "").casefold() != invitation.email.casefold():
                raise WrongAccount
        except WrongAccount:
            # Nothing joined; the invited address is not shown to another account.
            return _page(request, "wrong_account", context, status=403)
        except InvitationExpired:
            return _page(request, "expired")
        except InvitationInvalid:
            return _page(request, "invalid")
        return _page(request, "confirm", context)
    if account_can_sign_in(invitation.email):
        return _page(request, "sign_in", {**context, "next": request.path})
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            new_user = invitation_accept_new_account(
                invitation=invitation,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                password=form.cleaned_data["password1"],
            )
        except AccountExists:
            return _page(request, "sign_in", {**context, "next": request.path})
        except InvitationExpired:
            return _page(request, "expired")
        except InvitationInvalid:
            return _page(request, "invalid")
        login(request, new_user, backend=SIGN_IN_BACKEND)
        messages.success(
            request,
            f"Welcome to {organisation.name}: your account is ready and you joined as "
            f"{invitation.get_role_display()}.",
        )
        return redirect("assessments:organisation", organisation.slug)
    return _page(
        request, "new_account", {**context, "form": form}, status=422 if form.errors else 200
    )
