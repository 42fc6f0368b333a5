from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class OffboardingLog(models.Model):
    """An organisation's export or deletion, kept after the organisation is gone.

    No foreign key to the organisation (it no longer exists after a deletion); its name and id
    are copied. The user is a foreign key for convenience and copied as text, so the record
    still names them if their account is deleted later.
    """

    class Action(models.TextChoices):
        EXPORTED = "exported", "Exported"
        DELETED = "deleted", "Deleted"

    action = models.CharField(max_length=20, choices=Action.choices)
    organisation_id = models.BigIntegerField()
    organisation_name = models.CharField(max_length=200)
    organisation_slug = models.CharField(max_length=80)
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    performed_by_name = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)
    # {"sites": 3, "assessments": 12, ...}: what the export held or the deletion removed.
    counts = models.JSONField(default=dict)
    # "admin" or "command": where it was done.
    via = models.CharField(max_length=20)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()} "
            f"{self.organisation_name} (#{self.organisation_id})"
        )
