"""Sessions end after SESSION_TIMEOUT_MINUTES without a request; use keeps them alive."""

from __future__ import annotations

import datetime
import types
from dataclasses import dataclass

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments import middleware


@dataclass
class Clock:
    """A fake "now" for the middleware (time.time) and the session store (timezone.now)."""

    current: datetime.datetime

    def now(self) -> datetime.datetime:
        return self.current

    def time(self) -> float:
        return self.current.timestamp()

    def advance(self, **delta: float) -> None:
        self.current += datetime.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock(current=timezone.now())
    monkeypatch.setattr(middleware, "time", types.SimpleNamespace(time=fake.time))
    # The database session store and Session.expire_date read django.utils.timezone.now.
    monkeypatch.setattr(timezone, "now", fake.now)
    return fake


def _page(world) -> str:
    # Not the organisation page: it remembers the organisation in the session, a write.
    return reverse("assessments:site", args=[world.clinic.pk])


def _signed_in(world) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": "sam", "password": "pw-Secret-123"})
    assert response.status_code == 302
    return client


def _is_login_redirect(response, url: str) -> bool:
    return response.status_code == 302 and response.url == f"{reverse('login')}?next={url}"


def _expiry(client: Client) -> datetime.datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_an_idle_session_expires_after_the_timeout(world, clock, settings):
    client = _signed_in(world)
    url = _page(world)
    assert client.get(url).status_code == 200
    clock.advance(minutes=settings.SESSION_TIMEOUT_MINUTES, seconds=1)
    assert _is_login_redirect(client.get(url), url)


def test_a_session_used_within_the_timeout_stays_alive(world, clock, settings):
    client = _signed_in(world)
    url = _page(world)
    timeout = settings.SESSION_TIMEOUT_MINUTES
    for _ in range(4):  # four times the timeout in all, never idle for as long as it
        clock.advance(minutes=timeout - 1)
        assert client.get(url).status_code == 200
    clock.advance(minutes=timeout - 1)
    assert client.get(url).status_code == 200
    clock.advance(minutes=timeout, seconds=1)
    assert _is_login_redirect(client.get(url), url)


def test_the_expiry_slides_at_most_once_a_minute(world, clock, settings):
    client = _signed_in(world)
    url = _page(world)
    assert client.get(url).status_code == 200
    first = _expiry(client)
    assert first == clock.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    clock.advance(seconds=30)
    client.get(url)
    assert _expiry(client) == first  # no write for a request within the minute
    clock.advance(seconds=31)
    client.get(url)
    assert _expiry(client) == first + datetime.timedelta(seconds=61)


def test_a_request_within_the_minute_costs_no_session_write(
    world, clock, django_assert_num_queries
):
    client = _signed_in(world)
    url = reverse("assessments:home")
    client.get(url)
    clock.advance(seconds=59)
    # A session read, a user read and the page's memberships read, with no session UPDATE.
    with django_assert_num_queries(3) as context:
        client.get(url)
    assert not any("UPDATE" in q["sql"] for q in context.captured_queries)


def test_the_timeout_is_configurable(world, clock, settings):
    settings.SESSION_COOKIE_AGE = 5 * 60  # what SESSION_TIMEOUT_MINUTES=5 sets
    client = _signed_in(world)
    url = _page(world)
    assert client.get(url).status_code == 200
    clock.advance(minutes=4)
    assert client.get(url).status_code == 200
    clock.advance(minutes=5, seconds=1)
    assert _is_login_redirect(client.get(url), url)


def test_an_expired_session_row_in_the_database_signs_the_user_out(world):
    # Without a fake clock: the database's expiry date alone decides.
    client = _signed_in(world)
    url = _page(world)
    assert client.get(url).status_code == 200
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert _is_login_redirect(client.get(url), url)


