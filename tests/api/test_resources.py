"""The API's resources behave as their pages: assessments, targets, comparison rows, action
items, report jobs and batch exports, assignments."""

from __future__ import annotations

import datetime

import pytest

from actions.models import ActionItem, ActionItemEvent
from assessments.models import Assessment, AuditEntry, ExportRecord
from assessments.services import AnswerChange, answers_save, assessment_submit
from reports.models import ReportBatch, StoredReport
from respondents.models import Assignment, AssignmentEvent
from tests import factories
from tests.api.conftest import api_client


def _submitted(world, site=None, label="2026 spring", **answers):
    assessment = factories.make_assessment(site or world.clinic, world.instrument, label)
    changes = [
        AnswerChange(k, v) for k, v in (answers or {"gov.q01": "no", "gov.q03": "1"}).items()
    ]
    answers_save(assessment=assessment, user=world.alice, changes=changes)
    assessment_submit(assessment=assessment, user=world.alice)
    return assessment


# --- assessments -------------------------------------------------------------------------------


def test_an_assessment_is_created_as_on_the_site_page(world, as_sam):
    response = as_sam.post_json(
        "/api/v1/assessments/",
        {
            "site": world.clinic.pk,
            "instrument": world.instrument.pk,
            "round_label": "2026 autumn",
            "round_date": "2026-09-01",
        },
    )
    assert response.status_code == 201, response.content
    created = Assessment.objects.get(round_label="2026 autumn")
    assert response["Location"].endswith(f"/api/v1/assessments/{created.pk}/")
    assert response.json()["status"] == "draft"
    assert AuditEntry.objects.get(assessment=created, action="created").via == "api"
    again = as_sam.post_json(
        "/api/v1/assessments/",
        {
            "site": world.clinic.pk,
            "instrument": world.instrument.pk,
            "round_label": "2026  AUTUMN",
            "round_date": "2026-09-01",
        },
    )
    assert again.status_code == 400
    assert "already has a round with this name" in again.json()["errors"]["round_label"][0]
    # Sam administers the clinic only.
    elsewhere = as_sam.post_json(
        "/api/v1/assessments/",
        {
            "site": world.hospital.pk,
            "instrument": world.instrument.pk,
            "round_label": "x",
            "round_date": "2026-09-01",
        },
    )
    assert elsewhere.status_code == 404


def test_the_list_filters(world, as_alice, as_sam):
    spring = _submitted(world)
    draft = factories.make_assessment(world.hospital, world.instrument, "2026 autumn")
    other = factories.make_assessment(world.other_site, world.instrument)

    def ids(client, query=""):
        return {a["id"] for a in client.get(f"/api/v1/assessments/{query}").json()["results"]}

    assert ids(as_alice) == {spring.pk, draft.pk}
    assert ids(as_alice, "?status=submitted") == {spring.pk}
    assert ids(as_alice, f"?site={world.hospital.pk}") == {draft.pk}
    assert ids(as_alice, "?round=2026 autumn") == {draft.pk}
    assert ids(as_alice, "?instrument=small-test&organisation=northside-health") == {
        spring.pk,
        draft.pk,
    }
    assert ids(as_sam) == {spring.pk}  # the clinic's only
    assert other.pk not in ids(api_client(world.carla))
    assert (
        as_alice.get(f"/api/v1/assessments/?organisation={world.other_org.slug}").status_code == 404
    )


def test_detail_submit_reopen_and_targets(world, as_alice, as_victor):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    detail = as_victor.get(f"/api/v1/assessments/{assessment.pk}/").json()
    assert detail["results_source"] == "live"
    assert detail["may"]["edit"] is False
    assert {t["key"]: t["target"] for t in detail["targets"]} == {"gov": 60.0, "ops": 70.0}
    targets = as_alice.patch_json(
        f"/api/v1/assessments/{assessment.pk}/targets/", {"targets": {"gov": "72.5"}}
    )
    assert targets.status_code == 200
    assert targets.json()[0] == {"key": "gov", "title": "Governance", "target": 72.5, "own": True}
    bad = as_alice.patch_json(
        f"/api/v1/assessments/{assessment.pk}/targets/", {"targets": {"ops": 101}}
    )
    assert bad.status_code == 400
    assert list(bad.json()["errors"]) == ["targets.ops"]
    submitted = as_alice.post_json(f"/api/v1/assessments/{assessment.pk}/submit/")
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted"
    assert submitted.json()["results_source"] == "stored"
    assert as_alice.post_json(f"/api/v1/assessments/{assessment.pk}/submit/").status_code == 409
    reopened = as_alice.post_json(f"/api/v1/assessments/{assessment.pk}/reopen/")
    assert reopened.json()["status"] == "reopened"
    statuses = AuditEntry.objects.filter(assessment=assessment, action="status")
    assert {e.via for e in statuses} == {"api"}


