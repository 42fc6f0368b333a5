"""The Django admin: people and places are editable, content and records are read-only."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from assessments.models import (
    Answer,
    Assessment,
    AuditEntry,
    Domain,
    DomainResult,
    Instrument,
    Membership,
    Organisation,
    Question,
    Site,
)
from assessments.services import AnswerChange, answers_save, assessment_submit
from tests import factories

ALL_MODELS = [
    Organisation,
    Site,
    Membership,
    Instrument,
    Domain,
    Question,
    Assessment,
    DomainResult,
    Answer,
    AuditEntry,
]
READ_ONLY = [Instrument, Domain, Question, DomainResult, Answer, AuditEntry]


def _url(model: type[Model], view: str, *args: object) -> str:
    return reverse(f"admin:assessments_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser("root", "root@example.org", "pw-Secret-123")


@pytest.fixture
def admin_client(superuser: User) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def submitted(world) -> Assessment:
    """A submitted assessment, so that answers, audit entries and domain results exist."""
    assessment = factories.make_assessment(world.clinic, world.instrument)
    answers_save(
        assessment=assessment,
        user=world.sam,
        changes=[AnswerChange(key="gov.q03", value="2"), AnswerChange(key="ops.q02", value="4")],
    )
    assessment_submit(assessment=assessment, user=world.sam)
    return assessment


def test_every_model_is_registered():
    for model in ALL_MODELS:
        assert admin.site.is_registered(model), model


@pytest.mark.parametrize("model", ALL_MODELS)
def test_the_changelists_load_for_a_superuser(admin_client, submitted, model):
    response = admin_client.get(_url(model, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


@pytest.mark.parametrize("model", ALL_MODELS)
def test_the_change_pages_load_for_a_superuser(admin_client, submitted, model):
    obj = model.objects.first()
    assert admin_client.get(_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", [*READ_ONLY, Assessment])
def test_content_and_records_cannot_be_added(admin_client, submitted, model):
    assert admin_client.get(_url(model, "add")).status_code == 403


@pytest.mark.parametrize("model", READ_ONLY)
def test_content_and_records_cannot_be_changed_or_deleted(admin_client, submitted, model):
    obj = model.objects.first()
    page = admin_client.get(_url(model, "change", obj.pk))
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.post(_url(model, "change", obj.pk), {}).status_code == 403
    assert admin_client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


def test_an_instrument_posted_to_the_admin_keeps_its_content(admin_client, world):
    instrument = world.instrument
    response = admin_client.post(
        _url(Instrument, "change", instrument.pk),
        {"title": "Hacked", "slug": instrument.slug, "version": instrument.version},
    )
    assert response.status_code == 403
    instrument.refresh_from_db()
    assert instrument.title == "Small test instrument"


def test_the_audit_trail_cannot_be_deleted_in_bulk(admin_client, submitted):
    ids = list(AuditEntry.objects.values_list("pk", flat=True))
    response = admin_client.post(
        _url(AuditEntry, "changelist"),
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert AuditEntry.objects.count() == len(ids)


def test_an_assessment_can_be_renamed_but_its_status_stays(admin_client, submitted):
    url = _url(Assessment, "change", submitted.pk)
    response = admin_client.post(
        url,
        {"round_label": "2026 spring (corrected)", "round_date": "2026-03-02", "status": "draft"},
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.round_label == "2026 spring (corrected)"
    assert submitted.status == Assessment.Status.SUBMITTED


def test_an_organisation_and_a_site_can_be_added(admin_client, db):
    response = admin_client.post(
        _url(Organisation, "add"),
        {
            "name": "Riverside Care",
            "slug": "riverside-care",
            "report_title": "",
            "report_signoff": "",
            "report_page_size": "letter",
            "created_at_0": "2026-01-01",
            "created_at_1": "10:00:00",
            "sites-TOTAL_FORMS": "1",
            "sites-INITIAL_FORMS": "0",
            "sites-MIN_NUM_FORMS": "0",
            "sites-MAX_NUM_FORMS": "1000",
            "sites-0-name": "Riverside Clinic",
            "sites-0-kind": "clinic",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    organisation = Organisation.objects.get(slug="riverside-care")
    assert list(organisation.sites.values_list("name", flat=True)) == ["Riverside Clinic"]


def _membership_data(user: User, organisation: Organisation, role: str, sites: list[Site]) -> dict:
    return {
        "user": user.pk,
        "organisation": organisation.pk,
        "role": role,
        "sites": [site.pk for site in sites],
    }


def test_a_membership_can_be_edited(admin_client, world):
    sam = Membership.objects.get(user=world.sam)
    response = admin_client.post(
        _url(Membership, "change", sam.pk),
        _membership_data(world.sam, world.org, "site_admin", [world.clinic, world.hospital]),
    )
    assert response.status_code == 302
    assert set(sam.sites.all()) == {world.clinic, world.hospital}


def test_a_membership_refuses_a_site_of_another_organisation(admin_client, world):
    sam = Membership.objects.get(user=world.sam)
    response = admin_client.post(
        _url(Membership, "change", sam.pk),
        _membership_data(world.sam, world.org, "site_admin", [world.other_site]),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["sites"]
    assert errors == ["Choose sites of the membership's organisation only."]
    assert list(sam.sites.all()) == [world.clinic]


def test_a_site_admin_membership_needs_a_site(admin_client, world):
    carla = Membership.objects.get(user=world.carla)
    response = admin_client.post(
        _url(Membership, "change", carla.pk),
        _membership_data(world.carla, world.org, "site_admin", []),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["sites"] == [
        "A site admin needs at least one site."
    ]
    carla.refresh_from_db()
    assert carla.role == Membership.Role.CONSULTANT


def test_the_membership_page_offers_the_sites_in_a_filter_widget(admin_client, world):
    sam = Membership.objects.get(user=world.sam)
    page = admin_client.get(_url(Membership, "change", sam.pk)).content.decode()
    assert "selectfilter" in page
    assert "Other Org · Other Clinic" in page  # listed with its organisation, refused on save


def test_staff_without_permissions_cannot_open_the_admin_models(world):
    staff = factories.make_user("staffer", is_staff=True)
    client = Client()
    client.force_login(staff)
    for model in ALL_MODELS:
        assert client.get(_url(model, "changelist")).status_code == 403
