"""Shared personas: one organisation with two sites, and a second organisation.

- alice: org admin of Northside Health
- sam: site admin of Northside's clinic only
- carla: consultant of Northside
- victor: viewer of Northside
- oscar: org admin of Other Org (must never see Northside)
"""

from __future__ import annotations

import hashlib
import itertools
import os
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.models import Session
from django.template.loader import render_to_string
from django.test import Client
from django.utils.crypto import get_random_string

from assessments.models import Instrument, Membership, Organisation, Site
from tests import factories


@dataclass
class World:
    org: Organisation
    clinic: Site
    hospital: Site
    other_org: Organisation
    other_site: Site
    alice: User
    sam: User
    carla: User
    victor: User
    oscar: User
    instrument: Instrument


@pytest.fixture
def small_instrument(db: None) -> Instrument:
    return factories.load_instrument_text(factories.SMALL_INSTRUMENT)


@pytest.fixture
def world(db: None, small_instrument: Instrument) -> World:
    return make_world(small_instrument)


def make_world(instrument: Instrument) -> World:
    """The personas above, in a database transaction the caller controls."""
    org = factories.make_organisation("Northside Health")
    clinic = factories.make_site(org, "Northside Clinic", kind=Site.Kind.CLINIC)
    hospital = factories.make_site(org, "Northside Hospital", kind=Site.Kind.HOSPITAL)
    other_org = factories.make_organisation("Other Org")
    other_site = factories.make_site(other_org, "Other Clinic")
    Role = Membership.Role
    alice = factories.make_user("alice", first_name="Alice", last_name="Admin")
    sam = factories.make_user("sam", first_name="Sam", last_name="Site")
    carla = factories.make_user("carla", first_name="Carla", last_name="Consultant")
    victor = factories.make_user("victor", first_name="Victor", last_name="Viewer")
    oscar = factories.make_user("oscar", first_name="Oscar", last_name="Other")
    factories.make_membership(alice, org, Role.ORG_ADMIN)
    factories.make_membership(sam, org, Role.SITE_ADMIN, sites=[clinic])
    factories.make_membership(carla, org, Role.CONSULTANT)
    factories.make_membership(victor, org, Role.VIEWER)
    factories.make_membership(oscar, other_org, Role.ORG_ADMIN)
    return World(
        org=org,
        clinic=clinic,
        hospital=hospital,
        other_org=other_org,
        other_site=other_site,
        alice=alice,
        sam=sam,
        carla=carla,
        victor=victor,
        oscar=oscar,
        instrument=instrument,
    )


@pytest.fixture
def golden(world: World) -> World:
    """The hand-made comparison data set of tests/reports/compare_data.py (`build_golden`)."""
    from tests.reports.compare_data import build_golden

    return build_golden(world)


def stand_in_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """In place of reports.pdf.render_pdf where a test is about what happens around a PDF (the
    cache, the jobs, who may download it): the template is rendered as for the real one and
    its digest returned behind a PDF header. WeasyPrint's layout (~0.4 s a report) is tested
    in tests/reports/test_pdf.py and by the tests that ask for `real_pdfs`."""
    html = render_to_string(template_name, context)
    return b"%PDF-1.7 " + hashlib.sha256(html.encode()).hexdigest().encode()


@pytest.fixture
def stand_in_pdfs(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """reports.pdf.render_pdf is stand_in_pdf for this test, unless it asks for `real_pdfs`."""
    if "real_pdfs" not in request.fixturenames:
        from reports import pdf  # imports WeasyPrint: not while the tests are collected

        monkeypatch.setattr(pdf, "render_pdf", stand_in_pdf)


@pytest.fixture
def real_pdfs() -> None:
    """This test's PDFs are laid out by WeasyPrint, where the module uses stand_in_pdfs."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The order pytest-xdist hands out test files (`--dist loadfile --no-loadscope-reorder`).

    Files whose tests mostly wait for another process (a browser, a Celery worker) alternate
    with the others from the start: while one worker waits, another's tests use the cores,
    rather than the waiting running last, or all at once, with the cores idle. The others go
    largest first (xdist's own order), so that small files even out the end. Each file's tests
    stay together and in order.
    """
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::")[0], []).append(item)

    def waits(tests: list[pytest.Item]) -> bool:
        return any(any(t.iter_markers("browser")) or any(t.iter_markers("waits")) for t in tests)

    waiting = [tests for tests in files.values() if waits(tests)]
    working = sorted((tests for tests in files.values() if not waits(tests)), key=len, reverse=True)
    ordered = [
        tests
        for pair in itertools.zip_longest(waiting, working[: len(waiting)])
        for tests in pair
        if tests is not None
    ]
    ordered += working[len(waiting) :]
    items[:] = [item for tests in ordered for item in tests]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def required(path: str | None, message: str) -> str:
    """`path` of a tool the test needs: without it, skip on a developer machine, FAIL in CI.

    CI (CI=true) installs Chromium and poppler; a test that cannot run there must never pass
    unnoticed as a skip.
    """
    if path is None:
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return path


def without_chromium(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Chromium from here on: every chart falls back to its data table.

    The charts earlier tests drew in this process are forgotten too, or a chart cached by a test
    that ran before on the same xdist worker would still be drawn.
    """
    from reports import chart_svg

    monkeypatch.setattr(chart_svg, "find_chromium", lambda: None)
    chart_svg.clear_svg_cache()


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache (rate-limit counters, cached PDFs and charts)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def report_bodies_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """The gap report page renders its body on every view (reports/report_page.py keeps it
    in the cache otherwise): for counting what a rendering costs."""
    monkeypatch.setattr("reports.report_page.cache_get", lambda key: None)


@pytest.fixture
def cache_down(settings: Any) -> None:
    """Every cache call fails at once: a Redis server where nothing listens (port 1)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }


class SignIns:
    """Clients signed in as a user, the real sign-in paid once per user.

    The first client for a user comes from `force_login` (the session's start, the two-factor
    state, axes' log, last_login); every later one gets a new session row holding that same
    session's data, one INSERT against ~3 ms of signals and queries. For tests that sign the
    same people in hundreds of times inside savepoints rolled back each time (fuzz examples, the
    access matrix): the row vanishes with the savepoint, the data does not. Each client has its
    own session, as with force_login. The data is kept by the user's pk and password hash: a
    user made again under a reused pk (a rolled-back example) signs in for real, as its hash
    differs; keep one SignIns per test (or per module whose objects are built once).
    """

    def __init__(self) -> None:
        self._data: dict[tuple[int, str], tuple[str, Any]] = {}

    def forget(self) -> None:
        self._data.clear()

    def client(self, user: User) -> Client:
        client = Client()
        known = self._data.get((user.pk, user.password))
        if known is None:
            client.force_login(user)
            key = client.cookies[settings.SESSION_COOKIE_NAME].value
            row = Session.objects.get(session_key=key)
            self._data[user.pk, user.password] = (row.session_data, row.expire_date)
            return client
        data, expires = known
        key = get_random_string(32, VALID_KEY_CHARS)
        Session.objects.create(session_key=key, session_data=data, expire_date=expires)
        client.cookies[settings.SESSION_COOKIE_NAME] = key
        return client
