from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest


class AuthenticatedHttpRequest(HttpRequest):
    """A request behind @login_required: its user is a real user (healthchecks' habit)."""

    user: User
