from __future__ import annotations

from django.apps import AppConfig


class OffboardingConfig(AppConfig):
    """Export everything an organisation holds, then delete it, with a log that outlives it."""

    name = "offboarding"
    default_auto_field = "django.db.models.BigAutoField"
