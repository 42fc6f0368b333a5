"""What the fuzz tests share: hypothesis settings, nasty values, form-data strategies, the
snapshot of everything a form could change, and the checks built on it.

Each example runs inside a savepoint that is rolled back (`rolled_back`), so every example
starts from the same state; the `world` personas are made once per test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import QuerySet
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from assessments.models import (
    Answer,
    Assessment,
    AuditEntry,
    Instrument,
    Invitation,
    Membership,
    Organisation,
    Site,
)
from assessments.services import AnswerChange, answers_save, assessment_submit
from tests import factories
from tests.conftest import SignIns, World

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# --- strategies -------------------------------------------------------------------------------

NASTY = [
    "",
    " ",
    "\x00",
    "\t\n",
    "na",
    "NA",
    " na ",
    "-1",
    "0",
    "4",
    "5",
    "1.0",
    "1e9",
    "9" * 40,
    "yes",
    "no",
    "all",
    "none",
    "some",
    "mine",
    "theirs",
    "__submit__",
    "on",
    "true",
    "<script>alert(1)</script>",
    "'; DROP TABLE assessments_answer;--",
    "../../etc/passwd",
    "%00",
    "\u202e",
    "\ufeff",
    "💥",
    "NaN",
    "Infinity",
    "-0",
    "0x10",
    "１",
    "٣",
    "1,5",
    "1_000",
    "2026-02-30",
    "2026-03-01",
    "99999-01-01",
    "0001-01-01",
    "9" * 5000,
    "x" * 5001,
    "a@b",
    "a@example.org",
    " Alice@Example.ORG ",
    "org_admin",
    "site_admin",
    "viewer",
    "archive",
    "restore",
    "save",
    "clinic",
    "hospital",
    "http://evil.example/",
    "//evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
]


def values() -> st.SearchStrategy[str]:
    """Random text: short, unicode, binary-ish, numeric, long (over 5000), or known-nasty."""
    return st.one_of(
        st.sampled_from(NASTY),
        st.text(max_size=40),
        st.text(st.characters(codec="utf-8"), max_size=300),
        st.binary(max_size=64).map(lambda raw: raw.decode("latin-1")),
        st.integers().map(str),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.builds(
            lambda char, n: char * n, st.characters(codec="utf-8"), st.integers(4990, 12_000)
        ),
    )


def form_data(known_keys: list[str]) -> st.SearchStrategy[dict[str, str]]:
    keys = st.one_of(st.sampled_from(known_keys), st.text(max_size=30))
    return st.dictionaries(keys, values(), max_size=14)


def post_form(
    client: Client, url: str, data: dict[str, str], urlencoded: bool, **extra: Any
) -> Any:
    if urlencoded:
        return client.post(
            url, urlencode(data), content_type="application/x-www-form-urlencoded", **extra
        )
    return client.post(url, data, **extra)


ENCODING = st.booleans()
RAW_BODIES = st.one_of(
    st.binary(max_size=400),
    st.builds(lambda d: urlencode(d).encode(), st.dictionaries(st.text(max_size=20), st.text())),
)


@contextmanager
def rolled_back() -> Iterator[None]:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# Forgotten before each test (tests/fuzz/conftest.py): its personas are new.
SIGN_INS = SignIns()


def signed_in(user: User) -> Client:
    """A client signed in as `user`: each example rolls its sign-in back, so after the first
    one the session is written again instead of signing in again (tests.conftest.SignIns)."""
    return SIGN_INS.client(user)


def _snapshot_querysets() -> dict[str, QuerySet[Any]]:
    """Everything a form could change, table by table."""
    through = Membership.sites.through
    return {
        "answers": Answer.objects.order_by("pk").values_list(
            "pk", "assessment_id", "question_id", "value", "comment", "evidence", "revision"
        ),
        "assessments": Assessment.objects.order_by("pk").values_list(
            "pk",
            "site_id",
            "instrument_id",
            "status",
            "targets",
            "round_label",
            "round_date",
            "revision",
        ),
        "sites": Site.objects.order_by("pk").values_list(
            "pk", "organisation_id", "name", "kind", "archived"
        ),
        "memberships": Membership.objects.order_by("pk").values_list(
            "pk", "user_id", "organisation_id", "role"
        ),
        "membership_sites": through.objects.order_by("pk").values_list("membership_id", "site_id"),
        "users": User.objects.order_by("pk").values_list(
            "pk", "username", "email", "password", "is_active"
        ),
        "instruments": Instrument.objects.order_by("pk").values_list(
            "pk", "slug", "version", "content_hash", "organisation_id"
        ),
        "organisations": Organisation.objects.order_by("pk").values_list(
            "pk", "name", "slug", "report_title", "report_logo", "report_signoff"
        ),
        "invitations": Invitation.objects.order_by("pk").values_list(
            "pk", "organisation_id", "email", "role", "token_hash", "accepted_at", "revoked_at"
        ),
        # Reads and exports are recorded on purpose; every other entry is a change.
        "audit": AuditEntry.objects.exclude(action__in=["viewed", "exported"])
        .order_by("pk")
        .values_list("pk", "action", "subject"),
    }


@cache
def _snapshot_sql(vendor: str) -> list[tuple[str, str, tuple[Any, ...]]]:
    """The snapshot's SQL, compiled once: the fuzz tests take thousands of snapshots, and
    building ten querysets each time cost more than running them."""
    return [
        (name, *queryset.query.sql_with_params())
        for name, queryset in _snapshot_querysets().items()
    ]


def saved_state() -> dict[str, list[Any]]:
    """Everything a form could change, as the database holds it (raw rows)."""
    with connection.cursor() as cursor:
        state = {}
        for name, sql, params in _snapshot_sql(connection.vendor):
            cursor.execute(sql, params)
            state[name] = cursor.fetchall()
    return state


def assert_only_on_success(response: Any, before: dict[str, list[Any]]) -> bool:
    """No 500; a response other than the redirect after a successful POST changed nothing."""
    assert response.status_code < 500
    if response.status_code == 302:
        return True
    assert saved_state() == before, f"status {response.status_code} but the data changed"
    return False


def assessment_with_work(
    world: World, *, submitted: bool = False, round_label: str = "2026 spring"
) -> Assessment:
    """An assessment of the clinic with saved work that the fuzzing must not damage."""
    assessment = factories.make_assessment(world.clinic, world.instrument, round_label)
    answers_save(
        assessment=assessment,
        user=world.sam,
        changes=[
            AnswerChange(key="gov.q01", value="yes"),
            AnswerChange(key="gov.q03", value="2", comment="Meets monthly", evidence="Minutes"),
            AnswerChange(key="gov.q04", value="A scribe tool"),
            AnswerChange(key="ops.q01", value="some"),
        ],
    )
    if submitted:
        assessment_submit(assessment=assessment, user=world.alice)
    return assessment


def admin_post(
    world: World,
    url_name: str,
    args: list[Any],
    posted: dict[str, str],
    urlencoded: bool,
    files: dict[str, Any] | None = None,
) -> tuple[Any, dict]:
    before = saved_state()
    client = signed_in(world.alice)
    url = reverse(url_name, args=args)
    if files:
        response = client.post(url, {**posted, **files})
    else:
        response = post_form(client, url, posted, urlencoded)
    assert_only_on_success(response, before)
    return response, before


def answer_state(assessment: Assessment) -> dict[str, tuple[str, str, str, int]]:
    """Each answer's (value, comment, evidence, revision), by question key."""
    return {
        key: (value, comment, evidence, revision)
        for key, value, comment, evidence, revision in assessment.answers.values_list(
            "question__key", "value", "comment", "evidence", "revision"
        )
    }
