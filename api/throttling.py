"""Rate limits of the API (DRF throttling), counted per token, per signed-in person or per
address; the rates are settings (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], from env)."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiToken
from assessments.security import client_ip


class ApiRateThrottle(SimpleRateThrottle):
    """One bucket per token (each token its own), per session user, or per client address."""

    scope = "token"

    def allow_request(self, request: Request, view: Any) -> bool:
        # The scope depends on how the request signed in, known only now.
        if isinstance(request.auth, ApiToken):
            self.scope = "token"
        elif request.user and request.user.is_authenticated:
            self.scope = "session"
        else:
            self.scope = "anonymous"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return bool(super().allow_request(request, view))

    def get_cache_key(self, request: Request, view: Any) -> str:
        if isinstance(request.auth, ApiToken):
            ident = f"t{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"u{request.user.pk}"
        else:
            ident = f"a{client_ip(request)}"
        return str(self.cache_format % {"scope": self.scope, "ident": ident})
