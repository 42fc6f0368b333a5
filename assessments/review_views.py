"""Marking a question of an assessment for review (a button on each question card)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from assessments import access
from assessments.content import instrument_content
from assessments.http import AuthenticatedHttpRequest
from assessments.review import review_flag_set
from assessments.services import AssessmentLocked


@login_required
@require_POST
def review_flag(request: AuthenticatedHttpRequest, pk: int, key: str) -> HttpResponse:
    """Set the flag of question `key` to the posted `flagged` ("1" or "0").

    The questionnaire's script posts it with `Accept: application/json` and gets the new
    state back; without JavaScript the form posts and comes back to the question.
    """
    assessment, _ = access.get_assessment_for_user(request.user.pk, pk, "edit")
    question = instrument_content(assessment.instrument).by_key.get(key)
    if question is None:
        raise Http404
    wants_json = "application/json" in request.headers.get("Accept", "")
    choice = request.POST.get("flagged", "")
    if choice not in {"0", "1"}:
        message = "Say whether to mark the question for review (flagged=1) or not (flagged=0)."
        if wants_json:
            return JsonResponse({"message": message}, status=400)
        messages.error(request, message)
    else:
        try:
            review_flag_set(
                assessment=assessment, user=request.user, key=key, flagged=choice == "1"
            )
        except AssessmentLocked as locked:
            if wants_json:
                return JsonResponse({"locked": True, "message": str(locked)}, status=409)
            messages.error(request, str(locked))
    if wants_json:
        return JsonResponse({"key": key, "flagged": key in assessment.review_flags})
    url = reverse("assessments:domain", args=[assessment.pk, question.domain.key])
    return redirect(f"{url}#q-{key}")
