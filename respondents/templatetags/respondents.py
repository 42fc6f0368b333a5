"""Template hooks of assignments on pages owned by `assessments` (kept out of its views)."""

from __future__ import annotations

from typing import Any

from django import template

from respondents.queries import my_assignments

register = template.Library()


@register.inclusion_tag("respondents/_my_assignments.html", takes_context=True)
def my_assignments_block(context: dict[str, Any], organisation_id: int | None) -> dict[str, Any]:
    """The signed-in person's assignments in the organisation, with progress per domain."""
    user = context["request"].user
    return {"my_assignments": my_assignments(user.pk, organisation_id=organisation_id)}
