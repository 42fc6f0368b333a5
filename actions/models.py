"""Action items, their own audit trail, and each person's digest e-mail choice."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from assessments import audit_source
from assessments.audit_source import Via
from assessments.models import Assessment, Organisation, Site


class ActionItemQuerySet(models.QuerySet["ActionItem"]):
    def open(self) -> ActionItemQuerySet:
        return self.filter(status__in=ActionItem.OPEN_STATUSES)

    def overdue(self, today: datetime.date) -> ActionItemQuerySet:
        return self.open().filter(due_date__lt=today)

    def with_context(self) -> ActionItemQuerySet:
        return self.select_related("site__organisation", "owner", "assessment")


class ActionItem(models.Model):
    """One recommendation of an action plan, taken on as work with an owner and a due date.

    The question and domain are kept by key and title (copied when the item is made), not by
    foreign key: an item stays with its domain when a newer instrument version drops its
    question, and outlives the assessment it came from (`assessment` is then null).
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        WONT_DO = "wont_do", "Won't do"

    OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS)

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="action_items"
    )
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="action_items")
    assessment = models.ForeignKey(
        Assessment, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items"
    )
    instrument_slug = models.SlugField(max_length=80)
    instrument_version = models.CharField(max_length=40)
    question_key = models.CharField(max_length=120)
    question_text = models.TextField()
    domain_key = models.CharField(max_length=80)
    domain_title = models.CharField(max_length=200)
    # The answer that made the recommendation, e.g. "Partially in place (2 of 4)".
    weakness = models.CharField(max_length=300, blank=True)
    title = models.TextField()  # the recommendation, editable
    priority = models.DecimalField(max_digits=9, decimal_places=4)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    reason = models.TextField(blank=True)  # why "won't do"
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    # Optimistic concurrency: an edit names the revision it started from.
    revision = models.PositiveIntegerField(default=1)

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        ordering = ["-priority", "pk"]
        indexes = [
            models.Index(fields=["organisation", "status", "due_date"]),
            models.Index(fields=["site", "instrument_slug", "question_key"]),
            models.Index(fields=["owner", "status", "due_date"]),
        ]
        constraints = [
            # One item per recommendation of an assessment: a second click adds nothing.
            models.UniqueConstraint(
                fields=["assessment", "question_key"], name="one_action_item_per_question"
            )
        ]

    def __str__(self) -> str:
        return f"{self.site} · {self.question_key}: {self.title[:60]}"

    def get_absolute_url(self) -> str:
        return reverse("actions:item", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.is_open and self.due_date is not None and self.due_date < today


class ActionItemEvent(models.Model):
    """The item's own audit trail: who changed which field, when, from what to what."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        CHANGED = "changed", "Changed"

    item = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="events")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=10, choices=Action.choices)
    field = models.CharField(max_length=40, blank=True)
    old = models.JSONField(null=True, blank=True)
    new = models.JSONField(null=True, blank=True)
    # "api" for a change made through the REST API (assessments/audit_source.py).
    via = models.CharField(
        max_length=10, blank=True, choices=Via.choices, default=audit_source.current_via
    )

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["item", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.field}"

    @property
    def field_label(self) -> str:
        if self.action == self.Action.CREATED:
            return "Created"
        return FIELD_LABELS.get(self.field, self.field)

    @property
    def old_display(self) -> str:
        return self._display(self.old)

    @property
    def new_display(self) -> str:
        return self._display(self.new)

    def _display(self, value: Any) -> str:
        """A trail value as people read it: a person's name, a status label, the text."""
        if value is None or value == "":
            return ""
        if isinstance(value, dict):
            if "name" in value:
                return str(value["name"])
            if "title" in value:
                return f"{value['title']} (from {value.get('assessment', '')})"
        if self.field == "status":
            return str(dict(ActionItem.Status.choices).get(value, value))
        return str(value)


FIELD_LABELS = {
    "title": "Action",
    "owner": "Owner",
    "due_date": "Due date",
    "status": "Status",
    "reason": "Reason",
    "notes": "Notes",
}


class DigestPreference(models.Model):
    """A person's choice about the daily e-mail of their due and overdue items (default: on)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="action_digest"
    )
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.user}: digest {'on' if self.enabled else 'off'}"
