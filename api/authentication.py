"""How the API knows who asks: a personal token, or the browser's session with its CSRF token.

`Authorization: Bearer <token>` (RFC 6750); DRF's own `Token <token>` is accepted too. A
missing header falls through to the session, so the app's own pages and the documentation
page call the API as the signed-in person, with the CSRF check the pages have.
"""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from api.models import ApiToken
from api.tokens import token_for_secret, token_touch

KEYWORDS = ("bearer", "token")


class TokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode("latin-1").lower() not in KEYWORDS:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "The Authorization header must be 'Bearer <token>', with no spaces in the token."
            )
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("This token is not valid.") from None
        token = token_for_secret(raw)
        if token is None:
            raise exceptions.AuthenticationFailed(
                "This token is not valid: it is unknown, revoked or expired, or its owner's "
                "account is closed."
            )
        token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # A 401 (not 403) for a request without credentials, with the scheme to use.
        return 'Bearer realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication (which checks the CSRF token on unsafe methods)."""
