"""Offboarding an organisation (issue 12, finding 12): export everything, then delete it after
its name is typed, with a log that outlives it."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from assessments.instrument_loading import load_file
from assessments.models import (
    Answer,
    Assessment,
    AuditEntry,
    DomainResult,
    ExportRecord,
    Instrument,
    Membership,
    Organisation,
    Site,
)
from assessments.services import AnswerChange, answers_save, assessment_submit
from offboarding.models import OffboardingLog
from offboarding.services import (
    OffboardingError,
    organisation_delete,
    organisation_export,
)
from reports import comparison
from tests import factories

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
OWN_INSTRUMENT = factories.SMALL_INSTRUMENT.replace("slug: small-test", "slug: northside-own")


@pytest.fixture
def held(world, settings, tmp_path) -> Any:
    """Northside with submitted and draft assessments, its own instrument, a logo and an
    export record; Other Org with an assessment and a logo of its own."""
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "logos").mkdir()
    (tmp_path / "logos" / "northside.png").write_bytes(PNG)
    (tmp_path / "logos" / "other.png").write_bytes(PNG + b"other")
    Organisation.objects.filter(pk=world.org.pk).update(report_logo="logos/northside.png")
    Organisation.objects.filter(pk=world.other_org.pk).update(report_logo="logos/other.png")
    world.org.refresh_from_db()
    world.other_org.refresh_from_db()

    def submitted(site, user, label="2025 autumn"):
        assessment = factories.make_assessment(site, world.instrument, round_label=label)
        answers_save(
            assessment=assessment,
            user=user,
            changes=[
                AnswerChange(key="gov.q01", value="yes", comment='=HYPERLINK("x")'),
                AnswerChange(key="gov.q03", value="2", evidence="Minutes"),
            ],
        )
        assessment_submit(assessment=assessment, user=user)
        return assessment

    own_instrument, _ = load_file(OWN_INSTRUMENT.encode(), name="own.yaml", organisation=world.org)
    own = [
        submitted(world.clinic, world.alice),
        submitted(world.hospital, world.alice, "2026 spring"),
        factories.make_assessment(world.clinic, world.instrument, round_label="draft"),
        factories.make_assessment(world.hospital, own_instrument, round_label="own"),
    ]
    Site.objects.filter(pk=world.hospital.pk).update(archived=True)
    ExportRecord.objects.create(organisation=world.org, user=world.carla, kind="comparison-csv")
    other = submitted(world.other_site, world.oscar)
    return {"world": world, "own": own, "other": other, "media": tmp_path}


def _superuser() -> User:
    return factories.make_user("root", is_staff=True, is_superuser=True)


def _zip(content: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(content))


def _without_time(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "exported_at"}


# --- the export ----------------------------------------------------------------------------------


def test_the_zip_holds_what_it_says(held, tmp_path, capsys):
    world = held["world"]
    export = organisation_export(organisation=world.org, user=_superuser(), via="admin")
    archive = _zip(export.content)
    names = set(archive.namelist())
    manifest = json.loads(archive.read("manifest.json"))
    assert set(manifest["files"]) | {"manifest.json"} == names
    assert manifest["organisation"] == {
        "id": world.org.pk,
        "name": "Northside Health",
        "slug": "northside-health",
    }
    assert manifest["counts"]["assessments"] == 4
    assert manifest["counts"]["sites"] == 2

    # Each assessment's JSON as `manage.py export_assessment` writes it.
    jsons = sorted(n for n in names if n.startswith("assessments/"))
    assert len(jsons) == 4
    for assessment in held["own"]:
        (name,) = [n for n in jsons if n.startswith(f"assessments/assessment-{assessment.pk}-")]
        out = tmp_path / f"{assessment.pk}.json"
        call_command("export_assessment", str(assessment.pk), "-o", str(out))
        expected = json.loads(out.read_text())
        assert _without_time(json.loads(archive.read(name))) == _without_time(expected)
    assert held["other"].site.name not in "".join(
        archive.read(n).decode() for n in names if n.endswith((".json", ".csv"))
    )

    # The comparison CSV of the instrument: both sites, the archived hospital too.
    whole = Membership(organisation=world.org, role=Membership.Role.ORG_ADMIN)
    expected_csv = comparison.export_csv(
        whole, comparison.CompareFilters(slug="small-test", include_archived=True)
    ).content
    assert archive.read("comparison/comparison-small-test.csv") == expected_csv
    csv_text = expected_csv.decode()
    assert "Northside Clinic" in csv_text
    assert "Northside Hospital" in csv_text

    # The audit trail: every entry of every assessment, formulas neutralised.
    audit = archive.read("audit-trail.csv").decode().splitlines()
    own_entries = AuditEntry.objects.filter(assessment__site__organisation=world.org).count()
    assert own_entries > 0
    assert len(audit) == own_entries + 1
    assert audit[0] == "assessment,site,round,at,user,action,subject,old,new"
    cells = [cell for row in csv.reader(audit) for cell in row]
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@"))]

    members = archive.read("members.csv").decode()
    assert "alice@example.org" in members
    assert "oscar@example.org" not in members
    assert archive.read("files/northside.png") == PNG
    assert OffboardingLog.objects.get().action == OffboardingLog.Action.EXPORTED


def test_the_command_writes_the_zip(held, tmp_path, capsys):
    out = tmp_path / "northside.zip"
    call_command("offboard_organisation", "northside-health", "--export", str(out))
    assert "manifest.json" in _zip(out.read_bytes()).namelist()
    assert "Northside Health: exported to" in capsys.readouterr().out
    assert Organisation.objects.filter(slug="northside-health").exists()  # export alone


# --- the deletion ---------------------------------------------------------------------------------


def _other_org_state(world) -> dict[str, Any]:
    org = world.other_org
    return {
        "org": list(Organisation.objects.filter(pk=org.pk).values()),
        "sites": list(Site.objects.filter(organisation=org).values_list("pk", flat=True)),
        "assessments": list(
            Assessment.objects.filter(site__organisation=org).values_list("pk", "revision")
        ),
        "answers": Answer.objects.filter(assessment__site__organisation=org).count(),
        "audit": AuditEntry.objects.filter(assessment__site__organisation=org).count(),
        "results": DomainResult.objects.filter(assessment__site__organisation=org).count(),
        "members": list(Membership.objects.filter(organisation=org).values_list("pk", flat=True)),
        "instruments": list(
            Instrument.objects.exclude(organisation=world.org).values_list("pk", flat=True)
        ),
    }


def test_deletion_removes_everything_of_that_organisation_and_nothing_of_another(
    held, django_capture_on_commit_callbacks
):
    world = held["world"]
    org_id = world.org.pk
    other_before = _other_org_state(world)
    users_before = User.objects.count()
    root = _superuser()

    # The files go once the deletion is committed.
    with django_capture_on_commit_callbacks(execute=True):
        log = organisation_delete(
            organisation=world.org, confirm_name=" Northside Health ", user=root, via="admin"
        )

    assert not Organisation.objects.filter(pk=org_id).exists()
    assert not Site.objects.filter(organisation_id=org_id).exists()
    assert not Assessment.objects.filter(pk__in=[a.pk for a in held["own"]]).exists()
    assert not Answer.objects.filter(assessment_id__in=[a.pk for a in held["own"]]).exists()
    assert not AuditEntry.objects.filter(assessment_id__in=[a.pk for a in held["own"]]).exists()
    assert not Membership.objects.filter(organisation_id=org_id).exists()
    assert not ExportRecord.objects.filter(organisation_id=org_id).exists()
    assert not Instrument.objects.filter(slug="northside-own").exists()
    assert not (held["media"] / "logos" / "northside.png").exists()
    # Another organisation keeps everything, its logo file too; accounts stay.
    assert _other_org_state(world) == other_before
    assert (held["media"] / "logos" / "other.png").exists()
    assert User.objects.count() == users_before + 1
    assert log.counts["assessments"] == 4
    assert log.counts["memberships"] == 4


def test_a_wrong_name_typed_refuses_and_deletes_nothing(held):
    world = held["world"]
    for typed in ("northside health", "Northside", "", "Other Org"):
        with pytest.raises(OffboardingError, match="does not match"):
            organisation_delete(organisation=world.org, confirm_name=typed, user=None, via="x")
    assert Organisation.objects.filter(pk=world.org.pk).exists()
    assert Assessment.objects.filter(site__organisation=world.org).count() == 4
    assert not OffboardingLog.objects.exists()


def test_the_log_survives_the_organisation(held):
    world = held["world"]
    org_id = world.org.pk
    root = _superuser()
    organisation_export(organisation=world.org, user=root, via="admin")
    organisation_delete(
        organisation=world.org, confirm_name="Northside Health", user=root, via="admin"
    )
    exported, deleted = OffboardingLog.objects.order_by("pk")
    assert exported.action == "exported"
    assert deleted.action == "deleted"
    for log in (exported, deleted):
        assert (log.organisation_id, log.organisation_name) == (org_id, "Northside Health")
        assert log.performed_by == root
        assert log.performed_by_name == "root@example.org"
        assert log.counts["sites"] == 2
    root.delete()
    deleted.refresh_from_db()
    assert deleted.performed_by is None
    assert deleted.performed_by_name == "root@example.org"


def test_the_command_deletes_after_the_name_and_refuses_a_wrong_one(held, capsys):
    with pytest.raises(CommandError, match="does not match"):
        call_command("offboard_organisation", "northside-health", "--delete", "--confirm", "x")
    with pytest.raises(CommandError, match="--confirm"):
        call_command("offboard_organisation", "northside-health", "--delete")
    with pytest.raises(CommandError, match="no organisation"):
        call_command("offboard_organisation", "nobody", "--delete", "--confirm", "nobody")
    assert Organisation.objects.filter(slug="northside-health").exists()
    call_command(
        "offboard_organisation", "Northside Health", "--delete", "--confirm", "Northside Health"
    )
    assert not Organisation.objects.filter(slug="northside-health").exists()
    assert "Northside Health: deleted" in capsys.readouterr().out
    assert OffboardingLog.objects.get().via == "command"


# --- the admin pages -----------------------------------------------------------------------------


def _urls(world) -> dict[str, str]:
    return {
        "log": reverse("admin:offboarding_offboardinglog_changelist"),
        "choose": reverse("admin:offboarding_choose"),
        "page": reverse("admin:offboarding_organisation", args=[world.org.pk]),
        "export": reverse("admin:offboarding_export", args=[world.org.pk]),
    }


def test_only_a_superuser_reaches_the_offboarding_pages(held):
    world = held["world"]
    staff = factories.make_user("staffer", is_staff=True)
    urls = _urls(world)
    for name, url in urls.items():
        method = "post" if name == "export" else "get"
        anonymous = getattr(Client(), method)(url)
        assert anonymous.status_code == 302, name
        assert anonymous.headers["Location"].startswith(reverse("admin:login")), name
        for user in (world.alice, world.oscar):  # members, not staff: the admin's login page
            client = Client()
            client.force_login(user)
            assert getattr(client, method)(url).status_code == 302, (name, user)
        client = Client()
        client.force_login(staff)
        assert getattr(client, method)(url).status_code == 403, name
    client = Client()
    client.force_login(staff)
    assert client.post(urls["page"], {"name": "Northside Health"}).status_code == 403
    assert Organisation.objects.filter(pk=world.org.pk).exists()
    assert not OffboardingLog.objects.exists()


def test_a_superuser_exports_and_deletes_in_the_admin(held):
    world = held["world"]
    urls = _urls(world)
    client = Client()
    client.force_login(_superuser())
    assert client.get(urls["log"]).status_code == 200
    assert "Northside Health" in client.get(urls["choose"]).content.decode()
    page = client.get(urls["page"])
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    assert client.get(urls["export"]).status_code == 405
    export = client.post(urls["export"])
    assert export.status_code == 200
    assert export.headers["Content-Type"] == "application/zip"
    assert "attachment" in export.headers["Content-Disposition"]
    assert "manifest.json" in _zip(export.content).namelist()

    wrong = client.post(urls["page"], {"name": "Northside"})
    assert wrong.status_code == 422
    assert "nothing was deleted" in wrong.content.decode()
    assert Organisation.objects.filter(pk=world.org.pk).exists()

    done = client.post(urls["page"], {"name": "Northside Health"})
    assert done.status_code == 302
    assert done.headers["Location"] == urls["log"]
    assert not Organisation.objects.filter(pk=world.org.pk).exists()
    assert "Northside Health" in client.get(urls["log"]).content.decode()
    assert client.get(urls["page"]).status_code == 404


def test_an_unknown_or_huge_organisation_id_in_the_admin_is_not_a_server_error(held):
    client = Client()
    client.force_login(_superuser())
    base = "/admin/offboarding/offboardinglog/organisations"
    assert client.get(f"{base}/999999/").status_code == 404
    assert client.post(f"{base}/999999/export/").status_code == 404
    # Past the id converter's 18 digits the admin's own catch-all answers (a redirect).
    response = client.get(f"{base}/99999999999999999999/", follow=True)
    assert response.status_code == 200
