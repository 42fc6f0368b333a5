"""The signed-in user's two-factor sign-in: overview, set-up, the code after the password,
and turning it off."""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from accounts import mfa
from accounts.forms import CodeForm, DisableForm, NotificationsForm
from assessments.http import AuthenticatedHttpRequest, private_no_store

# Recovery codes wait here between the set-up POST and the page that shows them, once.
NEW_CODES_SESSION_KEY = "mfa_new_recovery_codes"


def _next_url(request: AuthenticatedHttpRequest) -> str:
    raw = request.POST.get("next") or request.GET.get("next") or ""
    if raw and url_has_allowed_host_and_scheme(
        raw, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return raw
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _credentials(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    return {"username": request.user.get_username()}


def _locked(request: AuthenticatedHttpRequest) -> bool:
    return bool(settings.AXES_ENABLED) and AxesProxyHandler.is_locked(
        request, _credentials(request)
    )


def _count_failure(request: AuthenticatedHttpRequest) -> None:
    """A wrong code (or password) counts as a failed login for django-axes, which locks the
    account as it does for wrong passwords."""
    user_login_failed.send(sender=__name__, credentials=_credentials(request), request=request)


def _locked_out(request: AuthenticatedHttpRequest) -> HttpResponse:
    # The half-signed-in session ends: the next try starts again at the password.
    logout(request)
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, status=429)


def _refused(form: CodeForm, user: Any) -> None:
    wait = mfa.mfa_throttled_seconds(user)
    if wait:
        form.add_error(
            "code",
            f"That code was not accepted. After several wrong codes, wait {wait} seconds "
            "before the next try.",
        )
    else:
        form.add_error("code", "That code was not accepted. Check the code and try again.")


@login_required
@require_http_methods(["GET"])
def two_factor(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    new_codes = request.session.pop(NEW_CODES_SESSION_KEY, None)
    context = {
        "enabled": mfa.mfa_enabled(user),
        "required": mfa.mfa_required(user),
        "exempt": mfa.mfa_exempt(user),
        "codes_left": mfa.recovery_codes_left(user),
        "new_codes": new_codes if isinstance(new_codes, list) else None,
        "form": DisableForm(),
    }
    return private_no_store(render(request, "accounts/two_factor.html", context))


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if mfa.mfa_enabled(user):
        return redirect("accounts:two-factor")
    form = CodeForm(recovery=False)
    if request.method == "POST":
        form = CodeForm(request.POST, recovery=False)
        if form.is_valid():
            confirmed = mfa.totp_device_confirm(user=user, code=form.cleaned_data["code"])
            if confirmed is not None:
                device, codes = confirmed
                request.session.cycle_key()
                otp_login(request, device)
                request.session[NEW_CODES_SESSION_KEY] = codes
                messages.success(request, "Two-factor sign-in is on.")
                return redirect("accounts:two-factor")
            _refused(form, user)
    device = mfa.totp_device_start(user=user)
    context = {
        "form": form,
        "qr": mfa.totp_qr_data_uri(device),
        "secret": mfa.totp_secret(device),
        "required": mfa.mfa_required(user),
        "next": _next_url(request),
    }
    status = 422 if form.errors else 200
    return private_no_store(
        render(request, "accounts/two_factor_setup.html", context, status=status)
    )


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if user.is_verified() or not mfa.mfa_enabled(user):  # type: ignore[attr-defined]
        return HttpResponseRedirect(_next_url(request))
    form = CodeForm()
    if request.method == "POST":
        if _locked(request):
            return _locked_out(request)
        form = CodeForm(request.POST)
        if form.is_valid():
            device = mfa.mfa_verify(user=user, code=form.cleaned_data["code"])
            if device is not None:
                # A new session key once the sign-in is complete (as after the password).
                request.session.cycle_key()
                otp_login(request, device)
                left = mfa.recovery_codes_left(user)
                if device.name == mfa.RECOVERY_DEVICE_NAME:
                    messages.warning(
                        request,
                        f"You signed in with a recovery code; {left} left. Make new ones on "
                        "your two-factor page if you are running out.",
                    )
                return HttpResponseRedirect(_next_url(request))
            _count_failure(request)
            if _locked(request):
                return _locked_out(request)
            _refused(form, user)
    context = {"form": form, "next": _next_url(request)}
    status = 422 if form.errors else 200
    return private_no_store(
        render(request, "accounts/two_factor_verify.html", context, status=status)
    )


@login_required
@require_POST
def two_factor_disable(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not mfa.mfa_enabled(user):
        return redirect("accounts:two-factor")
    if _locked(request):
        return _locked_out(request)
    form = DisableForm(request.POST)
    if form.is_valid():
        if not user.check_password(form.cleaned_data["password"]):
            _count_failure(request)
            form.add_error("password", "That is not your password.")
        elif mfa.mfa_verify(user=user, code=form.cleaned_data["code"]) is None:
            _count_failure(request)
            _refused(form, user)
        else:
            mfa.mfa_disable(user=user)
            messages.success(request, "Two-factor sign-in is off.")
            return redirect("accounts:two-factor")
        if _locked(request):
            return _locked_out(request)
    context = {
        "enabled": True,
        "required": mfa.mfa_required(user),
        "exempt": mfa.mfa_exempt(user),
        "codes_left": mfa.recovery_codes_left(user),
        "new_codes": None,
        "form": form,
    }
    return private_no_store(render(request, "accounts/two_factor.html", context, status=422))


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The person's e-mail choices, in one place: the daily digest of their action items and
    the reminders of domains they were asked to answer (both on by default)."""
    from actions.models import DigestPreference
    from actions.services import digest_preference_set
    from respondents.models import ReminderPreference
    from respondents.services import reminder_preference_set

    digest = DigestPreference.objects.filter(user=request.user).first()
    reminders = ReminderPreference.objects.filter(user=request.user).first()
    form = NotificationsForm(
        initial={
            "digest": digest.enabled if digest is not None else True,
            "reminders": reminders.enabled if reminders is not None else True,
        }
    )
    if request.method == "POST":
        form = NotificationsForm(request.POST)
        if form.is_valid():
            chosen = form.cleaned_data
            digest_preference_set(user=request.user, enabled=chosen["digest"])
            reminder_preference_set(user=request.user, enabled=chosen["reminders"])
            on = [
                name
                for name, key in (
                    ("the daily digest", "digest"),
                    ("assignment reminders", "reminders"),
                )
                if chosen[key]
            ]
            messages.success(
                request,
                f"Saved: you get {' and '.join(on)}." if on else "Saved: no notification e-mails.",
            )
            return redirect("accounts:notifications")
    return render(request, "accounts/notifications.html", {"form": form})
