from __future__ import annotations

from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    """Evidence files attached to answers (issue 14): a policy, a signed BAA, a training log.

    Builds on assessments (never the reverse at import time): the questionnaire, the history,
    the reports and the assessment file read its rows through evidence/queries.py and
    evidence/transfer.py; every write goes through evidence/services.py.
    """

    name = "evidence"
    default_auto_field = "django.db.models.BigAutoField"
