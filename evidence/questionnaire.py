"""Evidence files on the questionnaire's domain page: each question's files and its notices.

Called by the domain view (assessments/questionnaire_views.py) once its question rows are built: one query
for the files of every question on the page, and the messages of the last upload or deletion
taken out of the page's messages to be shown next to the question they are about (the
browser comes back to that question's anchor, far from the top of the page).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage.base import Message
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import escape

from assessments.display import file_size
from assessments.models import Assessment
from evidence.checks import MAX_FILES_PER_ANSWER
from evidence.services import evidence_list

TAG_PREFIX = "evidence-for:"


def question_tag(key: str) -> str:
    """The extra tag of a message about the files of question `key`."""
    return f"{TAG_PREFIX}{key}"


def _question_of(message: Message) -> str | None:
    for tag in message.extra_tags.split():
        if tag.startswith(TAG_PREFIX):
            return tag.removeprefix(TAG_PREFIX)
    return None


def attach_files(
    request: HttpRequest,
    *,
    assessment: Assessment,
    rows: Iterable[dict[str, Any]],
    take_messages: bool = True,
) -> list[Message]:
    """Give each row `files`, `file_notices` and `files_upload_url`; returns the page's other
    messages (for the top of the page), or none when `take_messages` is off (autosave)."""
    rows = list(rows)
    keys = [row["question"].key for row in rows]
    listed = evidence_list(assessment=assessment, user_id=request.user.pk, question_keys=keys)
    notices: dict[str, list[Message]] = {}
    rest: list[Message] = []
    if take_messages:
        for message in messages.get_messages(request):
            key = _question_of(message)
            if key is not None and key in keys:
                notices.setdefault(key, []).append(message)
            else:
                rest.append(message)
    limit = settings.EVIDENCE_MAX_BYTES
    limits = {
        "bytes": limit,
        "size": file_size(limit),
        "count": MAX_FILES_PER_ANSWER,
        "too_big": f"This file is over {file_size(limit)}: it cannot be attached.",
    }
    upload_url = _upload_url(assessment.pk)
    for row in rows:
        key = row["question"].key
        row["files_limits"] = limits
        row["files"] = listed.get(key, [])
        row["file_notices"] = notices.get(key, [])
        row["files_upload_url"] = upload_url(key)
    return rest


def _upload_url(pk: int) -> Callable[[str], str]:
    """The upload URL of the assessment `pk` for a question key: one reverse() for a page of
    keys (a key is [a-z0-9_.-], the instrument schema's pattern, so nothing in it is quoted;
    reverse() itself for anything else)."""
    template = reverse("evidence:upload", args=[pk, "KEY"])
    safe = re.compile(r"[a-z0-9][a-z0-9_.-]*")

    def url(key: str) -> str:
        if safe.fullmatch(key):
            return template.replace("/KEY/", f"/{key}/")
        return reverse("evidence:upload", args=[pk, key])

    return url


def files_block(row: Mapping[str, Any], *, can_edit: bool) -> str:
    """A question card's evidence files and upload form, as HTML (assessments/question_card.py
    draws the card in Python; attach_files gave the row its files). Every value is escaped."""
    # Imported here: the card module imports this one when it draws.
    from assessments.question_card import date, text

    files = row.get("files")
    notices = row.get("file_notices")
    if files is None or not (files or notices or can_edit):
        return "\n"
    key = escape(row["question"].key)
    count = f' <span class="text-body-secondary">({len(files)})</span>' if files else ""
    html = [
        f'\n<div class="question-files" id="files-{key}">\n'
        f'  <div class="question-files-head">Evidence files{count}</div>\n  '
    ]
    for message in notices or ():
        level = message.level_tag
        kind, role = ("danger", "alert") if level == "error" else (text(level or "info"), "status")
        html.append(
            f'\n    <div class="alert alert-{kind} file-notice" role="{role}">{text(message)}</div>\n  '
        )
    html.append("\n  ")
    if files:
        html.append('\n    <ul class="file-list">\n      ')
        for f in files:
            name = text(f.name)
            if f.has_content:
                url = text(reverse("evidence:download", args=[f.pk]))
                shown = f'<a class="file-name" href="{url}">{name}</a>'
            else:
                shown = f'<span class="file-name text-decoration-line-through">{name}</span>'
            html.append(
                f'\n        <li class="file-item">\n          {shown}\n'
                f'          <span class="file-meta">{text(f.size_text)} · '
                f"{text(f.uploader_name or 'someone')}, {date(f.uploaded_at, 'j M Y')}</span>\n"
                "          "
            )
            if not f.available:
                detail = text(f.scan_detail) if f.scan_detail else ""
                infected = f": {detail}" if f.status == "infected" and f.scan_detail else ""
                html.append(
                    f'<span class="badge badge-file-{text(f.status)}" title="{detail}">'
                    f"{text(f.get_status_display())}{infected}</span>"
                )
            html.append("\n          ")
            if can_edit:
                delete = text(reverse("evidence:delete", args=[f.pk]))
                html.append(
                    '<button type="submit" class="btn btn-link btn-sm file-delete" '
                    f'form="files-delete" formaction="{delete}" data-confirm="Delete {name}? The '
                    'history keeps a record of it.">Delete<span class="visually-hidden"> '
                    f"{name}</span></button>"
                )
            html.append("\n        </li>\n      ")
        html.append("\n    </ul>\n  ")
    html.append("\n  ")
    if can_edit:
        limits = row["files_limits"]
        html.append(
            '\n    <div class="file-upload">\n'
            f'      <label class="visually-hidden" for="file-{key}">Attach a file to question '
            f"{text(row['number'])}</label>\n"
            '      <input type="file" class="form-control form-control-sm" name="file" '
            f'id="file-{key}" form="files-upload-{key}" required\n'
            '             accept=".pdf,.docx,.xlsx,.png,.jpg,.jpeg,.csv,.txt" '
            f'aria-describedby="file-help-{key}" data-max-bytes="{text(limits["bytes"])}" '
            f'data-too-big="{text(limits["too_big"])}">\n'
            '      <button type="submit" class="btn btn-outline-secondary btn-sm" '
            f'form="files-upload-{key}">Attach</button>\n'
            "    </div>\n"
            f'    <div class="form-text" id="file-help-{key}">PDF, Word (.docx), Excel (.xlsx), '
            f"PNG, JPEG, CSV or text; up to {text(limits['size'])} each, "
            f"{text(limits['count'])} per answer.</div>\n  "
        )
    html.append("\n</div>\n\n")
    return "".join(html)
