"""The pages of independent answers (issue 15): the mode switch, a respondent answering blind
on the questionnaire (page and autosave), marking a part done, the coordinator's consensus
page with its flags and pre-fill, and what submit and the scores take from the consensus."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Answer, AuditEntry, Membership
from assessments.services import AnswerChange, answers_save
from respondents.independent import (
    consensus_save,
    independent_mode_set,
    respondent_answers_save,
    respondent_domain_done,
)
from respondents.models import (
    AssignmentEvent,
    ConsensusNote,
    IndependentAnswering,
    RespondentAnswer,
)
from respondents.services import assignment_create, assignment_remove
from tests import factories

# What Carla gives: strings that appear nowhere else, so that a page showing them leaks
# (plain letters: HTML escaping must not hide a leak from the test).
CARLA_TEXT = "Carla secret tool list"
CARLA_COMMENT = "Carla thinks the committee is a fig leaf"
CARLA_EVIDENCE = "Carla evidence in minutes folder K7"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _domain_url(assessment, key="gov") -> str:
    return reverse("assessments:domain", args=[assessment.pk, key])


def _consensus_url(assessment, key="gov") -> str:
    return reverse("respondents:consensus", args=[assessment.pk, key])


def _assign(assessment, coordinator, *people, domains=("gov", "ops")):
    for person in people:
        for domain in domains:
            assignment_create(
                assessment=assessment,
                domain_key=domain,
                respondent=person,
                due_date=None,
                user=coordinator,
            )


def _own(assessment, user, domain, comment="", evidence="", **values):
    changes = [
        AnswerChange(key=k.replace("_", "."), value=v, comment=comment, evidence=evidence)
        for k, v in values.items()
    ]
    outcome = respondent_answers_save(
        assessment=assessment, user=user, domain_key=domain, changes=changes
    )
    assert not outcome.conflicts


def _page_fields(client: Client, url: str) -> dict[str, str]:
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["form"]
    data: dict[str, str] = {}
    for name in form.fields:
        value = form[name].value()
        if value is not None and not name.endswith("--resolve"):
            data[name] = str(value)
    for question in form.questions:
        data[f"{question.key}--version"] = str(question.instrument_id)
    return data


def _autosave(client: Client, assessment, key: str, **fields: str):
    data = {f"{key}--rev": "0", **fields}
    return client.post(
        _domain_url(assessment, key.split(".")[0]),
        data,
        headers={"X-Autosave": "1", "Accept": "application/json"},
    )


@pytest.fixture
def assessment(world):
    """Independent mode; Victor (viewer) and Carla (consultant) answer both domains."""
    assessment = factories.make_assessment(world.clinic, world.instrument)
    independent_mode_set(assessment=assessment, user=world.alice, enabled=True)
    _assign(assessment, world.alice, world.victor, world.carla)
    return assessment


def _carla_answers(assessment, world, done=False):
    _own(
        assessment,
        world.carla,
        "gov",
        comment=CARLA_COMMENT,
        evidence=CARLA_EVIDENCE,
        gov_q01="no",
        gov_q03="0",
        gov_q04=CARLA_TEXT,
    )
    if done:
        respondent_domain_done(assessment=assessment, user=world.carla, domain_key="gov")


def _leaks(text: str) -> list[str]:
    return [s for s in (CARLA_TEXT, CARLA_COMMENT, CARLA_EVIDENCE) if s in text]


# --- the mode switch --------------------------------------------------------------------------


def test_the_coordinator_switches_to_independent_answers_audited(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    client = _client(world.alice)
    url = reverse("respondents:assignments", args=[assessment.pk])
    page = client.get(url).content.decode()
    assert "One shared questionnaire" in page
    assert 'name="mode"' in page
    response = client.post(url, {"mode": "independent"}, follow=True)
    assert IndependentAnswering.objects.filter(assessment=assessment).exists()
    event = AssignmentEvent.objects.get(assessment=assessment, action="mode")
    assert (event.user, event.detail) == (world.alice, {"independent": True})
    html = response.content.decode()
    assert "Respondents now answer independently" in html
    assert "Set the consensus, domain by domain" in html
    # Back, while nobody has answered: audited too.
    client.post(url, {"mode": "shared"})
    assert not IndependentAnswering.objects.filter(assessment=assessment).exists()
    assert AssignmentEvent.objects.filter(assessment=assessment, action="mode").count() == 2


def test_the_mode_is_refused_with_the_reason_once_shared_answers_exist(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    answers_save(assessment=assessment, user=world.alice, changes=[AnswerChange("gov.q01", "yes")])
    url = reverse("respondents:assignments", args=[assessment.pk])
    page = _client(world.alice).get(url).content.decode()
    assert "1 question already has a shared answer" in page
    assert 'name="mode"' not in page  # nothing to choose: the reason is shown instead
    response = _client(world.alice).post(url, {"mode": "independent"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "would silently become the consensus" in html
    assert "Nothing was changed" in html
    assert not IndependentAnswering.objects.exists()


def test_switching_back_is_refused_once_a_respondent_answered(world, assessment):
    _own(assessment, world.victor, "gov", gov_q01="yes", gov_q03="2")
    response = _client(world.alice).post(
        reverse("respondents:assignments", args=[assessment.pk]), {"mode": "shared"}
    )
    assert response.status_code == 422
    assert "1 respondent gave 2 answers of their own, which would no longer be shown" in (
        response.content.decode()
    )
    assert IndependentAnswering.objects.filter(assessment=assessment).exists()


def test_the_mode_cannot_change_once_submitted_and_a_bad_value_is_named(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    url = reverse("respondents:assignments", args=[assessment.pk])
    response = _client(world.alice).post(url, {"mode": "both"})
    assert response.status_code == 422
    assert "Choose one of the two answering modes." in response.content.decode()
    from assessments.services import assessment_submit

    assessment_submit(assessment=assessment, user=world.alice)
    response = _client(world.alice).post(url, {"mode": "independent"})
    assert response.status_code == 422
    assert "has been submitted" in response.content.decode()
    assert not IndependentAnswering.objects.exists()
    # A viewer may not switch at all.
    assert _client(world.victor).post(url, {"mode": "independent"}).status_code == 403


# --- answering blind --------------------------------------------------------------------------


def test_a_respondent_answers_their_own_rows_through_the_page(world, assessment):
    client = _client(world.victor)
    data = _page_fields(client, _domain_url(assessment))
    data.update({"gov.q01": "yes", "gov.q03": "2", "gov.q03--comment": "Monthly"})
    response = client.post(_domain_url(assessment), data)
    assert response.status_code == 302
    own = RespondentAnswer.objects.get(user=world.victor, question__key="gov.q03")
    assert (own.value, own.comment) == ("2", "Monthly")
    assert not Answer.objects.filter(assessment=assessment).exists()  # not the consensus
    page = client.get(_domain_url(assessment))
    assert page.context["can_edit"] is True
    assert page.context["form"]["gov.q03"].value() == "2"
    html = page.content.decode()
    assert "Mark my part done" in html
    assert "only you see your answers" in html.lower()


def test_a_respondent_never_sees_another_ones_answers_before_done(world, assessment):
    _carla_answers(assessment, world)
    client = _client(world.victor)
    html = client.get(_domain_url(assessment)).content.decode()
    assert _leaks(html) == []
    # Autosave answers carry nothing of hers either, saved or in conflict.
    first = _autosave(client, assessment, "gov.q04", **{"gov.q04": "Scribe"})
    assert first.status_code == 200
    assert _leaks(first.content.decode()) == []
    stale = _autosave(client, assessment, "gov.q04", **{"gov.q04": "Scribe and more"})
    assert stale.status_code == 409
    body = stale.content.decode()
    assert _leaks(body) == []
    # The conflict shows his own current answer, as a stale save of the shared mode does.
    assert "Scribe" in json.loads(body)["problems"]["gov.q04"]
    # Carla done: still nothing of hers on his page, nor on the other domain's.
    respondent_domain_done(assessment=assessment, user=world.carla, domain_key="gov")
    assert _leaks(client.get(_domain_url(assessment)).content.decode()) == []
    assert _leaks(client.get(_domain_url(assessment, "ops")).content.decode()) == []
    assert _leaks(client.get(reverse("respondents:mine")).content.decode()) == []


def test_the_coordinator_reads_the_consensus_and_cannot_answer_on_the_questionnaire(
    world, assessment
):
    _carla_answers(assessment, world)
    client = _client(world.alice)
    page = client.get(_domain_url(assessment))
    assert page.context["can_edit"] is False
    html = page.content.decode()
    assert _leaks(html) == []
    assert _consensus_url(assessment) in html
    data = _page_fields(client, _domain_url(assessment))
    response = client.post(_domain_url(assessment), {**data, "gov.q03": "4"})
    assert response.status_code == 403
    assert not Answer.objects.filter(assessment=assessment).exists()


def test_a_viewer_answers_only_the_domain_assigned_to_them(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    independent_mode_set(assessment=assessment, user=world.alice, enabled=True)
    _assign(assessment, world.alice, world.victor, domains=("gov",))
    client = _client(world.victor)
    assert client.get(_domain_url(assessment, "ops")).context["can_edit"] is False
    data = _page_fields(client, _domain_url(assessment, "ops"))
    assert client.post(_domain_url(assessment, "ops"), {**data, "ops.q02": "3"}).status_code == 403
    assert _autosave(client, assessment, "ops.q02", **{"ops.q02": "3"}).status_code == 403
    assert _autosave(client, assessment, "gov.q03", **{"gov.q03": "3"}).status_code == 200
    assert list(RespondentAnswer.objects.values_list("question__key", "value")) == [
        ("gov.q03", "3")
    ]


def test_marking_done_makes_the_answers_read_only_for_the_respondent(world, assessment):
    client = _client(world.victor)
    data = _page_fields(client, _domain_url(assessment))
    response = client.post(
        _domain_url(assessment), {**data, "gov.q01": "yes", "next_domain": "__done__"}
    )
    done_url = reverse("respondents:done", args=[assessment.pk, "gov"])
    assert response["Location"] == done_url
    confirm = client.get(done_url).content.decode()
    assert "You answered 1 of the 4 questions shown to you." in confirm
    response = client.post(done_url, follow=True)
    assert "Your part of Governance is done" in response.content.decode()
    assignment = assessment.assignments.get(user=world.victor, domain_key="gov")
    assert assignment.done_at is not None
    assert AssignmentEvent.objects.filter(action="done", respondent=world.victor).exists()
    page = client.get(_domain_url(assessment))
    assert page.context["can_edit"] is False
    assert "You marked your part done" in page.content.decode()
    # An autosave from another tab is refused, with the reason, and nothing changes.
    late = _autosave(client, assessment, "gov.q03", **{"gov.q03": "4"})
    assert late.status_code == 409
    assert "marked this domain done" in late.json()["message"]
    assert not RespondentAnswer.objects.filter(question__key="gov.q03").exists()


def test_the_coordinator_reopens_a_part_audited(world, assessment):
    respondent_domain_done(assessment=assessment, user=world.victor, domain_key="gov")
    assignment = assessment.assignments.get(user=world.victor, domain_key="gov")
    url = reverse("respondents:assignments", args=[assessment.pk])
    page = _client(world.alice).get(url).content.decode()
    assert 'so they can change their answers">Reopen</button>' in page
    _client(world.alice).post(url, {"reopen": assignment.pk})
    assignment.refresh_from_db()
    assert assignment.done_at is None
    event = AssignmentEvent.objects.get(action="reopened")
    assert (event.respondent, event.user) == (world.victor, world.alice)
    assert _client(world.victor).get(_domain_url(assessment)).context["can_edit"] is True


def test_only_an_assigned_respondent_marks_a_part_done(world, assessment):
    url = reverse("respondents:done", args=[assessment.pk, "gov"])
    assert _client(world.alice).get(url).status_code == 403
    assert _client(world.alice).post(url).status_code == 403
    assert _client(world.oscar).get(url).status_code == 404
    assert _client(world.oscar).get(_consensus_url(assessment)).status_code == 404


def test_my_assignments_count_the_respondents_own_answers(world, assessment):
    _own(assessment, world.victor, "gov", gov_q01="no", gov_q03="2")
    respondent_domain_done(assessment=assessment, user=world.victor, domain_key="ops")
    page = _client(world.victor).get(reverse("respondents:mine"))
    items = {item.assignment.domain_key: item for item in page.context["my_assignments"]}
    # gov.q02 is a follow-up his "no" hides: 2 of the 3 questions shown to him.
    assert (items["gov"].answered, items["gov"].total) == (2, 3)
    assert (items["ops"].answered, items["ops"].total) == (0, 2)
    html = page.content.decode()
    assert "2 of 3 answered" in html
    assert "Done" in html


def test_the_questionnaires_domain_list_shows_each_domains_state(world, assessment):
    _own(assessment, world.victor, "gov", gov_q01="no", gov_q03="2")
    respondent_domain_done(assessment=assessment, user=world.carla, domain_key="gov")
    page = _client(world.victor).get(_domain_url(assessment))
    progress = {row["key"]: row for row in page.context["progress"]}
    assert (progress["gov"]["answered"], progress["gov"]["total"]) == (2, 3)
    status = progress["gov"]["status"]
    assert (status.done, status.assigned, status.consensus_set, status.consensus_needed) == (
        1,
        2,
        0,
        2,
    )
    assert "yours · 1/2 respondents done · consensus 0/2" in page.content.decode()
    detail = _client(world.alice).get(reverse("assessments:detail", args=[assessment.pk]))
    html = detail.content.decode()
    assert "1/2 done" in html
    assert _consensus_url(assessment) in html


def test_the_coordinators_overview_leads_to_the_consensus_not_the_questionnaire(world, assessment):
    """In independent mode the coordinator settles the consensus: the main button and "What
    is left" go to the consensus page of the first domain that still needs one."""
    detail = _client(world.alice).get(reverse("assessments:detail", args=[assessment.pk]))
    html = detail.content.decode()
    assert f'href="{_consensus_url(assessment, "gov")}">Set the consensus</a>' in html
    assert "questionnaire</a>" not in html.split('id="assessment-actions"')[1].split("</div>")[0]
    assert f'href="{_consensus_url(assessment, "gov")}#q-gov.q01"' in html
    # Free text needs no consensus: only the visible scored questions are left (gov.q01, q03).
    assert "— 2 without a consensus" in html
    assert "#q-gov.q04" not in html
    # A respondent's overview still leads to their questionnaire.
    mine = _client(world.victor).get(reverse("assessments:detail", args=[assessment.pk]))
    assert "Set the consensus" not in mine.content.decode()


