"""The help page: how the work goes from a first round to a board report, and the glossary."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from assessments.glossary import TERMS


def help_page(request: HttpRequest) -> HttpResponse:
    # Open to everyone, signed in or not: it holds no organisation's data, and people who
    # cannot sign in yet are among those who need it.
    return render(request, "assessments/help.html", {"terms": TERMS})
