"""What drf-spectacular cannot guess: the token scheme, the session scheme, a person field.

Imported by ApiConfig.ready(), which registers the extensions."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TokenAuthentication"
    name = "token"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token, made on your API tokens page: "
            "`Authorization: Bearer rdy_…`.",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.SessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The app's own session (the pages, this documentation); a change "
            "also needs the X-CSRFToken header.",
        }
