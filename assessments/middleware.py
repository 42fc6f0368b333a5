from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

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
