"""An org admin's choice to take part in the benchmark (shown on the organisation page)."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from assessments import access
from benchmark import services
from benchmark.forms import ParticipationForm
from benchmark.models import Participation


@login_required
@require_http_methods(["GET", "POST"])
def participation(request: HttpRequest, slug: str) -> HttpResponse:
    membership = access.get_organisation_for_user(cast(int, request.user.pk), slug, "manage")
    organisation = membership.organisation
    current = Participation.objects.filter(organisation=organisation, opted_in=True).exists()
    form = ParticipationForm(request.POST or None, initial={"opted_in": "yes" if current else "no"})
    if request.method == "POST" and form.is_valid():
        opted_in = form.cleaned_data["opted_in"]
        services.participation_set(
            organisation=organisation, opted_in=opted_in, user=cast(User, request.user)
        )
        messages.success(
            request,
            "Your organisation takes part in the benchmark."
            if opted_in
            else "Your organisation no longer takes part in the benchmark.",
        )
        return redirect("assessments:organisation", slug=organisation.slug)
    status = 422 if form.is_bound else 200
    return render(
        request,
        "benchmark/participation.html",
        {
            "current_membership": membership,
            "organisation": organisation,
            "form": form,
            "opted_in": current,
        },
        status=status,
    )
