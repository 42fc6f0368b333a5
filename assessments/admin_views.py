"""Organisation admin screens: sites, members and instruments (being written)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def manage_sites(request: HttpRequest, slug: str) -> HttpResponse:
    raise Http404


def edit_site(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    raise Http404


def members(request: HttpRequest, slug: str) -> HttpResponse:
    raise Http404


def edit_member(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    raise Http404


def remove_member(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    raise Http404


def instruments(request: HttpRequest, slug: str) -> HttpResponse:
    raise Http404
