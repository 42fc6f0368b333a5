"""Evidence files: attach, delete, list and open them, the one place that does (issue 14).

The questionnaire's views, the ZIP import and the REST API all call these. A refusal is an
EvidenceError whose `message` is for the person (it names the file) and whose `code` is for a
program (e.g. "too_big", "type", "duplicate", "locked"); nothing is changed when one is raised.

Content is checked (evidence/checks.py), scanned when a ClamAV daemon is configured
(evidence/scanning.py) and written to storage under a name the app chooses before the row is
created in one transaction with its audit entry; when that transaction fails the stored content
is removed again, and a deletion removes the content only once its transaction has committed.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files import File
from django.core.files.storage import Storage, default_storage, storages
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from assessments.content import instrument_content
from assessments.display import display_name, file_size
from assessments.models import Assessment, AuditEntry, Question
from evidence.checks import (
    MAX_FILES_PER_ANSWER,
    CheckedFile,
    FileRefused,
    check_file,
    quoted,
)
from evidence.models import EvidenceFile, visible_to
from evidence.scanning import ScanOutcome, scan_content
from respondents.blind import BlindRule

logger = logging.getLogger(__name__)

Status = EvidenceFile.Status
STORAGE_FOLDER = "evidence"


class EvidenceError(Exception):
    """Refused; nothing was changed. `message` is for the person, `code` for a program."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        self.message = message
        self.code = code
        super().__init__(message)


class EvidenceLocked(EvidenceError):
    def __init__(self) -> None:
        super().__init__(
            "This assessment is submitted: its files are read-only, like its answers. Nothing "
            "was changed; an organisation admin can reopen it.",
            "locked",
        )


@dataclass(frozen=True)
class UploadResult:
    evidence: EvidenceFile
    message: str  # what the uploader is told: attached, and whether others can see it yet


# --- storage ------------------------------------------------------------------------------------


def evidence_storage() -> Storage:
    """STORAGES["evidence"] when configured (an S3 bucket, see settings), else the default."""
    if "evidence" in settings.STORAGES:
        return storages["evidence"]
    return default_storage


def store_content(stream: BinaryIO) -> str:
    stream.seek(0)
    # The app's name, never the uploader's: nothing of theirs reaches a path or a key.
    name = evidence_storage().save(f"{STORAGE_FOLDER}/{uuid.uuid4().hex}", File(stream))
    stream.seek(0)
    return str(name)


def discard_stored(names: Iterable[str]) -> None:
    """Remove stored content; a name already gone is fine (the rows are what matter)."""
    storage = evidence_storage()
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # noqa: BLE001 - any backend's failure: logged, the rows stay right
            logger.exception("could not delete stored evidence %s", name)


def evidence_open(*, evidence: EvidenceFile) -> IO[bytes]:
    """The file's content for reading; raises EvidenceError when it is not there."""
    if not evidence.has_content:
        raise EvidenceError(
            f"{quoted(evidence.name)} was deleted: a virus was found in it.", "infected"
        )
    try:
        handle: IO[bytes] = evidence_storage().open(evidence.stored_name, "rb")
    except (FileNotFoundError, OSError) as exc:
        logger.error("stored evidence %s is missing", evidence.stored_name)
        raise EvidenceError(
            f"The content of {quoted(evidence.name)} is missing from storage; ask an "
            "administrator to restore it from a backup.",
            "missing",
        ) from exc
    return handle


# --- reading ------------------------------------------------------------------------------------


def evidence_seen(
    *, assessment: Assessment, user_id: int | None, blind: BlindRule | None = None
) -> QuerySet[EvidenceFile]:
    """The assessment's files a person sees, as a queryset (see `evidence_list`)."""
    files = EvidenceFile.objects.filter(assessment=assessment).filter(visible_to(user_id))
    if blind is not None:
        files = blind.visible(files, author="uploaded_by_id", question="question_key")
    return files


def evidence_list(
    *,
    assessment: Assessment,
    user_id: int | None,
    question_keys: Iterable[str] | None = None,
    blind: BlindRule | None = None,
) -> dict[str, list[EvidenceFile]]:
    """The files a person sees, by question key, oldest first (one query).

    Others' files only once available (not scanned, or scanned clean); one's own in any state,
    so that the uploader learns what became of them. `blind`: the person's blind rule in
    independent mode (respondents/blind.py; the domain page applies it to its rows itself).
    """
    files = evidence_seen(assessment=assessment, user_id=user_id, blind=blind)
    if question_keys is not None:
        files = files.filter(question_key__in=list(question_keys))
    listed: dict[str, list[EvidenceFile]] = defaultdict(list)
    for evidence in files.order_by("uploaded_at", "pk"):
        listed[evidence.question_key].append(evidence)
    return dict(listed)


# --- writing ------------------------------------------------------------------------------------


def question_of(assessment: Assessment, question_key: str) -> Question:
    question = instrument_content(assessment.instrument).by_key.get(question_key)
    if question is None:
        raise EvidenceError(
            f"{quoted(question_key)} is not a question of this assessment.", "question"
        )
    return question


