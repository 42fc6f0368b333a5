from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve, reverse

from accounts.mfa import Step, mfa_pending_step_for_session

# What a half-signed-in user (password given, second factor not) may still reach.
_ALLOWED = {
    Step.VERIFY: {"accounts:two-factor-verify", "logout"},
    Step.SET_UP: {"accounts:two-factor-setup", "logout"},
}
_ALWAYS_PATHS = {"/favicon.ico"}
# A program calling the API cannot follow a redirect to a form: it gets a 401 problem.
_API_PREFIX = "/api/"


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
                if request.path_info.startswith(_API_PREFIX):
                    return _api_sign_in_unfinished(request, step)
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


def _api_sign_in_unfinished(request: HttpRequest, step: Step) -> HttpResponse:
    """The API's answer to a session that gave its password but not yet its second factor:
    a 401 problem document (RFC 9457), as the API's own 401s are."""
    from api.problems import CONTENT_TYPE, TYPE_PREFIX

    what = (
        "give the code of your authenticator app"
        if step is Step.VERIFY
        else "set up an authenticator app"
    )
    response = JsonResponse(
        {
            "type": TYPE_PREFIX + "sign-in-unfinished",
            "title": "Sign-in not finished",
            "status": 401,
            "detail": f"This session is not fully signed in: {what} in the browser first, "
            "or send a personal API token (Authorization: Bearer <token>).",
            "instance": request.path,
        },
        status=401,
        content_type=CONTENT_TYPE,
    )
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response
