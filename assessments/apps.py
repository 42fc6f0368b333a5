from __future__ import annotations

from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from assessments.middleware import session_started

        user_logged_in.connect(session_started, dispatch_uid="assessments.session_started")
