"""Independent answers (issue 15): the coordinator's consensus page of a domain, and the page
where a respondent marks their part of a domain done."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from assessments import access
from assessments.carry_over import answer_label
from assessments.content import InstrumentContent, instrument_content
from assessments.forms import unresolved_conflicts
from assessments.http import AuthenticatedHttpRequest
from assessments.models import Answer, Assessment
from assessments.scoring import NA
from assessments.services import AssessmentLocked, AssessmentVersionChanged
from respondents.consensus import (
    ConsensusTable,
    assignments_with_roles,
    domain_statuses,
    own_progress,
    own_values_by_domain,
)
from respondents.consensus import consensus_table as build_table
from respondents.forms import ConsensusForm
from respondents.independent import (
    IndependentError,
    consensus_save,
    is_independent,
    respondent_domain_done,
)
from respondents.models import Assignment, RespondentAnswer


def _consensus_answers(assessment: Assessment) -> dict[int, Answer]:
    return {
        a.question_id: a
        for a in Answer.objects.filter(assessment_id=assessment.pk).select_related("answered_by")
    }


def _values(content: InstrumentContent, answers: dict[int, Answer]) -> dict[str, str]:
    keys = {q.pk: q.key for q in content.questions}
    return {keys[qid]: a.value for qid, a in answers.items() if qid in keys}


def _rows(form: ConsensusForm, table: ConsensusTable) -> list[dict[str, Any]]:
    """Each question's table row with its form fields, for the template."""
    rows = []
    for row in table.rows:
        key = row.question.key
        conflict = form.conflicts.get(key)
        rows.append(
            {
                "row": row,
                "question": row.question,
                "field": form[key],
                "comment": form[f"{key}--comment"],
                "evidence": form[f"{key}--evidence"],
                "note": form[f"{key}--note"],
                "rev": form[f"{key}--rev"],
                "base": form[f"{key}--base"],
                "resolve": form[f"{key}--resolve"] if f"{key}--resolve" in form.fields else None,
                "conflict": conflict,
                "theirs": _label(row.question, conflict.theirs["value"]) if conflict else "",
                "mine": _label(row.question, conflict.mine["value"]) if conflict else "",
                "show_if_values": json.dumps(row.question.show_if_values),
                "options": _options(row.question, form[key].value()),
                "prefilled": bool(row.prefill) and form[key].value() == row.prefill,
            }
        )
    return rows


def _label(question: Any, value: str) -> str:
    return answer_label(question, value) if value else ""


def _options(question: Any, selected: Any) -> list[dict[str, Any]]:
    options = [
        {
            "value": o["value"],
            "label": o["label"],
            "number": o["value"] if question.type == "scale" else "",
            "checked": selected == o["value"],
        }
        for o in question.options
    ]
    if question.allow_na:
        options.append(
            {"value": NA, "label": "Not applicable", "number": "", "checked": selected == NA}
        )
    return options


