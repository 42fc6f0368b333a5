"""The API tokens page of a person's account: make (shown once), rename and revoke tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from api.models import ApiToken
from api.token_forms import TokenChoiceForm, TokenCreateForm, TokenRenameForm
from api.tokens import token_create, token_rename, token_revoke
from assessments import access
from assessments.http import AuthenticatedHttpRequest, private_no_store

# The new token waits here between the POST that made it and the page that shows it, once.
NEW_TOKEN_SESSION_KEY = "api_new_token"


def _own_token(request: AuthenticatedHttpRequest, form: TokenChoiceForm) -> ApiToken | None:
    if not form.is_valid():
        return None
    return ApiToken.objects.filter(user=request.user, pk=form.cleaned_data["token"]).first()


@login_required
@require_http_methods(["GET", "POST"])
def manage(request: AuthenticatedHttpRequest) -> HttpResponse:
    memberships = access.user_memberships(request.user.pk)
    form = TokenCreateForm(memberships=memberships)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action in ("rename", "revoke"):
            choice = (
                TokenRenameForm(request.POST)
                if action == "rename"
                else TokenChoiceForm(request.POST)
            )
            token = _own_token(request, choice)
            if token is None:
                messages.error(
                    request,
                    "Nothing was changed: that token is not yours or no longer exists"
                    + (", or the name is empty or too long." if action == "rename" else "."),
                )
            elif action == "rename":
                token_rename(token=token, name=choice.cleaned_data["name"])
                messages.success(request, "Token renamed.")
            else:
                token_revoke(token=token)
                messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
            return redirect("api_tokens:manage")
        form = TokenCreateForm(request.POST, memberships=memberships)
        if form.is_valid():
            data = form.cleaned_data
            token, secret = token_create(
                user=request.user,
                name=data["name"],
                read_only=data["read_only"],
                organisation=data["organisation"],
                expires_at=form.expires_at(),
            )
            request.session[NEW_TOKEN_SESSION_KEY] = {"id": token.pk, "secret": secret}
            return redirect("api_tokens:manage")
        status = 422
    new = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    context = {
        "form": form,
        "tokens": list(ApiToken.objects.filter(user=request.user).select_related("organisation")),
        "new_token": new if isinstance(new, dict) else None,
    }
    return private_no_store(render(request, "api/tokens.html", context, status=status))