def check_upload(name: str, stream: BinaryIO, size: int) -> CheckedFile:
    """The checks of evidence/checks.py with the configured size limit, as an EvidenceError."""
    try:
        return check_file(name, stream, size, max_bytes=settings.EVIDENCE_MAX_BYTES)
    except FileRefused as refused:
        raise EvidenceError(refused.message, refused.code) from None


def check_room(
    assessment: Assessment, question_key: str, names: Iterable[str], *, exclude: Any = None
) -> None:
    """Whether the answer can take files of these name keys: 20 at most, each name once."""
    names = list(names)
    taken = EvidenceFile.objects.filter(assessment=assessment, question_key=question_key).exclude(
        status=Status.INFECTED
    )
    existing = set(taken.values_list("name_key", flat=True))
    for key in names:
        if key in existing:
            shown = taken.filter(name_key=key).values_list("name", flat=True).first() or key
            raise EvidenceError(
                f"A file named {quoted(shown)} is already attached to this answer. Rename the "
                "new one, or delete the other first.",
                "duplicate",
            )
    if len(existing) + len(names) > MAX_FILES_PER_ANSWER:
        raise EvidenceError(
            f"This answer already has {len(existing)} files; at most {MAX_FILES_PER_ANSWER} "
            "can be attached to one answer. Delete one first, or combine them.",
            "too_many",
        )


def refuse_infected(name: str, outcome: ScanOutcome) -> None:
    if outcome.status == Status.INFECTED:
        logger.warning("evidence upload %r refused: virus %s", name, outcome.detail)
        raise EvidenceError(
            f"{quoted(name)} was refused: the virus scanner found {outcome.detail} in it. It "
            "was not stored.",
            "infected",
        )


def _lock(assessment: Assessment) -> None:
    """Lock the assessment row (saves of one assessment run one after the other) and refuse
    a submitted one, or one moved to another version since the page was shown."""
    locked = (
        Assessment.objects.select_for_update()
        .only("status", "instrument_id")
        .filter(pk=assessment.pk)
        .first()
    )
    if locked is None or locked.status == Assessment.Status.SUBMITTED:
        raise EvidenceLocked
    if locked.instrument_id != assessment.instrument_id:
        raise EvidenceError(
            "This assessment was moved to a newer version of the questionnaire meanwhile. "
            "Nothing was changed: reload the page and attach the file again.",
            "version",
        )


def bump_revision(assessment_id: int) -> None:
    """Files change what the report shows: the revision (the PDF cache's key) moves."""
    Assessment.objects.filter(pk=assessment_id).update(
        revision=F("revision") + 1, updated_at=timezone.now()
    )


def file_audit(evidence: EvidenceFile, **extra: str) -> dict[str, Any]:
    """What the audit trail keeps of a file: its name, size and fingerprint."""
    return {
        "file": evidence.name,
        "size": file_size(evidence.size),
        "sha256": evidence.sha256,
        **extra,
    }


def create_row(
    *,
    assessment: Assessment,
    question_key: str,
    checked: CheckedFile,
    stored_name: str,
    outcome: ScanOutcome,
    user: User | None,
    uploader_name: str | None = None,
    uploaded_at: Any = None,
    note: str = "",
) -> EvidenceFile:
    """The row and its audit entry (inside the caller's transaction)."""
    now = timezone.now()
    evidence = EvidenceFile.objects.create(
        assessment=assessment,
        question_key=question_key,
        name=checked.name,
        name_key=checked.name_key,
        stored_name=stored_name,
        size=checked.size,
        content_type=checked.content_type,
        sha256=checked.sha256,
        uploaded_by=user,
        uploader_name=display_name(user) if uploader_name is None else uploader_name,
        uploaded_at=uploaded_at or now,
        status=outcome.status,
        scan_detail=outcome.detail,
        scanned_at=now if outcome.status in (Status.CLEAN, Status.FAILED) else None,
    )
    AuditEntry.objects.create(
        assessment=assessment,
        user=user,
        at=now,
        action=AuditEntry.Action.EVIDENCE_ADDED,
        subject=question_key,
        new=file_audit(evidence, **({"note": note} if note else {})),
    )
    return evidence


def _upload_message(evidence: EvidenceFile) -> str:
    name = quoted(evidence.name)
    if evidence.status == Status.PENDING:
        return (
            f"{name} is attached. The virus scanner could not be reached: others will see the "
            "file once it has been scanned."
        )
    if evidence.status == Status.FAILED:
        return (
            f"{name} is attached but could not be scanned for viruses ({evidence.scan_detail}): "
            "only you can see it. Ask an administrator, or attach it in another format."
        )
    scanned = " It was scanned: no virus found." if evidence.status == Status.CLEAN else ""
    return f"{name} is attached.{scanned}"