def test_a_respondent_steps_through_their_own_domains_only(world):
    """Victor answers ops alone: its page offers no way back to gov, which is not his; a
    coordinator reading ops still steps through every domain."""
    assessment = factories.make_assessment(world.clinic, world.instrument)
    independent_mode_set(assessment=assessment, user=world.alice, enabled=True)
    _assign(assessment, world.alice, world.victor, domains=("ops",))
    mine = _client(world.victor).get(_domain_url(assessment, "ops"))
    assert (mine.context["previous_domain"], mine.context["next_domain"]) == (None, None)
    assert f'href="{_domain_url(assessment, "gov")}">← ' not in mine.content.decode()
    theirs = _client(world.alice).get(_domain_url(assessment, "ops"))
    assert theirs.context["previous_domain"].key == "gov"


# --- the consensus page -------------------------------------------------------------------------


def _both_answer(assessment, world):
    """Victor and Carla answer both domains, differently, and mark them done."""
    _own(assessment, world.victor, "gov", gov_q01="yes", gov_q02="yes", gov_q03="1", gov_q04="A")
    _own(assessment, world.victor, "ops", ops_q01="none", ops_q02="na")
    _own(
        assessment,
        world.carla,
        "gov",
        comment=CARLA_COMMENT,
        evidence=CARLA_EVIDENCE,
        gov_q01="no",
        gov_q03="3",
        gov_q04=CARLA_TEXT,
    )
    _own(assessment, world.carla, "ops", ops_q01="all", ops_q02="2")
    for person in (world.victor, world.carla):
        for domain in ("gov", "ops"):
            respondent_domain_done(assessment=assessment, user=person, domain_key=domain)


