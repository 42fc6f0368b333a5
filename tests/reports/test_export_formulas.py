"""No text that a user typed or uploaded runs as a formula in the comparison exports.

Each route by which text reaches the exports is walked through the app itself: a round named
by a site admin, a site renamed by an org admin, the `round` of an assessment file imported by
a consultant and a domain title from an uploaded instrument file. The produced workbook is
opened with openpyxl (no cell may be a formula) and the CSV is parsed (no field may start like
one, even after the control characters a spreadsheet program ignores).
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from assessments.models import Assessment, Instrument
from assessments.services import AnswerChange, answers_save, assessment_submit
from assessments.transfer_export import export_assessment
from reports import comparison
from tests import factories
from tests.conftest import World
from tests.reports.compare_data import make_submitted

# A control character first: the old code looked for "=" at the start before stripping it.
PAYLOADS = [
    '\x01=HYPERLINK("http://attacker.example/","Open")',
    "\x1f\x02+1+cmd|' /C calc'!A0",
    "\x0b-2+3",
    "\x08@SUM(1+1)",
    "=1+1",
    "\t=1+1",
]
PAYLOAD = PAYLOADS[0]
STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _submit(assessment: Assessment, user: Any) -> None:
    answers_save(
        assessment=assessment,
        user=user,
        changes=[
            AnswerChange(key="gov.q01", value="yes"),
            AnswerChange(key="ops.q01", value="all"),
        ],
    )
    assessment_submit(assessment=assessment, user=user)


def _exports(world: World, **params: str) -> tuple[openpyxl.Workbook, list[list[str]]]:
    client = _client(world.alice)
    slug = world.org.slug
    xlsx = client.get(reverse("reports:compare-xlsx", args=[slug]), params)
    assert xlsx.status_code == 200, xlsx
    text = client.get(reverse("reports:compare-csv", args=[slug]), params)
    assert text.status_code == 200, text
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    rows = list(csv.reader(io.StringIO(text.content.decode("utf-8"), newline="")))
    return workbook, rows


def _assert_inert(workbook: openpyxl.Workbook, rows: list[list[str]], marker: str) -> None:
    """No formula anywhere, and the payload is still there as plain, quoted text."""
    seen_xlsx = seen_csv = False
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(STARTS), (cell.coordinate, cell.value)
                    seen_xlsx |= marker in cell.value and cell.value.startswith("'")
    for row in rows:
        for value in row:
            assert not CONTROL.search(value), value
            assert not value.startswith(STARTS), value
            seen_csv |= marker in value and value.startswith("'")
    assert seen_xlsx, "the text is missing from the workbook"
    assert seen_csv, "the text is missing from the CSV"


@pytest.mark.parametrize("value", PAYLOADS)
def test_neutralise_strips_control_characters_before_looking_for_a_formula(value):
    cleaned = comparison.neutralise(value)
    assert not CONTROL.search(cleaned)
    assert cleaned.startswith("'")


@pytest.mark.parametrize("value", ["Northside Clinic", "2026 spring", "'quoted", "a=b", ""])
def test_neutralise_leaves_ordinary_text_alone(value):
    assert comparison.neutralise(value) == value


@pytest.mark.django_db
def test_a_round_named_by_a_site_admin_is_text_in_both_exports(world):
    response = _client(world.sam).post(
        reverse("assessments:site", args=[world.clinic.pk]),
        {"instrument": world.instrument.pk, "round_label": PAYLOAD, "round_date": "2026-03-01"},
    )
    assert response.status_code == 302
    assessment = Assessment.objects.get(site=world.clinic, round_label__contains="HYPERLINK")
    _submit(assessment, world.sam)
    _assert_inert(*_exports(world), marker="HYPERLINK")


@pytest.mark.django_db
def test_a_site_named_by_an_org_admin_is_text_in_both_exports(world):
    response = _client(world.alice).post(
        reverse("assessments:edit-site", args=[world.org.slug, world.clinic.pk]),
        {"name": PAYLOAD, "kind": world.clinic.kind},
    )
    assert response.status_code == 302
    _submit(factories.make_assessment(world.clinic, world.instrument), world.sam)
    _assert_inert(*_exports(world), marker="HYPERLINK")


@pytest.mark.django_db
def test_the_round_of_a_file_imported_by_a_consultant_is_text_in_both_exports(world):
    original = factories.make_assessment(world.clinic, world.instrument)
    _submit(original, world.sam)
    data = export_assessment(original)
    data["round"] = PAYLOAD
    response = _client(world.carla).post(
        reverse("assessments:import-json", args=[world.org.slug]),
        {"file": SimpleUploadedFile("a.json", json.dumps(data).encode(), "application/json")},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    # Only the imported round is compared, so the payload is on the Scores sheet too.
    _assert_inert(*_exports(world, round=PAYLOAD), marker="HYPERLINK")


@pytest.mark.django_db
def test_a_domain_title_from_an_uploaded_instrument_is_text_in_both_exports(world):
    text = factories.SMALL_INSTRUMENT.replace("slug: small-test", "slug: northside-own").replace(
        "title: Governance", 'title: "\\x01=HYPERLINK(\\"http://attacker.example/\\",\\"Open\\")"'
    )
    response = _client(world.alice).post(
        reverse("assessments:instruments", args=[world.org.slug]),
        {"file": SimpleUploadedFile("own.yaml", text.encode(), "application/x-yaml")},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    instrument = Instrument.objects.get(slug="northside-own")
    assert instrument.domains.get(key="gov").title.startswith("\x01=")
    make_submitted(
        world.clinic,
        instrument,
        "2026 spring",
        datetime.date(2026, 3, 1),
        score="50.0",
        level=3,
        domains={"gov": ("50.0", 3, []), "ops": ("50.0", 3, [])},
    )
    _assert_inert(*_exports(world, instrument="northside-own"), marker="HYPERLINK")


@pytest.mark.django_db
def test_a_site_name_filter_is_text_on_the_filters_sheet(world):
    _submit(factories.make_assessment(world.clinic, world.instrument), world.sam)
    workbook, _ = _exports(world, name="\x01=HYPERLINK(1)")
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
