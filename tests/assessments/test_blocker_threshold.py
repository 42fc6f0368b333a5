"""The instrument's blocker threshold (`blocker_below`): file format, scoring and every text stating it.

PRODUCT.md, "Critical items": a counted critical item with s_i < b is a blocker, b from the
instrument (default 0.5; 0 < b <= 1, at most two decimals, read exactly).
"""

from __future__ import annotations

import html
import io
import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.template.loader import render_to_string

from assessments.instrument_reader import parse_instrument, read_instrument
from assessments.instruments import INSTRUMENTS_DIR, InstrumentError, content_hash
from assessments.models import Assessment
from assessments.scoring import (
    DomainSpec,
    InstrumentSpec,
    OptionSpec,
    QuestionSpec,
    score_assessment,
)
from reports import gaps
from reports.report import build_report, report_context
from tests import factories
from tests.reports.conftest import give_answers

# The golden instrument of issue 9: b = 0.75 and one domain of four items.
GOLDEN = """\
slug: golden-threshold
version: "1.0"
title: Golden threshold instrument
blocker_below: 0.75
domains:
  - key: safe
    title: Safeguards
    questions:
      - key: safe.q01
        type: scale
        critical: true
        text: Is AI output reviewed by a clinician before it is used?
        recommendation: Require clinician review of AI output.
        references: ["NIST AI RMF MANAGE 1.3"]
      - key: safe.q02
        type: scale
        text: Is there an AI register?
        recommendation: Keep an AI register.
      - key: safe.q03
        type: scale
        critical: true
        text: Are AI incidents reported?
        recommendation: Report AI incidents.
      - key: safe.q04
        type: yes_no
        critical: true
        text: Is a BAA signed with every AI vendor that receives patient data?
        recommendation: Sign a BAA before patient data reaches the vendor.
"""
GOLDEN_ANSWERS = {"safe.q01": "2", "safe.q02": "4", "safe.q03": "3", "safe.q04": "yes"}

# The shipped 1.0 files were loaded before `blocker_below` existed; their hashes must not move,
# or `load_instruments` would refuse them as "changed" on every existing database.
HASHES_1_0 = {
    "clinical-ai-1.0.yaml": "b2ab27aa556fe1c9a6e83c108a68c4722a48e6c79a6f4c13dc45377706fcbaf5",
    "mental-health-ai-1.0.yaml": "7a56be172de9520296374217f41e4afc70afcd4fad350afa72817cdd6b7c4186",
}


def _with_threshold(value: str) -> str:
    return GOLDEN.replace("blocker_below: 0.75", f"blocker_below: {value}")


def _problems(text: str) -> str:
    with pytest.raises(InstrumentError) as excinfo:
        parse_instrument(text, name="golden.yaml")
    return str(excinfo.value)


# --- the file format ------------------------------------------------------------------------


def test_the_threshold_is_read_exactly() -> None:
    definition = parse_instrument(GOLDEN, name="golden.yaml")
    assert definition.blocker_below == Decimal("0.75")


def test_without_the_key_the_threshold_is_one_half() -> None:
    text = GOLDEN.replace("blocker_below: 0.75\n", "")
    assert parse_instrument(text, name="golden.yaml").blocker_below == Decimal("0.5")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("0", "must be a number greater than 0 and at most 1 (for example 0.75), not 0"),
        ("1.5", "must be a number greater than 0 and at most 1 (for example 0.75), not 1.5"),
        ("-0.25", "must be a number greater than 0 and at most 1 (for example 0.75), not -0.25"),
        ('"abc"', 'must be a number greater than 0 and at most 1 (for example 0.75), not "abc"'),
        ("true", "must be a number greater than 0 and at most 1 (for example 0.75), not true"),
        ("0.333", "may have at most two decimals, not 0.333"),
    ],
)
def test_a_bad_threshold_is_refused_naming_file_and_key(value: str, reason: str) -> None:
    assert _problems(_with_threshold(value)) == f"golden.yaml: blocker_below: {reason}"


