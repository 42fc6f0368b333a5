"""The one helper that keeps a response out of every cache."""

from __future__ import annotations

from django.http import HttpResponse

from assessments.http import private_no_store


def test_private_no_store_forbids_every_cache_and_returns_the_response() -> None:
    response = HttpResponse("recovery codes")
    assert private_no_store(response) is response
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store", "no-cache", "must-revalidate"} <= directives
    assert "Expires" in response
