"""Offboarding an organisation: export everything it holds, then delete it.

The export is one ZIP: each assessment's JSON exactly as `manage.py export_assessment` writes
it, the comparison CSV of each instrument (every site, archived ones too, every submitted
round), the audit trail, the members and the comparison exports as CSV, the report logo, and
a manifest. The deletion removes the organisation with its sites, assessments (answers, results,
audit trail), its own instruments, memberships and files, after the caller has typed the
organisation's name; an OffboardingLog row records both steps and outlives the organisation.
User accounts are not deleted: a person may belong to other organisations.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from assessments.models import (
    Answer,
    Assessment,
    AuditEntry,
    ExportRecord,
    Instrument,
    Membership,
    Organisation,
    Site,
)
from assessments.transfer_export import dumps, export_assessment, export_filename
from evidence.models import AVAILABLE, EvidenceFile
from evidence.services import EvidenceError, discard_stored, evidence_open, stored_names_of
from evidence.transfer import member_name
from offboarding.models import OffboardingLog
from reports import comparison
from reports.services import export_record_create

SUBMITTED = Assessment.Status.SUBMITTED


class OffboardingError(Exception):
    """Refused, with a message for the person who asked (nothing was changed)."""


@dataclass(frozen=True)
class OrganisationExport:
    filename: str
    content: bytes
    counts: dict[str, int]


def organisation_counts(organisation: Organisation) -> dict[str, int]:
    """What the organisation holds, as the export and the deletion report it."""
    assessments = Assessment.objects.filter(site__organisation=organisation)
    return {
        "sites": Site.objects.filter(organisation=organisation).count(),
        "assessments": assessments.count(),
        "answers": Answer.objects.filter(assessment__in=assessments).count(),
        "audit_entries": AuditEntry.objects.filter(assessment__in=assessments).count(),
        "memberships": Membership.objects.filter(organisation=organisation).count(),
        "instruments": Instrument.objects.filter(organisation=organisation).count(),
        "comparison_exports": ExportRecord.objects.filter(organisation=organisation).count(),
        "files": len(_files(organisation)),
        "evidence_files": EvidenceFile.objects.filter(assessment__in=assessments).count(),
    }


def _files(organisation: Organisation) -> list[str]:
    """Names in media storage that belong to the organisation (its report logo)."""
    name = organisation.report_logo.name if organisation.report_logo else ""
    return [name] if name else []


def _who(user: User | None) -> str:
    if user is None:
        return ""
    full = getattr(user, "get_full_name", lambda: "")()
    email = getattr(user, "email", "") or user.get_username()
    return f"{full} <{email}>" if full else str(email)


def _csv(headers: list[str], rows: list[list[Any]]) -> bytes:
    """UTF-8 CSV, text neutralised against spreadsheet formulas as the comparison export is."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([comparison.neutralise(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def _json_text(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _audit_csv(organisation: Organisation) -> tuple[bytes, int]:
    entries = (
        AuditEntry.objects.filter(assessment__site__organisation=organisation)
        .select_related("assessment__site", "user")
        .order_by("assessment_id", "at", "pk")
    )
    rows = [
        [
            entry.assessment_id,
            entry.assessment.site.name,
            entry.assessment.round_label,
            entry.at.isoformat(),
            entry.user.get_username() if entry.user else "",
            entry.action,
            entry.subject,
            _json_text(entry.old),
            _json_text(entry.new),
        ]
        for entry in entries
    ]
    headers = ["assessment", "site", "round", "at", "user", "action", "subject", "old", "new"]
    return _csv(headers, rows), len(rows)


def _members_csv(organisation: Organisation) -> bytes:
    memberships = (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .prefetch_related("sites")
        .order_by("user__email", "pk")
    )
    rows = [
        [
            m.user.email,
            m.user.get_full_name(),
            m.role,
            "; ".join(sorted(site.name for site in m.sites.all())),
            m.created_at.isoformat(),
        ]
        for m in memberships
    ]
    return _csv(["email", "name", "role", "sites", "member_since"], rows)


def _exports_csv(organisation: Organisation) -> bytes:
    records = ExportRecord.objects.filter(organisation=organisation).select_related("user")
    rows = [
        [
            r.at.isoformat(),
            r.user.get_username() if r.user else "",
            r.kind,
            r.rows,
            _json_text(r.filters),
        ]
        for r in records.order_by("at", "pk")
    ]
    return _csv(["at", "user", "kind", "rows", "filters"], rows)


