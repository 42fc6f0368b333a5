"""Writes of the reports app: the read log of results and reports, report branding, and the
record of comparison exports.

Services are named `<entity>_<action>`, take keyword arguments only and run in a transaction,
as in assessments/services.py; views and commands call them and write nothing themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, cast

from django.contrib.auth.models import User
from django.db import models, transaction
from django.utils import timezone

from assessments.models import Assessment, AuditEntry, ExportRecord, Organisation
from reports.models import ConsultantBranding

logger = logging.getLogger(__name__)

BRANDING_FIELDS = ("report_title", "report_logo", "report_page_size")
CONSULTANT_BRANDING_FIELDS = ("report_title", "report_logo", "report_signoff", "updated_at")


def report_view_log(*, assessment: Assessment, user_id: int | None, subject: str) -> AuditEntry:
    """Record that someone opened the results or the report (`subject`, e.g. "results").

    Reads are audited on purpose: a report holds patient-safety findings, and who saw them
    matters as much as who changed them. One INSERT, atomic by itself: no transaction around it
    (a savepoint pair on every results page view would cost two queries for nothing).
    """
    return AuditEntry.objects.create(
        assessment=assessment, user_id=user_id, action=AuditEntry.Action.VIEWED, subject=subject
    )


@transaction.atomic
def report_export_log(*, assessment: Assessment, user_id: int | None, subject: str) -> AuditEntry:
    """Record that the report left the app as a file (`subject`, e.g. "report-pdf").

    `user_id` is None for `manage.py export_report`, which runs without a signed-in person.
    """
    return AuditEntry.objects.create(
        assessment=assessment, user_id=user_id, action=AuditEntry.Action.EXPORTED, subject=subject
    )


def organisation_branding_update(
    *,
    organisation: Organisation,
    report_title: str,
    report_logo: Any,
    report_page_size: str | None = None,
) -> Organisation:
    """Save the report branding of an organisation and delete a logo file it no longer uses.

    `report_logo` is what the branding form cleaned: a new file, the current one (kept), or
    False to clear it. The replaced file is deleted only after the new row is saved, so a
    failed save never leaves the organisation pointing at a file that is gone.
    """
    field = cast(models.FileField, Organisation._meta.get_field("report_logo"))
    with transaction.atomic():
        # The stored name, not the instance's: a bound ModelForm has already changed that.
        old_logo = (
            Organisation.objects.select_for_update()
            .filter(pk=organisation.pk)
            .values_list("report_logo", flat=True)
            .first()
        ) or ""
        organisation.report_title = report_title
        if report_page_size:
            organisation.report_page_size = report_page_size
        field.save_form_data(organisation, report_logo)  # as a ModelForm does
        organisation.save(update_fields=list(BRANDING_FIELDS))
    new_logo = organisation.report_logo.name if organisation.report_logo else ""
    if old_logo and old_logo != new_logo:
        # Replaced or cleared: no row refers to the old file any more.
        organisation.report_logo.storage.delete(old_logo)
    # New branding, new reports: a worker renders them before anyone asks (reports/prerender.py).
    from reports.queue import enqueue_on_commit

    enqueue_on_commit("reports.tasks.report_organisation_prerender", organisation.pk)
    return organisation


def consultant_branding_update(
    *, user: User, report_title: str, report_logo: Any, report_signoff: str
) -> ConsultantBranding:
    """Save a consultant's own report branding (created on first save), deleting a logo
    file it no longer uses once the row is saved, as organisation_branding_update does."""
    field = cast(models.FileField, ConsultantBranding._meta.get_field("report_logo"))
    with transaction.atomic():
        branding, _ = ConsultantBranding.objects.select_for_update().get_or_create(user=user)
        old_logo = branding.report_logo.name if branding.report_logo else ""
        branding.report_title = report_title
        branding.report_signoff = report_signoff
        branding.updated_at = timezone.now()
        field.save_form_data(branding, report_logo)
        branding.save(update_fields=list(CONSULTANT_BRANDING_FIELDS))
    new_logo = branding.report_logo.name if branding.report_logo else ""
    if old_logo and old_logo != new_logo:
        branding.report_logo.storage.delete(old_logo)
    return branding


@transaction.atomic
def export_record_create(
    *,
    organisation: Organisation,
    user: User | None,
    kind: str,
    rows: int,
    filters: Iterable[tuple[str, str]],
) -> ExportRecord:
    """Record that a table spanning many assessments left the app (`kind`, e.g.
    "comparison-csv"), who took it and with which filters (name, value).

    An AuditEntry belongs to one assessment; an export spans many, so the organisation keeps
    its own record of it. `user` is None when nobody is signed in (an offboarding command).
    """
    described = {str(name): str(value) for name, value in filters}
    record = ExportRecord.objects.create(
        organisation=organisation,
        user=user if user is not None and user.pk else None,
        kind=kind,
        rows=rows,
        filters=described,
    )
    logger.info(
        "%s export: organisation=%s user=%s rows=%d filters=%s",
        kind,
        organisation.slug,
        record.user_id,
        rows,
        described,
    )
    return record