# --- comparison --------------------------------------------------------------------------------


def test_the_comparison_rows_are_the_pages(world, as_alice, as_sam):
    _submitted(world, world.clinic, **{"gov.q01": "yes", "gov.q03": "4"})
    _submitted(world, world.hospital, **{"gov.q01": "no", "gov.q03": "0"})
    body = as_alice.get(
        f"/api/v1/organisations/{world.org.slug}/comparison/?sort=name&dir=asc"
    ).json()
    assert body["instrument"] == "small-test"
    assert body["count"] == 2
    assert [row["site"] for row in body["results"]] == ["Northside Clinic", "Northside Hospital"]
    assert [d["key"] for d in body["domains"]] == ["gov", "ops"]
    assert body["results"][0]["score"] > body["results"][1]["score"]
    assert ExportRecord.objects.get(kind="comparison-api").via == "api"
    # A site admin compares their own sites only.
    mine = as_sam.get(f"/api/v1/organisations/{world.org.slug}/comparison/").json()
    assert [row["site"] for row in mine["results"]] == ["Northside Clinic"]
    bad = as_alice.get(f"/api/v1/organisations/{world.org.slug}/comparison/?kind=castle&sort=x")
    assert bad.status_code == 400
    assert "kind" in bad.json()["errors"]


# --- action items ------------------------------------------------------------------------------


