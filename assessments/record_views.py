"""An assessment's record: reopening it, its targets, and its history."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
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


def _page_number(raw: str | None) -> int:
    """A page number of the query string: anything but a whole number is page 1 (never a
    500), and it is bounded by `MAX_HISTORY_PAGE`."""
    try:
        page = int(raw or "1")
    except ValueError:
        return 1
    return min(max(1, page), MAX_HISTORY_PAGE)


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
    # Imported here: respondents builds on assessments, never the reverse at import time.
    from respondents.blind import audit_visible
    from respondents.history import event_page
    from respondents.independent import is_independent
    from respondents.models import AssignmentEvent

    # Two lists, each with its own page number kept in the other's links: the audit trail
    # ("Answers and status") and the assignment events ("Assignments and respondents").
    show = "assignments" if request.GET.get("show") == "assignments" else "answers"
    page = _page_number(request.GET.get("page"))
    events_page = _page_number(request.GET.get("events_page"))
    base = reverse("assessments:history", args=[pk])

    def url(**changes: str | int) -> str:
        params = {"show": show, "page": page, "events_page": events_page, **changes}
        query = urlencode(
            {
                k: v
                for k, v in params.items()
                if not (k == "show" and v == "answers") and not (k != "show" and v == 1)
            }
        )
        return f"{base}?{query}" if query else base

    context: dict[str, object] = {
        "current_membership": membership,
        "assessment": assessment,
        "show": show,
        "independent": is_independent(assessment),
        "answers_url": url(show="answers"),
        "assignments_url": url(show="assignments"),
    }
    if show == "assignments":
        found = event_page(assessment, viewer_id=request.user.pk, page=events_page)
        context |= {
            "event_lines": found.lines,
            "page": events_page,
            "has_next": found.has_next,
            "next_url": url(events_page=events_page + 1),
            "prev_url": url(events_page=events_page - 1),
            "has_events": True,
        }
        return render(request, "assessments/assessment_history.html", context)
    start = (page - 1) * HISTORY_PAGE_SIZE
    rows = audit_visible(
        AuditEntry.objects.filter(assessment=assessment), assessment, viewer_id=request.user.pk
    )
    entries = list(rows.select_related("user")[start : start + HISTORY_PAGE_SIZE + 1])
    has_next = len(entries) > HISTORY_PAGE_SIZE
    # Each entry with the question as it was then: answers given before a move to a newer
    # version keep that version's options and labels.
    questions = questions_of_entries(assessment, entries[:HISTORY_PAGE_SIZE])
    context |= {
        "lines": history_lines(entries[:HISTORY_PAGE_SIZE], questions),
        "page": page,
        "has_next": has_next,
        "next_url": url(page=page + 1),
        "prev_url": url(page=page - 1),
        # The second list's tab only where there is something in it (one query).
        "has_events": AssignmentEvent.objects.filter(assessment_id=assessment.pk).exists(),
    }
    return render(request, "assessments/assessment_history.html", context)
