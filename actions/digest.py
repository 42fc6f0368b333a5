"""The daily digest: one e-mail to each owner of open items due within 7 days or overdue.

`digest_send` is what both `manage.py send_action_digest` (cron) and the Celery beat task
(actions/tasks.py) run. Nobody who turned the digest off on their account page gets one,
nor a person without an e-mail address, an inactive account, or an owner who is no longer a
member of the item's organisation.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mass_mail
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from actions.models import ActionItem, DigestPreference
from actions.queries import DUE_SOON_DAYS
from assessments.models import Membership

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DigestSummary:
    emails: int
    items: int

    def __str__(self) -> str:
        return f"Action digest: {self.emails} e-mail(s) about {self.items} item(s)."


def digest_items(today: datetime.date) -> dict[User, list[ActionItem]]:
    """Owner -> their open items due by today + 7 days (overdue ones included), soonest first."""
    opted_out = DigestPreference.objects.filter(user_id=OuterRef("owner_id"), enabled=False)
    member = Membership.objects.filter(
        user_id=OuterRef("owner_id"), organisation_id=OuterRef("organisation_id")
    )
    items = (
        ActionItem.objects.open()
        .filter(
            due_date__lte=today + datetime.timedelta(days=DUE_SOON_DAYS),
            owner__is_active=True,
        )
        .exclude(owner__email="")
        .filter(Exists(member))
        .exclude(Exists(opted_out))
        .select_related("owner", "site")
        .order_by("owner_id", "due_date", "-priority", "pk")
    )
    by_owner: dict[User, list[ActionItem]] = defaultdict(list)
    for item in items:
        assert item.owner is not None
        by_owner[item.owner].append(item)
    return by_owner


def digest_send(*, today: datetime.date | None = None) -> DigestSummary:
    today = today or timezone.localdate()
    base = settings.SITE_URL
    messages = []
    count = 0
    for owner, items in digest_items(today).items():
        overdue = [item for item in items if item.due_date and item.due_date < today]
        context = {
            "owner": owner,
            "today": today,
            "overdue": overdue,
            "due_soon": [item for item in items if item not in overdue],
            "links": {item.pk: base + reverse("actions:item", args=[item.pk]) for item in items},
            "account_url": base + reverse("accounts:notifications") + "#digest",
            "site_name": settings.SITE_NAME,
        }
        subject = (
            f"{len(overdue)} overdue and {len(items) - len(overdue)} due soon: your action items"
            if overdue
            else f"{len(items)} action item{'s' if len(items) != 1 else ''} due within {DUE_SOON_DAYS} days"
        )
        body = render_to_string("actions/email/digest.txt", context)
        messages.append((subject, body, settings.DEFAULT_FROM_EMAIL, [owner.email]))
        count += len(items)
    if messages:
        send_mass_mail(messages, fail_silently=False)
    logger.info("action digest: %d e-mails, %d items", len(messages), count)
    return DigestSummary(emails=len(messages), items=count)
