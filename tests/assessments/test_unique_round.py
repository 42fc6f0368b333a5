"""One assessment per site, instrument (any version) and round name, held by the database.

Every way of starting an assessment (the site page, the JSON import button and command, the
next round) refuses a round the site already has, with a message naming that assessment,
and a request that loses a race gets the same message instead of a 500.
"""

from __future__ import annotations

import datetime
import importlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from assessments import forms, services, transfer
from assessments.assessment_format import FORMAT
from assessments.models import Assessment, AuditEntry, Site, round_key
from assessments.services import RoundTaken, assessment_create, assessment_submit
from assessments.transfer import TransferError, assessment_import
from tests import factories
from tests.assessments.test_rounds import SMALL_1_1
from tests.conftest import World

MIGRATION = importlib.import_module("assessments.migrations.0004_assessment_unique_round")


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _site_url(site: Site) -> str:
    return reverse("assessments:site", args=[site.pk])


@pytest.fixture
def spring(world: World) -> Assessment:
    return factories.make_assessment(world.clinic, world.instrument, round_label="2026 spring")


def _lose_the_race(monkeypatch: pytest.MonkeyPatch, module: Any) -> None:
    """The check before writing finds nothing, as when another request is a moment ahead:
    only the database constraint stands in the way."""
    real = services.assessment_round_taken
    calls = {"n": 0}

    def first_call_misses(**kwargs: Any) -> Assessment | None:
        calls["n"] += 1
        return None if calls["n"] == 1 else real(**kwargs)

    monkeypatch.setattr(module, "assessment_round_taken", first_call_misses)


# --- the rule and the constraint ------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("2026 spring", "2026 spring"),
        ("  2026   Spring ", "2026 spring"),
        ("Straße", "strasse"),
        ("ÄRZTE", "ärzte"),
    ],
)
def test_round_key_ignores_case_and_runs_of_spaces(label, key):
    assert round_key(label) == key


def test_the_database_refuses_a_second_assessment_of_the_same_round(world, spring):
    newer = factories.load_instrument_text(SMALL_1_1)
    with pytest.raises(IntegrityError), transaction.atomic():
        # Another version of the same instrument, the name in other case and spacing.
        factories.make_assessment(world.clinic, newer, round_label="2026  SPRING")


def test_the_same_round_is_allowed_on_another_site_or_for_another_instrument(world, spring):
    factories.make_assessment(world.hospital, world.instrument, round_label="2026 spring")
    other = factories.load_instrument("clinical-ai")
    factories.make_assessment(world.clinic, other, round_label="2026 spring")
    assert Assessment.objects.filter(round_label="2026 spring").count() == 3


def test_saving_keeps_the_copies_in_step(world, spring):
    assert (spring.instrument_slug, spring.round_key) == ("small-test", "2026 spring")
    spring.round_label = "2026  Autumn"
    spring.save(update_fields=["round_label"])
    spring.refresh_from_db()
    assert spring.round_key == "2026 autumn"
    newer = factories.load_instrument_text(SMALL_1_1)
    spring.instrument = newer
    spring.save(update_fields=["instrument"])
    assert Assessment.objects.filter(instrument_slug="small-test", pk=spring.pk).exists()


def test_the_service_names_the_existing_assessment(world, spring):
    with pytest.raises(RoundTaken) as raised:
        assessment_create(
            site=world.clinic,
            instrument=world.instrument,
            round_label="2026 Spring",
            round_date=datetime.date(2026, 3, 1),
            user=world.sam,
        )
    assert raised.value.existing == spring
    assert f"assessment {spring.pk}" in str(raised.value)
    assert Assessment.objects.count() == 1


# --- the site page --------------------------------------------------------------------------


def _create(world: World, label: str, instrument: Any = None) -> Any:
    return _client(world.sam).post(
        _site_url(world.clinic),
        {
            "instrument": (instrument or world.instrument).pk,
            "round_label": label,
            "round_date": "2026-03-01",
        },
    )


def test_the_site_page_refuses_a_round_the_site_has_and_names_it(world, spring):
    newer = factories.load_instrument_text(SMALL_1_1)
    response = _create(world, " 2026 SPRING ", instrument=newer)
    assert response.status_code == 422
    errors = response.context["form"].errors["round_label"]
    assert "This site already has a round with this name" in errors[0]
    assert "“2026 spring” of Small test instrument at Northside Clinic" in errors[0]
    assert f"assessment {spring.pk}" in errors[0]
    assert "2026 spring" in response.content.decode()
    assert Assessment.objects.count() == 1


