"""The daily reminder: one e-mail per person with assignments due within 3 days or overdue.

Run by `./manage.py send_assignment_reminders` from cron (or a periodic task calling
`reminders_send`). People who turned reminders off are left out; a person gets at most one
reminder a day however often the job runs.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from assessments.content import instrument_content
from assessments.models import Assessment
from respondents.models import Assignment, ReminderPreference

logger = logging.getLogger(__name__)
DUE_SOON_DAYS = 3


@dataclass(frozen=True)
class ReminderSummary:
    emails: int
    assignments: int

    def __str__(self) -> str:
        return f"{self.emails} reminder e-mail(s) for {self.assignments} assignment(s)"


def due_assignments(today: datetime.date) -> dict[User, list[Assignment]]:
    """Active assignments of draft or reopened assessments due by today + 3 days, by person,
    without those who opted out or were reminded today."""
    opted_out = ReminderPreference.objects.filter(enabled=False).values("user_id")
    rows = (
        Assignment.objects.active()
        .filter(due_date__isnull=False, due_date__lte=today + datetime.timedelta(DUE_SOON_DAYS))
        .exclude(assessment__status=Assessment.Status.SUBMITTED)
        .exclude(user_id__in=opted_out)
        .filter(Q(reminded_on__isnull=True) | Q(reminded_on__lt=today))
        .exclude(user__email="")
        .filter(user__is_active=True)
        .select_related("user", "assessment__site", "assessment__instrument")
        .order_by("user_id", "due_date", "pk")
    )
    by_user: dict[User, list[Assignment]] = defaultdict(list)
    for assignment in rows:
        by_user[assignment.user].append(assignment)
    return by_user


def reminders_send(*, today: datetime.date | None = None) -> ReminderSummary:
    today = today or timezone.localdate()
    base = settings.SITE_URL
    messages = []
    sent: list[int] = []
    for user, assignments in due_assignments(today).items():
        lines = []
        for a in assignments:
            domain = instrument_content(a.assessment.instrument).domain(a.domain_key)
            lines.append(
                {
                    "title": domain.title if domain else a.domain_key,
                    "site": a.assessment.site.name,
                    "round": a.assessment.round_label,
                    "due_date": a.due_date,
                    "overdue": a.is_overdue(today),
                    "url": base
                    + reverse("assessments:domain", args=[a.assessment_id, a.domain_key]),
                }
            )
        overdue = sum(1 for line in lines if line["overdue"])
        subject = (
            f"{overdue} overdue: domains you were asked to answer"
            if overdue
            else f"Due within {DUE_SOON_DAYS} days: domains you were asked to answer"
        )
        context = {
            "user": user,
            "lines": lines,
            "reminders_url": base + reverse("accounts:notifications") + "#reminders",
            "site_name": settings.SITE_NAME,
        }
        body = render_to_string("respondents/email/reminder.txt", context)
        messages.append((subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]))
        sent.extend(a.pk for a in assignments)
    if messages:
        send_mass_mail(messages, fail_silently=False)
        with transaction.atomic():
            Assignment.objects.filter(pk__in=sent).update(reminded_on=today)
    logger.info("assignment reminders: %d e-mails, %d assignments", len(messages), len(sent))
    return ReminderSummary(emails=len(messages), assignments=len(sent))
