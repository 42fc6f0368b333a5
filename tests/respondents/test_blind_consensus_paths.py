"""The consensus part of the blind rule (respondents/blind.py) on the remaining paths: the
API's answers (list and single read) and the round-to-round changes page. The scenario of
test_blind_consensus.py: everyone done, the consensus set, then Victor answers "gov" again."""

from __future__ import annotations

from django.urls import reverse

from actions.services import action_items_create_from_plan, plan_entries
from assessments.content import instrument_content
from assessments.models import Answer, Question
from assessments.round_diff import HIDDEN, ChangeStatus, QuestionChange, round_diff
from respondents.answering import domain_answering
from respondents.independent import respondent_domain_done
from respondents.models import RespondentAnswer
from tests import factories
from tests.api.conftest import api_client
from tests.respondents.scenario import CONSENSUS, VICTOR
from tests.respondents.test_blind_consensus import (  # noqa: F401
    GOV,
    OPS,
    _client,
    _marks,
    reopened,
)

# --- the API's answers ------------------------------------------------------------------------


def _keys(client, url: str) -> list[str]:
    body = client.get(url).json()
    return [row["question"] for row in body["results"]]


def test_the_api_leaves_out_the_consensus_of_the_domain_being_answered(world, reopened):  # noqa: F811
    listing = f"/api/v1/assessments/{reopened.pk}/answers/"
    single = f"/api/v1/assessments/{reopened.pk}/answers/gov.q01/"
    victor, alice = api_client(world.victor), api_client(world.alice)
    mine = _keys(victor, listing)
    assert mine
    assert not [k for k in mine if k.startswith("gov.")]
    assert "ops.q01" in mine
    assert _keys(victor, f"{listing}?domain=gov") == []
    assert _marks(victor.get(listing).content.decode()) == {"ops"}
    response = victor.get(single)
    assert response.status_code == 403
    assert "Hidden while you answer this domain" in response.json()["detail"]
    assert GOV["comment"] not in response.content.decode()
    ops = victor.get(f"/api/v1/assessments/{reopened.pk}/answers/ops.q01/")
    assert ops.status_code == 200
    assert ops.json()["comment"] == OPS["comment"]
    # Everyone else reads both; Victor too, once done.
    assert [k for k in _keys(alice, listing) if k.startswith("gov.")]
    assert alice.get(single).json()["comment"] == GOV["comment"]
    assert api_client(world.carla).get(single).json()["evidence"] == GOV["evidence"]
    respondent_domain_done(assessment=reopened, user=world.victor, domain_key="gov")
    assert victor.get(single).json()["comment"] == GOV["comment"]
    assert _marks(victor.get(listing).content.decode()) == {"gov", "ops"}


# --- the round-to-round changes page ----------------------------------------------------------


def _with_previous_round(world, assessment):
    previous = factories.make_assessment(world.clinic, world.instrument, round_label="2025 autumn")
    for key, value in (
        ("gov.q01", "no"),
        ("gov.q03", "4"),
        ("gov.q04", "Old list"),
        ("ops.q01", "none"),
    ):
        Answer.objects.create(
            assessment=previous,
            question=Question.objects.get(instrument=world.instrument, key=key),
            value=value,
        )
    assessment.previous = previous
    assessment.save(update_fields=["previous"])
    return assessment


def _changes(diff) -> dict[str, QuestionChange]:
    return {q.key: q for _, _, items in diff.grouped for q in items}


def test_the_round_changes_hide_the_current_answers_of_the_domain_being_answered(world, reopened):  # noqa: F811
    assessment = _with_previous_round(world, reopened)
    url = reverse("assessments:round-diff", args=[assessment.pk])
    victor_page = _client(world.victor).get(url).content.decode()
    alice_page = _client(world.alice).get(url).content.decode()
    assert "Scribe, ChatGPT" in alice_page  # gov.q04's consensus
    assert "Scribe, ChatGPT" not in victor_page
    assert HIDDEN in victor_page
    assert HIDDEN not in alice_page
    assert "Old list" in victor_page  # the previous round stays
    mine = _changes(round_diff(assessment=assessment, viewer_id=world.victor.pk))
    theirs = _changes(round_diff(assessment=assessment, viewer_id=world.alice.pk))
    for key in ("gov.q01", "gov.q03", "gov.q04"):
        assert mine[key].status == ChangeStatus.OTHER
        assert (mine[key].new_value, mine[key].new_label, mine[key].note) == ("", HIDDEN, HIDDEN)
        assert (mine[key].changed_by, mine[key].changed_at) == ("", None)
        assert theirs[key].new_value == CONSENSUS["gov"][key]
        assert theirs[key].changed_by
    assert theirs["gov.q01"].status == ChangeStatus.IMPROVED
    # A consensus the previous round did not answer: not even its row.
    assert "gov.q02" in theirs
    assert "gov.q02" not in mine
    # The other domain, and the scores (the organisation's result), stay.
    assert mine["ops.q01"].new_value == theirs["ops.q01"].new_value == "all"
    assert [
        (d.key, d.new_score)
        for d in round_diff(assessment=assessment, viewer_id=world.victor.pk).domains
    ] == [
        (d.key, d.new_score)
        for d in round_diff(assessment=assessment, viewer_id=world.alice.pk).domains
    ]
    respondent_domain_done(assessment=assessment, user=world.victor, domain_key="gov")
    assert "Scribe, ChatGPT" in _client(world.victor).get(url).content.decode()


