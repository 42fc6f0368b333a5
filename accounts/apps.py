from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """The signed-in user's own account: two-factor sign-in (TOTP and recovery codes)."""

    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"
