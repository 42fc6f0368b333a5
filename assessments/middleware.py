from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

# Slide the session expiry at most this often: a write per request would cost a query
# on every page for no gain in safety.
TOUCH_EVERY_SECONDS = 60


class InactivityTimeoutMiddleware:
    """Keep a session alive while it is used; it expires SESSION_COOKIE_AGE after the last use."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get("_touched", 0)
            if now - last >= TOUCH_EVERY_SECONDS:
                request.session["_touched"] = now
                request.session.set_expiry(settings.SESSION_COOKIE_AGE)
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
