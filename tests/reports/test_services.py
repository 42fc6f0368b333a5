"""The writes of the reports app: the read log and report branding, through reports/services.py."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from assessments.models import AuditEntry
from reports import services
from reports.models import ConsultantBranding
from tests import factories


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def test_opening_the_results_is_logged_as_a_view_by_that_person(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    entry = services.report_view_log(
        assessment=assessment, user_id=world.carla.pk, subject="results"
    )
    entry.refresh_from_db()
    assert (entry.action, entry.subject, entry.user_id) == (
        AuditEntry.Action.VIEWED,
        "results",
        world.carla.pk,
    )


def test_an_export_from_the_command_line_is_logged_without_a_person(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    services.report_export_log(assessment=assessment, user_id=None, subject="report-pdf")
    entry = AuditEntry.objects.get(assessment=assessment, action=AuditEntry.Action.EXPORTED)
    assert (entry.subject, entry.user_id) == ("report-pdf", None)


def test_a_replaced_logo_file_is_deleted_and_the_new_one_kept(world):
    organisation = world.org
    services.organisation_branding_update(
        organisation=organisation,
        report_title="Ours",
        report_logo=ContentFile(b"first", name="a.png"),
    )
    first = organisation.report_logo.name
    storage = organisation.report_logo.storage
    assert storage.exists(first)
    services.organisation_branding_update(
        organisation=organisation,
        report_title="Ours",
        report_logo=ContentFile(b"second", name="b.png"),
        report_page_size="a4",
    )
    organisation.refresh_from_db()
    assert not storage.exists(first)
    assert storage.exists(organisation.report_logo.name)
    assert (organisation.report_title, organisation.report_page_size) == ("Ours", "a4")


def test_clearing_the_logo_deletes_its_file(world):
    organisation = world.org
    services.organisation_branding_update(
        organisation=organisation,
        report_title="",
        report_logo=ContentFile(b"logo", name="a.png"),
    )
    name = organisation.report_logo.name
    services.organisation_branding_update(
        organisation=organisation, report_title="", report_logo=False
    )
    organisation.refresh_from_db()
    assert not organisation.report_logo
    assert not organisation.report_logo.storage.exists(name)


def test_a_consultants_branding_is_their_own_and_a_replaced_logo_is_deleted(world):
    services.consultant_branding_update(
        user=world.carla,
        report_title="Bell review",
        report_logo=ContentFile(b"first", name="a.png"),
        report_signoff="Carla C., Bell Advisory",
    )
    branding = ConsultantBranding.objects.get(user=world.carla)
    first, storage = branding.report_logo.name, branding.report_logo.storage
    services.consultant_branding_update(
        user=world.carla, report_title="Bell review", report_logo=False, report_signoff=""
    )
    branding.refresh_from_db()
    assert (branding.report_title, branding.report_signoff, bool(branding.report_logo)) == (
        "Bell review",
        "",
        False,
    )
    assert not storage.exists(first)
    world.org.refresh_from_db()
    assert world.org.report_title == ""