def test_a_threshold_of_one_is_allowed() -> None:
    assert parse_instrument(_with_threshold("1"), name="golden.yaml").blocker_below == 1


@pytest.mark.parametrize("name", sorted(HASHES_1_0))
def test_the_hash_of_a_1_0_file_is_unchanged_by_the_new_key(name: str) -> None:
    assert content_hash(read_instrument(INSTRUMENTS_DIR / name)) == HASHES_1_0[name]


def test_the_threshold_is_part_of_the_content_hash() -> None:
    at_075 = content_hash(parse_instrument(GOLDEN, name="golden.yaml"))
    at_080 = content_hash(parse_instrument(_with_threshold("0.8"), name="golden.yaml"))
    written_default = content_hash(parse_instrument(_with_threshold("0.50"), name="golden.yaml"))
    absent = content_hash(parse_instrument(GOLDEN.replace("blocker_below: 0.75\n", ""), name="g"))
    assert at_075 != at_080
    assert written_default == absent


# --- scoring --------------------------------------------------------------------------------


def _golden_spec(blocker_below: Fraction) -> InstrumentSpec:
    scale = tuple(OptionSpec(str(n), Fraction(n)) for n in range(5))
    yes_no = (OptionSpec("yes", Fraction(1)), OptionSpec("no", Fraction(0)))
    return InstrumentSpec(
        domains=(DomainSpec("safe"),),
        questions=(
            QuestionSpec("safe.q01", "safe", "scale", critical=True, options=scale),
            QuestionSpec("safe.q02", "safe", "scale", options=scale),
            QuestionSpec("safe.q03", "safe", "scale", critical=True, options=scale),
            QuestionSpec("safe.q04", "safe", "yes_no", critical=True, options=yes_no),
        ),
        blocker_below=blocker_below,
    )


def test_golden_at_three_quarters_partially_in_place_blocks_and_caps_the_level() -> None:
    # (0.5 + 1 + 0.75 + 1) / 4 = 81.25 -> 81.3, level 5 by score, capped at 2 by safe.q01.
    result = score_assessment(_golden_spec(Fraction(3, 4)), GOLDEN_ANSWERS)
    domain = result.domain("safe")
    assert domain.score == Decimal("81.3")
    assert domain.blockers == ("safe.q01",)
    assert domain.level == 2
    assert domain.capped
    assert result.verdict == "Not ready"
    assert result.blockers == ("safe.q01",)
    assert [item.question for item in result.action_plan if item.blocker] == ["safe.q01"]


def test_golden_at_the_default_half_nothing_blocks() -> None:
    result = score_assessment(_golden_spec(Fraction(1, 2)), GOLDEN_ANSWERS)
    assert result.domain("safe").blockers == ()
    assert (result.domain("safe").level, result.verdict) == (5, "Ready")


def test_a_critical_no_blocks_whatever_the_threshold() -> None:
    answers = {**GOLDEN_ANSWERS, "safe.q01": "4", "safe.q04": "no"}
    for threshold in (Fraction(1, 100), Fraction(1, 2), Fraction(3, 4)):
        assert score_assessment(_golden_spec(threshold), answers).blockers == ("safe.q04",)


def test_at_a_threshold_of_one_only_the_top_answer_clears_a_critical_item() -> None:
    answers = {**GOLDEN_ANSWERS, "safe.q01": "4"}
    assert score_assessment(_golden_spec(Fraction(1)), answers).blockers == ("safe.q03",)


# --- through the database and the report ----------------------------------------------------


@pytest.fixture
def golden(db) -> Assessment:
    instrument = factories.load_instrument_text(GOLDEN, name="golden-threshold-1.0.yaml")
    site = factories.make_site(factories.make_organisation("Golden Health"), "Golden Clinic")
    assessment = factories.make_assessment(site, instrument)
    give_answers(assessment, GOLDEN_ANSWERS)
    return Assessment.objects.with_context().get(pk=assessment.pk)