def _rows(response) -> dict:
    return {row.question.key: row for row in response.context["table"].rows}


def test_the_consensus_page_shows_everyones_answers_and_flags_each_question_type(world, assessment):
    _both_answer(assessment, world)
    client = _client(world.alice)
    gov = client.get(_consensus_url(assessment))
    assert gov.status_code == 200
    rows = _rows(gov)
    # yes against no; two scale points apart; free text is never a disagreement.
    assert (rows["gov.q01"].agreement.disagree, rows["gov.q01"].reason) == (
        True,
        "Yes against no",
    )
    assert rows["gov.q03"].agreement.disagree
    assert rows["gov.q03"].spread == "1 to 3"
    assert rows["gov.q04"].agreement.disagree is False
    # The follow-up only Victor's "yes" showed: compared among those who saw it (one).
    follow_up = {a.respondent.name: a.state for a in rows["gov.q02"].answers}
    assert follow_up == {"Carla Consultant": "not_shown", "Victor Viewer": "answered"}
    assert rows["gov.q02"].agreement.disagree is False
    html = gov.content.decode()
    for text in (CARLA_TEXT, CARLA_COMMENT, CARLA_EVIDENCE, "Victor Viewer", "(Consultant)"):
        assert text in html
    assert "Respondents disagree" in html
    assert "Yes against no" in html
    ops = _rows(client.get(_consensus_url(assessment, "ops")))
    # Options scoring 0 and 3 of a 0-3 range: more than half apart. N/A against an answer.
    assert ops["ops.q01"].agreement.disagree
    assert ops["ops.q01"].reason == "Options scoring more than half the range apart"
    assert ops["ops.q02"].reason == "Not applicable against an answer"


