from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """The signed-in user's own account: two-factor sign-in (TOTP and recovery codes)."""

    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts.mfa import mfa_clear_at_sign_in

        def _clear(sender: object, request: object, user: object, **kwargs: object) -> None:
            mfa_clear_at_sign_in(request=request, user=user)  # type: ignore[arg-type]

        user_logged_in.connect(_clear, weak=False, dispatch_uid="accounts.mfa_clear_at_sign_in")