def test_an_autosave_after_the_timeout_is_refused_and_saves_nothing(world, clock, settings):
    from tests import factories

    assessment = factories.make_assessment(world.clinic, world.instrument)
    client = _signed_in(world)
    url = reverse("assessments:domain", args=[assessment.pk, "gov"])
    assert client.get(url).status_code == 200
    clock.advance(minutes=settings.SESSION_TIMEOUT_MINUTES, seconds=1)
    response = client.post(
        url, {"gov.q01": "yes", "gov.q01--rev": "0"}, headers={"X-Autosave": "1"}
    )
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert not assessment.answers.exists()


# --- the absolute limit (ASVS 7.3.2): SESSION_MAX_HOURS after sign-in, however active --------


def test_a_session_in_constant_use_ends_after_the_absolute_limit(world, clock, settings):
    assert settings.SESSION_MAX_HOURS == 12  # the default
    client = _signed_in(world)
    url = _page(world)
    for _ in range(12 * 3 - 1):  # a request every 20 minutes: never idle
        clock.advance(minutes=20)
        assert client.get(url).status_code == 200
    clock.advance(minutes=20)  # 12 hours after signing in
    assert _is_login_redirect(client.get(url), url)
    # Signed out for good: the old session cookie opens nothing any more.
    assert _is_login_redirect(client.get(url), url)
    client.post(reverse("login"), {"username": "sam", "password": "pw-Secret-123"})
    assert client.get(url).status_code == 200  # a new sign-in starts a new lifetime


def test_a_session_whose_start_is_older_than_the_limit_is_signed_out(world, clock, settings):
    client = _signed_in(world)
    url = _page(world)
    assert client.get(url).status_code == 200
    session = client.session
    session[middleware.STARTED_KEY] = int(clock.time()) - settings.SESSION_MAX_HOURS * 3600 - 1
    session.save()
    assert _is_login_redirect(client.get(url), url)


def test_the_absolute_limit_is_configurable(world, clock, settings):
    settings.SESSION_MAX_HOURS = 1
    client = _signed_in(world)
    url = _page(world)
    clock.advance(minutes=29)
    assert client.get(url).status_code == 200
    clock.advance(minutes=29)
    assert client.get(url).status_code == 200
    clock.advance(minutes=2)
    assert _is_login_redirect(client.get(url), url)


def test_the_session_cookie_never_outlives_the_absolute_limit(world, clock, settings):
    settings.SESSION_MAX_HOURS = 1
    client = _signed_in(world)
    url = _page(world)
    start = clock.now()
    clock.advance(minutes=25)
    assert client.get(url).status_code == 200
    clock.advance(minutes=25)
    assert client.get(url).status_code == 200
    # 10 minutes left of the hour: the expiry is not slid 30 minutes past it.
    assert _expiry(client) <= start + datetime.timedelta(hours=1, seconds=1)


def test_no_saved_answer_is_lost_when_the_absolute_limit_ends_a_session(world, clock, settings):
    from tests import factories

    settings.SESSION_MAX_HOURS = 1
    assessment = factories.make_assessment(world.clinic, world.instrument)
    client = _signed_in(world)
    url = reverse("assessments:domain", args=[assessment.pk, "gov"])
    clock.advance(minutes=29)
    assert client.get(url).status_code == 200
    clock.advance(minutes=29)
    saved = client.post(url, {"gov.q01": "yes", "gov.q01--rev": "0"}, headers={"X-Autosave": "1"})
    assert saved.status_code == 200
    clock.advance(minutes=3)  # within the idle timeout, past the absolute limit
    late = client.post(url, {"gov.q03": "2", "gov.q03--rev": "0"}, headers={"X-Autosave": "1"})
    assert late.status_code == 302
    assert late.url.startswith(reverse("login"))
    assert dict(assessment.answers.values_list("question__key", "value")) == {"gov.q01": "yes"}
    client.post(reverse("login"), {"username": "sam", "password": "pw-Secret-123"})
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"]["gov.q01"].value() == "yes"