def test_the_site_page_turns_a_lost_race_into_the_message(world, spring, monkeypatch):
    _lose_the_race(monkeypatch, services)
    response = _create(world, "2026 spring")
    assert response.status_code == 422
    assert f"assessment {spring.pk}" in response.context["form"].errors["round_label"][0]
    assert Assessment.objects.count() == 1
    assert AuditEntry.objects.count() == 0


def test_the_site_page_still_creates_a_new_round(world, spring):
    response = _create(world, "2026 autumn")
    assert response.status_code == 302
    assert Assessment.objects.filter(round_label="2026 autumn", site=world.clinic).exists()


# --- the JSON import ------------------------------------------------------------------------


def _file_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format": FORMAT,
        "instrument": {"slug": "small-test", "version": "1.0"},
        "organisation": "Northside Health",
        "site": "Northside Clinic",
        "round": "2026 spring",
        "status": "draft",
        "targets": {},
        "answers": {"gov.q03": {"value": "2"}},
    }
    data.update(changes)
    return data


def _import(world: World, data: dict[str, Any]) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("a.json", json.dumps(data).encode(), "application/json")
    return _client(world.carla).post(
        reverse("assessments:import-json", args=[world.org.slug]), {"file": upload}
    )


def test_the_import_button_refuses_the_same_file_twice(world):
    first = _import(world, _file_data(round="2026 autumn"))
    assert first.status_code == 302, first.context["form"].errors
    existing = Assessment.objects.get()
    second = _import(world, _file_data(round="2026 autumn"))
    assert second.status_code == 422
    error = second.context["form"].errors["file"][0]
    assert error.startswith("round: This site already has a round with this name")
    assert f"assessment {existing.pk}" in error
    assert 'change "round" in the file' in error
    assert Assessment.objects.count() == 1


def test_the_import_button_turns_a_lost_race_into_the_message(world, spring, monkeypatch):
    monkeypatch.setattr(transfer, "assessment_round_taken", lambda **kwargs: None)
    _lose_the_race(monkeypatch, services)
    response = _import(world, _file_data())
    assert response.status_code == 422
    assert f"assessment {spring.pk}" in response.context["form"].errors["file"][0]
    assert Assessment.objects.count() == 1


def test_a_refused_import_into_a_new_site_leaves_nothing_behind(world, spring, monkeypatch):
    # The race lost after the new site was created: the site goes with the refused import.
    monkeypatch.setattr(transfer, "assessment_round_taken", lambda **kwargs: None)

    def taken(**kwargs: Any) -> Assessment:
        raise RoundTaken(spring, kwargs["round_label"])

    monkeypatch.setattr(transfer, "assessment_create", taken)
    sites = Site.objects.count()
    with pytest.raises(TransferError, match=f"round: .*assessment {spring.pk}"):
        assessment_import(data=_file_data(site="A New Practice"), user=None)
    assert Site.objects.count() == sites


def _command(tmp_path: Path, data: dict[str, Any]) -> list[str]:
    path = tmp_path / "a.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = io.StringIO()
    call_command("import_assessment", str(path), stdout=out)
    return out.getvalue().splitlines()


def test_the_import_command_refuses_a_duplicate_with_one_line(world, spring, tmp_path):
    with pytest.raises(CommandError) as raised:
        _command(tmp_path, _file_data(round="2026 Spring"))
    message = str(raised.value)
    assert raised.value.returncode == 1
    assert "\n" not in message
    assert "round: This site already has a round with this name" in message
    assert f"assessment {spring.pk}" in message
    assert Assessment.objects.count() == 1


def test_the_import_command_turns_a_lost_race_into_the_message(
    world, spring, tmp_path, monkeypatch
):
    monkeypatch.setattr(transfer, "assessment_round_taken", lambda **kwargs: None)
    _lose_the_race(monkeypatch, services)
    with pytest.raises(CommandError, match=f"round: .*assessment {spring.pk}"):
        _command(tmp_path, _file_data())
    assert Assessment.objects.count() == 1


# --- the next round -------------------------------------------------------------------------


@pytest.fixture
def submitted(world: World, spring: Assessment) -> Assessment:
    assessment_submit(assessment=spring, user=world.alice)
    return spring


def _next(world: World, previous: Assessment, label: str) -> Any:
    return _client(world.sam).post(
        reverse("assessments:next-round", args=[previous.pk]),
        {"round_label": label, "round_date": "2026-09-01", "instrument": previous.instrument_id},
    )


