"""Evidence files on the questionnaire's domain page: each question's files and its notices.

Called by the domain view (assessments/questionnaire_views.py) once its question rows are built: one query
for the files of every question on the page, and the messages of the last upload or deletion
taken out of the page's messages to be shown next to the question they are about (the
browser comes back to that question's anchor, far from the top of the page).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage.base import Message
from django.http import HttpRequest
from django.urls import reverse

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
    for row in rows:
        key = row["question"].key
        row["files_limits"] = limits
        row["files"] = listed.get(key, [])
        row["file_notices"] = notices.get(key, [])
        row["files_upload_url"] = reverse("evidence:upload", args=[assessment.pk, key])
    return rest
