"""The benchmark app's writes."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from assessments.models import Organisation
from benchmark.models import Participation, ParticipationEvent


@transaction.atomic
def participation_set(
    *, organisation: Organisation, opted_in: bool, user: User | None
) -> Participation:
    """Opt the organisation in or out, with an audit entry when the choice changes.

    Nothing is shown differently at once: the next refresh decides what may be published.
    """
    participation, _ = Participation.objects.select_for_update().get_or_create(
        organisation=organisation
    )
    if participation.opted_in != opted_in:
        participation.opted_in = opted_in
        participation.changed_at = timezone.now()
        participation.changed_by = user
        participation.save()
        ParticipationEvent.objects.create(organisation=organisation, user=user, opted_in=opted_in)
        from reports.queue import enqueue_on_commit

        enqueue_on_commit("benchmark.tasks.benchmark_refresh_task")
    return participation
