from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse

from accounts.mfa import Step, mfa_pending_step_for_session

# What a half-signed-in user (password given, second factor not) may still reach.
_ALLOWED = {
    Step.VERIFY: {"accounts:two-factor-verify", "logout"},
    Step.SET_UP: {"accounts:two-factor-setup", "logout"},
}
_ALWAYS_PATHS = {"/favicon.ico"}


def _url_name(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name if match.url_name else None


class TwoFactorMiddleware:
    """Until a signed-in user has given a code (or, when the role requires it, set up an
    authenticator), every page redirects to that step. Runs after django-otp's OTPMiddleware,
    which says whether the session was verified."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        step = mfa_pending_step_for_session(request)
        if step is not None:
            name = _url_name(request.path_info)
            if name not in _ALLOWED[step] and request.path_info not in _ALWAYS_PATHS:
                target = reverse(
                    "accounts:two-factor-verify"
                    if step is Step.VERIFY
                    else "accounts:two-factor-setup"
                )
                # Back to the page asked for afterwards, unless it was a form post.
                if request.method == "GET":
                    target += "?" + urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(target)
        return self.get_response(request)