def test_the_next_round_form_uses_the_same_rule_and_names_the_round(world, submitted):
    autumn = factories.make_assessment(
        world.clinic, world.instrument, round_label="2026 autumn", status="submitted"
    )
    response = _next(world, submitted, "2026   AUTUMN")
    assert response.status_code == 422
    error = response.context["form"].errors["round_label"][0]
    assert f"assessment {autumn.pk}" in error
    assert Assessment.objects.count() == 2


def test_the_next_round_turns_a_lost_race_into_the_message(world, submitted, monkeypatch):
    # Another person started "2026 autumn" from the site page after this form was checked.
    monkeypatch.setattr(forms, "assessment_round_taken", lambda **kwargs: None)
    autumn = factories.make_assessment(world.clinic, world.instrument, round_label="2026 autumn")
    response = _next(world, submitted, "2026 autumn")
    assert response.status_code == 422
    assert f"assessment {autumn.pk}" in response.context["form"].errors["round_label"][0]
    assert not Assessment.objects.filter(previous=submitted).exists()


# --- the migration --------------------------------------------------------------------------


def test_the_plan_renames_all_but_the_oldest_of_each_round():
    rows = [
        (1, 10, "a", "2026 spring"),
        (2, 10, "a", "2026 Spring"),
        (3, 10, "a", "2026 spring (2)"),  # a name the first rename must skip
        (4, 10, "a", " 2026  spring"),
        (5, 11, "a", "2026 spring"),  # another site
        (6, 10, "b", "2026 spring"),  # another instrument
    ]
    assert MIGRATION.plan_round_renames(rows) == {2: "2026 Spring (3)", 4: "2026  spring (4)"}


def test_the_plan_keeps_renamed_labels_within_the_column():
    long = "x" * 100
    renames = MIGRATION.plan_round_renames([(1, 1, "a", long), (2, 1, "a", long)])
    assert renames == {2: "x" * 96 + " (2)"}


def test_the_plan_leaves_distinct_rounds_alone():
    assert MIGRATION.plan_round_renames([(1, 1, "a", "one"), (2, 1, "a", "two")]) == {}


@pytest.mark.django_db(transaction=True)
def test_the_migration_renames_existing_duplicates_and_audits_them():
    before = [("assessments", "0003_instrument_blocker_below")]
    after = [("assessments", "0004_assessment_unique_round")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        apps = executor.loader.project_state(before).apps
        Organisation = apps.get_model("assessments", "Organisation")
        SiteModel = apps.get_model("assessments", "Site")
        Instrument = apps.get_model("assessments", "Instrument")
        Old = apps.get_model("assessments", "Assessment")
        org = Organisation.objects.create(name="Old Org", slug="old-org")
        site = SiteModel.objects.create(organisation=org, name="Old Clinic")
        v1 = Instrument.objects.create(slug="old", version="1.0", title="Old", content_hash="x")
        v2 = Instrument.objects.create(slug="old", version="2.0", title="Old", content_hash="y")
        date = datetime.date(2026, 3, 1)
        first = Old.objects.create(site=site, instrument=v1, round_label="Spring", round_date=date)
        second = Old.objects.create(site=site, instrument=v2, round_label="spring", round_date=date)
        third = Old.objects.create(site=site, instrument=v1, round_label="Spring", round_date=date)
        other = Old.objects.create(site=site, instrument=v1, round_label="Autumn", round_date=date)

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)
        apps = executor.loader.project_state(after).apps
        New = apps.get_model("assessments", "Assessment")
        Audit = apps.get_model("assessments", "AuditEntry")
        labels = dict(New.objects.values_list("pk", "round_label"))
        assert labels == {
            first.pk: "Spring",
            second.pk: "spring (2)",
            third.pk: "Spring (3)",
            other.pk: "Autumn",
        }
        assert set(New.objects.values_list("instrument_slug", flat=True)) == {"old"}
        assert New.objects.get(pk=third.pk).round_key == "spring (3)"
        audit = {
            a.assessment_id: (a.action, a.old, a.new["round"])
            for a in Audit.objects.filter(action="renamed")
        }
        assert audit == {
            second.pk: ("renamed", {"round": "spring"}, "spring (2)"),
            third.pk: ("renamed", {"round": "Spring"}, "Spring (3)"),
        }
        with pytest.raises(IntegrityError), transaction.atomic():
            New.objects.create(
                site_id=site.pk,
                instrument_id=v1.pk,
                instrument_slug="old",
                round_label="SPRING",
                round_key="spring",
                round_date=date,
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