def organisation_export(
    *, organisation: Organisation, user: User | None, via: str
) -> OrganisationExport:
    """Everything the organisation holds as a ZIP, and an OffboardingLog row saying so."""
    now = timezone.now()
    counts = organisation_counts(organisation)
    buffer = io.BytesIO()
    names: list[str] = []

    def add(name: str, data: bytes | str) -> None:
        names.append(name)
        archive.writestr(name, data)

    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        assessments = (
            Assessment.objects.with_context().filter(site__organisation=organisation).order_by("pk")
        )
        for assessment in assessments:
            add(f"assessments/{export_filename(assessment)}", dumps(export_assessment(assessment)))

        # The comparison as its CSV export shows it, per instrument: every site (archived too)
        # and every submitted round. An organisation-wide view, as its org admin has.
        whole = Membership(organisation=organisation, role=Membership.Role.ORG_ADMIN)
        slugs = sorted(
            set(
                Assessment.objects.filter(site__organisation=organisation, status=SUBMITTED)
                .values_list("instrument__slug", flat=True)
                .distinct()
            )
        )
        saved_user = user if getattr(user, "pk", None) else None
        for slug in slugs:
            filters = comparison.CompareFilters(slug=slug, include_archived=True)
            table = comparison.export_csv(whole, filters)
            add(f"comparison/comparison-{slug}.csv", table.content)
            # Recorded like any comparison export, so the exports list below includes it.
            export_record_create(
                organisation=organisation,
                user=saved_user,
                kind="comparison-csv",
                rows=table.rows,
                filters=filters.describe(),
            )

        audit, audit_rows = _audit_csv(organisation)
        add("audit-trail.csv", audit)
        add("members.csv", _members_csv(organisation))
        add("comparison-exports.csv", _exports_csv(organisation))

        for name in _files(organisation):
            try:
                with default_storage.open(name, "rb") as handle:
                    add(f"files/{PurePosixPath(name).name}", handle.read())
            except OSError:
                counts["files_missing"] = counts.get("files_missing", 0) + 1
        # Evidence files (issue 14), under the assessment and question they belong to.
        for evidence in EvidenceFile.objects.filter(
            assessment__site__organisation=organisation, status__in=AVAILABLE
        ).order_by("assessment_id", "pk"):
            try:
                with evidence_open(evidence=evidence) as stored:
                    path = member_name(evidence.question_key, evidence.name)
                    add(f"assessments/{evidence.assessment_id}/{path}", stored.read())
            except EvidenceError:
                counts["files_missing"] = counts.get("files_missing", 0) + 1

        manifest = {
            "organisation": {
                "id": organisation.pk,
                "name": organisation.name,
                "slug": organisation.slug,
            },
            "exported_at": now.isoformat(timespec="seconds"),
            "exported_by": _who(user),
            "counts": counts,
            "files": sorted(names),
        }
        add("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")

    _log(OffboardingLog.Action.EXPORTED, organisation, user, counts, via)
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
    return OrganisationExport(
        filename=f"offboarding-{organisation.slug}-{stamp}.zip",
        content=buffer.getvalue(),
        counts=counts,
    )


def _log(
    action: str,
    organisation: Organisation,
    user: User | None,
    counts: dict[str, int],
    via: str,
) -> OffboardingLog:
    return OffboardingLog.objects.create(
        action=action,
        organisation_id=organisation.pk,
        organisation_name=organisation.name,
        organisation_slug=organisation.slug,
        performed_by=user if getattr(user, "pk", None) else None,
        performed_by_name=_who(user),
        counts=counts,
        via=via,
    )


def name_matches(organisation: Organisation, typed: str) -> bool:
    """The confirmation: the organisation's name exactly, surrounding spaces aside."""
    return typed.strip() == organisation.name


def organisation_delete(
    *, organisation: Organisation, confirm_name: str, user: User | None, via: str
) -> OffboardingLog:
    """Delete the organisation and everything of it, once its name is typed; logged."""
    if not name_matches(organisation, confirm_name):
        raise OffboardingError(
            f"The name typed does not match the organisation's name ({organisation.name!r}); "
            "nothing was deleted."
        )
    files = _files(organisation)
    evidence = stored_names_of(Assessment.objects.filter(site__organisation=organisation))
    try:
        with transaction.atomic():
            organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
            counts = organisation_counts(organisation)
            # Written before the rows go: Django clears the organisation's pk on delete.
            log = _log(OffboardingLog.Action.DELETED, organisation, user, counts, via)
            assessments = Assessment.objects.filter(site__organisation=organisation)
            _forget_cached_pdfs(list(assessments.with_context()))
            # Answers, results and audit entries go with their assessment; assessments first,
            # because they protect the instruments they use.
            assessments.delete()
            Instrument.objects.filter(organisation=organisation).delete()
            # Sites, memberships, comparison-export records (and anything else that cascades).
            organisation.delete()
            transaction.on_commit(lambda: _delete_files(files))
            transaction.on_commit(lambda: discard_stored(evidence))
    except ProtectedError as exc:
        blocking = sorted({str(obj) for obj in exc.protected_objects})[:5]
        raise OffboardingError(
            "Something outside the organisation still uses its data "
            f"({', '.join(blocking)}); nothing was deleted."
        ) from exc
    return log


def _delete_files(names: list[str]) -> None:
    for name in names:
        # A file already gone is fine: the database rows are what matter.
        with contextlib.suppress(OSError):
            default_storage.delete(name)


def _forget_cached_pdfs(assessments: list[Assessment]) -> None:
    """Rendered PDFs of the organisation's reports are in the cache under today's key."""
    from reports.report_files import pdf_cache_key

    keys = [
        pdf_cache_key(a, charts_available=charts) for a in assessments for charts in (True, False)
    ]
    # A cache that is down holds nothing to forget.
    with contextlib.suppress(Exception):
        cache.delete_many(keys)
