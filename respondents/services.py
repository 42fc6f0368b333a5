"""The writes of assignments: assign, remove, reminder choices. Each leaves an audit entry."""

from __future__ import annotations

import datetime
import logging
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from assessments import access
from assessments.content import instrument_content
from assessments.display import display_name
from assessments.models import Assessment, Membership
from respondents.models import Assignment, AssignmentEvent, ReminderPreference

logger = logging.getLogger(__name__)


class AssignmentError(ValueError):
    """An assignment that cannot be made; the message says why, for the form."""


@dataclass(frozen=True)
class Assigned:
    assignment: Assignment
    emailed: bool


def assignable_members(assessment: Assessment) -> list[Membership]:
    """The members of the assessment's organisation who can see its site."""
    memberships = (
        Membership.objects.filter(organisation_id=assessment.site.organisation_id)
        .select_related("user")
        .prefetch_related("sites")
        .order_by("user__first_name", "user__last_name", "user__username")
    )
    return [
        m
        for m in memberships
        if access.may_be_assigned(m, assessment.site_id, {s.pk for s in m.sites.all()})
    ]


def _email_assignment(assignment: Assignment, assigned_by: User) -> bool:
    """Email the respondent a link to the domain; False when the mail server refused."""
    assessment = assignment.assessment
    domain = instrument_content(assessment.instrument).domain(assignment.domain_key)
    context = {
        "respondent": display_name(assignment.user),
        "coordinator": display_name(assigned_by),
        "assessment": assessment,
        "site": assessment.site,
        "domain_title": domain.title if domain else assignment.domain_key,
        "due_date": assignment.due_date,
        "url": settings.SITE_URL
        + reverse("assessments:domain", args=[assessment.pk, assignment.domain_key]),
        "reminders_url": settings.SITE_URL + reverse("accounts:notifications") + "#reminders",
        "site_name": settings.SITE_NAME,
    }
    subject = f"You are asked to answer {context['domain_title']} for {assessment.site.name}"
    body = render_to_string("respondents/email/assigned.txt", context)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [assignment.user.email])
    except (OSError, smtplib.SMTPException):
        logger.exception("assignment email for assessment %s failed", assessment.pk)
        return False
    return True


def assignment_create(
    *,
    assessment: Assessment,
    domain_key: str,
    respondent: User,
    due_date: datetime.date | None,
    user: User,
) -> Assigned:
    """Assign a domain to a member who can see the site, and email them the link.

    Assigning someone already assigned changes the due date only (no second email);
    assigning someone who was removed brings their assignment back.
    """
    if instrument_content(assessment.instrument).domain(domain_key) is None:
        raise AssignmentError("This questionnaire has no such domain.")
    if not assessment.is_editable:
        raise AssignmentError("This assessment has been submitted: reopen it to assign domains.")
    if respondent.pk not in {m.user_id for m in assignable_members(assessment)}:
        raise AssignmentError("Only members who can see this site can be assigned.")
    with transaction.atomic():
        assignment, created = Assignment.objects.select_for_update().get_or_create(
            assessment=assessment,
            domain_key=domain_key,
            user=respondent,
            defaults={"due_date": due_date, "assigned_by": user},
        )
        revived = not created and assignment.removed_at is not None
        if created or revived:
            action = AssignmentEvent.Action.ASSIGNED
        elif assignment.due_date != due_date:
            action = AssignmentEvent.Action.CHANGED
        else:
            return Assigned(assignment=assignment, emailed=False)
        if not created:
            assignment.due_date = due_date
            assignment.removed_at = None
            assignment.reminded_on = None
            assignment.save(update_fields=["due_date", "removed_at", "reminded_on"])
        AssignmentEvent.objects.create(
            assessment=assessment,
            domain_key=domain_key,
            respondent=respondent,
            user=user,
            action=action,
            due_date=due_date,
        )
    emailed = False
    if action == AssignmentEvent.Action.ASSIGNED:
        emailed = _email_assignment(assignment, user)
    return Assigned(assignment=assignment, emailed=emailed)


def assignment_remove(*, assignment: Assignment, user: User) -> None:
    """Take the domain from the person. Their answers stay in the record (the row is kept,
    marked removed), and they may no longer change them unless their role allows it."""
    if assignment.removed_at is not None:
        return
    with transaction.atomic():
        assignment.removed_at = timezone.now()
        assignment.save(update_fields=["removed_at"])
        AssignmentEvent.objects.create(
            assessment_id=assignment.assessment_id,
            domain_key=assignment.domain_key,
            respondent_id=assignment.user_id,
            user=user,
            action=AssignmentEvent.Action.REMOVED,
            due_date=assignment.due_date,
        )


def reminder_preference_set(*, user: User, enabled: bool) -> ReminderPreference:
    preference, _ = ReminderPreference.objects.update_or_create(
        user=user, defaults={"enabled": enabled, "updated_at": timezone.now()}
    )
    return preference