# --- the questionnaire ------------------------------------------------------------------------


def test_the_questionnaire_decides_what_it_shows_by_own_answers_in_open_domains(world, reopened):  # noqa: F811
    """Which questions a page shows (show_if may read another domain), and its counts and
    scores, follow the person's own answers to a domain they still answer, not its consensus:
    Victor answers "gov" again (his gov.q03 "4", the consensus "2") and reads "ops"."""
    content = instrument_content(reopened.instrument)

    def seen(user, domain_key="ops"):
        answering = domain_answering(assessment=reopened, user=user, domain_key=domain_key)
        assert answering is not None
        return answering.load(content).values

    assert seen(world.victor)["gov.q03"] == VICTOR["gov"]["gov.q03"]
    assert seen(world.victor)["ops.q01"] == VICTOR["ops"]["ops.q01"]
    assert seen(world.carla)["gov.q03"] == CONSENSUS["gov"]["gov.q03"]  # done with gov
    assert seen(world.alice)["gov.q03"] == CONSENSUS["gov"]["gov.q03"]  # answers nothing
    # The page's progress (Victor's own counts) reads the same.
    page = _client(world.victor).get(reverse("assessments:domain", args=[reopened.pk, "ops"]))
    assert page.status_code == 200
    assert CONSENSUS["gov"]["gov.q04"] not in page.content.decode()
    respondent_domain_done(assessment=reopened, user=world.victor, domain_key="gov")
    assert seen(world.victor)["gov.q03"] == CONSENSUS["gov"]["gov.q03"]


def test_the_overview_leaves_the_open_domain_out_of_what_is_left(world, reopened):  # noqa: F811
    """Which questions of "gov" lack a consensus would tell Victor that consensus."""
    Answer.objects.filter(assessment=reopened, question__key="gov.q03").update(value="")
    url = reverse("assessments:detail", args=[reopened.pk])

    def left(user) -> list[str]:
        response = _client(user).get(url)
        assert response.status_code == 200
        return [domain.key for domain, _ in response.context["left"]]

    assert left(world.victor) == []
    assert left(world.alice) == ["gov"]
    assert left(world.carla) == ["gov"]
    respondent_domain_done(assessment=reopened, user=world.victor, domain_key="gov")
    assert left(world.victor) == ["gov"]


def test_continue_follows_own_answers_in_the_open_domain(world, reopened):  # noqa: F811
    """Where "Continue" goes would name the question of "gov" without a consensus."""
    Answer.objects.filter(assessment=reopened, question__key="gov.q03").update(value="")
    url = reverse("assessments:take", args=[reopened.pk])
    assert _client(world.alice).get(url).url.endswith("#q-gov.q03")
    assert _client(world.carla).get(url).url.endswith("#q-gov.q03")
    assert not _client(world.victor).get(url).url.endswith("#q-gov.q03")  # his own: answered
    RespondentAnswer.objects.filter(
        assessment=reopened, user=world.victor, question__key="gov.q02"
    ).update(value="")
    assert _client(world.victor).get(url).url.endswith("#q-gov.q02")


def test_the_open_domains_cards_show_no_item_of_this_rounds_action_plan(world, reopened):  # noqa: F811
    """An item made from this round's plan says the consensus answer was weak, and which."""
    keys = [e.question for e in plan_entries(reopened) if e.question.startswith("gov.")]
    assert keys
    action_items_create_from_plan(assessment=reopened, user=world.alice, keys=keys[:1])
    url = reverse("assessments:domain", args=[reopened.pk, "gov"])
    assert "data-action-item" in _client(world.alice).get(url).content.decode()
    assert "data-action-item" in _client(world.carla).get(url).content.decode()
    assert "data-action-item" not in _client(world.victor).get(url).content.decode()
    respondent_domain_done(assessment=reopened, user=world.victor, domain_key="gov")
    assert "data-action-item" in _client(world.victor).get(url).content.decode()
