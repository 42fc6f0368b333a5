from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from io import StringIO
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Assessment, Instrument, Organisation, Site
from assessments.services import AnswerChange, answers_save, assessment_submit
from benchmark import services
from benchmark.models import Participation, ParticipationEvent, Snapshot
from benchmark.publishing import benchmark_refresh, published_snapshot
from tests import factories
from tests.benchmark.conftest import Submit

pytestmark = pytest.mark.django_db

WITHHELD = "withheld for privacy"


def _observed(instrument: Instrument) -> dict[str, Any]:
    """Everything an attacker can read: the published snapshot of every view."""
    seen: dict[str, Any] = {}
    for kind in ["", *Site.Kind.values]:
        snapshot = published_snapshot(instrument.pk, kind)
        seen[kind] = (
            None if snapshot is None else (snapshot.figures, snapshot.sites, snapshot.organisations)
        )
    return seen


def test_the_benchmark_is_published_from_five_organisations_and_ten_sites(
    network: Callable[..., list[Organisation]], small_instrument: Instrument
) -> None:
    network(5, sites=2)
    benchmark_refresh()
    snapshot = published_snapshot(small_instrument.pk)
    assert snapshot is not None
    assert not snapshot.withheld
    assert (snapshot.organisations, snapshot.sites) == (5, 10)
    # Scores 30..61: overall median of 30,33,37,40,...,58,61 (interpolated, rounded).
    assert snapshot.figures["overall"]["median"] == 46
    assert [row["key"] for row in snapshot.figures["domains"]] == ["gov", "ops"]


def test_four_organisations_are_withheld_whatever_their_sites(
    network: Callable[..., list[Organisation]], small_instrument: Instrument
) -> None:
    network(4, sites=5)
    network(1, sites=3, prefix="Out", opted_in=False)
    benchmark_refresh()
    snapshot = published_snapshot(small_instrument.pk)
    assert snapshot is not None
    assert snapshot.withheld
    assert (snapshot.figures, snapshot.sites, snapshot.organisations) == ({}, 0, 0)


def test_nine_sites_are_withheld(
    network: Callable[..., list[Organisation]], small_instrument: Instrument
) -> None:
    network(9, sites=1)
    benchmark_refresh()
    assert published_snapshot(small_instrument.pk).withheld  # type: ignore[union-attr]


def test_only_the_latest_submitted_assessment_of_a_site_counts(
    network: Callable[..., list[Organisation]], submit: Submit, small_instrument: Instrument
) -> None:
    network(5, sites=2)
    site = Site.objects.get(name="Peer 0 site 0")
    submit(site, 99, gov=99, ops=99)
    factories.make_assessment(site, small_instrument, round_label="draft round")
    benchmark_refresh()
    snapshot = published_snapshot(small_instrument.pk)
    assert snapshot is not None
    assert snapshot.sites == 10


def test_results_report_and_comparison_show_figures_or_the_withheld_message(
    network: Callable[..., list[Organisation]], world: Any, submit: Submit, client: Client
) -> None:
    assessment = submit(world.clinic, 55, gov=50, ops=60)
    client.force_login(world.alice)
    results = reverse("reports:results", args=[assessment.pk])
    page = client.get(results).content.decode()
    assert WITHHELD in page, page
    network(6, sites=2)
    benchmark_refresh()
    for url in (results, reverse("reports:gap-report", args=[assessment.pk])):
        page = client.get(url).content.decode()
        assert "Benchmark across organisations" in page
        assert WITHHELD not in page
        # Never a name of another organisation.
        assert "Peer " not in page
    compare = reverse("reports:compare", args=[world.org.slug])
    page = client.get(compare, {"instrument": world.instrument.slug}).content.decode()
    assert "Benchmark across organisations" in page
    assert WITHHELD not in page
    # Hospitals: one site of one organisation, never shown.
    submit(world.hospital, 70, gov=70, ops=70)
    page = client.get(
        compare, {"instrument": world.instrument.slug, "kind": "hospital"}
    ).content.decode()
    assert WITHHELD in page