def test_a_scale_one_point_apart_and_close_options_are_no_disagreement(world, assessment):
    _own(assessment, world.victor, "gov", gov_q03="2")
    _own(assessment, world.victor, "ops", ops_q01="none")
    _own(assessment, world.carla, "gov", gov_q03="3")
    _own(assessment, world.carla, "ops", ops_q01="some")
    for person in (world.victor, world.carla):
        for domain in ("gov", "ops"):
            respondent_domain_done(assessment=assessment, user=person, domain_key=domain)
    client = _client(world.alice)
    assert _rows(client.get(_consensus_url(assessment)))["gov.q03"].agreement.disagree is False
    ops = _rows(client.get(_consensus_url(assessment, "ops")))
    assert ops["ops.q01"].agreement.disagree is False


def test_answers_stay_hidden_on_the_consensus_page_until_done(world, assessment):
    _carla_answers(assessment, world)
    response = _client(world.alice).get(_consensus_url(assessment))
    html = response.content.decode()
    assert _leaks(html) == []
    assert "Hidden until they mark their part done" in html
    assert {a.state for a in _rows(response)["gov.q04"].answers} == {"hidden"}


def test_a_coordinator_who_answers_too_stays_blind_until_done(world, assessment):
    # Carla is a consultant (a coordinator) and a respondent of gov, still answering.
    _own(assessment, world.victor, "gov", gov_q04="Victor private list")
    respondent_domain_done(assessment=assessment, user=world.victor, domain_key="gov")
    response = _client(world.carla).get(_consensus_url(assessment))
    html = response.content.decode()
    assert "Victor private list" not in html
    assert "You answer this domain yourself" in html
    respondent_domain_done(assessment=assessment, user=world.carla, domain_key="gov")
    assert (
        "Victor private list"
        in _client(world.carla).get(_consensus_url(assessment)).content.decode()
    )


