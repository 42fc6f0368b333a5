"""Starting the next round of an assessment, and the changes since the previous round."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from assessments import access
from assessments.carry_over import CarryPlan, carry_over_plan
from assessments.forms import MoveVersionForm, NextRoundForm
from assessments.http import AuthenticatedHttpRequest
from assessments.models import Assessment
from assessments.round_diff import round_diff
from assessments.rounds import (
    RoundAlreadyStarted,
    RoundError,
    assessment_start_next_round,
    next_round_instruments,
)
from assessments.services import RoundTaken
from assessments.versions import MoveError, MoveStale, assessment_move_to_version, newer_versions


@login_required
@require_http_methods(["GET", "POST"])
def next_round(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A small form (round name, date, version); POST starts the round and opens it."""
    previous, membership = access.get_assessment_for_user(request.user.pk, pk, "create")
    if previous.status != Assessment.Status.SUBMITTED:
        messages.info(request, "Submit this assessment before starting the next round.")
        return redirect(previous)
    if previous.site.archived:
        messages.error(request, "This site is archived: restore it to start a new round.")
        return redirect(previous)
    # A draft already started from this round: go on with it rather than start a second.
    pending = previous.next_rounds.exclude(status=Assessment.Status.SUBMITTED).first()
    instruments = next_round_instruments(previous)
    form = NextRoundForm(request.POST or None, previous=previous, instruments=instruments)
    if request.method == "POST":
        if pending is not None:
            messages.info(request, "The next round was already started: here it is.")
            return redirect(pending)
        if form.is_valid():
            instrument = form.cleaned_data["instrument"]
            plan = carry_over_plan(previous=previous, instrument=instrument)
            try:
                assessment = assessment_start_next_round(
                    previous=previous,
                    user=request.user,
                    instrument=instrument,
                    round_label=form.cleaned_data["round_label"],
                    round_date=form.cleaned_data["round_date"],
                )
            except RoundAlreadyStarted as error:
                messages.info(request, "The next round was already started: here it is.")
                return redirect(error.assessment)
            except RoundError as error:
                messages.error(request, str(error))
                return redirect(previous)
            except RoundTaken as taken:  # the same round started elsewhere a moment ago
                form.add_error("round_label", str(taken))
            else:
                text = (
                    f"Round “{assessment.round_label}” started with {plan.carried_count} "
                    f"answer(s) carried over from “{previous.round_label}”. Confirm or change "
                    "each one."
                )
                if plan.dropped:
                    text += f" {len(plan.dropped)} answer(s) could not be carried over."
                if plan.new_questions and instrument.pk != previous.instrument_id:
                    text += f" {len(plan.new_questions)} new question(s) to answer."
                messages.success(request, text)
                return redirect("assessments:take", assessment.pk)
    plans = {i.pk: carry_over_plan(previous=previous, instrument=i) for i in instruments}
    return render(
        request,
        "assessments/next_round.html",
        {
            "current_membership": membership,
            "assessment": previous,
            "form": form,
            "pending": pending,
            "plans": [(i, plans[i.pk]) for i in instruments],
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_GET
def changes(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """What changed since the previous round: domains, then questions by direction."""
    assessment, membership = access.get_assessment_for_user(request.user.pk, pk)
    previous = assessment.previous
    # The previous round is on the same site (start_next_round makes it so); anything else
    # would show a site the person may not see.
    if previous is None or previous.site_id != assessment.site_id:
        raise Http404
    # The blind rule (independent mode): the reader's open domains' current answers hidden.
    diff = round_diff(assessment=assessment, viewer_id=request.user.pk)
    return render(
        request,
        "assessments/round_diff.html",
        {"current_membership": membership, "assessment": assessment, "diff": diff},
    )


# --- moving an open draft to a newer version -----------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def move_version(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """What moving the draft to a newer version would carry over; POST moves it."""
    assessment, membership = access.get_assessment_for_user(request.user.pk, pk)
    # Only those who may edit the assessment learn that the page exists.
    if not access.allows(membership, "edit"):
        raise Http404
    if not assessment.is_editable:
        messages.error(
            request,
            "This assessment is submitted, so it keeps its questionnaire version. Start the "
            "next round to answer a newer version.",
        )
        return redirect(assessment)
    instruments = newer_versions(assessment)
    if not instruments:
        messages.info(request, "This assessment already uses the newest questionnaire version.")
        return redirect(assessment)
    # The version whose plan is shown: the newest, or another one asked for with ?to=<id>.
    by_pk = {str(i.pk): i for i in instruments}
    newest = by_pk.get(request.GET.get("to", ""), instruments[-1])
    form = MoveVersionForm(
        request.POST or None,
        instruments=instruments,
        initial={"instrument": newest.pk, "revision": assessment.revision},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                plan = assessment_move_to_version(
                    assessment=assessment,
                    instrument=form.cleaned_data["instrument"],
                    user=request.user,
                    revision=form.cleaned_data["revision"],
                )
            except MoveStale as error:
                messages.error(request, str(error))
                return redirect("assessments:move-version", assessment.pk)
            except MoveError as error:
                messages.error(request, str(error))
                return redirect(assessment)
            text = (
                f"Moved to version {plan.instrument.version}: {plan.carried_count} answer(s) "
                f"carried over, {len(plan.left_behind)} not carried over, "
                f"{len(plan.new_items)} new question(s). Questions to answer again are marked."
            )
            messages.success(request, text)
            return redirect("assessments:take", assessment.pk)
        status = 422
    chosen = newest
    if form.is_bound and form.is_valid():
        chosen = form.cleaned_data["instrument"]
    plan = carry_over_plan(previous=assessment, instrument=chosen)
    return render(
        request,
        "assessments/move_version.html",
        {
            "current_membership": membership,
            "assessment": assessment,
            "form": form,
            "plan": plan,
            "others": [i for i in instruments if i.pk != plan.instrument.pk],
            "carried_by_domain": _carried_by_domain(plan),
        },
        status=status,
    )


def _carried_by_domain(plan: CarryPlan) -> list[tuple[str, list[str]]]:
    rows: dict[str, list[str]] = {}
    for question, _ in plan.carried:
        rows.setdefault(question.domain.title, []).append(question.key)
    return list(rows.items())