def test_results_and_report_put_the_sites_own_scores_beside_the_median(
    network: Callable[..., list[Organisation]], world: Any, client: Client
) -> None:
    assessment = factories.make_assessment(world.clinic, world.instrument)
    answers_save(
        assessment=assessment,
        user=world.alice,
        changes=[
            AnswerChange(key="gov.q01", value="yes"),
            AnswerChange(key="gov.q02", value="no"),
            AnswerChange(key="gov.q03", value="3"),
            AnswerChange(key="ops.q01", value="all"),
            AnswerChange(key="ops.q02", value="1"),
        ],
    )
    assessment_submit(assessment=assessment, user=world.alice)
    assessment.refresh_from_db()
    mine = {r.domain_key: r.score for r in assessment.domain_results.all()}
    expected = {
        "Governance": mine["gov"],
        "Operations": mine["ops"],
        "Overall": assessment.result_score,
    }
    assert len(set(expected.values())) == 3  # three different figures, each in its own row
    network(6, sites=2)
    benchmark_refresh()
    client.force_login(world.alice)
    for url in (
        reverse("reports:results", args=[assessment.pk]),
        reverse("reports:gap-report", args=[assessment.pk]),
    ):
        page = client.get(url).content.decode()
        table = page[page.index('class="table table-sm align-middle benchmark-table"') :]
        table = " ".join(table[: table.index("</table>")].split())
        assert '<th scope="col" class="num">This site</th>' in table
        # Each domain's row and the overall one start with the site's own score, rounded.
        for title, score in expected.items():
            assert score is not None
            whole = score.quantize(Decimal(1), rounding=ROUND_HALF_UP)
            assert f'<th scope="row">{title}</th> <td class="num">{whole}</td>' in table
    # The comparison page has no one site: no such column there.
    compare = reverse("reports:compare", args=[world.org.slug])
    page = client.get(compare, {"instrument": world.instrument.slug}).content.decode()
    assert "benchmark-table" in page
    assert "This site" not in page


def test_an_org_admin_opts_in_and_out_with_an_audit_entry(world: Any, client: Client) -> None:
    client.force_login(world.alice)
    url = reverse("benchmark:participation", args=[world.org.slug])
    assert client.get(url).status_code == 200
    response = client.post(url, {"opted_in": "yes"})
    assert response.status_code == 302
    assert Participation.objects.get(organisation=world.org).opted_in
    client.post(url, {"opted_in": "no"})
    assert not Participation.objects.get(organisation=world.org).opted_in
    events = list(ParticipationEvent.objects.filter(organisation=world.org).order_by("pk"))
    assert [(e.opted_in, e.user_id) for e in events] == [
        (True, world.alice.pk),
        (False, world.alice.pk),
    ]
    page = client.get(reverse("assessments:organisation", args=[world.org.slug])).content
    assert b"does not take part" in page


def test_bad_input_says_what_is_wrong(world: Any, client: Client) -> None:
    client.force_login(world.alice)
    url = reverse("benchmark:participation", args=[world.org.slug])
    response = client.post(url, {"opted_in": "maybe"})
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not Participation.objects.filter(organisation=world.org, opted_in=True).exists()


def test_a_viewer_cannot_opt_in(world: Any, client: Client) -> None:
    client.force_login(world.victor)
    response = client.post(
        reverse("benchmark:participation", args=[world.org.slug]), {"opted_in": "yes"}
    )
    assert response.status_code == 403
    assert not Participation.objects.exists()


