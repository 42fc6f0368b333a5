"""Export one assessment as the assessment JSON (format declared in `assessment_format`), and
record that it was exported.

    {"format": "readiness-assessment/1", "id": 12, "exported_at": "…",
     "instrument": {"slug": "clinical-ai", "version": "1.0"},
     "organisation": "…", "site": "…", "round": "2026 spring", "round_date": "2026-03-01",
     "status": "submitted", "targets": {"access": 60.0, …},
     "answers": {"access.q02": {"value": "3", "comment": "", "evidence": ""}, …},
     "results": {…}}

Export → import → export gives the same file apart from "id" and "exported_at": keys come in
a fixed order (the order of `AssessmentFormat`), answers in question order, and results are
always recomputed from the answers and targets (on import the file's results are ignored).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from assessments.assessment_format import FORMAT
from assessments.content import instrument_content
from assessments.models import Answer, Assessment, AuditEntry
from assessments.review import ordered_flags
from assessments.scoring import result_to_dict


def export_assessment(assessment: Assessment, *, viewer: User | None = None) -> dict[str, Any]:
    """The assessment as the JSON-ready dict of the assessment file (see the module docstring).

    `viewer`: whom the file is for; in independent mode it holds only the respondents' answers
    they may see (respondents/transfer.py), and leaves out the consensus answers of the
    domains they still answer (respondents/blind.py: no "answers" entry, or one with an
    empty value, comment and evidence note where it keeps the files they may see; an import
    of it has no consensus there, as its reader had none). "results" stay: scores are the
    organisation's result, as on the results page. None (the command): everything."""
    # Imported here: the evidence app builds on assessments, never the reverse at import time.
    from evidence.transfer import files_by_question

    content = instrument_content(assessment.instrument)
    answers = {a.question_id: a for a in Answer.objects.filter(assessment=assessment)}
    values = {q.key: answers[q.pk].value for q in content.questions if q.pk in answers}
    files = files_by_question(assessment, viewer=viewer)
    # Imported here: respondents builds on assessments, never the reverse at import time.
    from respondents.blind import blind_rule

    blind = blind_rule(assessment, viewer_id=viewer.pk) if viewer is not None else None
    exported: dict[str, Any] = {}
    for question in content.questions:
        answer = answers.get(question.pk)
        if blind is not None and not blind.shows_consensus(question.domain.key):
            answer = None
        # A comment, evidence note or file without an answer is still work to keep.
        if not (answer and (answer.value or answer.comment or answer.evidence)) and not files.get(
            question.key
        ):
            continue
        entry: dict[str, Any] = {
            "value": answer.value if answer else "",
            "comment": answer.comment if answer else "",
            "evidence": answer.evidence if answer else "",
        }
        if answer is not None and answer.carried_over:
            entry["carried_over"] = True
        if files.get(question.key):
            entry["files"] = files[question.key]
        exported[question.key] = entry
    # Imported here: respondents builds on assessments, never the reverse at import time.
    from respondents.transfer import respondents_export

    site = assessment.site
    return {
        "format": FORMAT,
        "id": assessment.pk,
        "exported_at": timezone.now().astimezone(datetime.UTC).isoformat(timespec="seconds"),
        "instrument": {
            "slug": assessment.instrument.slug,
            "version": assessment.instrument.version,
        },
        "organisation": site.organisation.name,
        "site": site.name,
        "round": assessment.round_label,
        "round_date": assessment.round_date.isoformat(),
        "status": assessment.status,
        "targets": {d.key: float(assessment.target_for(d)) for d in content.domains},
        "answers": exported,
        # Marked for review: a working note that travels with the answers (not a result).
        "review": ordered_flags(assessment, assessment.review_flags),
        # Independent answers (issue 15): "mode", "respondents" and "consensus_notes".
        **respondents_export(assessment, viewer=viewer),
        # Recomputed even for a submitted assessment: its stored results are the same numbers,
        # and one code path keeps export → import → export identical.
        "results": result_to_dict(assessment.compute_results(values)),
    }


def dumps(data: Mapping[str, Any]) -> str:
    """The file's text: indented, UTF-8 characters kept as they are, ending in a newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def export_filename(assessment: Assessment) -> str:
    parts = [slugify(assessment.site.name), slugify(assessment.round_label)]
    name = "-".join(part for part in parts if part) or "assessment"
    return f"assessment-{assessment.pk}-{name}.json"


@transaction.atomic
def assessment_export_log(*, assessment: Assessment, user_id: int | None) -> AuditEntry:
    """Record that the assessment left the app as an assessment file.

    Like the read log of reports: who took a copy of the answers matters as much as who
    changed them.
    """
    return AuditEntry.objects.create(
        assessment=assessment, user_id=user_id, action=AuditEntry.Action.EXPORTED, subject="json"
    )
