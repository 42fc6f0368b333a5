"""Whether one file may be attached, as it is: its name, size and content. Pure: no Django.

The same checks run for an upload in the questionnaire, a file of an imported ZIP and (later)
the REST API; each refusal is one sentence naming the file, for the person who sent it.
Whether the answer has room for it (count, duplicate names) is the service's question.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from typing import BinaryIO

from assessments.display import file_size
from evidence import sniffing

MAX_NAME = 200  # EvidenceFile.name
MAX_FILES_PER_ANSWER = 20
# Characters that never belong in a file name: control characters, invisible formatting
# (a right-to-left override can show "exe.pdf" for "fdp.exe"), surrogates, line separators.
_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
MB = 1024 * 1024


class FileRefused(Exception):
    """A file that cannot be attached; `message` says why, naming the file."""

    def __init__(self, message: str, code: str) -> None:
        self.message = message
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class CheckedFile:
    name: str
    name_key: str
    kind: sniffing.Kind
    size: int
    sha256: str

    @property
    def content_type(self) -> str:
        return self.kind.content_type


def quoted(name: str, limit: int = 80) -> str:
    """A name as a message quotes it: on one line, and clipped."""
    shown = "".join(c if c.isprintable() else "?" for c in name)
    return f"“{shown if len(shown) <= limit else shown[: limit - 1] + '…'}”"


def name_key(name: str) -> str:
    return name.casefold()


def clean_name(raw: str) -> str:
    """The display name of an upload: NFC, trimmed; refused when it holds a folder path or
    characters that do not belong in a name. Browsers send the bare name; a folder in it
    comes from a script or an archive, and is refused rather than guessed at."""
    name = unicodedata.normalize("NFC", raw).strip()
    if not name:
        raise FileRefused("The file has no name.", "name")
    if "/" in name or "\\" in name or name in {".", ".."}:
        raise FileRefused(
            f"{quoted(name)} was refused: a file name may not contain a folder path "
            "(“/” or “\\”). Attach the file itself.",
            "name",
        )
    if any(unicodedata.category(c) in _BAD_CATEGORIES for c in name):
        raise FileRefused(
            f"{quoted(name)} was refused: its name contains control or invisible characters. "
            "Rename the file and attach it again.",
            "name",
        )
    if len(name) > MAX_NAME:
        raise FileRefused(
            f"{quoted(name)} was refused: its name is too long ({len(name)} characters; at "
            f"most {MAX_NAME}). Rename the file and attach it again.",
            "name",
        )
    return name


def _extension(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return f".{extension.lower()}" if dot and stem.strip(". ") else ""


def check_file(raw_name: str, stream: BinaryIO, size: int, *, max_bytes: int) -> CheckedFile:
    """Check one file completely; raises FileRefused. `stream` is seekable and is read to the
    end at most twice (type, then SHA-256); `size` is its length in bytes."""
    name = clean_name(raw_name)
    if size > max_bytes:
        raise FileRefused(
            f"{quoted(name)} is {file_size(size)}; files up to {file_size(max_bytes)} can be "
            "attached.",
            "too_big",
        )
    if size == 0:
        raise FileRefused(f"{quoted(name)} is empty: there is nothing to attach.", "empty")
    try:
        found = sniffing.sniff(stream)
    except sniffing.NotAccepted as refused:
        raise FileRefused(f"{quoted(name)} was refused: {refused.reason}.", refused.code) from None
    extension = _extension(name)
    named = sniffing.BY_EXTENSION.get(extension)
    if named is None:
        reason = (
            f"files ending “{extension}” cannot be attached"
            if extension
            else "its name has no extension"
        )
        raise FileRefused(
            f"{quoted(name)} was refused: {reason}. Its content is {found.label}: name it "
            f"…{found.extensions[0]}.",
            "extension",
        )
    # Text is CSV or plain text as its name says; every other kind must be what it is named.
    kind = named if found is sniffing.TEXT and named in (sniffing.CSV, sniffing.TEXT) else found
    if kind is not named:
        raise FileRefused(
            f"{quoted(name)} was refused: its name says {named.label} but its content is "
            f"{found.label}.",
            "mismatch",
        )
    return CheckedFile(
        name=name, name_key=name_key(name), kind=kind, size=size, sha256=sha256_of(stream)
    )


def sha256_of(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    stream.seek(0)
    while chunk := stream.read(sniffing.CHUNK):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()
