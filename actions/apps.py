from __future__ import annotations

from django.apps import AppConfig


class ActionsConfig(AppConfig):
    """Action items: the action plan of a report turned into tracked work (issue 14).

    An item belongs to a site and outlives the assessment it came from, so it keeps its own
    audit trail (ActionItemEvent) instead of the assessment's.
    """

    name = "actions"
    default_auto_field = "django.db.models.BigAutoField"
