from __future__ import annotations

from typing import TypeVar

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.cache import add_never_cache_headers, patch_cache_control

Response = TypeVar("Response", bound=HttpResponseBase)


class AuthenticatedHttpRequest(HttpRequest):
    """A request behind @login_required: its user is a real user (healthchecks' habit)."""

    user: User


def private_no_store(response: Response) -> Response:
    """Keep the response out of every cache: the browser's disk, the back button, any proxy.

    For pages with secrets (recovery codes), findings (reports) or people's data. The
    middleware gives every signed-in response `private, no-store` too; a view that must never
    be cached says so itself, so that it holds whatever the middleware does.
    """
    add_never_cache_headers(response)
    patch_cache_control(response, private=True, no_store=True)
    return response
