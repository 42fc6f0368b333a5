"""Every error is an RFC 9457 problem document; requests are throttled per token."""

from __future__ import annotations

import pytest
from django.test import Client

from tests import factories
from tests.api.conftest import ApiClient, api_client

MEMBERS = {"type", "title", "status", "detail", "instance"}


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= MEMBERS
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["instance"] == response.wsgi_request.path
    assert body["type"] == "about:blank" or body["type"].startswith(
        "urn:clinical-ai-readiness:problem:"
    )
    return body


def test_each_kind_of_error_is_a_problem_document(world, as_alice, as_victor):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    url = f"/api/v1/assessments/{assessment.pk}/"
    _problem(ApiClient().get(url), 401)
    _problem(as_victor.post_json(f"{url}reopen/"), 403)
    _problem(api_client(world.oscar).get(url), 404)
    _problem(as_alice.get("/api/v1/no-such-thing/"), 404)
    _problem(as_alice.delete(url), 405)
    _problem(as_alice.post(f"{url}answers/", "a=b", content_type="text/plain"), 415)
    malformed = _problem(as_alice.post(f"{url}answers/", "{", content_type="application/json"), 400)
    assert "JSON" in malformed["detail"]
    bad = _problem(as_alice.post_json(f"{url}answers/", {"answers": "x"}), 400)
    assert bad["type"].endswith(":validation")
    assert list(bad["errors"]) == ["answers"]
    assert bad["errors"]["answers"]
    conflict = _problem(as_alice.post_json(f"{url}reopen/"), 409)
    assert conflict["type"].endswith(":not-submitted")


def test_a_form_error_names_the_field(world, as_alice):
    response = as_alice.post_json(
        "/api/v1/assessments/",
        {
            "site": world.clinic.pk,
            "instrument": world.instrument.pk,
            "round_label": "   ",
            "round_date": "1999-01-01",
        },
    )
    body = _problem(response, 400)
    assert body["errors"] == {
        "round_label": ["This field is required."],
        "round_date": ["Choose a date between 2000 and a year from now."],
    }
    assert "round_label: This field is required." in body["detail"]


def test_a_query_parameter_error_names_the_parameter(world, as_alice):
    body = _problem(as_alice.get("/api/v1/assessments/?status=lost&site=x"), 400)
    assert set(body["errors"]) == {"status", "site"}
    body = _problem(as_alice.get("/api/v1/assessments/?page=99"), 404)
    assert body["detail"]


@pytest.fixture
def tight_rates(settings):
    """Low rates for one test. SimpleRateThrottle copies the rates into a class attribute when
    DRF's settings load, so it is set (and put back) here as well."""
    from api.throttling import ApiRateThrottle

    original = ApiRateThrottle.THROTTLE_RATES
    rates = {"token": "3/minute", "session": "2/minute", "anonymous": "1/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ApiRateThrottle.THROTTLE_RATES = rates
    yield
    ApiRateThrottle.THROTTLE_RATES = original


def test_each_token_has_its_own_rate_limit(world, tight_rates):
    first, second = api_client(world.alice), api_client(world.alice)
    for _ in range(3):
        assert first.get("/api/v1/me/").status_code == 200
    body = _problem(first.get("/api/v1/me/"), 429)
    assert body["retry_after"] > 0
    assert int(first.get("/api/v1/me/")["Retry-After"]) > 0
    # Another token of the same person counts apart.
    assert second.get("/api/v1/me/").status_code == 200


def test_sessions_and_anonymous_requests_are_limited_too(world, tight_rates):
    session = Client()
    session.force_login(world.alice)
    assert [session.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 429]
    anonymous = Client()
    assert [anonymous.get("/api/v1/schema/").status_code for _ in range(2)] == [200, 429]


def test_the_default_rates_are_settings(settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert set(rates) == {"token", "session", "anonymous"}
    assert all("/" in rate for rate in rates.values())
