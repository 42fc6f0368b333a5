from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import patch_cache_control

# Slide the session expiry at most this often: a write per request would cost a query
# on every page for no gain in safety.
TOUCH_EVERY_SECONDS = 60
# When the session's user signed in (seconds since the epoch), for the absolute limit.
STARTED_KEY = "_started"


def session_started(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """On `user_logged_in`: the absolute lifetime counts from the sign-in itself, and the
    session counts as used now, so the first page after signing in writes no session again."""
    now = int(time.time())
    request.session[STARTED_KEY] = now
    request.session["_touched"] = now
    request.session.set_expiry(
        min(settings.SESSION_COOKIE_AGE, max(1, settings.SESSION_MAX_HOURS * 3600))
    )


class InactivityTimeoutMiddleware:
    """Keep a session alive while it is used; it expires SESSION_COOKIE_AGE after the last use,
    and SESSION_MAX_HOURS after sign-in however much it is used (ASVS 7.3.2).

    Nothing typed is lost when either ends: the questionnaire autosaves every change, and a
    save refused after the end sends the user to sign in again.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            lifetime = settings.SESSION_MAX_HOURS * 3600
            started = request.session.get(STARTED_KEY)
            if started is not None and now - started >= lifetime:
                # The views then see an anonymous user: login_required sends them to sign in.
                logout(request)
                return self.get_response(request)
            last = request.session.get("_touched", 0)
            if now - last >= TOUCH_EVERY_SECONDS:
                # Set on the first request after sign-in, with the write that happens anyway.
                # Sessions from before this limit existed get their lifetime from now.
                started = request.session.setdefault(STARTED_KEY, now)
                request.session["_touched"] = now
                # Never slid past the absolute end, so the stored session dies then too.
                remaining = max(1, started + lifetime - now)
                request.session.set_expiry(min(settings.SESSION_COOKIE_AGE, remaining))
        return self.get_response(request)


class PrivateNoStoreMiddleware:
    """Every response to a signed-in user is `Cache-Control: private, no-store` (ASVS 14.3.2).

    Nearly every page shows assessment answers, scores or people's names, and a shared proxy or
    the browser's disk cache must keep none of it. One rule for every response (refusals and
    redirects too) leaves no page to forget. Static files never get here: WhiteNoise answers
    them before the session is read, so they stay cacheable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated:
            # A max-age set by a view would contradict no-store: it goes.
            if "max-age" in response.get("Cache-Control", ""):
                del response["Cache-Control"]
            patch_cache_control(response, private=True, no_store=True)
        return response


class AdminNumberOverflowMiddleware:
    """A number past 64 bits in a Django admin address is a 400, not a 500.

    The admin applies any `?field__lookup=value` to its changelists; `?id__in=<huge>` builds a
    query that SQLite refuses with OverflowError when it runs (PostgreSQL finds nothing).
    The app's own views bound their numbers in forms and URL converters; the admin (Django's
    and the installed apps') is answered here, whatever model it lists.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OverflowError) and request.path.startswith(_admin_prefix()):
            return HttpResponseBadRequest(
                "A number in the address is too large.", content_type="text/plain"
            )
        return None


def _admin_prefix() -> str:
    from django.urls import reverse

    return reverse("admin:index")


class CompressPagesMiddleware(GZipMiddleware):
    """gzip for the app's own pages and JSON, when the browser accepts it (issue 13: the HTML
    gap report is ~200 KB, the largest thing a phone downloaded before its first paint).

    Static files come compressed from WhiteNoise; PDFs, Word files, ZIPs and images are left as
    they are (they hardly shrink, and a large download should not cost the server CPU).
    Django's GZipMiddleware pads each response with random bytes against BREACH, and CSRF tokens
    are masked per response."""

    TYPES = ("text/html", "application/json", "application/problem+json", "text/csv")

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if not response.get("Content-Type", "").startswith(self.TYPES):
            return response
        return super().process_response(request, response)
