"""Who is asking and how often: the client address and username that login limits count, and
the limit on password-reset links."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.views import PasswordResetView
from django.http import HttpResponse
from django.shortcuts import render

from assessments.caching import cache_count

# At most this many reset links an hour per address, and per email address asked for.
RESET_LIMIT_PER_HOUR = 5


def client_ip(request: Any) -> str:
    """REMOTE_ADDR, or behind PROXY_COUNT trusted proxies the address the outermost one saw.

    Trusting X-Forwarded-For without a proxy would let anyone pick a fresh address per
    attempt; ignoring it behind one would count everybody as the proxy.
    """
    count = settings.PROXY_COUNT
    if count > 0:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        hops = [hop.strip() for hop in forwarded if hop.strip()]
        if len(hops) >= count:
            return str(hops[-count])
    return str(request.META.get("REMOTE_ADDR", ""))


def axes_username(request: Any, credentials: dict[str, Any] | None = None) -> str | None:
    """The username a lockout counts, cut to axes' 255-character column.

    Django's login form does not enforce the username's max_length, so a longer name reaches
    axes, and PostgreSQL refuses to store the failed attempt (a 500 instead of "wrong password").
    """
    source = credentials if credentials else getattr(request, "POST", {})
    username = source.get("username")
    return None if username is None else str(username)[:255]


def _over_limit(key: str) -> bool:
    """Count one more request under `key` for an hour; True past the limit.

    Without a working cache the request is let through (and logged): a password reset that
    nobody can use is worse than a limit that is off while the cache is down.
    """
    count = cache_count(key, timeout=3600)
    return count is not None and count > RESET_LIMIT_PER_HOUR


class ThrottledPasswordResetView(PasswordResetView):
    """Password links, limited per address and per email so nobody floods an inbox."""

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        email = form.cleaned_data["email"].strip().casefold()
        # Hashed: cache keys stay short and free of characters some backends refuse.
        digest = hashlib.sha256(email.encode()).hexdigest()
        by_address = _over_limit(f"pwreset:ip:{client_ip(self.request)}")
        by_email = _over_limit(f"pwreset:email:{digest}")
        if by_address or by_email:
            return render(self.request, "registration/password_reset_limited.html", status=429)
        return super().form_valid(form)
