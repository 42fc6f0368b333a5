"""Which organisations take part in the benchmark, and the snapshots that are published.

Only snapshots are ever shown: pages read the latest published Snapshot of an instrument
version and kind of site, never the assessments themselves (see benchmark/publishing.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from assessments.models import Instrument, Organisation


class Participation(models.Model):
    """An organisation's choice to contribute its sites' latest submitted results."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="benchmark_participation"
    )
    opted_in = models.BooleanField(default=False)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.organisation}: {'in' if self.opted_in else 'out'}"


class ParticipationEvent(models.Model):
    """The audit trail of opting in and out (who, when, which way)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="benchmark_events"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    opted_in = models.BooleanField()

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.organisation} {'in' if self.opted_in else 'out'}"


class Snapshot(models.Model):
    """One published benchmark of an instrument version, for all sites (kind "") or one kind.

    `figures` is {"overall": row, "domains": [row, ...]} where a row is {"key", "title",
    "median", "q1", "q3", "sites", "organisations"} or, below the thresholds, {"key", "title",
    "withheld": true}. Empty figures mean the whole benchmark is withheld. `contributors`
    ({organisation id: [assessment ids]}) is kept to check later refreshes against; it is never
    shown.
    """

    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, related_name="benchmark_snapshots"
    )
    kind = models.CharField(max_length=20, blank=True)  # "" = every kind of site
    published_at = models.DateTimeField(default=timezone.now)
    sites = models.PositiveIntegerField(default=0)
    organisations = models.PositiveIntegerField(default=0)
    figures = models.JSONField(default=dict, blank=True)
    contributors = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["instrument", "kind", "published_at"])]

    def __str__(self) -> str:
        return f"{self.instrument} {self.kind or 'all'} {self.published_at:%Y-%m-%d %H:%M}"

    @property
    def withheld(self) -> bool:
        return not self.figures
