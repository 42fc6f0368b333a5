"""Fuzz the questionnaire, its autosave, submitting, targets and the one-button actions:
no input gives a 500, and an answer changes only to exactly what was posted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django import forms
from django.contrib.auth.models import User
from django.http import QueryDict
from django.urls import reverse
from hypothesis import event, given
from hypothesis import strategies as st

from assessments.content import instrument_content
from assessments.models import (
    Assessment,
    AuditEntry,
)
from tests.conftest import World
from tests.fuzz.common import (
    ENCODING,
    FUZZ,
    RAW_BODIES,
    answer_state,
    assert_only_on_success,
    assessment_with_work,
    form_data,
    post_form,
    rolled_back,
    saved_state,
    signed_in,
    values,
)

pytestmark = pytest.mark.django_db


# --- the questionnaire ------------------------------------------------------------------------


def _audit_counts(assessment: Assessment) -> dict[str, int]:
    counts: dict[str, int] = {}
    for subject in AuditEntry.objects.filter(assessment=assessment, action="answer").values_list(
        "subject", flat=True
    ):
        counts[subject] = counts.get(subject, 0) + 1
    return counts


def _revision(raw: str | None) -> int | None:
    """The revision a posted "--rev" stands for, as QuestionnaireForm reads it: a blank one is
    0 ("I saw no answer", so it can only create an answer, never overwrite one); None when
    invalid."""
    try:
        return forms.IntegerField(required=False, min_value=0).clean(raw) or 0
    except forms.ValidationError:
        return None


def _assert_questionnaire_invariants(
    assessment: Assessment,
    domain_key: str,
    posted: QueryDict | dict[str, str],
    before: dict[str, tuple[str, str, str, int]],
    audits_before: dict[str, int],
) -> None:
    """Each answer is untouched, or is exactly what was posted for it, on its current revision,
    with one audit entry; never anything else."""
    content = instrument_content(assessment.instrument)
    after = answer_state(assessment)
    audits_after = _audit_counts(assessment)
    domain_questions = {q.key: q for q in content.questions_of(domain_key)}
    for key in set(before) | set(after):
        old, new = before.get(key), after.get(key)
        added = audits_after.get(key, 0) - audits_before.get(key, 0)
        if old == new:
            assert added == 0, f"{key}: an audit entry without a change"
            continue
        event("an answer was saved")  # shows, with --hypothesis-show-statistics, that valid
        # changes are generated too, not only rejected junk
        assert key in domain_questions, f"{key}, outside the posted domain, changed"
        assert new is not None, f"{key}: an answer was deleted"
        assert added == 1, f"{key}: changed with {added} audit entries"
        old_revision = old[3] if old else 0
        assert _revision(posted.get(f"{key}--rev")) == old_revision, f"{key}: stale revision saved"
        assert new[3] == old_revision + 1
        value = (posted.get(key) or "").strip()
        assert new[:3] == (
            value,
            (posted.get(f"{key}--comment") or "").strip(),
            (posted.get(f"{key}--evidence") or "").strip(),
        ), f"{key}: stored something other than what was posted"
        question = domain_questions[key]
        if question.type == "text":
            assert len(new[0]) <= 5000
            assert "\x00" not in new[0]
        else:
            allowed = {o["value"] for o in question.options} | (
                {"na"} if question.allow_na else set()
            )
            assert new[0] in allowed | {""}, f"{key}: stored an invalid option {new[0]!r}"
        assert len(new[1]) <= 5000
        assert len(new[2]) <= 5000


def _field_names(world: World) -> list[str]:
    names = ["next_domain", "csrfmiddlewaretoken"]
    for question in instrument_content(world.instrument).questions:
        for suffix in ("", "--comment", "--evidence", "--rev", "--base", "--resolve", "--conflict"):
            names.append(question.key + suffix)
    return names


@dataclass
class Prepared:
    """A draft and a submitted assessment with saved work, each answer's state and audit
    count, and the whole saved state: made once per test, since every example runs in a
    savepoint rolled back to it."""

    assessments: dict[bool, Assessment]  # by "submitted"
    answers: dict[bool, dict[str, tuple[str, str, str, int]]]
    audits: dict[bool, dict[str, int]]
    whole: dict[str, list[Any]]


@pytest.fixture
def prepared(world: World) -> Prepared:
    assessments = {
        False: assessment_with_work(world),
        True: assessment_with_work(world, submitted=True, round_label="2025 autumn"),
    }
    return Prepared(
        assessments=assessments,
        answers={k: answer_state(a) for k, a in assessments.items()},
        audits={k: _audit_counts(a) for k, a in assessments.items()},
        whole=saved_state(),
    )


def _questionnaire_fuzz(
    world: World,
    prepared: Prepared,
    data: dict[str, str] | bytes,
    *,
    autosave: bool,
    urlencoded: bool,
    domain_key: str,
    submitted: bool,
    user: User,
) -> None:
    assessment = prepared.assessments[submitted]
    with rolled_back():
        client = signed_in(user)
        url = reverse("assessments:domain", args=[assessment.pk, domain_key])
        headers = {"X-Autosave": "1"} if autosave else {}
        if isinstance(data, bytes):
            response = client.post(
                url, data, content_type="application/x-www-form-urlencoded", headers=headers
            )
            posted: QueryDict | dict[str, str] = QueryDict(data)
        else:
            response = post_form(client, url, data, urlencoded, headers=headers)
            posted = data
        assert response.status_code < 500
        if autosave and response.status_code in (200, 409):
            json.loads(response.content)  # the script reads it
        if submitted or user != world.sam or response.status_code == 400:
            assert saved_state() == prepared.whole
        _assert_questionnaire_invariants(
            assessment,
            domain_key,
            posted,
            prepared.answers[submitted],
            prepared.audits[submitted],
        )


@FUZZ
@given(
    data=st.data(),
    autosave=st.booleans(),
    urlencoded=ENCODING,
    domain_key=st.sampled_from(["gov", "ops"]),
    submitted=st.booleans(),
)
def test_fuzz_the_questionnaire_page(
    world, prepared, data, autosave, urlencoded, domain_key, submitted
):
    posted = data.draw(form_data(_field_names(world)))
    _questionnaire_fuzz(
        world,
        prepared,
        posted,
        autosave=autosave,
        urlencoded=urlencoded,
        domain_key=domain_key,
        submitted=submitted,
        user=world.sam,
    )


@FUZZ
@given(
    key=st.sampled_from(["gov.q01", "gov.q03", "gov.q04"]),
    value=values(),
    comment=values(),
    evidence=values(),
    rev=st.one_of(st.sampled_from(["1", "0", "2", "", "-1", "1.0", " 1 ", "١"]), values()),
    base=st.one_of(st.just(None), values()),
    autosave=st.booleans(),
)
def test_fuzz_one_question_as_the_autosave_script_posts_it(
    world, prepared, key, value, comment, evidence, rev, base, autosave
):
    # The shape questionnaire.js posts, with random values: most are invalid and must
    # leave the saved answer alone; the valid ones are saved exactly.
    data = {
        key: value,
        f"{key}--comment": comment,
        f"{key}--evidence": evidence,
        f"{key}--rev": rev,
    }
    if base is not None:
        data[f"{key}--base"] = base
    _questionnaire_fuzz(
        world,
        prepared,
        data,
        autosave=autosave,
        urlencoded=True,
        domain_key="gov",
        submitted=False,
        user=world.sam,
    )


@FUZZ
@given(body=RAW_BODIES, autosave=st.booleans())
def test_fuzz_the_questionnaire_with_raw_bodies(world, prepared, body, autosave):
    _questionnaire_fuzz(
        world,
        prepared,
        body,
        autosave=autosave,
        urlencoded=True,
        domain_key="gov",
        submitted=False,
        user=world.sam,
    )


@FUZZ
@given(data=st.data(), autosave=st.booleans())
def test_fuzz_the_questionnaire_as_a_viewer_changes_nothing(world, prepared, data, autosave):
    posted = data.draw(form_data(_field_names(world)))
    _questionnaire_fuzz(
        world,
        prepared,
        posted,
        autosave=autosave,
        urlencoded=True,
        domain_key="gov",
        submitted=False,
        user=world.victor,
    )


def test_an_invalid_autosave_keeps_the_saved_answer_and_says_why(world):
    assessment = assessment_with_work(world)
    before = answer_state(assessment)
    client = signed_in(world.sam)
    url = reverse("assessments:domain", args=[assessment.pk, "gov"])
    for value, comment in (("7", ""), ("2", "x" * 5001), ("2\x00", ""), ("2", "a\x00b")):
        response = client.post(
            url,
            {"gov.q03": value, "gov.q03--comment": comment, "gov.q03--rev": "1"},
            headers={"X-Autosave": "1"},
        )
        assert response.status_code == 409, (value, comment)
        assert "gov.q03" in response.json()["problems"]
        assert answer_state(assessment) == before


def test_a_blank_revision_creates_an_answer_but_never_overwrites_one(world):
    # Found by the fuzzing: a blank "--rev" reads as 0, "I saw no answer".
    assessment = assessment_with_work(world)
    client = signed_in(world.sam)
    url = reverse("assessments:domain", args=[assessment.pk, "gov"])
    posted = {"gov.q02--comment": "na", "gov.q02--rev": "", "gov.q03": "4", "gov.q03--rev": ""}
    response = client.post(url, posted)
    assert response.status_code == 422  # gov.q03 (revision 1) comes back as a conflict
    after = answer_state(assessment)
    assert after["gov.q02"] == ("", "na", "", 1)
    assert after["gov.q03"] == ("2", "Meets monthly", "Minutes", 1)


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_the_submit_form_submits_only_when_confirmed(world, prepared, data, urlencoded):
    posted = data.draw(form_data(["confirm", "next"]))
    draft = prepared.assessments[False]
    with rolled_back():
        response = post_form(
            signed_in(world.sam),
            reverse("assessments:submit", args=[draft.pk]),
            posted,
            urlencoded,
        )
        if assert_only_on_success(response, prepared.whole):
            assert posted.get("confirm") == "yes"
            assert Assessment.objects.get(pk=draft.pk).status == Assessment.Status.SUBMITTED
            assert answer_state(draft) == prepared.answers[False]


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_the_targets_form_saves_only_targets_from_0_to_100(world, prepared, data, urlencoded):
    posted = data.draw(form_data(["gov", "ops", "other"]))
    draft = prepared.assessments[False]
    with rolled_back():
        response = post_form(
            signed_in(world.alice),
            reverse("assessments:targets", args=[draft.pk]),
            posted,
            urlencoded,
        )
        if assert_only_on_success(response, prepared.whole):
            targets = Assessment.objects.get(pk=draft.pk).targets
            for key in ("gov", "ops"):
                target = Decimal(posted[key].strip())
                assert Decimal(0) <= target <= Decimal(100)
                assert Decimal(str(targets.get(key, target))) == target
        else:
            # Any refused POST, an empty one included, shows the form with its errors.
            assert response.status_code == 422


@FUZZ
@given(
    data=st.data(),
    name=st.sampled_from(["assessments:reopen", "assessments:confirm-carried"]),
    user=st.sampled_from(["victor", "sam", "carla", "oscar"]),
)
def test_fuzz_the_button_only_posts(world, prepared, data, name, user):
    posted = data.draw(form_data(["next", "confirm"]))
    assessment = prepared.assessments[name == "assessments:reopen"]
    args = [assessment.pk] if name == "assessments:reopen" else [assessment.pk, "gov"]
    before = prepared.whole
    with rolled_back():
        response = post_form(
            signed_in(getattr(world, user)), reverse(name, args=args), posted, True
        )
        assert response.status_code < 500
        if response.status_code != 302:
            assert saved_state() == before
        if user in {"victor", "oscar"} or (user == "sam" and name == "assessments:reopen"):
            assert saved_state() == before  # no right to do it, whatever is posted