@login_required
def consensus(request: AuthenticatedHttpRequest, pk: int, key: str) -> HttpResponse:
    """For the coordinator: each respondent's answers to a domain side by side, where they
    disagree, and the consensus answer with a note (the only answers that score)."""
    assessment, membership = access.get_assessment_for_user(request.user.pk, pk, "assign")
    content = instrument_content(assessment.instrument)
    domain = content.domain(key)
    if domain is None:
        raise Http404
    context: dict[str, Any] = {
        "current_membership": membership,
        "assessment": assessment,
        "domain": domain,
        "independent": is_independent(assessment),
    }
    if not context["independent"]:
        return render(request, "respondents/consensus.html", context)
    answers = _consensus_answers(assessment)
    assignments = assignments_with_roles(assessment)
    table = build_table(
        assessment=assessment,
        content=content,
        domain_key=key,
        viewer=request.user,
        consensus=answers,
        assignments=assignments,
    )
    notes = {row.question.key: row.note for row in table.rows}
    questions = content.questions_of(key)
    status = 200
    if request.method == "POST":
        if not assessment.is_editable:
            messages.error(request, "This assessment has been submitted: nothing was changed.")
            return redirect("respondents:consensus", assessment.pk, key)
        shown = {v for name, v in request.POST.items() if name.endswith("--version")}
        if any(v != str(assessment.instrument_id) for v in shown):
            # The page showed the version the draft had before it moved to another.
            messages.error(request, str(AssessmentVersionChanged()))
            return redirect("respondents:consensus", assessment.pk, key)
        posted = ConsensusForm(request.POST, questions=questions, answers=answers, notes=notes)
        if not posted.is_valid():
            # Unlike the questionnaire's autosaved answers, the consensus is saved as a whole:
            # with any answer or note refused, nothing is saved and the page says where.
            messages.error(request, "Nothing was saved: correct the answers marked below.")
            conflicts = unresolved_conflicts(posted, answers)
            form = posted.redisplay(answers=answers, conflicts=conflicts, notes=notes)
            return _render(request, context, form, table, content, assignments, answers, 422)
        try:
            outcome = consensus_save(
                assessment=assessment,
                user=request.user,
                domain_key=key,
                changes=posted.changes(),
                notes=posted.notes(),
            )
        except AssessmentLocked as locked:
            messages.error(
                request, str(locked) or "This assessment has been submitted: nothing was changed."
            )
            return redirect("respondents:consensus", assessment.pk, key)
        if not outcome.conflicts:
            messages.success(request, "Consensus saved.")
            target = request.POST.get("next_domain", "")
            if target and content.domain(target) is not None:
                return redirect("respondents:consensus", assessment.pk, target)
            return redirect("respondents:consensus", assessment.pk, key)
        # Someone else set some of these answers meanwhile: the others are saved, and the
        # page shows both versions of each conflicting one, on the answers now stored.
        answers = _consensus_answers(assessment)
        table = build_table(
            assessment=assessment,
            content=content,
            domain_key=key,
            viewer=request.user,
            consensus=answers,
            assignments=assignments,
        )
        form = posted.redisplay(answers=answers, conflicts=outcome.conflicts, notes=notes)
        messages.warning(
            request,
            f"Someone else changed {len(outcome.conflicts)} consensus answer(s) meanwhile. "
            "The others were saved; choose which version to keep below.",
        )
        status = 422
    else:
        prefill = {row.question.key: row.prefill for row in table.rows if row.prefill}
        form = ConsensusForm(initial=prefill, questions=questions, answers=answers, notes=notes)
    return _render(request, context, form, table, content, assignments, answers, status)


def _render(
    request: AuthenticatedHttpRequest,
    context: dict[str, Any],
    form: ConsensusForm,
    table: ConsensusTable,
    content: InstrumentContent,
    assignments: list[Assignment],
    answers: dict[int, Answer],
    status: int,
) -> HttpResponse:
    key = context["domain"].key
    consensus_values = _values(content, answers)
    statuses = domain_statuses(content, consensus_values, assignments)
    index = next(i for i, d in enumerate(content.domains) if d.key == key)
    context.update(
        table=table,
        rows=_rows(form, table),
        form=form,
        status=statuses[key],
        domains=[(d, statuses[d.key]) for d in content.domains],
        next_domain=content.domains[index + 1] if index + 1 < len(content.domains) else None,
        can_edit=context["assessment"].is_editable,
        na=NA,
    )
    return render(request, "respondents/consensus.html", context, status=status)


@login_required
def done(request: AuthenticatedHttpRequest, pk: int, key: str) -> HttpResponse:
    """A respondent marks their part of a domain done: from then on the coordinator (and the
    other respondents, once done themselves) see their answers, and they no longer change
    them unless the coordinator reopens their part."""
    assessment, membership = access.get_assessment_for_user(request.user.pk, pk)
    content = instrument_content(assessment.instrument)
    domain = content.domain(key)
    if domain is None:
        raise Http404
    assignment = (
        Assignment.objects.active()
        .filter(assessment_id=assessment.pk, domain_key=key, user_id=request.user.pk)
        .first()
    )
    if assignment is None:
        raise PermissionDenied
    domain_url = ("assessments:domain", assessment.pk, key)
    if not is_independent(assessment):
        messages.info(
            request, "Everyone answers this assessment together: there is nothing to mark done."
        )
        return redirect(*domain_url)
    if request.method == "POST":
        if not assessment.is_editable:
            messages.error(request, "This assessment has been submitted: nothing was changed.")
            return redirect(*domain_url)
        try:
            respondent_domain_done(assessment=assessment, user=request.user, domain_key=key)
        except IndependentError as error:
            messages.error(request, str(error))
            return redirect(*domain_url)
        messages.success(
            request,
            f"Your part of {domain.title} is done. The coordinator can now see your answers.",
        )
        return redirect(*domain_url)
    own = own_values_by_domain(
        content, RespondentAnswer.objects.filter(assessment_id=assessment.pk, user=request.user)
    ).get(key, {})
    answered, total = own_progress(
        content.spec, _values(content, _consensus_answers(assessment)), own, key
    )
    return render(
        request,
        "respondents/done.html",
        {
            "current_membership": membership,
            "assessment": assessment,
            "domain": domain,
            "assignment": assignment,
            "answered": answered,
            "total": total,
        },
    )
