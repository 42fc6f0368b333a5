"""Filling out an assessment: save, resume, follow-ups, conflicts, audit, submit and reopen."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Answer, Assessment, AuditEntry, DomainResult
from assessments.services import snapshot_hash
from tests import factories
from tests.conftest import World


@pytest.fixture
def assessment(world: World) -> Assessment:
    return factories.make_assessment(world.clinic, world.instrument)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _domain_url(assessment: Assessment, key: str) -> str:
    return reverse("assessments:domain", args=[assessment.pk, key])


def _page_fields(client: Client, assessment: Assessment, key: str) -> dict[str, str]:
    """The form as the browser would post it untouched: hidden revisions and fingerprints."""
    response = client.get(_domain_url(assessment, key))
    assert response.status_code == 200
    form = response.context["form"]
    data: dict[str, str] = {}
    for name in form.fields:
        value = form[name].value()
        if value is not None and not name.endswith("--resolve"):
            data[name] = str(value)
    return data


def _answers(assessment: Assessment) -> dict[str, str]:
    return dict(assessment.answers.values_list("question__key", "value"))


def test_it_shows_the_domain_with_questions_help_and_options(world, assessment):
    response = _client(world.sam).get(_domain_url(assessment, "gov"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Is there an AI governance committee?" in html
    assert "A committee meets and keeps minutes." in html
    assert "Partially in place" in html  # scale anchor label
    assert "Not applicable" in html
    assert 'name="gov.q03--comment"' in html
    assert 'name="gov.q03--evidence"' in html
    # The follow-up is hidden until its trigger is answered "yes".
    assert 'id="q-gov.q02"' in html
    assert response.context["rows"][1]["visible"] is False


def test_it_saves_a_domain_and_records_the_audit_trail(world, assessment):
    client = _client(world.sam)
    data = _page_fields(client, assessment, "gov")
    data.update({"gov.q01": "yes", "gov.q03": "2", "gov.q03--comment": "Meets monthly"})
    response = client.post(_domain_url(assessment, "gov"), data)
    assert response.status_code == 302
    assert _answers(assessment) == {"gov.q01": "yes", "gov.q03": "2"}
    answer = Answer.objects.get(assessment=assessment, question__key="gov.q03")
    assert answer.comment == "Meets monthly"
    assert answer.answered_by == world.sam
    entries = AuditEntry.objects.filter(assessment=assessment, action=AuditEntry.Action.ANSWER)
    assert {e.subject for e in entries} == {"gov.q01", "gov.q03"}
    entry = entries.get(subject="gov.q03")
    assert entry.old is None
    assert entry.new == {"value": "2", "comment": "Meets monthly", "evidence": ""}
    assert entry.user == world.sam


def test_a_change_records_old_and_new_values(world, assessment):
    client = _client(world.sam)
    data = _page_fields(client, assessment, "gov")
    client.post(_domain_url(assessment, "gov"), {**data, "gov.q03": "1"})
    data = _page_fields(client, assessment, "gov")
    client.post(_domain_url(assessment, "gov"), {**data, "gov.q03": "4"})
    entry = AuditEntry.objects.filter(subject="gov.q03").order_by("-pk").first()
    assert entry.old["value"] == "1"
    assert entry.new["value"] == "4"
    history = client.get(reverse("assessments:history", args=[assessment.pk]))
    assert history.status_code == 200
    assert "In place and monitored" in history.content.decode()


def test_resuming_opens_the_domain_left_last(world, assessment):
    client = _client(world.sam)
    data = _page_fields(client, assessment, "ops")
    client.post(_domain_url(assessment, "ops"), {**data, "ops.q01": "some"})
    response = client.get(reverse("assessments:take", args=[assessment.pk]))
    assert response.status_code == 302
    # At the domain's first unanswered question (issue 11: Continue finds where you left off).
    assert response.url == _domain_url(assessment, "ops") + "#q-ops.q02"


def test_save_and_continue_goes_to_the_next_domain(world, assessment):
    client = _client(world.sam)
    data = _page_fields(client, assessment, "gov")
    response = client.post(_domain_url(assessment, "gov"), {**data, "next_domain": "ops"})
    assert response.url == _domain_url(assessment, "ops")


def test_the_follow_up_appears_once_its_trigger_matches(world, assessment):
    client = _client(world.sam)
    data = _page_fields(client, assessment, "gov")
    client.post(_domain_url(assessment, "gov"), {**data, "gov.q01": "yes"})
    response = client.get(_domain_url(assessment, "gov"))
    visible = {row["question"].key: row["visible"] for row in response.context["rows"]}
    assert visible["gov.q02"] is True


def test_a_hidden_follow_up_is_not_scored(world, assessment):
    client = _client(world.sam)
    data = _page_fields(client, assessment, "gov")
    # gov.q02 (critical) answered "no" while its trigger is "no": hidden, so no blocker.
    client.post(_domain_url(assessment, "gov"), {**data, "gov.q01": "no", "gov.q02": "no"})
    result = assessment.compute_results()
    assert result.blockers == ()
    assert "gov.q02" not in result.visible


def test_autosave_saves_one_question_and_returns_the_new_revision(world, assessment):
    client = _client(world.sam)
    response = client.post(
        _domain_url(assessment, "gov"),
        {"gov.q03": "3", "gov.q03--comment": "", "gov.q03--evidence": "", "gov.q03--rev": "0"},
        headers={"X-Autosave": "1"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["saved"]["gov.q03"]["rev"] == 1
    assert body["saved"]["gov.q03"]["base"] == snapshot_hash("3", "", "")
    # gov.q01, gov.q03 and the free-text gov.q04 are shown (the follow-up gov.q02 is not).
    assert body["progress"]["gov"] == {"answered": 1, "total": 3, "percent": 33}
    assert _answers(assessment) == {"gov.q03": "3"}


def test_a_stale_save_is_refused_and_shows_the_other_answer(world, assessment):
    alice, sam = _client(world.alice), _client(world.sam)
    sams_page = _page_fields(sam, assessment, "gov")
    alices_page = _page_fields(alice, assessment, "gov")
    alice.post(_domain_url(assessment, "gov"), {**alices_page, "gov.q03": "4"})

    # Sam, on a stale page, changes the same question and another one.
    response = sam.post(
        _domain_url(assessment, "gov"),
        {**sams_page, "gov.q03": "1", "gov.q01": "no"},
    )
    assert response.status_code == 422
    assert _answers(assessment) == {"gov.q03": "4", "gov.q01": "no"}  # other answer kept
    html = response.content.decode()
    assert "Alice Admin changed this answer" in html
    assert "In place and monitored" in html
    assert "Which answer should stay?" in html
    conflict = response.context["form"].conflicts["gov.q03"]
    assert conflict.theirs["value"] == "4"
    assert conflict.mine["value"] == "1"


def test_a_conflict_must_be_resolved_by_a_choice(world, assessment):
    alice, sam = _client(world.alice), _client(world.sam)
    sams_page = _page_fields(sam, assessment, "gov")
    alice.post(
        _domain_url(assessment, "gov"), {**_page_fields(alice, assessment, "gov"), "gov.q03": "4"}
    )
    first = sam.post(_domain_url(assessment, "gov"), {**sams_page, "gov.q03": "1"})
    form = first.context["form"]
    again = {
        name: str(form[name].value())
        for name in form.fields
        if form[name].value() is not None and not name.endswith("--resolve")
    }
    again["gov.q03--conflict"] = "1"

    no_choice = sam.post(_domain_url(assessment, "gov"), again)
    assert no_choice.status_code == 422
    assert "Choose which answer should stay." in no_choice.content.decode()
    assert _answers(assessment)["gov.q03"] == "4"

    mine = sam.post(_domain_url(assessment, "gov"), {**again, "gov.q03--resolve": "mine"})
    assert mine.status_code == 302
    assert _answers(assessment)["gov.q03"] == "1"


def test_keeping_their_answer_leaves_it(world, assessment):
    alice, sam = _client(world.alice), _client(world.sam)
    sams_page = _page_fields(sam, assessment, "gov")
    alice.post(
        _domain_url(assessment, "gov"), {**_page_fields(alice, assessment, "gov"), "gov.q03": "4"}
    )
    first = sam.post(_domain_url(assessment, "gov"), {**sams_page, "gov.q03": "1"})
    form = first.context["form"]
    again = {
        name: str(form[name].value())
        for name in form.fields
        if form[name].value() is not None and not name.endswith("--resolve")
    }
    response = sam.post(
        _domain_url(assessment, "gov"),
        {**again, "gov.q03--conflict": "1", "gov.q03--resolve": "theirs"},
    )
    assert response.status_code == 302
    assert _answers(assessment)["gov.q03"] == "4"


def test_an_untouched_stale_page_does_not_overwrite_newer_answers(world, assessment):
    alice, sam = _client(world.alice), _client(world.sam)
    sams_page = _page_fields(sam, assessment, "gov")
    alice.post(
        _domain_url(assessment, "gov"), {**_page_fields(alice, assessment, "gov"), "gov.q03": "4"}
    )
    response = sam.post(_domain_url(assessment, "gov"), {**sams_page, "gov.q01": "yes"})
    assert response.status_code == 302
    assert _answers(assessment) == {"gov.q03": "4", "gov.q01": "yes"}


def test_autosave_conflict_returns_the_question_with_the_conflict(world, assessment):
    alice, sam = _client(world.alice), _client(world.sam)
    alice.post(
        _domain_url(assessment, "gov"), {**_page_fields(alice, assessment, "gov"), "gov.q03": "4"}
    )
    response = sam.post(
        _domain_url(assessment, "gov"),
        {"gov.q03": "2", "gov.q03--rev": "0"},
        headers={"X-Autosave": "1"},
    )
    assert response.status_code == 409
    body = response.json()
    assert "gov.q03" in body["problems"]
    assert "Alice Admin changed this answer" in body["problems"]["gov.q03"]
    assert _answers(assessment)["gov.q03"] == "4"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("gov.q03", "7", "Choose one of the listed answers"),
        ("gov.q03", "<script>", "Choose one of the listed answers"),
        ("gov.q03--comment", "x" * 5001, "at most 5000 characters"),
        ("gov.q03--rev", "abc", "the page is out of date"),
        ("gov.q02", "na", "Choose one of the listed answers."),  # N/A not allowed here
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_the_rest_is_saved(
    world, assessment, field, value, message
):
    client = _client(world.sam)
    data = _page_fields(client, assessment, "gov")
    data.update({"gov.q01": "yes", field: value})
    response = client.post(_domain_url(assessment, "gov"), data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert _answers(assessment)["gov.q01"] == "yes"


def test_a_bad_domain_key_is_a_404(world, assessment):
    response = _client(world.sam).get(_domain_url(assessment, "nope"))
    assert response.status_code == 404


def test_submit_asks_for_confirmation_and_lists_unanswered(world, assessment):
    client = _client(world.sam)
    url = reverse("assessments:submit", args=[assessment.pk])
    response = client.get(url)
    assert "4 questions still unanswered" in response.content.decode()
    response = client.post(url, {})
    assert response.status_code == 200
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.DRAFT


def test_submit_stores_results_and_makes_it_read_only(world, assessment):
    client = _client(world.sam)
    data = _page_fields(client, assessment, "gov")
    client.post(
        _domain_url(assessment, "gov"), {**data, "gov.q01": "yes", "gov.q02": "yes", "gov.q03": "3"}
    )
    response = client.post(reverse("assessments:submit", args=[assessment.pk]), {"confirm": "yes"})
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.SUBMITTED
    assert assessment.results["overall"]["score"] == float(assessment.result_score)
    # gov: (1 + 1 + 0.75) / 3 = 91.7; ops unanswered -> no score, provisional.
    gov = DomainResult.objects.get(assessment=assessment, domain_key="gov")
    assert str(gov.score) == "91.7"
    assert assessment.result_provisional is True
    status_entry = AuditEntry.objects.get(assessment=assessment, action="status")
    assert status_entry.old == {"status": "draft"}
    assert status_entry.new == {"status": "submitted"}

    # Read-only: a save is refused and changes nothing.
    data = _page_fields(client, assessment, "gov")
    response = client.post(_domain_url(assessment, "gov"), {**data, "gov.q03": "0"})
    assert response.status_code == 302
    assert _answers(assessment)["gov.q03"] == "3"
    page = client.get(_domain_url(assessment, "gov")).content.decode()
    assert "submitted and read-only" in page
    assert "<fieldset disabled" in page


def test_only_an_org_admin_reopens(world, assessment):
    from assessments.services import assessment_submit

    assessment_submit(assessment=assessment, user=world.sam)
    url = reverse("assessments:reopen", args=[assessment.pk])
    assert _client(world.sam).post(url).status_code == 403
    assert _client(world.oscar).post(url).status_code == 404
    assert _client(world.alice).post(url).status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.REOPENED
    assert AuditEntry.objects.filter(assessment=assessment, action="status").count() == 2


def test_targets_are_editable_and_validated(world, assessment):
    client = _client(world.sam)
    url = reverse("assessments:targets", args=[assessment.pk])
    response = client.post(url, {"gov": "150", "ops": "70"})
    assert response.status_code == 422
    assert "less than or equal to 100" in response.content.decode()
    response = client.post(url, {"gov": "75", "ops": "70"})
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.targets == {"gov": 75.0}
    assert _client(world.victor).get(url).status_code == 403


def test_a_viewer_reads_but_cannot_save(world, assessment):
    client = _client(world.victor)
    response = client.get(_domain_url(assessment, "gov"))
    assert response.status_code == 200
    assert "<fieldset disabled" in response.content.decode()
    assert (
        client.post(
            _domain_url(assessment, "gov"), {"gov.q03": "1", "gov.q03--rev": "0"}
        ).status_code
        == 403
    )
    assert _answers(assessment) == {}


def test_the_domain_page_query_count_does_not_grow_with_answers(
    world, assessment, django_assert_max_num_queries
):
    client = _client(world.sam)
    client.get(_domain_url(assessment, "gov"))  # warm the instrument cache
    with django_assert_max_num_queries(8):
        client.get(_domain_url(assessment, "gov"))
    data = _page_fields(client, assessment, "gov")
    client.post(
        _domain_url(assessment, "gov"),
        {**data, "gov.q01": "yes", "gov.q03": "2", "gov.q04": "ChatGPT"},
    )
    for n in range(5):
        factories.make_assessment(world.clinic, world.instrument, round_label=f"Extra {n}")
    with django_assert_max_num_queries(8):
        client.get(_domain_url(assessment, "gov"))


def test_a_save_stays_within_ten_queries_for_a_full_domain(world, django_assert_max_num_queries):
    big = factories.load_instrument()  # the shipped clinical-ai instrument
    assessment = factories.make_assessment(world.clinic, big)
    client = _client(world.sam)
    from assessments.content import instrument_content

    questions = instrument_content(big).questions_of("access")
    data = _page_fields(client, assessment, "access")
    for question in questions:
        if question.type != "text":
            data[question.key] = question.options[-1]["value"]
    with django_assert_max_num_queries(12):
        response = client.post(_domain_url(assessment, "access"), data)
    assert response.status_code == 302
    assert len(_answers(assessment)) >= 6


def test_the_json_of_show_if_values_is_on_the_card(world, assessment):
    html = _client(world.sam).get(_domain_url(assessment, "gov")).content.decode()
    assert 'data-show-if="gov.q01"' in html
    assert f'data-show-if-values="{json.dumps(["yes"]).replace(chr(34), "&quot;")}"' in html


def test_submitting_writes_only_what_submitting_changes(world, assessment):
    from assessments.services import assessment_submit

    earlier = factories.make_assessment(world.clinic, world.instrument, round_label="2025")
    stale_copy = Assessment.objects.get(pk=assessment.pk)
    Assessment.objects.filter(pk=assessment.pk).update(previous=earlier, last_domain_key="ops")
    assessment_submit(assessment=stale_copy, user=world.alice)
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.SUBMITTED
    assert assessment.previous == earlier
    assert assessment.last_domain_key == "ops"


def test_an_empty_targets_post_shows_the_errors(world, assessment):
    response = _client(world.sam).post(reverse("assessments:targets", args=[assessment.pk]), {})
    assert response.status_code == 422
    assert "Give a target between 0 and 100." in response.content.decode()


def test_the_dashboard_writes_the_session_only_when_the_organisation_changes(
    world, django_assert_num_queries
):
    client = _client(world.alice)
    url = reverse("assessments:organisation", args=[world.org.slug])
    client.get(url)
    # session, user, the person's memberships (the switcher's too), sites, assessments, the
    # person's assignments (issue 15), whether the organisation takes part in the benchmark
    # (issue 15): no session write
    with django_assert_num_queries(7):
        client.get(url)


def test_the_dashboard_shows_each_drafts_progress_as_the_questionnaire_counts_it(world, assessment):
    from assessments import questionnaire
    from assessments.services import AnswerChange, answers_save

    answers_save(
        assessment=assessment,
        user=world.sam,
        changes=[AnswerChange(key="gov.q01", value="yes"), AnswerChange(key="gov.q03", value="2")],
    )
    response = _client(world.alice).get(reverse("assessments:organisation", args=[world.org.slug]))
    row = next(r for r in response.context["rows"] if r["site"] == world.clinic)
    expected = questionnaire.overall_progress(assessment.compute_results())
    assert 0 < expected < 100
    assert row["progress"] == expected
    assert f"{expected}%" in response.content.decode()
