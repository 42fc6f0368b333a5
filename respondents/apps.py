from __future__ import annotations

from django.apps import AppConfig


class RespondentsConfig(AppConfig):
    """Several voices on one assessment (issue 15): domains assigned to colleagues.

    Kept apart from `assessments`: an assignment only widens who may answer a domain (see
    assessments/access.py, `may_edit_domain`); answers are still the assessment's Answer rows,
    saved through assessments.services, so scoring does not change.
    """

    name = "respondents"
    default_auto_field = "django.db.models.BigAutoField"
