"""The "mark for review" flag: one per question of an assessment, a note for its editors.

A flag says "come back to this one" to everyone who edits the assessment. It is audited and
travels in the assessment's JSON file, but it is not an answer: scoring, results and reports
never read it, and it does not bump the assessment's revision (no cached report changes).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from assessments.content import instrument_content
from assessments.models import Assessment, AuditEntry
from assessments.services import AssessmentLocked

# What the history shows before and after (see templates/assessments/_audit_value.html).
MARKED = {"review": "Marked for review"}
UNMARKED = {"review": "Not marked"}


def ordered_flags(assessment: Assessment, keys: Iterable[str]) -> list[str]:
    """The keys that are questions of the assessment's instrument, in questionnaire order."""
    wanted = set(keys)
    return [q.key for q in instrument_content(assessment.instrument).questions if q.key in wanted]


def review_flag_set(*, assessment: Assessment, user: User | None, key: str, flagged: bool) -> bool:
    """Mark (or unmark) question `key` for review; True when this changed anything.

    The row is locked while its list changes, so two people flagging different questions
    at the same moment both keep their flag.
    """
    if key not in instrument_content(assessment.instrument).by_key:
        raise KeyError(key)
    with transaction.atomic():
        current = Assessment.objects.select_for_update().only("pk", "status", "review_flags")
        locked = current.get(pk=assessment.pk)
        if locked.status == Assessment.Status.SUBMITTED:
            raise AssessmentLocked(
                "This assessment has been submitted and is read-only. Nothing was changed."
            )
        flags = list(locked.review_flags or [])
        if (key in flags) == flagged:
            assessment.review_flags = flags
            return False
        others = [k for k in flags if k != key]
        flags = ordered_flags(assessment, [*others, key] if flagged else others)
        Assessment.objects.filter(pk=assessment.pk).update(review_flags=flags)
        AuditEntry.objects.create(
            assessment=assessment,
            user=user,
            at=timezone.now(),
            action=AuditEntry.Action.REVIEW,
            subject=key,
            old=UNMARKED if flagged else MARKED,
            new=MARKED if flagged else UNMARKED,
        )
    assessment.review_flags = flags
    return True
