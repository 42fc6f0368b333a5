"""reports/comparison/: the comparison table, medians, trends, exports, on a hand-made set."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest

from assessments.models import Assessment, Membership, Site
from assessments.services import AnswerChange, answers_save, assessment_submit
from reports import comparison
from reports.comparison import CompareFilters
from tests import factories
from tests.conftest import World
from tests.reports.compare_data import make_submitted

D = Decimal


def _membership(world: World, user: Any) -> Membership:
    return Membership.objects.get(user=user, organisation=world.org)


def _filters(**kwargs: Any) -> CompareFilters:
    return CompareFilters(slug="small-test", **kwargs)


def test_the_ranking_reads_the_stored_results_of_each_sites_latest_round(golden):
    result = comparison.compare_sites(_membership(golden, golden.alice), _filters())
    assert [r.site for r in result.rows] == ["Northside Clinic", "Northside Hospital"]
    clinic, hospital = result.rows
    assert clinic.round_label == "2026 spring"
    assert clinic.score == D("61.7")
    assert clinic.level == 4
    assert clinic.verdict == "Conditionally ready"
    assert clinic.change == D("21.7")
    assert clinic.previous_score == D("40.0")
    assert clinic.blockers == 0
    assert [(c.key, c.score, c.level) for c in clinic.domains] == [
        ("gov", D("75.0"), 4),
        ("ops", D("55.0"), 3),
    ]
    assert hospital.change is None
    assert hospital.blockers == 1
    assert hospital.provisional is True
    assert hospital.completeness == D("66.7")
    assert result.total_sites == 2


def test_the_median_of_two_scores_is_rounded_half_up_exactly(golden):
    result = comparison.compare_sites(_membership(golden, golden.alice), _filters())
    # (61.7 + 45.0) / 2 = 53.35, which a binary float would round down to 53.3.
    assert result.summary.median_score == D("53.4")
    assert result.summary.sites == 2
    assert result.summary.with_blockers == 1
    assert result.summary.provisional == 1
    assert dict(result.summary.verdicts) == {"Conditionally ready": 1, "Not ready": 1}


def test_the_distribution_gives_five_numbers_per_domain(golden):
    result = comparison.compare_sites(_membership(golden, golden.alice), _filters())
    gov, ops = result.distribution
    assert (gov.count, gov.minimum, gov.median, gov.maximum) == (
        2,
        D("20.0"),
        D("47.5"),
        D("75.0"),
    )
    assert ops.median == D("56.3")  # 56.25 rounded half up
    assert sorted(gov.points) == [
        ("Northside Clinic", D("75.0")),
        ("Northside Hospital", D("20.0")),
    ]


def test_the_trend_has_every_round_in_date_order_and_the_median(golden):
    result = comparison.compare_sites(_membership(golden, golden.alice), _filters())
    assert result.rounds == ["2025 autumn", "2026 spring"]
    assert {s.site: s.scores for s in result.trend} == {
        "Northside Clinic": [D("40.0"), D("61.7")],
        "Northside Hospital": [None, D("45.0")],
    }
    assert result.trend_median == [D("40.0"), D("53.4")]


@pytest.mark.parametrize(
    ("sort", "descending", "expected"),
    [
        ("score", None, ["Northside Clinic", "Northside Hospital"]),
        ("score", False, ["Northside Hospital", "Northside Clinic"]),
        ("name", None, ["Northside Clinic", "Northside Hospital"]),
        ("name", True, ["Northside Hospital", "Northside Clinic"]),
        ("blockers", None, ["Northside Hospital", "Northside Clinic"]),
        # A site without an earlier round sorts last in both directions.
        ("change", None, ["Northside Clinic", "Northside Hospital"]),
        ("change", False, ["Northside Clinic", "Northside Hospital"]),
    ],
)
def test_the_ranking_sorts_by_the_chosen_column_in_either_direction(
    golden, sort, descending, expected
):
    result = comparison.compare_sites(
        _membership(golden, golden.alice), _filters(), sort=sort, descending=descending
    )
    assert [r.site for r in result.rows] == expected


def test_a_round_filter_compares_that_round_and_keeps_the_change_since_the_round_before(golden):
    membership = _membership(golden, golden.alice)
    autumn = comparison.compare_sites(membership, _filters(round_label="2025 autumn"))
    assert [(r.site, r.score, r.change) for r in autumn.rows] == [
        ("Northside Clinic", D("40.0"), None)
    ]
    spring = comparison.compare_sites(membership, _filters(date_from=datetime.date(2026, 1, 1)))
    clinic = next(r for r in spring.rows if r.site == "Northside Clinic")
    assert clinic.change == D("21.7")  # the earlier round is outside the dates, still counts
    assert spring.rounds == ["2026 spring"]


def test_site_kind_and_name_filters_narrow_the_sites(golden):
    membership = _membership(golden, golden.alice)
    by_kind = comparison.compare_sites(membership, _filters(kind=Site.Kind.HOSPITAL))
    assert [r.site for r in by_kind.rows] == ["Northside Hospital"]
    by_id = comparison.compare_sites(membership, _filters(site_ids=(golden.clinic.pk,)))
    assert [r.site for r in by_id.rows] == ["Northside Clinic"]
    by_name = comparison.compare_sites(membership, _filters(name="hosp"))
    assert [r.site for r in by_name.rows] == ["Northside Hospital"]


def test_archived_sites_are_left_out_unless_asked_for(golden):
    golden.hospital.archived = True
    golden.hospital.save()
    membership = _membership(golden, golden.alice)
    assert comparison.compare_sites(membership, _filters()).total_sites == 1
    assert comparison.compare_sites(membership, _filters(include_archived=True)).total_sites == 2


def test_a_site_admin_compares_only_their_own_sites(golden):
    result = comparison.compare_sites(_membership(golden, golden.sam), _filters())
    assert [r.site for r in result.rows] == ["Northside Clinic"]
    assert [s.site for s in result.trend] == ["Northside Clinic"]
    assert all(name == "Northside Clinic" for d in result.distribution for name, _ in d.points)
    headers, rows = comparison.comparison_table(_membership(golden, golden.sam), _filters())
    assert {row[0] for row in rows} == {"Northside Clinic"}


def test_paging_and_focus_move_through_the_ranking(world):
    for n in range(7):
        site = factories.make_site(world.org, f"Site {n:02d}")
        make_submitted(
            site,
            world.instrument,
            "R1",
            datetime.date(2026, 1, 1),
            score=f"{10 * n}.0",
            level=1 + n // 2,
        )
    membership = _membership(world, world.alice)
    first = comparison.compare_sites(membership, _filters(), per_page=25)
    assert first.pages == 1
    result = comparison.compare_sites(membership, _filters(), per_page=25, page=9)
    assert result.page == 1  # clamped
    focus = factories.make_site(world.org, "Focus")
    make_submitted(focus, world.instrument, "R1", datetime.date(2026, 1, 1), score="1.0", level=1)
    for n in range(30):
        site = factories.make_site(world.org, f"More {n:02d}")
        make_submitted(
            site, world.instrument, "R1", datetime.date(2026, 1, 1), score="50.0", level=3
        )
    found = comparison.compare_sites(membership, _filters(), per_page=25, focus=focus.pk)
    assert found.focus_found
    assert found.page == 2
    assert [r.site for r in found.rows if r.focus] == ["Focus"]


def test_the_table_behind_the_page_holds_what_the_page_shows_each_sites_latest_round(golden):
    # Not the clinic's 2025 round as well: the page shows each site's latest round only.
    headers, rows = comparison.comparison_table(_membership(golden, golden.alice), _filters())
    assert headers == [*comparison.EXPORT_HEADERS, "Governance", "Operations"]
    page = comparison.compare_sites(_membership(golden, golden.alice), _filters())
    assert sorted((r[0], r[2]) for r in rows) == sorted((r.site, r.round_label) for r in page.rows)
    assert rows == [
        [
            "Northside Clinic",
            "Clinic",
            "2026 spring",
            datetime.date(2026, 3, 1),
            "Small test instrument",
            "1.0",
            61.7,
            4,
            "Conditionally ready",
            "no",
            100.0,
            0,
            21.7,
            75.0,
            55.0,
        ],
        [
            "Northside Hospital",
            "Hospital",
            "2026 spring",
            datetime.date(2026, 3, 15),
            "Small test instrument",
            "1.0",
            45.0,
            3,
            "Not ready",
            "yes",
            66.7,
            1,
            None,
            20.0,
            57.5,
        ],
    ]


def test_a_round_filter_exports_that_round_of_each_site(golden):
    _, rows = comparison.comparison_table(
        _membership(golden, golden.alice), _filters(round_label="2025 autumn")
    )
    assert [(r[0], r[2]) for r in rows] == [("Northside Clinic", "2025 autumn")]


def test_the_csv_export_is_the_table(golden):
    body = comparison.export_csv(_membership(golden, golden.alice), _filters()).content
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    assert rows[0][:7] == [
        "Site",
        "Kind",
        "Round",
        "Round date",
        "Instrument",
        "Version",
        "Overall score",
    ]
    assert rows[0][-2:] == ["Governance", "Operations"]
    assert rows[1] == [
        "Northside Clinic",
        "Clinic",
        "2026 spring",
        "2026-03-01",
        "Small test instrument",
        "1.0",
        "61.7",
        "4",
        "Conditionally ready",
        "no",
        "100.0",
        "0",
        "21.7",
        "75.0",
        "55.0",
    ]
    assert rows[2][12] == ""  # no change without an earlier round
    assert len(rows) == 3
    assert "Other Clinic" not in body.decode()


def test_the_excel_export_has_scores_and_the_filters_used(golden):
    now = datetime.datetime(2026, 4, 2, 9, 30, tzinfo=datetime.UTC)
    body = comparison.export_xlsx(
        _membership(golden, golden.alice),
        _filters(round_label="2026 spring"),
        user=golden.alice,
        now=now,
    ).content
    book = openpyxl.load_workbook(io.BytesIO(body))
    assert book.sheetnames == ["Scores", "Filters"]
    scores = [[c.value for c in row] for row in book["Scores"].iter_rows()]
    assert scores[0][0] == "Site"
    assert [r[0] for r in scores[1:]] == ["Northside Clinic", "Northside Hospital"]
    assert scores[1][6] == 61.7
    assert scores[2][-2:] == [20.0, 57.5]
    filters = {row[0].value: row[1].value for row in book["Filters"].iter_rows(min_row=2)}
    assert filters["Organisation"] == "Northside Health"
    assert filters["Round"] == "2026 spring"
    assert filters["Exported by"] == "Alice Admin"
    assert filters["Exported at"].startswith("2026-04-02 09:30")
    assert filters["Rows"] == "2"
    assert filters["Instrument"] == "Small test instrument"
    # Wide enough for the longest site name.
    assert book["Scores"].column_dimensions["A"].width >= len("Northside Hospital")


def test_text_that_a_spreadsheet_would_run_is_neutralised(world):
    site = factories.make_site(world.org, '=HYPERLINK("http://evil","x")')
    make_submitted(
        site,
        world.instrument,
        "+cmd|' /C calc'!A0",
        datetime.date(2026, 1, 1),
        score="10.0",
        level=1,
        verdict="@SUM(1)",
    )
    membership = _membership(world, world.alice)
    body = comparison.export_csv(membership, _filters()).content.decode()
    row = next(csv.reader(io.StringIO(body.splitlines()[1])))
    assert row[0] == '\'=HYPERLINK("http://evil","x")'
    assert row[2] == "'+cmd|' /C calc'!A0"
    assert row[8] == "'@SUM(1)"
    book = openpyxl.load_workbook(
        io.BytesIO(comparison.export_xlsx(membership, _filters(), user=world.alice).content)
    )
    cell = book["Scores"]["A2"]
    assert cell.value == '\'=HYPERLINK("http://evil","x")'
    assert cell.data_type == "s"  # text, not a formula


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@x", "\tx", "\rx"])
def test_neutralise_prefixes_formula_starts(value):
    assert comparison.neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Clinic", "", 12.5, -3.0, None, "a=b"])
def test_neutralise_leaves_other_values_alone(value):
    assert comparison.neutralise(value) == value


def test_queries_do_not_grow_with_sites_and_rounds(world, django_assert_max_num_queries):
    def add_sites(count: int) -> None:
        for n in range(count):
            site = factories.make_site(world.org, f"Bulk {Site.objects.count()} {n}")
            for r, date in enumerate((datetime.date(2025, 10, 1), datetime.date(2026, 3, 1))):
                make_submitted(
                    site,
                    world.instrument,
                    f"R{r}",
                    date,
                    score="50.0",
                    level=3,
                    domains={"gov": ("50.0", 3, []), "ops": ("40.0", 3, ["ops.q01"])},
                )

    membership = _membership(world, world.alice)
    add_sites(3)
    # compare_sites: 4 queries, one of them for the sites on another instrument.
    with django_assert_max_num_queries(11) as small:
        comparison.compare_options(membership)
        comparison.round_labels(membership, "small-test")
        comparison.compare_sites(membership, _filters())
        comparison.comparison_table(membership, _filters())
    add_sites(27)
    with django_assert_max_num_queries(len(small.captured_queries)):
        comparison.compare_options(membership)
        comparison.round_labels(membership, "small-test")
        result = comparison.compare_sites(membership, _filters())
        comparison.comparison_table(membership, _filters())
    assert result.total_sites == 30


def test_results_come_from_submission_not_from_rescoring(world):
    """Through the services: the stored results after submit are what the table shows."""
    assessment = factories.make_assessment(world.clinic, world.instrument)
    answers_save(
        assessment=assessment,
        user=world.sam,
        changes=[
            AnswerChange(key="gov.q01", value="no"),
            AnswerChange(key="gov.q03", value="3"),
            AnswerChange(key="ops.q01", value="all"),
            AnswerChange(key="ops.q02", value="2"),
        ],
    )
    submitted = assessment_submit(assessment=assessment, user=world.sam)
    result = comparison.compare_sites(_membership(world, world.alice), _filters())
    (row,) = result.rows
    assert row.score == submitted.overall_score
    assert [c.score for c in row.domains] == [d.score for d in submitted.domains]
    # Changing the stored result changes the table: it is read, never recomputed.
    Assessment.objects.filter(pk=assessment.pk).update(result_score=D("12.3"))
    rescored = comparison.compare_sites(_membership(world, world.alice), _filters())
    assert rescored.rows[0].score == D("12.3")


def test_versions_are_offered_separately_when_there_are_several(golden):
    factories.load_instrument_text(
        factories.SMALL_INSTRUMENT.replace('version: "1.0"', 'version: "1.1"')
    )
    from assessments.models import Instrument

    newer = Instrument.objects.get(slug="small-test", version="1.1")
    make_submitted(
        golden.hospital,
        newer,
        # Not "2026 autumn": the hospital has that round of this instrument as a draft.
        "2026 summer",
        datetime.date(2026, 9, 1),
        score="70.0",
        level=4,
        domains={"gov": ("70.0", 4, [])},
    )
    options = comparison.compare_options(_membership(golden, golden.alice))
    assert [c.value for c in options.instruments] == [
        "small-test",
        "small-test@1.0",
        "small-test@1.1",
    ]
    assert options.default_value == "small-test"
    only_new = comparison.compare_sites(_membership(golden, golden.alice), _filters(version="1.1"))
    assert [r.site for r in only_new.rows] == ["Northside Hospital"]
    assert only_new.rows[0].change == D("25.0")  # since 45.0 in version 1.0


def test_version_key_orders_numerically():
    assert sorted(["1.10", "1.9", "1.0", "2.0"], key=comparison.version_key) == [
        "1.0",
        "1.9",
        "1.10",
        "2.0",
    ]


def test_a_site_stands_against_the_organisation_median(golden):
    third = factories.make_site(golden.org, "Northside Practice")
    make_submitted(
        third,
        golden.instrument,
        "2026 spring",
        datetime.date(2026, 3, 2),
        score="80.0",
        level=5,
        domains={"gov": ("90.0", 5, []), "ops": ("70.0", 4, [])},
    )
    standing = comparison.site_standing(
        site=golden.clinic, membership=_membership(golden, golden.alice)
    )
    assert standing is not None
    assert standing.round_label == "2026 spring"
    assert standing.sites == 3
    assert standing.shown
    assert standing.overall == D("61.7")
    assert standing.overall_median == D("61.7")  # 45.0, 61.7, 80.0
    gov, ops = standing.domains
    assert (gov.score, gov.median, gov.difference) == (D("75.0"), D("75.0"), D("0.0"))
    assert (ops.score, ops.median, ops.difference) == (D("55.0"), D("57.5"), D("-2.5"))


def test_a_site_admin_sees_the_median_only_when_enough_sites_make_it_up(golden):
    membership = _membership(golden, golden.sam)
    standing = comparison.site_standing(site=golden.clinic, membership=membership)
    assert standing is not None
    assert not standing.shown
    for n in range(3):
        site = factories.make_site(golden.org, f"Peer {n}")
        make_submitted(
            site,
            golden.instrument,
            "2026 spring",
            datetime.date(2026, 3, 2),
            score="50.0",
            level=3,
            domains={"gov": ("50.0", 3, [])},
        )
    standing = comparison.site_standing(site=golden.clinic, membership=membership)
    assert standing is not None
    assert standing.shown
    assert standing.sites == 5


def test_a_site_without_a_submitted_assessment_has_no_standing(world):
    factories.make_assessment(world.clinic, world.instrument)
    membership = _membership(world, world.alice)
    assert comparison.site_standing(site=world.clinic, membership=membership) is None


def test_site_standing_queries_are_constant(golden, django_assert_max_num_queries):
    membership = _membership(golden, golden.alice)
    with django_assert_max_num_queries(3) as small:
        comparison.site_standing(site=golden.clinic, membership=membership)
    for n in range(20):
        site = factories.make_site(golden.org, f"Peer {n}")
        make_submitted(
            site,
            golden.instrument,
            "2026 spring",
            datetime.date(2026, 3, 2),
            score="50.0",
            level=3,
            domains={"gov": ("50.0", 3, [])},
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        comparison.site_standing(site=golden.clinic, membership=membership)
