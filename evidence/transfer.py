"""Evidence files in and out: their listing in the assessment JSON, and the export with evidence.

The JSON lists each available file under its answer ("files": name, size, content type,
SHA-256, who attached it and when). The export with evidence is a ZIP of that JSON as
`assessment.json` and each file as `evidence/<question key>/<name>`. Importing such a ZIP
checks the archive as a whole (its size, member count, names, unpacked size and compression
ratio: no path traversal, no zip bomb), the JSON as any import does, and each file as an
upload is checked and against its listed size and SHA-256; then writes everything in one
transaction. A refused ZIP changes nothing, and each problem names the member or key.
"""

from __future__ import annotations

import datetime
import io
import re
import shutil
import tempfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from assessments.content import instrument_content
from assessments.display import file_size
from assessments.models import Assessment, AuditEntry, Organisation
from assessments.transfer import assessment_import, validate_import
from assessments.transfer_checks import (
    MAX_PROBLEMS,
    TransferError,
    parse_assessment_json,
    transfer_error,
)
from assessments.transfer_export import dumps, export_assessment, export_filename
from evidence.checks import CheckedFile, name_key
from evidence.models import AVAILABLE, EvidenceFile
from evidence.scanning import ScanOutcome, scan_content
from evidence.services import (
    EvidenceError,
    check_upload,
    create_row,
    discard_stored,
    evidence_open,
    store_content,
)
from evidence.sniffing import ZIP_ERRORS
from respondents.blind import blind_rule

ARCHIVE_JSON = "assessment.json"
FOLDER = "evidence"
# More members than any assessment can list (20 files for each of a few hundred questions).
MAX_MEMBERS = 5000
# The unpacked total may be at most this many times the archive's limit: PDFs, images and
# Office files (the bulk of evidence) hardly compress, text does, a zip bomb does enormously.
UNPACKED_FACTOR = 2
# A member of more than RATIO_FLOOR bytes that unpacks to more than MAX_RATIO times its packed
# size is refused as a likely zip bomb (real CSV and text stay well below).
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024
_READ = 64 * 1024
_COMPRESSIONS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_ALREADY_PACKED = {"application/pdf", "image/png", "image/jpeg"}


# --- the listing in the assessment JSON ------------------------------------------------------


def _utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat(timespec="seconds")


def file_entry(evidence: EvidenceFile) -> dict[str, Any]:
    """One file as the assessment JSON lists it (assessment_format.EvidenceFileFormat)."""
    return {
        "name": evidence.name,
        "size": evidence.size,
        "content_type": evidence.content_type,
        "sha256": evidence.sha256,
        "uploaded_by": evidence.uploader_name,
        "uploaded_at": _utc(evidence.uploaded_at),
    }


def _available(assessment: Assessment) -> Any:
    return EvidenceFile.objects.filter(assessment=assessment, status__in=AVAILABLE).order_by(
        "uploaded_at", "pk"
    )


