"""Marking a question for review: per assessment, seen by every editor, audited, not in reports."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Assessment, AuditEntry
from assessments.review import review_flag_set
from assessments.services import AssessmentLocked, assessment_submit
from tests import factories
from tests.conftest import World


@pytest.fixture
def assessment(world: World) -> Assessment:
    return factories.make_assessment(world.clinic, world.instrument)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _flag(client: Client, assessment: Assessment, key: str, flagged: str, json: bool = True):
    headers = {"Accept": "application/json"} if json else {}
    return client.post(
        reverse("assessments:review-flag", args=[assessment.pk, key]),
        {"flagged": flagged},
        headers=headers,
    )


def test_a_flag_is_set_audited_and_seen_by_the_other_editor(world, assessment):
    response = _flag(_client(world.sam), assessment, "gov.q03", "1")
    assert response.status_code == 200
    assert response.json() == {"key": "gov.q03", "flagged": True}
    assessment.refresh_from_db()
    assert assessment.review_flags == ["gov.q03"]
    entry = AuditEntry.objects.get(assessment=assessment, action=AuditEntry.Action.REVIEW)
    assert (entry.user, entry.subject) == (world.sam, "gov.q03")
    assert entry.new == {"review": "Marked for review"}
    # Alice (another editor) sees it on the page and in the overview.
    page = _client(world.alice).get(reverse("assessments:domain", args=[assessment.pk, "gov"]))
    rows = {row["question"].key: row for row in page.context["rows"]}
    assert rows["gov.q03"]["flagged"]
    assert not rows["gov.q01"]["flagged"]
    overview = _client(world.alice).get(reverse("assessments:detail", args=[assessment.pk]))
    assert [q.key for q in overview.context["review_flags"]] == ["gov.q03"]
    assert "Marked for review" in overview.content.decode()


def test_flags_stay_in_questionnaire_order_and_unflagging_is_audited(world, assessment):
    client = _client(world.sam)
    _flag(client, assessment, "ops.q01", "1")
    _flag(client, assessment, "gov.q01", "1")
    assessment.refresh_from_db()
    assert assessment.review_flags == ["gov.q01", "ops.q01"]
    _flag(client, assessment, "ops.q01", "0")
    _flag(client, assessment, "ops.q01", "0")  # no change, no entry
    assessment.refresh_from_db()
    assert assessment.review_flags == ["gov.q01"]
    entries = AuditEntry.objects.filter(assessment=assessment, action=AuditEntry.Action.REVIEW)
    assert entries.count() == 3


def test_without_javascript_the_form_comes_back_to_the_question(world, assessment):
    response = _flag(_client(world.sam), assessment, "ops.q02", "1", json=False)
    assert response.status_code == 302
    assert response.url == reverse("assessments:domain", args=[assessment.pk, "ops"]) + "#q-ops.q02"


@pytest.mark.parametrize("value", ["", "yes", "2", "1" * 5000])
def test_a_bad_value_is_a_clear_400_and_changes_nothing(world, assessment, value):
    response = _flag(_client(world.sam), assessment, "gov.q01", value)
    assert response.status_code == 400
    assert "flagged=1" in response.json()["message"]
    assessment.refresh_from_db()
    assert assessment.review_flags == []


def test_an_unknown_question_is_a_404(world, assessment):
    assert _flag(_client(world.sam), assessment, "gov.q99", "1").status_code == 404


def test_viewers_and_strangers_cannot_flag(world, assessment):
    assert _flag(_client(world.victor), assessment, "gov.q01", "1").status_code in {403, 404}
    assert _flag(_client(world.oscar), assessment, "gov.q01", "1").status_code == 404
    assessment.refresh_from_db()
    assert assessment.review_flags == []


def test_a_submitted_assessment_cannot_be_flagged(world, assessment):
    assessment_submit(assessment=assessment, user=world.sam)
    response = _flag(_client(world.sam), assessment, "gov.q01", "1")
    assert response.status_code == 409
    with pytest.raises(AssessmentLocked):
        review_flag_set(assessment=assessment, user=world.sam, key="gov.q01", flagged=True)


def test_flags_change_no_result_and_no_report(world, assessment):
    before = assessment.compute_results()
    revision = assessment.revision
    review_flag_set(assessment=assessment, user=world.sam, key="gov.q01", flagged=True)
    assessment.refresh_from_db()
    assert assessment.compute_results() == before
    assert assessment.revision == revision
    report = _client(world.sam).get(reverse("reports:gap-report", args=[assessment.pk]))
    assert "Marked for review" not in report.content.decode()


# --- in the assessment JSON: exported, and accepted by the import ----------------------------


def test_the_json_export_carries_the_flags_and_the_import_restores_them(world, assessment):
    from assessments.transfer import assessment_import
    from assessments.transfer_export import export_assessment

    review_flag_set(assessment=assessment, user=world.sam, key="ops.q02", flagged=True)
    review_flag_set(assessment=assessment, user=world.sam, key="gov.q03", flagged=True)
    data = export_assessment(assessment)
    assert data["review"] == ["gov.q03", "ops.q02"]
    data["round"] = "2026 copy"
    copy = assessment_import(data=data, user=world.alice)
    assert copy.review_flags == ["gov.q03", "ops.q02"]
    # Not a result: the results of the file do not mention them.
    assert "review" not in data["results"]


def test_an_older_file_without_review_imports_with_no_flags(world, assessment):
    from assessments.transfer import assessment_import
    from assessments.transfer_export import export_assessment

    data = export_assessment(assessment)
    del data["review"]
    data["round"] = "2026 copy"
    assert assessment_import(data=data, user=world.alice).review_flags == []


@pytest.mark.parametrize(
    ("review", "key", "reason"),
    [
        (["gov.q99"], "review[0]", "is not a question of this instrument"),
        (["gov.q01", 7], "review", "must be a list of question keys"),
        ("gov.q01", "review", "must be a list of question keys"),
        (["x" * 121], "review", "must be a list of question keys"),
    ],
)
def test_a_bad_review_list_names_the_key_and_imports_nothing(
    world, assessment, review, key, reason
):
    from assessments.transfer import TransferError, assessment_import
    from assessments.transfer_export import export_assessment

    data = export_assessment(assessment)
    data["round"] = "2026 copy"
    data["review"] = review
    before = Assessment.objects.count()
    with pytest.raises(TransferError) as raised:
        assessment_import(data=data, user=world.alice)
    assert any(k == key and reason in r for k, r in raised.value.problems), raised.value.problems
    assert Assessment.objects.count() == before


def test_the_history_shows_the_flag_in_words(world, assessment):
    review_flag_set(assessment=assessment, user=world.sam, key="gov.q01", flagged=True)
    page = _client(world.alice).get(reverse("assessments:history", args=[assessment.pk]))
    html = page.content.decode()
    assert "Marked for review" in html
    assert "(no answer)" not in html
