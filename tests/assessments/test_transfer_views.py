"""The Export JSON button and the import page: access, audit, bad uploads, success."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from assessments.assessment_format import FORMAT
from assessments.models import (
    Answer,
    Assessment,
    AuditEntry,
    DomainResult,
    Organisation,
    Site,
)
from assessments.services import AnswerChange, answers_save, assessment_submit
from assessments.transfer_export import export_assessment
from tests import factories
from tests.conftest import World


def _client(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Organisation, Site, Assessment, Answer, AuditEntry, DomainResult)
    }


@pytest.fixture
def assessment(world: World) -> Assessment:
    assessment = factories.make_assessment(world.clinic, world.instrument)
    answers_save(
        assessment=assessment,
        user=world.sam,
        changes=[
            AnswerChange(key="gov.q01", value="yes", comment="Register «v2»\nkept"),
            AnswerChange(key="gov.q02", value="yes"),
            AnswerChange(key="gov.q03", value="3"),
            AnswerChange(key="ops.q01", value="all"),
            AnswerChange(key="ops.q02", value="na"),
        ],
    )
    assessment_submit(assessment=assessment, user=world.alice)
    return assessment


def _export_url(assessment: Assessment) -> str:
    return reverse("assessments:export-json", args=[assessment.pk])


def _import_url(world: World) -> str:
    return reverse("assessments:import-json", args=[world.org.slug])


def _file(data: Any, name: str = "assessment.json") -> SimpleUploadedFile:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return SimpleUploadedFile(name, raw, content_type="application/json")


def _valid_file(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format": FORMAT,
        "instrument": {"slug": "small-test", "version": "1.0"},
        "organisation": "Northside Health",
        "site": "Northside Hospital",
        "round": "2026 autumn",
        "status": "submitted",
        "targets": {"gov": 65},
        "answers": {"gov.q03": {"value": "2", "comment": "ok"}, "ops.q02": {"value": "4"}},
    }
    data.update(changes)
    return data


# --- export ---------------------------------------------------------------------------------


def test_export_downloads_the_json_and_records_it(world, assessment):
    response = _client(world.carla).get(_export_url(assessment))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="assessment-{assessment.pk}-northside-clinic-2026-spring.json"'
    )
    data = json.loads(response.content.decode())
    expected = export_assessment(assessment)
    assert {k: v for k, v in data.items() if k != "exported_at"} == {
        k: v for k, v in expected.items() if k != "exported_at"
    }
    assert "«v2»\\nkept" in response.content.decode()  # UTF-8 as it is, not \u escapes
    entry = AuditEntry.objects.get(assessment=assessment, action=AuditEntry.Action.EXPORTED)
    assert (entry.user, entry.subject) == (world.carla, "json")


def test_a_viewer_and_the_sites_admin_may_export(world, assessment):
    assert _client(world.victor).get(_export_url(assessment)).status_code == 200
    assert _client(world.sam).get(_export_url(assessment)).status_code == 200


def test_export_of_another_organisations_or_sites_assessment_is_a_404(world, assessment):
    assert _client(world.oscar).get(_export_url(assessment)).status_code == 404
    hospital = factories.make_assessment(world.hospital, world.instrument)
    assert _client(world.sam).get(_export_url(hospital)).status_code == 404
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORTED).exists()


def test_export_needs_a_login(world, assessment):
    response = _client().get(_export_url(assessment))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_json_export_refuses_a_post(world, assessment):
    assert _client(world.alice).post(_export_url(assessment)).status_code == 405


def test_export_queries_do_not_grow_with_the_answers(world, django_assert_max_num_queries):
    instrument = factories.load_instrument()
    small = factories.make_assessment(world.hospital, instrument)
    big = factories.make_assessment(world.hospital, instrument, round_label="2026 autumn")
    keys = list(instrument.questions.filter(type="scale").values_list("key", flat=True))
    answers_save(assessment=small, user=world.alice, changes=[AnswerChange(key=keys[0], value="1")])
    answers_save(
        assessment=big,
        user=world.alice,
        changes=[AnswerChange(key=key, value="2") for key in keys],
    )
    client = _client(world.alice)
    client.get(_export_url(small))  # warms the per-process instrument caches
    with django_assert_max_num_queries(12) as small_queries:
        client.get(_export_url(small))
    with django_assert_max_num_queries(len(small_queries.captured_queries)):
        client.get(_export_url(big))


def test_the_detail_page_has_the_export_button(world, assessment):
    html = _client(world.victor).get(assessment.get_absolute_url()).content.decode()
    assert f'href="{_export_url(assessment)}"' in html
    assert "Export JSON" in html


# --- import page: access --------------------------------------------------------------------


def test_the_import_page_shows_a_labelled_file_field(world):
    response = _client(world.alice).get(_import_url(world))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="file"' in html
    assert 'name="file"' in html
    assert 'for="id_file"' in html  # its label
    assert 'enctype="multipart/form-data"' in html
    assert response.context["current_membership"].organisation == world.org


def test_consultants_and_org_admins_may_import(world):
    assert _client(world.carla).get(_import_url(world)).status_code == 200
    assert _client(world.alice).get(_import_url(world)).status_code == 200


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_viewer_or_site_admin_is_refused_with_403(world, method):
    for user in (world.victor, world.sam):
        client = _client(user)
        response = getattr(client, method)(_import_url(world), {"file": _file(_valid_file())})
        assert response.status_code == 403
    assert not Assessment.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_organisation_is_a_404(world, method):
    client = _client(world.oscar)
    response = getattr(client, method)(_import_url(world), {"file": _file(_valid_file())})
    assert response.status_code == 404
    assert not Assessment.objects.exists()


def test_the_import_page_needs_a_login(world):
    response = _client().post(_import_url(world), {"file": _file(_valid_file())})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not Assessment.objects.exists()


def test_the_organisation_page_links_to_import_for_those_who_may(world):
    url = reverse("assessments:organisation", args=[world.org.slug])
    for user, shown in ((world.alice, True), (world.carla, True), (world.victor, False)):
        html = _client(user).get(url).content.decode()
        assert (f'href="{_import_url(world)}"' in html) is shown, user


# --- import page: success -------------------------------------------------------------------


def test_an_import_redirects_to_the_new_assessment(world):
    response = _client(world.carla).post(_import_url(world), {"file": _file(_valid_file())})
    assessment = Assessment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == assessment.get_absolute_url()
    assert assessment.site == world.hospital
    assert assessment.status == "submitted"
    assert assessment.results == export_assessment(assessment)["results"]
    assert assessment.answers.get(question__key="gov.q03").answered_by == world.carla
    assert AuditEntry.objects.filter(
        assessment=assessment, action=AuditEntry.Action.IMPORTED, user=world.carla
    ).exists()


def test_an_import_goes_into_this_organisation_whatever_the_file_says(world):
    data = _valid_file(organisation="Other Org", site="Northside Clinic")
    _client(world.alice).post(_import_url(world), {"file": _file(data)})
    assert Assessment.objects.get().site == world.clinic
    assert (
        not Site.objects.filter(organisation=world.other_org)
        .exclude(pk=world.other_site.pk)
        .exists()
    )


def test_an_exported_file_imports_again(world, assessment):
    client = _client(world.alice)
    raw = client.get(_export_url(assessment)).content
    first = export_assessment(assessment)
    # A site holds one assessment per instrument and round: the original makes room.
    original_pk = assessment.pk
    assessment.delete()
    response = client.post(_import_url(world), {"file": _file(raw)})
    imported = Assessment.objects.exclude(pk=original_pk).get()
    assert response["Location"] == imported.get_absolute_url()
    second = export_assessment(imported)
    for data in (first, second):
        del data["id"], data["exported_at"]
    assert first == second


def test_an_org_admin_may_import_into_a_new_site(world):
    data = _valid_file(site="Riverside Practice")
    response = _client(world.alice).post(_import_url(world), {"file": _file(data)})
    assert response.status_code == 302
    assert Site.objects.get(name="Riverside Practice").organisation == world.org


# --- import page: refusals ------------------------------------------------------------------


def _refused(world: World, upload: Any, user: Any = None) -> str:
    before = _counts()
    response = _client(user or world.carla).post(_import_url(world), {"file": upload})
    assert response.status_code == 422
    assert _counts() == before
    assert "file" in response.context["form"].errors
    return response.content.decode()


def test_a_consultant_cannot_import_into_a_site_that_does_not_exist(world):
    html = _refused(world, _file(_valid_file(site="Riverside Practice")))
    assert "site: there is no site &quot;Riverside Practice&quot; in Northside Health" in html


def test_a_file_that_is_not_json_is_refused_next_to_the_field(world):
    html = _refused(world, _file(b"name,score\nclinic,3\n", name="scores.csv"))
    # crispy puts the error under the field, tied to it by id.
    assert 'id="error_1_id_file"' in html
    assert "is-invalid" in html
    assert "file: is not valid JSON" in html


def test_a_binary_file_is_refused(world):
    html = _refused(world, _file(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", name="logo.png"))
    assert "not UTF-8" in html


def test_a_file_above_the_upload_limit_is_refused(world, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    data = _valid_file()
    data["answers"]["gov.q03"]["comment"] = "x" * 2000
    html = _refused(world, _file(data))
    assert "files up to 1 KB can be imported" in html


def test_no_file_is_refused(world):
    response = _client(world.carla).post(_import_url(world), {})
    assert response.status_code == 422
    assert "Choose an assessment file to import." in response.content.decode()


def test_an_invalid_assessment_lists_every_problem_by_key(world):
    data = _valid_file(status="finished")
    data["answers"]["ops.q02"] = {"value": "7"}
    html = _refused(world, _file(data))
    assert "status: &quot;finished&quot; is not one of: draft, submitted, reopened" in html
    assert "answers.ops.q02.value: &quot;7&quot; is not an allowed option" in html


def test_an_unknown_instrument_is_refused(world):
    data = _valid_file(instrument={"slug": "clinical-ai", "version": "7.0"})
    html = _refused(world, _file(data))
    assert "instrument: no instrument &quot;clinical-ai&quot; version &quot;7.0&quot;" in html


def test_a_key_with_unprintable_characters_is_named_without_a_500(world):
    data = json.dumps(_valid_file()).replace('"gov.q03"', '"gov\\ud800\\nq03"')
    html = _refused(world, _file(data.encode()))
    assert "answers.gov\ufffd\ufffdq03: is not a question of this instrument" in html
