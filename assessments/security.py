"""Who is asking and how often: the client address and username that login limits count, and
the limit on password-reset links."""

from __future__ import annotations

import hashlib
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.views import PasswordResetView
from django.db.models import Sum
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

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


def address_failures(ip_address: str) -> int:
    """Failed sign-ins from this address within the cool-off, whatever the usernames."""
    attempts = AccessAttempt.objects.filter(ip_address=ip_address)
    cool_off = get_cool_off()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    return int(attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0)


class AddressLimitAxesHandler(AxesDatabaseHandler):  # type: ignore[misc]
    """axes' database handler, locking by username together with address (AXES_FAILURE_LIMIT)
    and, with a higher limit, by address alone (LOGIN_ADDRESS_FAILURE_LIMIT).

    One limit per address alone locked a whole clinic behind one NAT address after five typos
    by one person; none at all would let one address try a password on every username
    (spraying). axes has one limit for all its lockout parameters, so the second is counted
    here from the attempts axes keeps.
    """

    def _address_locked(self, request: Any) -> bool:
        address = getattr(request, "axes_ip_address", None)
        if not address:
            return False
        return address_failures(address) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT

    def is_locked(self, request: Any, credentials: dict[str, Any] | None = None) -> bool:
        return bool(super().is_locked(request, credentials)) or self._address_locked(request)

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
    ) -> None:
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False):
            return
        if self.is_whitelisted(request, credentials):
            return
        if self._address_locked(request):
            # The failure that reaches the limit already answers with the lockout page.
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=axes_username(request, credentials),
                ip_address=request.axes_ip_address,
            )


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
