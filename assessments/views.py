"""Organisations, sites and filling out an assessment, one domain at a time."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_POST

from assessments import access, questionnaire
from assessments.answer_counts import count_answers
from assessments.content import instrument_content
from assessments.forms import (
    AssessmentCreateForm,
)
from assessments.http import AuthenticatedHttpRequest
from assessments.models import Answer, Assessment, Instrument, Membership
from assessments.rounds import RoundError, assessment_start_round, latest_submitted_rounds
from assessments.scoring import LEVEL_NAMES
from assessments.services import (
    AssessmentLocked,
    RoundTaken,
    answers_confirm_carried_over,
    assessment_submit,
)
from assessments.versions import newer_versions
from reports import comparison


def _instruments_for(membership: Membership) -> Any:
    return Instrument.objects.filter(
        Q(organisation__isnull=True) | Q(organisation_id=membership.organisation_id)
    )


def _progress_by_assessment(assessments: Iterable[Assessment]) -> dict[int, int]:
    """Percent answered of each assessment: stored for submitted ones, else from one query."""
    progress: dict[int, int] = {}
    live: dict[int, Assessment] = {}
    for assessment in assessments:
        if assessment.status == Assessment.Status.SUBMITTED:
            completeness = assessment.result_completeness
            progress[assessment.pk] = 100 if completeness is None else int(completeness)
        else:
            live[assessment.pk] = assessment
    values: dict[int, dict[str, str]] = {pk: {} for pk in live}
    if live:
        rows = Answer.objects.filter(assessment__in=list(live)).values_list(
            "assessment_id", "question__key", "value"
        )
        for assessment_id, key, value in rows:
            values[assessment_id][key] = value
    for pk, assessment in live.items():
        # Counted, not scored, as the questionnaire's own progress (answer_counts.py holds
        # the counts to scoring's): scoring every draft of the organisation on each view was
        # a tenth of the server's time under bench/load.py (issue 13).
        counts = count_answers(assessment.instrument.spec(), values[pk])
        progress[pk] = questionnaire.answered_percent(counts.answered, counts.visible_scored)
    return progress


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links: send them to the real icon."""
    return redirect(static("img/favicon.svg"), permanent=True)


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    memberships = access.user_memberships(request.user.pk)
    last = request.session.get("org")
    if len(memberships) == 1:
        return redirect("assessments:organisation", memberships[0].organisation.slug)
    if last and any(m.organisation.slug == last for m in memberships):
        return redirect("assessments:organisation", last)
    return render(request, "assessments/home.html", {"memberships": memberships})


