"""What a request may do before any object is looked at; objects are assessments/access.py's."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from api.models import ApiToken


class IsSignedIn(permissions.IsAuthenticated):
    message = "Sign in, or send a personal API token: Authorization: Bearer <token>."


class TokenAllowsWrites(permissions.BasePermission):
    """A read-only token reads; any other request is refused before it changes anything."""

    message = "This token is read-only: it cannot change anything. Make a token without "
    message += "'read-only' on your API tokens page for writes."

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        if isinstance(token, ApiToken) and token.read_only:
            return request.method in permissions.SAFE_METHODS
        return True
