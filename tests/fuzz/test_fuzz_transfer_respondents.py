"""Fuzz the import of the assessment file's independent-answers keys (issue 15): "mode",
"respondents" and "consensus_notes". Whatever they hold, the import either succeeds and the
file comes back out the same, or it refuses with problems naming keys and writes nothing."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from assessments.models import Answer, Assessment, AuditEntry
from assessments.transfer import TransferError, assessment_import
from assessments.transfer_export import dumps, export_assessment
from respondents.models import (
    Assignment,
    AssignmentEvent,
    ConsensusNote,
    IndependentAnswering,
    RespondentAnswer,
)
from tests.fuzz.common import FUZZ, NASTY, rolled_back
from tests.respondents import scenario

pytestmark = pytest.mark.django_db

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-5, max_value=10**6)
    | st.sampled_from(NASTY)
    | st.text(max_size=12)
)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_emails = st.sampled_from(
    ["victor@example.org", "CARLA@example.org", "sam@example.org", "oscar@example.org", "x", ""]
)
_domains = st.sampled_from(["gov", "ops", "nope"])
_keys = st.sampled_from(["gov.q01", "gov.q02", "gov.q03", "gov.q04", "ops.q01", "ops.q02", "x"])
_moments = st.sampled_from(
    [None, "2026-03-01T09:30:00+00:00", "2026-03-01T09:30:00", "2026-02-30T00:00:00", "soon", 5]
)
_domain = (
    st.fixed_dictionaries(
        {},
        optional={
            "done_at": _moments,
            "removed": st.booleans() | _scalars,
            "due_date": st.sampled_from([None, "2026-04-01", "2026-13-01", 1]),
            "extra": _scalars,
        },
    )
    | _json
)
_answer = (
    st.fixed_dictionaries(
        {
            "value": st.sampled_from(["yes", "no", "na", "0", "4", "7", "all", "", "Free"])
            | _scalars
        },
        optional={"comment": st.text(max_size=10) | _scalars, "evidence": _scalars},
    )
    | _json
)
_respondent = (
    st.fixed_dictionaries(
        {"email": _emails | _scalars},
        optional={
            "name": _scalars,
            "role": st.sampled_from(["viewer", "consultant", ""]) | _scalars,
            "domains": st.dictionaries(_domains, _domain, max_size=2) | _json,
            "answers": st.dictionaries(_keys, _answer, max_size=3) | _json,
        },
    )
    | _json
)


def _state() -> list[int]:
    return [
        model.objects.count()
        for model in (
            Assessment,
            Answer,
            AuditEntry,
            Assignment,
            AssignmentEvent,
            RespondentAnswer,
            ConsensusNote,
            IndependentAnswering,
        )
    ]


# Values each question of the small instrument allows (the respondents answer gov and ops).
_ALLOWED = {
    "gov.q01": ["yes", "no", "na"],
    "gov.q02": ["yes", "no"],
    "gov.q03": ["0", "1", "2", "3", "4", "na"],
    "gov.q04": ["Scribe", "", "na"],
    "ops.q01": ["none", "some", "all", "na"],
    "ops.q02": ["0", "2", "4", "na"],
}


def _gentle(data: Any, spoilt: dict[str, Any]) -> None:
    """Changes a valid file may hold: other answers, done or not, removed or not, due dates,
    answers and notes left out, a respondent left out."""
    for respondent in spoilt["respondents"]:
        for domain in respondent["domains"].values():
            domain["done_at"] = data.draw(_moments.filter(lambda m: m is None or "T09" in str(m)))
            domain["removed"] = data.draw(st.booleans())
            domain["due_date"] = data.draw(st.sampled_from([None, "2026-04-01"]))
        for key in list(respondent["answers"]):
            if data.draw(st.booleans()):
                respondent["answers"][key]["value"] = data.draw(st.sampled_from(_ALLOWED[key]))
            elif data.draw(st.booleans()):
                del respondent["answers"][key]
    if data.draw(st.booleans()):
        spoilt["respondents"].pop(data.draw(st.integers(min_value=0, max_value=1)))
    spoilt["consensus_notes"] = data.draw(
        st.dictionaries(_keys.filter(lambda k: k != "x"), st.text(max_size=10), max_size=2)
    )


def _without_ids(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("id", "exported_at")}


@pytest.fixture
def exported(world):
    """The export of an independently answered assessment, which is then gone again: made
    once per test (the file is all the examples need)."""
    with rolled_back():
        return json.loads(dumps(export_assessment(scenario.independent_assessment(world))))


@FUZZ
@given(data=st.data())
def test_fuzz_the_independent_keys_of_an_import(world, exported, data):
    spoilt = copy.deepcopy(exported)
    how = data.draw(st.sampled_from(["replace", "one", "gentle", "gentle"]))
    if how == "gentle":
        _gentle(data, spoilt)
    else:
        spoilt["mode"] = data.draw(st.sampled_from(["independent", "single", "both"]) | _scalars)
        if how == "replace":
            spoilt["respondents"] = data.draw(st.lists(_respondent, max_size=3) | _json)
        else:
            index = data.draw(st.integers(min_value=0, max_value=1))
            spoilt["respondents"][index] = data.draw(_respondent)
        spoilt["consensus_notes"] = data.draw(
            st.dictionaries(_keys, st.text(max_size=10) | _scalars, max_size=2) | _json
        )
    event(how)
    with rolled_back():
        before = _state()
        refused: TransferError | None = None
        try:
            assessment = assessment_import(
                data=copy.deepcopy(spoilt), user=world.alice, organisation=world.org
            )
        except TransferError as error:
            refused = error
        if refused is not None:
            event("refused")
            assert refused.problems
            for key, reason in refused.problems:
                assert key
                assert reason
                assert "\n" not in f"{key}: {reason}"
            assert _state() == before
        else:
            event("imported")
            # What was written exports and imports again unchanged.
            again = json.loads(dumps(export_assessment(assessment)))
            Assessment.objects.filter(pk=assessment.pk).delete()
            copy_ = assessment_import(
                data=copy.deepcopy(again), user=world.alice, organisation=world.org
            )
            assert _without_ids(json.loads(dumps(export_assessment(copy_)))) == _without_ids(again)