def evidence_upload(
    *,
    assessment: Assessment,
    question_key: str,
    name: str,
    stream: BinaryIO,
    size: int,
    user: User,
) -> UploadResult:
    """Attach one file to the answer of `question_key`; raises EvidenceError, changing nothing.

    Whether `user` may edit that answer is the caller's question (assessments/access.py).
    """
    question_of(assessment, question_key)
    if not assessment.is_editable:
        raise EvidenceLocked
    checked = check_upload(name, stream, size)
    # Asked before the slow part (scan, storage) and again under the lock, for races.
    check_room(assessment, question_key, [checked.name_key])
    outcome = scan_content(stream)
    refuse_infected(checked.name, outcome)
    stored = store_content(stream)
    try:
        with transaction.atomic():
            _lock(assessment)
            check_room(assessment, question_key, [checked.name_key])
            evidence = create_row(
                assessment=assessment,
                question_key=question_key,
                checked=checked,
                stored_name=stored,
                outcome=outcome,
                user=user,
            )
            bump_revision(assessment.pk)
    except IntegrityError:
        # Another upload of the same name won the race (the unique constraint).
        discard_stored([stored])
        raise EvidenceError(
            f"A file named {quoted(checked.name)} is already attached to this answer. Rename "
            "the new one, or delete the other first.",
            "duplicate",
        ) from None
    except BaseException:
        discard_stored([stored])
        raise
    return UploadResult(evidence=evidence, message=_upload_message(evidence))


def evidence_delete(*, evidence: EvidenceFile, user: User) -> None:
    """Delete one file (audited: who, when, which file); raises EvidenceError, changing nothing.

    Whether `user` may edit the answer is the caller's question (assessments/access.py).
    """
    assessment = evidence.assessment
    with transaction.atomic():
        _lock(assessment)
        row = EvidenceFile.objects.select_for_update().filter(pk=evidence.pk).first()
        if row is None:
            raise EvidenceError(f"{quoted(evidence.name)} was already deleted.", "gone")
        stored = row.stored_name
        extra = {} if row.has_content else {"note": "its content had been deleted: a virus"}
        AuditEntry.objects.create(
            assessment=assessment,
            user=user,
            action=AuditEntry.Action.EVIDENCE_DELETED,
            subject=row.question_key,
            old=file_audit(row, **extra),
        )
        had_content = row.has_content
        row.delete()
        bump_revision(assessment.pk)
        if had_content:
            transaction.on_commit(lambda: discard_stored([stored]))


def evidence_rescan(*, evidence: EvidenceFile) -> str:
    """Scan a stored file again (`manage.py scan_evidence`); returns its new status.

    A virus found now deletes the content and keeps the row, marked, for its uploader to see;
    the audit trail records that the scanner deleted it.
    """
    if not evidence.has_content:
        return str(evidence.status)
    try:
        with evidence_open(evidence=evidence) as handle:
            outcome = scan_content(handle)  # type: ignore[arg-type]
    except EvidenceError:
        return str(evidence.status)
    if outcome.status == Status.PENDING:
        return str(evidence.status)  # the scanner is still out of reach: try again later
    with transaction.atomic():
        updated = EvidenceFile.objects.filter(pk=evidence.pk).update(
            status=outcome.status, scan_detail=outcome.detail, scanned_at=timezone.now()
        )
        if not updated:
            return "deleted"
        if outcome.status == Status.INFECTED:
            AuditEntry.objects.create(
                assessment_id=evidence.assessment_id,
                user=None,
                action=AuditEntry.Action.EVIDENCE_DELETED,
                subject=evidence.question_key,
                old=file_audit(evidence),
                new={"note": f"deleted by the virus scan: {outcome.detail} found"},
            )
            stored = evidence.stored_name
            transaction.on_commit(lambda: discard_stored([stored]))
        bump_revision(evidence.assessment_id)
    return str(outcome.status)


@dataclass(frozen=True)
class RescanSummary:
    """What one run of `evidence_rescan_waiting` found: a count per new status."""

    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def __str__(self) -> str:
        counts = self.counts
        return (
            f"Scanned {self.total} file(s): {counts.get(Status.CLEAN, 0)} clean, "
            f"{counts.get(Status.INFECTED, 0)} infected (content deleted), "
            f"{counts.get(Status.PENDING, 0)} still waiting, "
            f"{counts.get(Status.FAILED, 0)} could not be scanned."
        )


def evidence_rescan_waiting(*, every: bool = False) -> RescanSummary:
    """Scan again the files waiting for the scanner (it was out of reach) or that it could
    not scan; `every`: every stored file (after a signature update). For `manage.py
    scan_evidence` and its Celery beat task; the caller checks that a scanner is configured."""
    files = EvidenceFile.objects.exclude(status=Status.INFECTED)
    if not every:
        files = files.filter(status__in=[Status.PENDING, Status.FAILED])
    counts: dict[str, int] = defaultdict(int)
    for evidence in files.order_by("pk").iterator():
        counts[evidence_rescan(evidence=evidence)] += 1
    return RescanSummary(counts=dict(counts))


def stored_names_of(assessments: Any) -> list[str]:
    """Stored content of the assessments' files (offboarding removes it with them)."""
    return list(
        EvidenceFile.objects.filter(assessment__in=assessments)
        .exclude(status=Status.INFECTED)
        .values_list("stored_name", flat=True)
    )
