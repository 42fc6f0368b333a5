"""Fuzz the API's write endpoints with JSON of every shape: no input gives a 500, every error
is a problem document, and only a successful write changes anything."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actions.models import ActionItem, ActionItemEvent
from actions.services import action_items_create_from_plan
from api.tokens import token_create
from assessments.services import AnswerChange, answers_save, assessment_submit
from reports.models import ReportBatch, StoredReport
from respondents.models import (
    Assignment,
    AssignmentEvent,
    ConsensusNote,
    IndependentAnswering,
    RespondentAnswer,
)
from tests import factories
from tests.api.conftest import ApiClient
from tests.fuzz.common import (
    FUZZ,
    RAW_BODIES,
    assessment_with_work,
    rolled_back,
    saved_state,
    values,
)

pytestmark = pytest.mark.django_db

KEYS = ["gov.q01", "gov.q02", "gov.q03", "gov.q04", "ops.q01", "ops.q02", "nope", ""]


def json_values() -> st.SearchStrategy[Any]:
    """JSON of any shape: nasty text, numbers, nulls, and lists and objects of them."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        values(),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
        ),
        max_leaves=12,
    )


def field(known: list[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(known), json_values())


def answer_items(domain_keys: list[str] = KEYS) -> st.SearchStrategy[Any]:
    item = st.fixed_dictionaries(
        {
            "question": field(domain_keys),
            "value": field(["yes", "no", "na", "2", "all", "", "9"]),
            "revision": field([0, 1, -1, 2**40]),
        },
        optional={
            "comment": field(["", "x" * 5001]),
            "evidence": field([""]),
            "note": field(["", "agreed"]),
        },
    )
    return st.one_of(st.lists(item, max_size=5), json_values())


def everything() -> dict[str, Any]:
    return {
        **saved_state(),
        "items": list(
            ActionItem.objects.order_by("pk").values_list(
                "pk", "title", "owner_id", "due_date", "status", "notes", "revision"
            )
        ),
        "item_events": ActionItemEvent.objects.count(),
        "assignments": list(
            Assignment.objects.order_by("pk").values_list(
                "pk", "domain_key", "user_id", "due_date", "removed_at", "done_at"
            )
        ),
        "assignment_events": AssignmentEvent.objects.count(),
        "own": list(
            RespondentAnswer.objects.order_by("pk").values_list(
                "pk", "value", "comment", "revision"
            )
        ),
        "notes": list(ConsensusNote.objects.values_list("pk", "note")),
        "reports": StoredReport.objects.count(),
        "batches": ReportBatch.objects.count(),
    }


def _bodies(world, objects) -> dict[str, tuple[str, str, st.SearchStrategy[Any]]]:
    draft, submitted, item, independent = objects
    a, s, i = draft.pk, submitted.pk, independent.pk
    return {
        "answers": (
            "post",
            f"/api/v1/assessments/{a}/answers/",
            st.one_of(st.fixed_dictionaries({"answers": answer_items()}), json_values()),
        ),
        "answer": (
            "put",
            f"/api/v1/assessments/{a}/answers/gov.q03/",
            st.one_of(
                answer_items(),
                json_values(),
                st.fixed_dictionaries({"value": field(["2", "9"]), "revision": field([1, 0])}),
            ),
        ),
        "create": (
            "post",
            "/api/v1/assessments/",
            st.one_of(
                json_values(),
                st.fixed_dictionaries(
                    {
                        "site": field([world.clinic.pk, world.other_site.pk, 0]),
                        "instrument": field([world.instrument.pk, 2**63]),
                        "round_label": field(["2026 spring", " ", "x" * 101]),
                        "round_date": field(["2026-05-01", "1999-01-01", "2026-02-30"]),
                        "carry_over": field([True, False]),
                    }
                ),
            ),
        ),
        "targets": (
            "patch",
            f"/api/v1/assessments/{a}/targets/",
            st.one_of(
                json_values(),
                st.fixed_dictionaries(
                    {
                        "targets": st.one_of(
                            st.dictionaries(
                                st.one_of(st.sampled_from(["gov", "ops", "zz"]), st.text()),
                                field(["65", 101, -1, "1e9", "NaN"]),
                                max_size=3,
                            ),
                            json_values(),
                        )
                    }
                ),
            ),
        ),
        "item": (
            "patch",
            f"/api/v1/action-items/{item.pk}/",
            st.one_of(
                json_values(),
                st.fixed_dictionaries(
                    {"revision": field([item.revision, 0])},
                    optional={
                        "status": field(["done", "wont_do", "x"]),
                        "owner": field([world.victor.pk, world.oscar.pk, None]),
                        "due_date": field(["2026-10-01", "1999-01-01"]),
                        "title": field(["", "Do it"]),
                        "reason": field([""]),
                        "notes": field(["n"]),
                    },
                ),
            ),
        ),
        "track": (
            "post",
            f"/api/v1/assessments/{s}/action-items/",
            st.one_of(
                json_values(),
                st.fixed_dictionaries(
                    {}, optional={"question": field(KEYS), "scope": field(["all", "top10", "x"])}
                ),
            ),
        ),
        "assign": (
            "post",
            f"/api/v1/assessments/{a}/assignments/",
            st.one_of(
                json_values(),
                st.fixed_dictionaries(
                    {
                        "domain": field(["gov", "ops", "zz"]),
                        "user": field([world.victor.pk, world.oscar.pk, 0]),
                    },
                    optional={"due_date": field(["2026-12-01", "1999-01-01", None])},
                ),
            ),
        ),
        "report": (
            "post",
            f"/api/v1/assessments/{s}/report/",
            st.one_of(
                json_values(),
                st.fixed_dictionaries(
                    {},
                    optional={
                        "preset": field(["full", "board", "x"]),
                        "sections": field([["summary"], ["nope"]]),
                        "sign": field([True, "yes"]),
                    },
                ),
            ),
        ),
        "batch": (
            "post",
            f"/api/v1/organisations/{world.org.slug}/batches/",
            st.one_of(
                json_values(),
                st.fixed_dictionaries(
                    {},
                    optional={
                        "source": field(["round", "comparison", "x"]),
                        "round": field(["2026 spring", "", "x" * 101]),
                    },
                ),
            ),
        ),
        "own": (
            "post",
            f"/api/v1/assessments/{i}/respondent-answers/",
            st.one_of(
                json_values(),
                st.fixed_dictionaries(
                    {"domain": field(["gov", "ops", "zz"]), "answers": answer_items()}
                ),
            ),
        ),
        "consensus": (
            "post",
            f"/api/v1/assessments/{i}/consensus/",
            st.one_of(
                json_values(),
                st.fixed_dictionaries(
                    {"domain": field(["gov", "ops", "zz"]), "answers": answer_items()}
                ),
            ),
        ),
    }


def _objects(world):
    draft = assessment_with_work(world)
    submitted = factories.make_assessment(world.hospital, world.instrument, "2025 autumn")
    answers_save(
        assessment=submitted,
        user=world.alice,
        changes=[AnswerChange("gov.q01", "no"), AnswerChange("gov.q03", "1")],
    )
    assessment_submit(assessment=submitted, user=world.alice)
    item = action_items_create_from_plan(assessment=submitted, user=world.alice)[0]
    independent = factories.make_assessment(world.clinic, world.instrument, "2027 spring")
    IndependentAnswering.objects.create(assessment=independent, set_by=world.alice)
    Assignment.objects.create(assessment=independent, domain_key="gov", user=world.sam)
    return draft, submitted, item, independent


ENDPOINTS = [
    "answers",
    "answer",
    "create",
    "targets",
    "item",
    "track",
    "assign",
    "report",
    "batch",
    "own",
    "consensus",
]


PERSONAS = ("alice", "sam", "victor", "oscar")


@pytest.fixture
def api_world(world, monkeypatch):
    """The objects the endpoints act on, a token per persona and the state they start from:
    made once per test, since every example runs in a savepoint that is rolled back to it."""
    monkeypatch.setattr("reports.queue.enqueue", lambda *args: True)
    monkeypatch.setattr("reports.queue.enqueue_on_commit", lambda *args: None)
    objects = _objects(world)
    secrets = {name: token_create(user=getattr(world, name), name="fuzz")[1] for name in PERSONAS}
    return _bodies(world, objects), secrets, everything()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@FUZZ
@given(data=st.data())
def test_fuzz_an_api_write(api_world, endpoint, data):
    bodies_by_endpoint, secrets, before = api_world
    method, url, bodies = bodies_by_endpoint[endpoint]
    secret = secrets[data.draw(st.sampled_from(PERSONAS))]
    body = data.draw(bodies)
    with rolled_back():
        response = getattr(ApiClient(secret), method)(
            url, json.dumps(body), content_type="application/json"
        )
        assert response.status_code < 500, (endpoint, body, response.content[:500])
        if response.status_code >= 400:
            assert response["Content-Type"] == "application/problem+json"
            problem = response.json()
            assert {"type", "title", "status", "detail"} <= set(problem)
            # A 409 of a partly saved batch of answers is the one refusal that changed data.
            if not (response.status_code == 409 and problem.get("saved")):
                assert everything() == before, (endpoint, response.status_code, problem)


@pytest.fixture
def raw_world(world):
    draft = assessment_with_work(world)
    _, secret = token_create(user=world.alice, name="fuzz")
    return f"/api/v1/assessments/{draft.pk}/answers/", secret, everything()


@FUZZ
@given(
    body=RAW_BODIES,
    content_type=st.sampled_from(
        [
            "application/json",
            "multipart/form-data; boundary=x",
            "text/plain",
            "application/x-www-form-urlencoded",
        ]
    ),
)
def test_fuzz_raw_bodies(raw_world, body, content_type):
    url, secret, before = raw_world
    with rolled_back():
        response = ApiClient(secret).post(url, body, content_type=content_type)
        assert response.status_code < 500
        assert response.status_code >= 400
        assert response["Content-Type"] == "application/problem+json"
        assert everything() == before
