"""The consensus part of the blind rule (respondents/blind.py) on the remaining paths: the
API's answers (list and single read) and the round-to-round changes page. The scenario of
test_blind_consensus.py: everyone done, the consensus set, then Victor answers "gov" again."""

from __future__ import annotations

from respondents.independent import respondent_domain_done
from tests.api.conftest import api_client
from tests.respondents.test_blind_consensus import GOV, OPS, _marks, reopened  # noqa: F401

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
