from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def compare(request: HttpRequest, slug: str) -> HttpResponse:
    raise Http404


def branding(request: HttpRequest, slug: str) -> HttpResponse:
    raise Http404