def files_by_question(
    assessment: Assessment, *, viewer: User | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The available files of each question, as the JSON lists them (one query). Files that
    others cannot see yet (waiting for or failing their virus scan) are not exported. In
    independent mode a file made for `viewer` leaves out what the blind rule hides from them
    (respondents/blind.py; one query more); None (the command): every file."""
    files = _available(assessment)
    blind = blind_rule(assessment, viewer_id=viewer.pk) if viewer is not None else None
    if blind is not None:
        files = blind.visible(files, author="uploaded_by_id", question="question_key")
    listed: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for evidence in files:
        listed[evidence.question_key].append(file_entry(evidence))
    return dict(listed)


def member_name(question_key: str, name: str) -> str:
    return f"{FOLDER}/{question_key}/{name}"


def _listed(data: Any) -> list[tuple[str, int, dict[str, Any]]]:
    """(question key, index, entry) of every file a parsed JSON lists, whatever else it holds."""
    answers = data.get("answers") if isinstance(data, dict) else None
    if not isinstance(answers, dict):
        return []
    found: list[tuple[str, int, dict[str, Any]]] = []
    for key, entry in answers.items():
        files = entry.get("files") if isinstance(entry, dict) else None
        if isinstance(files, list):
            found.extend((str(key), i, f) for i, f in enumerate(files) if isinstance(f, dict))
    return found


def files_listed(data: Any) -> int:
    """How many evidence files a parsed assessment JSON lists (an import of the JSON alone
    says that it left them out)."""
    return len(_listed(data))


# --- export with evidence ----------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceExport:
    filename: str
    file: IO[bytes]  # at its start; a temporary file, gone once closed
    files: int


def _zip_time(moment: datetime.datetime) -> tuple[int, int, int, int, int, int]:
    local = timezone.localtime(moment)
    return (max(local.year, 1980), local.month, local.day, local.hour, local.minute, local.second)


def export_with_evidence(*, assessment: Assessment, user_id: int | None) -> EvidenceExport:
    """The assessment JSON and its files as one ZIP; recorded in the audit trail like the JSON.

    Raises EvidenceError when a listed file's content is missing from storage.
    """
    # Made for this person, as the JSON download: a respondent still answering a domain gets
    # nobody else's answers to it (issue 15); no person (the command): everything.
    viewer = User.objects.filter(pk=user_id).first() if user_id is not None else None
    data = export_assessment(assessment, viewer=viewer)
    rows = {(e.question_key, e.name_key): e for e in _available(assessment)}
    # Spooled: a small export stays in memory, a big one goes to a temporary file.
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
    count = 0
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo(ARCHIVE_JSON, _zip_time(timezone.now())),
            dumps(data),
            compress_type=zipfile.ZIP_DEFLATED,
        )
        for key, _, entry in _listed(data):
            evidence = rows.get((key, name_key(entry["name"])))
            if evidence is None:  # deleted between the two reads: the JSON would lie
                raise EvidenceError(
                    "A file was deleted while the export was being made; export again.", "changed"
                )
            info = zipfile.ZipInfo(member_name(key, evidence.name), _zip_time(evidence.uploaded_at))
            # Office files are ZIPs, images and PDFs compressed already: stored as they are.
            packed = evidence.content_type in _ALREADY_PACKED or "officedocument" in (
                evidence.content_type
            )
            info.compress_type = zipfile.ZIP_STORED if packed else zipfile.ZIP_DEFLATED
            with evidence_open(evidence=evidence) as source, archive.open(info, "w") as target:
                shutil.copyfileobj(source, target, _READ)
            count += 1
    AuditEntry.objects.create(
        assessment=assessment,
        user_id=user_id,
        action=AuditEntry.Action.EXPORTED,
        subject="zip",
        new={"evidence files": count},
    )
    spool.seek(0)
    filename = export_filename(assessment).removesuffix(".json") + "-with-evidence.zip"
    return EvidenceExport(filename=filename, file=spool, files=count)  # type: ignore[arg-type]


# --- import with evidence ----------------------------------------------------------------------


def is_zip(stream: BinaryIO) -> bool:
    """Whether the upload is a ZIP (an export with evidence) rather than a JSON text."""
    stream.seek(0)
    head = stream.read(4)
    stream.seek(0)
    return head in (b"PK\x03\x04", b"PK\x05\x06")


_DRIVE = re.compile(r"^[A-Za-z]:")


def _unsafe(name: str) -> str:
    """Why a member's name is not a plain relative path inside the archive ("" if it is)."""
    if "\x00" in name or "\\" in name or name.startswith("/") or _DRIVE.match(name):
        return "is not a safe path inside the ZIP (absolute, or with “\\”)"
    parts = name.rstrip("/").split("/")
    if any(part in {"", ".", ".."} for part in parts):
        return "is not a safe path inside the ZIP (“..”, “.” or an empty folder name)"
    return ""


@dataclass(frozen=True)
class _Member:
    info: zipfile.ZipInfo
    question_key: str
    entry: dict[str, Any]
    checked: CheckedFile
    outcome: ScanOutcome


class _Problems:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, key: str, reason: str) -> None:
        self.items.append((key, reason))

    def raise_any(self) -> None:
        if self.items:
            raise TransferError(self.items[:MAX_PROBLEMS])


def _open_archive(archive: BinaryIO, size: int) -> zipfile.ZipFile:
    limit = settings.EVIDENCE_ZIP_MAX_BYTES
    if size > limit:
        raise transfer_error(
            "file",
            f"is {file_size(size)}; a ZIP with evidence can be up to {file_size(limit)}",
        )
    try:
        return zipfile.ZipFile(archive)
    except ZIP_ERRORS:
        raise transfer_error("file", "is not a readable ZIP file (damaged or cut short)") from None


def _members(zf: zipfile.ZipFile, problems: _Problems) -> dict[str, zipfile.ZipInfo]:
    """The archive's files by name, after the checks of the archive as a whole."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise transfer_error(
            "file", f"holds {len(infos)} entries; an export with evidence has at most {MAX_MEMBERS}"
        )
    unpacked = sum(info.file_size for info in infos)
    limit = settings.EVIDENCE_ZIP_MAX_BYTES * UNPACKED_FACTOR
    if unpacked > limit:
        raise transfer_error(
            "file",
            f"would unpack to {file_size(unpacked)}, more than the {file_size(limit)} allowed",
        )
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = info.filename
        if reason := _unsafe(name):
            problems.add(name[:200], reason)
        elif info.is_dir():
            continue
        elif name in members:
            problems.add(name, "appears twice in the ZIP")
        elif info.flag_bits & 0x1:
            problems.add(name, "is encrypted")
        elif (info.external_attr >> 16) & 0o170000 == 0o120000:
            problems.add(name, "is a symbolic link")
        elif info.compress_type not in _COMPRESSIONS:
            problems.add(name, "uses a compression method this app cannot read")
        elif info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            problems.add(
                name,
                f"unpacks to more than {MAX_RATIO} times its packed size: refused as a "
                "possible zip bomb",
            )
        else:
            members[name] = info
    return members


class _TooBig(Exception):
    """A member unpacks to more than the limit (whatever its header declared)."""


def _read(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """A member's content, never more than `limit` bytes whatever its header declares."""
    buffer = io.BytesIO()
    with zf.open(info) as handle:
        while chunk := handle.read(_READ):
            buffer.write(chunk)
            if buffer.tell() > limit:
                raise _TooBig
    return buffer.getvalue()