def test_action_items_are_tracked_listed_and_edited(world, as_alice, as_victor):
    assessment = _submitted(world)
    tracked = as_alice.post_json(
        f"/api/v1/assessments/{assessment.pk}/action-items/", {"scope": "all"}
    )
    assert tracked.status_code == 201
    assert len(tracked.json()) == ActionItem.objects.count() > 0
    listing = as_victor.get(f"/api/v1/organisations/{world.org.slug}/action-items/?status=open")
    assert listing.json()["count"] == ActionItem.objects.count()
    item = ActionItem.objects.order_by("pk").first()
    url = f"/api/v1/action-items/{item.pk}/"
    changed = as_alice.patch_json(
        url, {"owner": world.victor.pk, "due_date": "2026-12-31", "revision": item.revision}
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["owner"]["id"] == world.victor.pk
    assert {e.via for e in ActionItemEvent.objects.filter(item=item, action="changed")} == {"api"}
    stale = as_alice.patch_json(url, {"notes": "late", "revision": item.revision})
    assert stale.status_code == 409
    assert stale.json()["current"]["owner"]["id"] == world.victor.pk
    # Victor, a viewer, owns it: status, reason and notes only.
    owner = as_victor
    revision = changed.json()["revision"]
    assert owner.patch_json(url, {"title": "Mine", "revision": revision}).status_code == 403
    wont = owner.patch_json(url, {"status": "wont_do", "revision": revision})
    assert wont.status_code == 400
    assert "reason" in wont.json()["errors"]
    assert owner.patch_json(url, {"notes": "Started", "revision": revision}).status_code == 200
    other = ActionItem.objects.exclude(pk=item.pk).first()
    refused = as_victor.patch_json(
        f"/api/v1/action-items/{other.pk}/", {"notes": "x", "revision": 1}
    )
    assert refused.status_code == 403
    unknown = as_alice.post_json(
        f"/api/v1/assessments/{assessment.pk}/action-items/", {"question": "gov.q99"}
    )
    assert unknown.status_code == 400


# --- report jobs and batches -------------------------------------------------------------------


@pytest.fixture
def queued(monkeypatch):
    asked = []
    monkeypatch.setattr("reports.queue.enqueue", lambda *args: asked.append(args) or True)
    return asked


def test_a_report_job_is_started_followed_and_downloaded(
    world, as_victor, queued, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    assessment = _submitted(world)
    started = as_victor.post_json(
        f"/api/v1/assessments/{assessment.pk}/report/", {"preset": "board"}
    )
    assert started.status_code == 202
    job = started.json()
    assert job["status"] == "queued"
    assert job["download"] is None
    assert queued == [("reports.tasks.report_render", job["id"])]
    assert started["Location"] == f"/api/v1/report-jobs/{job['id']}/"
    not_ready = as_victor.get(f"/api/v1/report-jobs/{job['id']}/download/")
    assert not_ready.status_code == 409
    assert not_ready.json()["job"]["status"] == "queued"
    # A worker renders it.
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "r.pdf").write_bytes(b"%PDF-1.7 report")
    StoredReport.objects.filter(pk=job["id"]).update(status="ready", file="reports/r.pdf", size=15)
    status = as_victor.get(f"/api/v1/report-jobs/{job['id']}/").json()
    assert status["download"] == f"/api/v1/report-jobs/{job['id']}/download/"
    pdf = as_victor.get(status["download"], HTTP_ACCEPT="application/pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content == b"%PDF-1.7 report"
    exported = AuditEntry.objects.get(assessment=assessment, action="exported")
    assert (exported.subject, exported.via, exported.user_id) == (
        "report-pdf",
        "api",
        world.victor.pk,
    )
    # Asked again, the ready file is the answer at once.
    again = as_victor.post_json(f"/api/v1/assessments/{assessment.pk}/report/", {"preset": "board"})
    assert again.status_code == 200
    assert again.json()["id"] == job["id"]
    bad = as_victor.post_json(
        f"/api/v1/assessments/{assessment.pk}/report/", {"sections": ["nope"]}
    )
    assert bad.status_code == 400
    assert "sections" in bad.json()["errors"]


def test_a_batch_export_is_started_and_downloaded(world, as_alice, queued, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    _submitted(world, world.clinic, "2026 spring")
    _submitted(world, world.hospital, "2026 spring")
    url = f"/api/v1/organisations/{world.org.slug}/batches/"
    none = as_alice.post_json(url, {"round": "1999"})
    assert none.status_code == 400
    assert "round" in none.json()["errors"]
    started = as_alice.post_json(url, {"round": "2026 spring"})
    assert started.status_code == 202
    batch = started.json()
    assert batch["total"] == 2
    assert batch["status"] == "queued"
    assert as_alice.get(f"{url}{batch['id']}/download/").status_code == 409
    (tmp_path / "report-batches").mkdir()
    (tmp_path / "report-batches" / "b.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    ReportBatch.objects.filter(pk=batch["id"]).update(status="done", file="report-batches/b.zip")
    assert as_alice.get(url).json()["results"][0]["download"].endswith("/download/")
    zipped = as_alice.get(f"{url}{batch['id']}/download/")
    assert zipped.status_code == 200
    assert b"".join(zipped.streaming_content).startswith(b"PK")
    assert ExportRecord.objects.get(kind="report-batch").via == "api"
    compared = as_alice.post_json(f"{url}?instrument=small-test", {"source": "comparison"})
    assert compared.status_code == 202
    assert compared.json()["total"] == 2


# --- assignments -------------------------------------------------------------------------------


def test_assignments_are_made_listed_and_removed(world, as_alice, mailoutbox):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    url = f"/api/v1/assessments/{assessment.pk}/assignments/"
    made = as_alice.post_json(
        url, {"domain": "gov", "user": world.victor.pk, "due_date": "2026-12-01"}
    )
    assert made.status_code == 201, made.content
    assert made.json()["user"]["id"] == world.victor.pk
    assert len(mailoutbox) == 1
    assert AssignmentEvent.objects.get(assessment=assessment).via == "api"
    mine = api_client(world.victor).get("/api/v1/assignments/").json()["results"]
    assert [(a["assessment"], a["domain"]) for a in mine] == [(assessment.pk, "gov")]
    # Oscar is not a member: named as the field the page names.
    bad = as_alice.post_json(url, {"domain": "zzz", "user": world.oscar.pk})
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"domain", "user"}
    assignment = Assignment.objects.get()
    assert as_alice.delete(f"{url}{assignment.pk}/").status_code == 204
    assignment.refresh_from_db()
    assert assignment.removed_at is not None
    assert as_alice.get(url).json()["results"][0]["removed_at"] is not None
    assert datetime.date.fromisoformat(made.json()["due_date"]) == datetime.date(2026, 12, 1)