def test_the_consensus_is_pre_filled_where_everyone_agrees(world, assessment):
    _own(assessment, world.victor, "gov", gov_q01="yes", gov_q03="3")
    _own(assessment, world.carla, "gov", gov_q01="yes", gov_q03="1")
    for person in (world.victor, world.carla):
        respondent_domain_done(assessment=assessment, user=person, domain_key="gov")
    client = _client(world.alice)
    page = client.get(_consensus_url(assessment))
    form = page.context["form"]
    assert form["gov.q01"].value() == "yes"  # both said yes
    assert form["gov.q03"].value() in ("", None)  # 3 against 1: the coordinator decides
    html = page.content.decode()
    assert html.count("data-prefilled") == 1
    assert "Pre-filled: every respondent who marked their part done" in html
    # Nothing is stored until saved; saving keeps the pre-filled answer.
    assert not Answer.objects.exists()
    data = _page_fields(client, _consensus_url(assessment))
    data.update({"gov.q03": "2", "gov.q03--note": "Meets, keeps no minutes."})
    response = client.post(_consensus_url(assessment), data)
    assert response.status_code == 302
    stored = dict(Answer.objects.values_list("question__key", "value"))
    assert stored == {"gov.q01": "yes", "gov.q03": "2"}
    assert ConsensusNote.objects.get(question__key="gov.q03").note == "Meets, keeps no minutes."
    assert AuditEntry.objects.filter(action="answer", subject="gov.q03", user=world.alice).exists()
    assert AssignmentEvent.objects.filter(action="note", detail__question="gov.q03").exists()
    # Set: no longer offered as a pre-fill.
    assert "data-prefilled" not in client.get(_consensus_url(assessment)).content.decode()