def _json(zf: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], json_limit: int) -> Any:
    info = members.get(ARCHIVE_JSON)
    if info is None:
        raise transfer_error(
            "file", f"has no {ARCHIVE_JSON}: it is not an export with evidence of this app"
        )
    if info.file_size > json_limit:
        raise transfer_error(
            ARCHIVE_JSON, f"is {file_size(info.file_size)}; up to {file_size(json_limit)}"
        )
    try:
        raw = _read(zf, info, json_limit)
    except _TooBig:
        raise transfer_error(ARCHIVE_JSON, f"is over {file_size(json_limit)}") from None
    except ZIP_ERRORS:
        raise transfer_error(ARCHIVE_JSON, "cannot be unpacked (damaged)") from None
    try:
        return parse_assessment_json(raw)
    except TransferError as exc:
        raise TransferError([(ARCHIVE_JSON, reason) for _, reason in exc.problems]) from None


def _check_files(
    zf: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], data: Any, problems: _Problems
) -> list[_Member]:
    """Each listed file: present, as listed (size, SHA-256), and acceptable as an upload."""
    checked: list[_Member] = []
    seen: set[tuple[str, str]] = set()
    expected = {ARCHIVE_JSON}
    for key, index, entry in _listed(data):
        name = str(entry.get("name", ""))
        where = f"answers.{key}.files[{index}]"
        if (key, name_key(name)) in seen:
            problems.add(f"{where}.name", f"“{name}” is listed twice for this answer")
            continue
        seen.add((key, name_key(name)))
        member = member_name(key, name)
        expected.add(member)
        info = members.get(member)
        if info is None:
            problems.add(where, f"lists {member}, which is not in the ZIP")
            continue
        limit = settings.EVIDENCE_MAX_BYTES
        try:
            content = _read(zf, info, limit)
        except _TooBig:
            problems.add(member, f"is over {file_size(limit)}; files up to that can be attached")
            continue
        except ZIP_ERRORS:
            problems.add(member, "cannot be unpacked (damaged)")
            continue
        try:
            found = check_upload(name, io.BytesIO(content), len(content))
        except EvidenceError as refused:
            problems.add(member, refused.message)
            continue
        if found.size != entry.get("size") or found.sha256 != entry.get("sha256"):
            problems.add(
                member,
                f"does not match {ARCHIVE_JSON} (size or SHA-256 differ): it was changed or "
                "damaged after the export",
            )
            continue
        outcome = scan_content(io.BytesIO(content))
        if outcome.status == EvidenceFile.Status.INFECTED:
            problems.add(member, f"the virus scanner found {outcome.detail} in it")
            continue
        checked.append(_Member(info, key, entry, found, outcome))
    for name in members:
        if name not in expected:
            problems.add(name, f"is not listed in {ARCHIVE_JSON}: unexpected in an export")
    return checked


def _moment(text: Any) -> datetime.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def assessment_import_zip(
    *,
    archive: BinaryIO,
    size: int,
    user: User | None,
    organisation: Organisation | None = None,
    allow_new_site: bool = True,
    json_limit: int | None = None,
) -> Assessment:
    """Create an assessment with its files from an export with evidence; raises TransferError,
    writing nothing (rows or stored files). The JSON is imported as `assessment_import` does
    (see there for `organisation` and `allow_new_site`); `json_limit` bounds assessment.json
    (UPLOAD_MAX_BYTES by default, as a JSON upload)."""
    zf = _open_archive(archive, size)
    with zf:
        problems = _Problems()
        members = _members(zf, problems)
        problems.raise_any()
        data = _json(zf, members, json_limit or settings.UPLOAD_MAX_BYTES)
        # The JSON's own problems first: they say which keys are wrong in assessment.json.
        validate_import(data, organisation=organisation, allow_new_site=allow_new_site)
        checked = _check_files(zf, members, data, problems)
        problems.raise_any()
        stored: list[str] = []
        try:
            with transaction.atomic():
                assessment = assessment_import(
                    data=data, user=user, organisation=organisation, allow_new_site=allow_new_site
                )
                questions = instrument_content(assessment.instrument).by_key
                for member in checked:
                    assert member.question_key in questions  # checked by validate_import
                    content = io.BytesIO(_read(zf, member.info, settings.EVIDENCE_MAX_BYTES))
                    stored.append(store_content(content))
                    create_row(
                        assessment=assessment,
                        question_key=member.question_key,
                        checked=member.checked,
                        stored_name=stored[-1],
                        outcome=member.outcome,
                        user=user,
                        uploader_name=str(member.entry.get("uploaded_by") or "") or None,
                        uploaded_at=_moment(member.entry.get("uploaded_at")),
                        note="imported",
                    )
        except BaseException:
            discard_stored(stored)
            raise
    return assessment
