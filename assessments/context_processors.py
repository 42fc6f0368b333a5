from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from assessments.access import user_memberships


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The organisations of the signed-in user, for the switcher; queried only when shown."""
    context: dict[str, Any] = {"site_name": settings.SITE_NAME}
    if request.user.is_authenticated:
        user_id = request.user.pk
        context["nav_memberships"] = SimpleLazyObject(lambda: user_memberships(user_id))
    return context
