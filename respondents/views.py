"""Assigning an assessment's domains to members, a person's assignments, reminder choice."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.shortcuts import redirect, render

from assessments import access
from assessments.content import instrument_content
from assessments.display import display_name
from assessments.http import AuthenticatedHttpRequest
from respondents.forms import AssignForm, ReminderForm, RemoveForm
from respondents.models import ReminderPreference
from respondents.queries import assessment_assignments, my_assignments
from respondents.services import (
    AssignmentError,
    assignable_members,
    assignment_create,
    assignment_remove,
    reminder_preference_set,
)


@login_required
def assignments(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The coordinator's page: who answers which domain, by when; assign and remove."""
    assessment, _ = access.get_assessment_for_user(request.user.pk, pk, "assign")
    content = instrument_content(assessment.instrument)
    members = assignable_members(assessment)
    member_users = {m.user_id: m.user for m in members}
    choices = [(m.user_id, f"{display_name(m.user)} ({m.get_role_display()})") for m in members]
    domains = [(d.key, d.title) for d in content.domains]
    form = AssignForm(domains=domains, members=choices)
    status = 200
    if request.method == "POST":
        if "remove" in request.POST:
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
    return render(
        request,
        "respondents/assignments.html",
        {
            "assessment": assessment,
            "form": form,
            "rows": [
                {"domain": d, "assignments": by_domain.get(d.key, [])} for d in content.domains
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
    """The person's choice about the daily reminder of assignments due soon (default on)."""
    preference = ReminderPreference.objects.filter(user=request.user).first()
    enabled = preference.enabled if preference is not None else True
    form = ReminderForm(initial={"enabled": enabled})
    if request.method == "POST":
        form = ReminderForm(request.POST)
        if form.is_valid():
            reminder_preference_set(user=request.user, enabled=form.cleaned_data["enabled"])
            messages.success(
                request,
                "Saved: you get reminders of assignments due soon."
                if form.cleaned_data["enabled"]
                else "Saved: no more assignment reminders.",
            )
            return redirect("respondents:reminders")
    return render(request, "respondents/reminders.html", {"form": form, "enabled": enabled})