def test_a_stale_consensus_save_is_refused_with_the_current_answer(world, assessment):
    client = _client(world.alice)
    data = _page_fields(client, _consensus_url(assessment))
    consensus_save(
        assessment=assessment,
        user=world.carla,
        domain_key="gov",
        changes=[AnswerChange("gov.q03", "4")],
        notes={},
    )
    response = client.post(_consensus_url(assessment), {**data, "gov.q03": "1"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Carla Consultant changed the consensus" in html
    assert "Which answer should stay?" in html
    assert Answer.objects.get(question__key="gov.q03").value == "4"


def test_a_too_long_note_is_named_and_nothing_else_changes(world, assessment):
    client = _client(world.alice)
    data = _page_fields(client, _consensus_url(assessment))
    response = client.post(
        _consensus_url(assessment), {**data, "gov.q03": "2", "gov.q03--note": "x" * 5001}
    )
    assert response.status_code == 422
    assert "Ensure this value has at most 5000 characters" in response.content.decode()
    assert not ConsensusNote.objects.exists()


def test_a_removed_respondent_keeps_their_answers_marked(world, assessment):
    _carla_answers(assessment, world, done=True)
    assignment_remove(
        assignment=assessment.assignments.get(user=world.carla, domain_key="gov"), user=world.alice
    )
    response = _client(world.alice).get(_consensus_url(assessment))
    carla = next(r for r in response.context["table"].respondents if r.name == "Carla Consultant")
    assert carla.removed
    html = response.content.decode()
    assert "Removed" in html
    assert CARLA_TEXT in html


def test_submit_needs_the_consensus_and_only_the_consensus_scores(world, assessment):
    _both_answer(assessment, world)
    client = _client(world.alice)
    detail = client.get(reverse("assessments:detail", args=[assessment.pk]))
    assert detail.context["result"].overall_score is None  # respondents' answers never score
    submit = reverse("assessments:submit", args=[assessment.pk])
    refused = client.post(submit, {"confirm": "yes"}, follow=True).content.decode()
    assert "Set a consensus answer first for: gov.q01, gov.q03, ops.q01, ops.q02." in refused
    for key, values in {
        "gov": {"gov.q01": "no", "gov.q03": "4"},
        "ops": {"ops.q01": "all", "ops.q02": "4"},
    }.items():
        data = _page_fields(client, _consensus_url(assessment, key))
        assert client.post(_consensus_url(assessment, key), {**data, **values}).status_code == 302
    result = client.get(reverse("assessments:detail", args=[assessment.pk])).context["result"]
    # gov: "no" (0) and 4 of 4 (1) is 50; ops: all and 4 of 4 is 100 (Victor said none and
    # N/A, Carla all and 2: neither counts).
    assert [d.score for d in result.domains] == [Decimal("50.0"), Decimal("100.0")]
    client.post(submit, {"confirm": "yes"})
    assessment.refresh_from_db()
    assert not assessment.is_editable
    # Submitted: the consensus page is read-only and refuses a save.
    page = client.get(_consensus_url(assessment))
    assert "submitted and read-only" in page.content.decode()
    assert client.post(_consensus_url(assessment), {"gov.q03": "0"}).status_code == 302
    assert Answer.objects.get(question__key="gov.q03").value == "4"


def test_the_consensus_page_in_the_shared_mode_explains_itself(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    response = _client(world.alice).get(_consensus_url(assessment))
    assert response.status_code == 200
    assert "one shared questionnaire, so there is no consensus" in response.content.decode()
    assert _client(world.victor).get(_consensus_url(assessment)).status_code == 403


# --- query counts -------------------------------------------------------------------------------


def _more_respondents(assessment, world, n: int) -> None:
    for i in range(n):
        person = factories.make_user(f"extra{i}", first_name="Extra", last_name=str(i))
        factories.make_membership(person, world.org, Membership.Role.VIEWER)
        _assign(assessment, world.alice, person, domains=("gov",))
        _own(assessment, person, "gov", comment=f"note {i}", gov_q01="yes", gov_q03=str(i % 5))
        respondent_domain_done(assessment=assessment, user=person, domain_key="gov")


def test_page_queries_do_not_grow_with_the_respondents(
    world, assessment, django_assert_max_num_queries
):
    _own(assessment, world.victor, "gov", gov_q01="yes", gov_q03="2")
    respondent_domain_done(assessment=assessment, user=world.victor, domain_key="gov")
    coordinator, respondent = _client(world.alice), _client(world.carla)
    urls = {"consensus": (coordinator, _consensus_url(assessment))}
    urls["domain"] = (respondent, _domain_url(assessment))
    # The shared mode's domain page takes 8; a respondent's adds the assignments and their
    # own answers. The consensus page: assignments with roles, the blind read's two, notes.
    budgets = {"consensus": 10, "domain": 10}
    for client, url in urls.values():
        client.get(url)  # the instrument's content is cached per process
    counts = {}
    for name, (client, url) in urls.items():
        with django_assert_max_num_queries(budgets[name]) as captured:
            assert client.get(url).status_code == 200
        counts[name] = len(captured.captured_queries)
    _more_respondents(assessment, world, 3)
    for name, (client, url) in urls.items():
        with django_assert_max_num_queries(counts[name]):
            response = client.get(url)
        assert response.status_code == 200
    assert (
        len(_client(world.alice).get(_consensus_url(assessment)).context["table"].respondents) == 5
    )


def test_evidence_files_follow_the_blind_rule_on_the_domain_page(
    world, assessment, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path / "media"
    url = reverse("evidence:upload", args=[assessment.pk, "gov.q01"])
    upload = {"file": SimpleUploadedFile("carla-minutes-k7.txt", b"Minutes of the committee\n")}
    assert _client(world.carla).post(url, upload).status_code == 302
    # Carla sees her own file; Victor (still answering) and the coordinator do not.
    assert (
        "carla-minutes-k7.txt" in _client(world.carla).get(_domain_url(assessment)).content.decode()
    )
    assert (
        "carla-minutes-k7.txt"
        not in _client(world.victor).get(_domain_url(assessment)).content.decode()
    )
    assert (
        "carla-minutes-k7.txt"
        not in _client(world.alice).get(_domain_url(assessment)).content.decode()
    )
    # Her part done: the coordinator sees it; Victor only once he is done too.
    respondent_domain_done(assessment=assessment, user=world.carla, domain_key="gov")
    assert (
        "carla-minutes-k7.txt" in _client(world.alice).get(_domain_url(assessment)).content.decode()
    )
    assert (
        "carla-minutes-k7.txt"
        not in _client(world.victor).get(_domain_url(assessment)).content.decode()
    )
    respondent_domain_done(assessment=assessment, user=world.victor, domain_key="gov")
    assert (
        "carla-minutes-k7.txt"
        in _client(world.victor).get(_domain_url(assessment)).content.decode()
    )
