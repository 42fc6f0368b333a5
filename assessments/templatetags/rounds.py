"""Template helpers for reassessment rounds and other pages that ask "may this person…?"."""

from __future__ import annotations

from django import template

from assessments import access
from assessments.models import Membership

register = template.Library()


@register.filter
def may(membership: Membership | None, action: str) -> bool:
    """`{% if current_membership|may:"create" %}`: the rule lives in assessments/access.py."""
    if membership is None or action not in access.ACTIONS:
        return False
    return access.allows(membership, action)
