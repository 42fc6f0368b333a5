"""Assigning an assessment's domains to members, a person's assignments, reminder choice."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from assessments import access
from assessments.content import instrument_content
from assessments.display import display_name
from assessments.http import AuthenticatedHttpRequest
from assessments.models import Assessment
from respondents.consensus import domain_statuses
from respondents.forms import AssignForm, ModeForm, RemoveForm, ReopenForm
from respondents.independent import (
    IndependentError,
    independent_mode_set,
    is_independent,
    mode_locked_reason,
    respondent_domain_reopen,
)
from respondents.models import Assignment
from respondents.queries import assessment_assignments, my_assignments
from respondents.services import (
    AssignmentError,
    assignable_members,
    assignment_create,
    assignment_remove,
)


def _remove(request: AuthenticatedHttpRequest, assessment: Assessment) -> HttpResponse:
    remove = RemoveForm(request.POST)
    found = (
        assessment.assignments.filter(pk=remove.cleaned_data["remove"]).first()
        if remove.is_valid()
        else None
    )
    if found is None:
        messages.error(request, "That assignment no longer exists: nothing was changed.")
    else:
        assignment_remove(assignment=found, user=request.user)
        messages.success(
            request,
            f"{display_name(found.user)} no longer answers this domain; "
            "their answers stay in the record.",
        )
    return redirect("respondents:assignments", assessment.pk)


def _reopen(request: AuthenticatedHttpRequest, assessment: Assessment) -> HttpResponse:
    """Give a respondent's part of a domain back to them after they marked it done."""
    form = ReopenForm(request.POST)
    found = (
        assessment.assignments.active().filter(pk=form.cleaned_data["reopen"]).first()
        if form.is_valid()
        else None
    )
    if found is None:
        messages.error(request, "That assignment no longer exists: nothing was changed.")
        return redirect("respondents:assignments", assessment.pk)
    try:
        respondent_domain_reopen(assignment=found, user=request.user)
    except IndependentError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"{display_name(found.user)} can change their answers again; they mark their "
            "part done again when ready.",
        )
    return redirect("respondents:assignments", assessment.pk)


def _mode_context(assessment: Assessment, assignments: list[Assignment]) -> dict[str, Any]:
    """The answering mode, whether it may change, and in independent mode each domain's
    state (respondents done, consensus set)."""
    independent = is_independent(assessment)
    context: dict[str, Any] = {
        "independent": independent,
        "mode_locked": mode_locked_reason(assessment),
        "mode_set": assessment.independent_answering if independent else None,
        "statuses": {},
    }
    if independent:
        content = instrument_content(assessment.instrument)
        context["statuses"] = domain_statuses(content, assessment.answer_values(), assignments)
    return context


@login_required
def assignments(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The coordinator's page: who answers which domain, by when; assign and remove; how
    they answer (one shared questionnaire, or independently with a consensus)."""
    assessment, membership = access.get_assessment_for_user(request.user.pk, pk, "assign")
    content = instrument_content(assessment.instrument)
    members = assignable_members(assessment)
    member_users = {m.user_id: m.user for m in members}
    choices = [(m.user_id, f"{display_name(m.user)} ({m.get_role_display()})") for m in members]
    domains = [(d.key, d.title) for d in content.domains]
    form = AssignForm(domains=domains, members=choices)
    mode_form = ModeForm(
        initial={"mode": "independent" if is_independent(assessment) else "shared"}
    )
    status = 200
    if request.method == "POST":
        if "remove" in request.POST:
            return _remove(request, assessment)
        if "reopen" in request.POST:
            return _reopen(request, assessment)
        if "mode" in request.POST:
            mode_form = ModeForm(request.POST)
            if mode_form.is_valid():
                enabled = mode_form.cleaned_data["mode"] == "independent"
                try:
                    independent_mode_set(assessment=assessment, user=request.user, enabled=enabled)
                except IndependentError as error:
                    mode_form.add_error("mode", str(error))
                else:
                    messages.success(
                        request,
                        "Respondents now answer independently; you set the consensus of each "
                        "domain."
                        if enabled
                        else "Everyone assigned now answers one shared questionnaire.",
                    )
                    return redirect("respondents:assignments", assessment.pk)
        else:
            form = AssignForm(request.POST, domains=domains, members=choices)
            if form.is_valid():
                data = form.cleaned_data
                respondent: User = member_users[data["respondent"]]
                try:
                    done = assignment_create(
                        assessment=assessment,
                        domain_key=data["domain"],
                        respondent=respondent,
                        due_date=data["due_date"],
                        user=request.user,
                    )
                except AssignmentError as error:
                    form.add_error(None, str(error))
                else:
                    messages.success(
                        request,
                        f"Assigned to {display_name(respondent)}"
                        + ("; an e-mail with the link is on its way." if done.emailed else "."),
                    )
                    return redirect("respondents:assignments", assessment.pk)
        status = 422
    by_domain = assessment_assignments(assessment)
    mode = _mode_context(assessment, [a for rows in by_domain.values() for a in rows])
    return render(
        request,
        "respondents/assignments.html",
        {
            "current_membership": membership,
            "assessment": assessment,
            "form": form,
            "mode_form": mode_form,
            # An independent respondent still answering after their due date is marked.
            "today": timezone.localdate(),
            **mode,
            "rows": [
                {
                    "domain": d,
                    "assignments": by_domain.get(d.key, []),
                    "status": mode["statuses"].get(d.key),
                }
                for d in content.domains
            ],
        },
        status=status,
    )


@login_required
def mine(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Everything the person was asked to answer, in every organisation."""
    return render(
        request,
        "respondents/my_assignments.html",
        {"my_assignments": my_assignments(request.user.pk)},
    )


@login_required
def reminders(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The reminder choice moved to the one page of e-mail choices; links in e-mails already
    sent still lead there."""
    return redirect(reverse("accounts:notifications") + "#reminders")