def test_a_submit_queues_a_refresh_of_its_instrument(
    world: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    from assessments.services import assessment_submit
    from reports import queue

    sent: list[tuple[str, tuple[Any, ...]]] = []

    def enqueue(name: str, *args: Any) -> bool:
        sent.append((name, args))
        return True

    monkeypatch.setattr(queue, "enqueue", enqueue)
    assessment = factories.make_assessment(world.clinic, world.instrument)
    with django_capture_on_commit_callbacks(execute=True):
        assessment_submit(assessment=assessment, user=world.alice)
    assert ("benchmark.tasks.benchmark_refresh_task", ([world.instrument.pk],)) in sent


def test_the_task_and_the_command_publish_the_same_way(
    network: Callable[..., list[Organisation]], small_instrument: Instrument
) -> None:
    from django.core.management import call_command

    from benchmark.tasks import benchmark_refresh_task

    network(5, sites=2)
    assert "0 suppressed" in benchmark_refresh_task([small_instrument.pk])
    out = StringIO()
    call_command("refresh_benchmark", stdout=out)
    assert "0 published" in out.getvalue()
    # All sites, and clinics (the same contributions, so the same figures).
    assert set(Snapshot.objects.exclude(figures={}).values_list("kind", flat=True)) == {
        "",
        "clinic",
    }


def test_query_counts_do_not_grow_with_the_data(
    network: Callable[..., list[Organisation]], world: Any, submit: Submit, client: Client
) -> None:
    assessment = submit(world.clinic, 55, gov=50, ops=60)
    client.force_login(world.alice)
    url = reverse("reports:results", args=[assessment.pk])

    def counts() -> tuple[int, int]:
        benchmark_refresh(instrument_ids=[world.instrument.pk])
        connection.queries_log.clear()
        # A refresh that finds nothing new to publish: the same work whatever the size.
        with CaptureQueriesContext(connection) as refresh:
            benchmark_refresh(instrument_ids=[world.instrument.pk])
        client.get(url)  # warm caches
        with CaptureQueriesContext(connection) as page:
            client.get(url)
        return len(refresh), len(page)

    network(5, sites=2, prefix="A")
    small = counts()
    network(10, sites=3, prefix="B")
    large = counts()
    assert small == large


def test_a_differencing_attack_recovers_nothing(
    network: Callable[..., list[Organisation]], submit: Submit, small_instrument: Instrument
) -> None:
    """Opting organisations in and out, resubmitting and filtering by kind: any two published
    figures either are the same or differ in at least five organisations, so no single site's or
    organisation's score can be told apart from the aggregates."""
    organisations = network(10, sites=2)
    # One organisation alone runs hospitals: the clinic view is "all" minus that organisation.
    lone = organisations[0]
    hospital = factories.make_site(lone, "Lone hospital", kind=Site.Kind.HOSPITAL)
    submit(hospital, 97, gov=97, ops=97)
    benchmark_refresh()
    baseline = _observed(small_instrument)
    assert baseline[""] is not None
    assert baseline[""][0]
    # Filter by kind: the clinic view would differ from "all" by the lone organisation only.
    assert baseline["clinic"] is None
    assert published_snapshot(small_instrument.pk, "hospital").withheld  # type: ignore[union-attr]

    victim = organisations[3]
    victim_scores = set(
        Assessment.objects.filter(site__organisation=victim).values_list("result_score", flat=True)
    )
    # Attack 1: the victim opts out, the benchmark refreshes; then back in.
    services.participation_set(organisation=victim, opted_in=False, user=None)
    benchmark_refresh()
    assert _observed(small_instrument) == baseline
    services.participation_set(organisation=victim, opted_in=True, user=None)
    benchmark_refresh()
    assert _observed(small_instrument) == baseline

    # Attack 2: one site resubmits a new score.
    submit(Site.objects.get(name="Peer 5 site 0"), 12, gov=12, ops=12)
    benchmark_refresh()
    assert _observed(small_instrument) == baseline

    # Attack 3: organisations walk out one by one until enough has changed for a publication
    # (here the clinic view: it differs from the first by the lone organisation and four that
    # left), then one comes back: that would differ by one or two organisations from what is
    # published, so it is suppressed.
    for organisation in organisations[5:10]:
        services.participation_set(organisation=organisation, opted_in=False, user=None)
        benchmark_refresh()
    walked_out = _observed(small_instrument)
    assert walked_out != baseline
    services.participation_set(organisation=organisations[9], opted_in=True, user=None)
    benchmark_refresh()
    assert _observed(small_instrument) == walked_out

    # Every pair of figures ever published differs by none or at least five organisations.
    from benchmark import rules
    from benchmark.publishing import _loaded

    published = [
        _loaded(stored)
        for stored in Snapshot.objects.exclude(figures={}).values_list("contributors", flat=True)
    ]
    for i, a in enumerate(published):
        for b in published[i + 1 :]:
            assert rules.changed_organisations(a, b) in {0} | set(range(5, 100))
    # And no published figure equals a lone site's score where that site could be singled out:
    # every published row counts at least five organisations.
    for snapshot in Snapshot.objects.exclude(figures={}):
        rows = [snapshot.figures["overall"], *snapshot.figures["domains"]]
        assert all(row.get("withheld") or row["organisations"] >= 5 for row in rows)
    assert victim_scores  # the victim did contribute throughout
