"""An assessment's record: reopening it, its targets, and its history."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from assessments import access
from assessments.content import instrument_content
from assessments.forms import TargetsForm
from assessments.history import history_lines
from assessments.http import AuthenticatedHttpRequest
from assessments.models import AuditEntry
from assessments.services import assessment_reopen, assessment_set_targets
from assessments.versions import questions_of_entries

HISTORY_PAGE_SIZE = 100
# Bounds the OFFSET: a huge ?page= must not overflow the database's integer.
MAX_HISTORY_PAGE = 100_000


@login_required
@require_POST
def reopen(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assessment, _ = access.get_assessment_for_user(request.user.pk, pk, "reopen")
    assessment_reopen(assessment=assessment, user=request.user)
    messages.success(request, "Assessment reopened: answers can be changed again.")
    return redirect(assessment)


@login_required
def targets(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assessment, membership = access.get_assessment_for_user(request.user.pk, pk, "targets")
    content = instrument_content(assessment.instrument)
    current = {d.key: assessment.target_for(d) for d in content.domains}
    data = request.POST if request.method == "POST" else None
    form = TargetsForm(data, domains=content.domains, current=current)
    if request.method == "POST" and form.is_valid():
        changed = assessment_set_targets(
            assessment=assessment, user=request.user, targets=form.targets()
        )
        messages.success(request, f"Targets saved ({len(changed)} changed).")
        return redirect(assessment)
    return render(
        request,
        "assessments/assessment_targets.html",
        {"current_membership": membership, "assessment": assessment, "form": form},
        status=422 if form.errors else 200,
    )


@login_required
def history(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assessment, membership = access.get_assessment_for_user(request.user.pk, pk)
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    page = min(page, MAX_HISTORY_PAGE)
    start = (page - 1) * HISTORY_PAGE_SIZE
    # Imported here: respondents builds on assessments, never the reverse at import time.
    from respondents.blind import audit_visible

    rows = audit_visible(
        AuditEntry.objects.filter(assessment=assessment), assessment, viewer_id=request.user.pk
    )
    entries = list(rows.select_related("user")[start : start + HISTORY_PAGE_SIZE + 1])
    has_next = len(entries) > HISTORY_PAGE_SIZE
    # Each entry with the question as it was then: answers given before a move to a newer
    # version keep that version's options and labels.
    questions = questions_of_entries(assessment, entries[:HISTORY_PAGE_SIZE])
    lines = history_lines(entries[:HISTORY_PAGE_SIZE], questions)
    return render(
        request,
        "assessments/assessment_history.html",
        {
            "current_membership": membership,
            "assessment": assessment,
            "lines": lines,
            "page": page,
            "has_next": has_next,
            "next_url": reverse("assessments:history", args=[pk]) + f"?page={page + 1}",
            "prev_url": reverse("assessments:history", args=[pk]) + f"?page={page - 1}",
        },
    )
