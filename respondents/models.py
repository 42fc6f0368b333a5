"""Assignments of an assessment's domains to members, their audit trail, reminder choices."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.utils import timezone

from assessments import audit_source
from assessments.audit_source import Via
from assessments.models import Assessment, Question


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    def active(self) -> AssignmentQuerySet:
        return self.filter(removed_at__isnull=True)


class Assignment(models.Model):
    """One member asked to answer one domain of one assessment.

    Removing a person keeps the row (`removed_at` set): what they answered stays in the record,
    marked as given by someone no longer assigned. Assigning them again brings the row back.
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="assignments")
    domain_key = models.CharField(max_length=80)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    due_date = models.DateField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    # The last day a reminder went out: the daily run sends at most one per person and day.
    reminded_on = models.DateField(null=True, blank=True)
    # In independent-answers mode: when the person marked their answers to the domain done.
    # Until then nobody else sees them.
    done_at = models.DateTimeField(null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["assessment", "domain_key", "pk"]
        indexes = [models.Index(fields=["user", "removed_at", "due_date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "domain_key", "user"], name="one_assignment_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.domain_key} of {self.assessment_id}"

    @property
    def is_active(self) -> bool:
        return self.removed_at is None

    def is_overdue(self, today: datetime.date) -> bool:
        return self.due_date is not None and self.due_date < today


class AssignmentEvent(models.Model):
    """The audit trail of assignments: who assigned or removed whom, for which domain."""

    class Action(models.TextChoices):
        ASSIGNED = "assigned", "Assigned"
        CHANGED = "changed", "Due date changed"
        REMOVED = "removed", "Removed"
        # Independent answers (issue 15).
        MODE = "mode", "Answering mode changed"
        DONE = "done", "Marked done"
        ANSWERED = "answered", "Own answer changed"
        REOPENED = "reopened", "Part reopened"
        NOTE = "note", "Consensus note changed"

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="assignment_events"
    )
    domain_key = models.CharField(max_length=80)
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=10, choices=Action.choices)
    due_date = models.DateField(null=True, blank=True)
    # What changed, for the events of independent answers (question key, old and new fields).
    detail = models.JSONField(default=dict, blank=True)
    # "api" for a change made through the REST API (assessments/audit_source.py).
    via = models.CharField(
        max_length=10, blank=True, choices=Via.choices, default=audit_source.current_via
    )

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.domain_key}"


class ReminderPreference(models.Model):
    """A person's choice about the daily reminder of assignments due soon (default: on)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignment_reminders"
    )
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.user}: {'on' if self.enabled else 'off'}"


class IndependentAnswering(models.Model):
    """An assessment run in "independent answers" mode (issue 15): each assigned respondent
    answers on their own (RespondentAnswer) and the coordinator settles a consensus, which is
    the assessment's normal Answer and the only thing that scores."""

    assessment = models.OneToOneField(
        Assessment, on_delete=models.CASCADE, related_name="independent_answering"
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"independent answers for {self.assessment_id}"


class RespondentAnswer(models.Model):
    """One respondent's own answer to one question in independent-answers mode."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="respondent_answers"
    )
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="respondent_answers"
    )
    value = models.TextField(blank=True)
    comment = models.TextField(blank=True)
    evidence = models.TextField(blank=True)
    answered_at = models.DateTimeField(default=timezone.now)
    # Optimistic concurrency as for Answer: a save names the revision it started from.
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["assessment", "question", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "question", "user"], name="one_respondent_answer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.question_id}={self.value}"

    # A respondent starts blank: nothing is carried over from last round into their answers.
    carried_over = False

    def snapshot(self) -> dict[str, str]:
        return {"value": self.value, "comment": self.comment, "evidence": self.evidence}

    @property
    def answered_by(self) -> AbstractBaseUser:
        """The questionnaire's pages name who gave an answer: here, its respondent."""
        return self.user


class ConsensusNote(models.Model):
    """The coordinator's note on the consensus answer of one question."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="consensus_notes"
    )
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "question"], name="one_consensus_note")
        ]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.note[:40]}"
