"""Models of the reports app: a consultant's own report branding.

An organisation's branding (title and logo on `Organisation`) is for its own staff. A
consultant works for several client organisations and brings their own title, logo and the
name they sign with: it belongs to the person, so it lives here, one row per consultant,
and follows them to every client (reports/report_options.py picks whose branding a report
carries from who exports it).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ConsultantBranding(models.Model):
    """A consultant's own report branding, used in every client organisation they export for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consultant_branding"
    )
    report_title = models.CharField(max_length=200, blank=True)
    report_logo = models.ImageField(upload_to="logos/consultants/", blank=True)
    # The name a report is signed with, e.g. "Marcus Bell, Bell Health Advisory".
    report_signoff = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"branding of {self.user_id}"