@login_required
def organisation(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    membership = access.get_organisation_for_user(request.user.pk, slug)
    if request.session.get("org") != slug:
        request.session["org"] = slug  # where "/" sends them next time
    show_archived = request.GET.get("archived") == "1"
    queryset = access.visible_sites(membership)
    if not show_archived:
        queryset = queryset.filter(archived=False)
    sites = list(queryset)
    latest: dict[int, Assessment] = {}
    for assessment in (
        Assessment.objects.filter(site__in=sites)
        .select_related("instrument")
        .order_by("site_id", "-round_date", "-created_at")
    ):
        latest.setdefault(assessment.site_id, assessment)
    progress = _progress_by_assessment(latest.values())
    rows = [
        {
            "site": site,
            "latest": latest.get(site.pk),
            "progress": progress.get(latest[site.pk].pk) if site.pk in latest else None,
        }
        for site in sites
    ]
    return render(
        request,
        "assessments/organisation_detail.html",
        {
            "current_membership": membership,
            "organisation": membership.organisation,
            "rows": rows,
            "show_archived": show_archived,
            "can_manage": access.allows(membership, "manage"),
            "can_import": access.allows(membership, "import"),
        },
    )


@login_required
def site(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    site, membership = access.get_site_for_user(request.user.pk, pk)
    can_create = access.allows(membership, "create") and not site.archived
    assessments = list(site.assessments.select_related("instrument"))
    # One way to start a round: from a submitted one of the same questionnaire, carried over.
    previous_rounds = latest_submitted_rounds(assessments)
    form_kwargs = {"instruments": _instruments_for(membership), "previous_rounds": previous_rounds}
    form = AssessmentCreateForm(**form_kwargs)
    if request.method == "POST":
        access.require(membership, "create")
        if site.archived:
            messages.error(request, "This site is archived: restore it to start an assessment.")
            return redirect(site)
        form = AssessmentCreateForm(request.POST, **form_kwargs)
        if form.is_valid():
            data = form.cleaned_data
            previous = previous_rounds.get(data["instrument"].slug)
            carry = previous is not None and bool(data.get("carry_over"))
            try:
                assessment = assessment_start_round(
                    site=site,
                    instrument=data["instrument"],
                    round_label=data["round_label"],
                    round_date=data["round_date"],
                    user=request.user,
                    previous=previous,
                    carry_over=carry,
                )
            except RoundTaken as taken:
                form.add_error("round_label", str(taken))
            except RoundError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    "Assessment created with last round's answers: confirm or change each."
                    if carry
                    else "Assessment created. Start with the first domain.",
                )
                return redirect("assessments:take", assessment.pk)
    progress = _progress_by_assessment(assessments)
    return render(
        request,
        "assessments/site_detail.html",
        {
            "current_membership": membership,
            "site": site,
            "assessments": [(a, progress[a.pk]) for a in assessments],
            # Against the organisation's median: computed here, not while the page renders.
            "standing": comparison.site_standing(site=site, membership=membership),
            "form": form,
            "can_create": can_create,
            "show_form": request.method == "POST",
        },
        status=422 if form.errors else 200,
    )


def _left_for(
    user_id: int,
    assessment: Assessment,
    content: Any,
    result: Any,
    values: dict[str, str],
    settles: bool,
) -> list[Any]:
    """The "What is left" of the consensus, without the domains the reader still answers in
    independent mode: which of their questions have no consensus yet (and which are shown at
    all, show_if reading the consensus) would tell them that consensus, hidden from them by
    the blind rule (respondents/blind.py); their own progress is on the questionnaire."""
    left = questionnaire.left_per_domain(content, result, values, scored_only=settles)
    if not left:
        return left
    # Imported here: respondents builds on assessments, never the reverse at import time.
    from respondents.blind import blind_rule

    blind = blind_rule(assessment, viewer_id=user_id)
    if blind is None:
        return left
    return [(domain, questions) for domain, questions in left if blind.shows_consensus(domain.key)]


@login_required
def detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The assessment's overview: status, progress per domain and what can be done next."""
    assessment, membership = access.get_assessment_for_user(request.user.pk, pk)
    content = instrument_content(assessment.instrument)
    values = assessment.answer_values()
    result = assessment.compute_results(values)
    carried = assessment.answers.filter(carried_over=True).count()
    # Independent answers (issue 15): each domain's respondents done and consensus set.
    from respondents.consensus import assessment_statuses

    statuses = assessment_statuses(assessment, content, values)
    progress = questionnaire.progress_rows(content, result, values)
    for row in progress:
        row["status"] = statuses.get(row["key"])
    # In independent mode the coordinator's work is the consensus: "What is left" and the
    # main button lead there, to the first domain whose consensus is not complete.
    settles = bool(statuses) and access.allows(membership, "assign")
    consensus_next = next(
        (key for key, status in statuses.items() if not status.consensus_complete),
        content.domains[0].key if content.domains else "",
    )
    return render(
        request,
        "assessments/assessment_detail.html",
        {
            "current_membership": membership,
            "assessment": assessment,
            "independent": bool(statuses),
            "settles_consensus": settles,
            "consensus_next": consensus_next,
            "left_url": "respondents:consensus" if settles else "assessments:domain",
            "progress": progress,
            "overall_progress": questionnaire.overall_progress(result),
            "result": result,
            # Nothing answered yet: the overview says "Not started" where the verdict goes.
            "not_started": not any(questionnaire.is_answered(values, k) for k in values),
            "left": _left_for(request.user.pk, assessment, content, result, values, settles),
            "review_flags": [
                content.by_key[k] for k in assessment.review_flags if k in content.by_key
            ],
            "carried_over": carried,
            "can_edit": access.allows(membership, "edit") and assessment.is_editable,
            "can_reopen": access.allows(membership, "reopen")
            and assessment.status == Assessment.Status.SUBMITTED,
            "can_targets": access.allows(membership, "targets"),
            "level_names": LEVEL_NAMES,
            "newer_version": next(reversed(newer_versions(assessment)), None)
            if access.allows(membership, "edit") and assessment.is_editable
            else None,
        },
    )


@login_required
def submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assessment, membership = access.get_assessment_for_user(request.user.pk, pk, "edit")
    if not assessment.is_editable:
        messages.info(request, "This assessment is already submitted.")
        return redirect(assessment)
    content = instrument_content(assessment.instrument)
    values = assessment.answer_values()
    result = assessment.compute_results(values)
    if request.method == "POST":
        # Imported here: respondents builds on assessments, never the reverse at import time.
        from respondents.independent import consensus_missing

        missing = consensus_missing(assessment)
        if request.POST.get("confirm") != "yes":
            messages.error(request, "Tick the confirmation box to submit.")
        elif missing:
            # Independent answers (issue 15): only a consensus scores, so each is needed.
            messages.error(request, f"Set a consensus answer first for: {', '.join(missing)}.")
        else:
            try:
                assessment_submit(assessment=assessment, user=request.user)
            except AssessmentLocked:
                messages.info(request, "Someone else submitted this assessment meanwhile.")
                return redirect(assessment)
            messages.success(request, "Assessment submitted. It is now read-only.")
            return redirect(assessment)
    by_key = content.by_key
    unanswered = [by_key[k] for k in result.still_to_answer]
    return render(
        request,
        "assessments/assessment_submit.html",
        {
            "current_membership": membership,
            "assessment": assessment,
            "unanswered": unanswered,
            "result": result,
            "progress": questionnaire.progress_rows(content, result, values),
            "overall_progress": questionnaire.overall_progress(result),
        },
    )


@login_required
@require_POST
def confirm_carried_over(request: AuthenticatedHttpRequest, pk: int, key: str) -> HttpResponse:
    assessment, _ = access.get_assessment_for_user(request.user.pk, pk, "edit")
    content = instrument_content(assessment.instrument)
    if content.domain(key) is None:
        raise Http404
    keys = [q.key for q in content.questions_of(key)]
    count = answers_confirm_carried_over(assessment=assessment, user=request.user, keys=keys)
    messages.success(request, f"{count} carried-over answer(s) confirmed.")
    return redirect("assessments:domain", assessment.pk, key)
