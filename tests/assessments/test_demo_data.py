"""The demo file: read into dataclasses, and a mistake in it names the key that is wrong."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from assessments.demo.data import DEMO_FILE, DemoDataError, load_demo


def _write_changed(tmp_path: Path, change) -> Path:
    raw = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def test_the_shipped_file_reads_into_the_demo_the_stories_need() -> None:
    demo = load_demo()
    assert [r.label for r in demo.rounds] == ["2025 autumn", "2026 spring"]
    assert demo.rounds[0].date == datetime.date(2025, 10, 15)
    assert [r.version for r in demo.rounds] == ["1.0", "1.1"]
    hospital = demo.sites[0]
    assert hospital.name == "Riverbend General Hospital"
    assert hospital.rounds["2026 spring"].targets == {"ethics": Decimal(80), "reliability": 75}
    fixed = hospital.rounds["2025 autumn"].answers["ethics.q02a"]
    assert (fixed.value, fixed.evidence[:10]) == ("yes", "BAA signed")
    maple = next(s for s in demo.sites if s.name == "Maple Street Family Practice")
    correction = maple.rounds["2026 spring"].correction
    assert correction is not None
    assert (correction.key, correction.value) == ("training.q01", "3")
    assert [login.staff for login in demo.logins] == [True, False, False, False]


def test_a_bare_yes_is_refused_with_the_key_that_holds_it(tmp_path: Path) -> None:
    def change(raw):
        raw["sites"][0]["rounds"]["2025 autumn"]["answers"]["ethics.q02a"]["value"] = True

    with pytest.raises(DemoDataError) as error:
        load_demo(_write_changed(tmp_path, change))
    assert str(error.value) == (
        "demo.yaml: sites[0].rounds.2025 autumn.answers.ethics.q02a.value: "
        "must be a non-empty text (quote yes, no and numbers)"
    )


def test_an_unknown_key_is_named(tmp_path: Path) -> None:
    def change(raw):
        raw["sites"][1]["strenght"] = 0.5

    with pytest.raises(DemoDataError, match=r"sites\[1\]\.strenght: unknown key$"):
        load_demo(_write_changed(tmp_path, change))


def test_a_site_without_a_round_is_refused(tmp_path: Path) -> None:
    def change(raw):
        del raw["sites"][2]["rounds"]["2026 spring"]

    with pytest.raises(DemoDataError, match=r"sites\[2\]\.rounds\.2026 spring: missing$"):
        load_demo(_write_changed(tmp_path, change))


def test_a_person_who_is_not_in_the_file_is_refused(tmp_path: Path) -> None:
    def change(raw):
        raw["memberships"][0]["user"] = "nobody@example.org"

    with pytest.raises(
        DemoDataError,
        match=r"memberships\[0\]\.user: nobody@example\.org is not among the logins or colleagues",
    ):
        load_demo(_write_changed(tmp_path, change))


def test_a_draft_must_say_how_far_it_got(tmp_path: Path) -> None:
    def change(raw):
        del raw["sites"][1]["rounds"]["2026 spring"]["domains_done"]

    with pytest.raises(DemoDataError, match=r"2026 spring\.domains_done: missing"):
        load_demo(_write_changed(tmp_path, change))


def test_a_strength_outside_zero_to_one_is_refused(tmp_path: Path) -> None:
    def change(raw):
        raw["sites"][0]["rounds"]["2025 autumn"]["strength"] = 7

    with pytest.raises(DemoDataError, match=r"strength: must be between 0 and 1$"):
        load_demo(_write_changed(tmp_path, change))


def test_a_file_that_is_not_yaml_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("sites: [unclosed", encoding="utf-8")
    with pytest.raises(DemoDataError, match=r"^broken\.yaml: cannot be read"):
        load_demo(path)


def test_the_independent_round_reads_and_a_stray_disagreement_is_named(tmp_path: Path) -> None:
    northgate = next(s for s in load_demo().sites if s.name == "Northgate Urgent Care")
    plan = northgate.rounds["2026 spring"].independent
    assert plan is not None
    assert plan.coordinator == "admin@riverbend.example"
    assert set(plan.respondents_of("ethics")) == {
        "tom.alvarez@riverbend.example",
        "viewer@riverbend.example",
    }
    assert plan.disagreements["ethics.q02a"].value == "yes"

    def change(raw):
        site = next(s for s in raw["sites"] if s["name"] == "Northgate Urgent Care")
        site["rounds"]["2026 spring"]["independent"]["disagreements"]["training.q01"][
            "respondent"
        ] = "viewer@riverbend.example"

    with pytest.raises(DemoDataError) as error:
        load_demo(_write_changed(tmp_path, change))
    assert str(error.value).endswith(
        "independent.disagreements.training.q01.respondent: "
        "viewer@riverbend.example does not answer this domain"
    )