def test_the_loaded_instrument_keeps_its_threshold(golden: Assessment) -> None:
    assert golden.instrument.blocker_below == Decimal("0.75")
    assert golden.instrument.spec().blocker_below == Fraction(3, 4)


def test_the_golden_assessment_scores_through_the_database(golden: Assessment) -> None:
    result = golden.compute_results()
    assert result.domain("safe").score == Decimal("81.3")
    assert (result.blockers, result.domain("safe").level, result.verdict) == (
        ("safe.q01",),
        2,
        "Not ready",
    )


def test_every_text_of_the_report_states_the_instruments_threshold(golden: Assessment) -> None:
    report = build_report(golden, charts_mode="none")
    assert report.blocker_below == Fraction(3, 4)
    assert "1 critical safeguard scores below three quarters of the top answer" in (
        report.verdict_reason
    )
    gap_chart = next(chart for chart in report.charts if chart.id == "chart-gaps")
    assert "below three quarters of its top answer" in gap_chart.caption
    assert "scores at least three quarters of its top option" in report.coverage_rule
    body = render_to_string("reports/_report_body.html", report_context(report, pdf=False))
    page = html.unescape(re.sub(r"<[^>]+>", "", body))
    assert "Blockers: critical safeguards scoring below three quarters of the top answer" in page
    assert "with s below 0.75 (three quarters of its top answer" in page
    assert "“Partially in place” (2 of 4) blocks and “Largely in place” (3 of 4) does not" in page
    assert "below 0.5" not in page
    assert "below half" not in page


def test_the_crosswalk_counts_a_reference_as_a_gap_below_the_threshold(golden: Assessment) -> None:
    report = build_report(golden, charts_mode="none")
    nist = next(f for f in report.crosswalk if f.framework.key == "nist")
    # safe.q01 scores 2 of 4 = 0.5: covered at the default half, a gap at three quarters.
    assert [row.reference.status for row in nist.rows] == [gaps.GAP]


# --- numbers too long to be meant (issue 12, finding 4) ---------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "slug: a\nversion: 0x" + "f" * 4000 + "\ntitle: x\n",
            "huge.yaml: line 2: invalid YAML at line 2, column 10: the number given for "
            "'version' has 4,002 characters; numbers in instrument files have at most 30",
        ),
        (
            GOLDEN.replace(
                "    title: Safeguards\n", "    title: Safeguards\n    weight: " + "9" * 5000 + "\n"
            ),
            "huge.yaml: line 8: invalid YAML at line 8, column 13: the number given for "
            "'weight' has 5,000 characters; numbers in instrument files have at most 30",
        ),
        (
            GOLDEN.replace(
                'references: ["NIST AI RMF MANAGE 1.3"]', "references: [1" + "0" * 60 + "]"
            ),
            "huge.yaml: line 14: invalid YAML at line 14, column 22: a number of 61 characters; "
            "numbers in instrument files have at most 30",
        ),
    ],
)
def test_a_huge_number_is_refused_naming_key_and_line(text: str, expected: str) -> None:
    with pytest.raises(InstrumentError) as excinfo:
        parse_instrument(text, name="huge.yaml")
    assert str(excinfo.value) == expected


def test_a_score_too_big_is_refused() -> None:
    text = GOLDEN.replace(
        "        type: yes_no\n",
        "        type: choice\n        options:\n"
        "          - {value: a, label: A, score: 0}\n"
        "          - {value: b, label: B, score: 1.0e+300}\n",
    )
    assert "score must be below 100000, not 1e+300" in _problems(text)


@pytest.mark.django_db
def test_load_instruments_reports_a_huge_number_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "huge-1.0.yaml"
    path.write_text(_with_threshold("0x" + "f" * 4000), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("load_instruments", str(path), stdout=io.StringIO(), stderr=err)
    assert excinfo.value.returncode == 1
    assert "huge-1.0.yaml: line 4:" in err.getvalue()
    assert "'blocker_below' has 4,002 characters" in err.getvalue()
