"""The action item pages: lists with filters, sorting and counts; one item; tracking."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions.models import ActionItem, ActionItemEvent
from actions.services import action_item_update
from tests import factories
from tests.actions.helpers import submitted_round, tracked

pytestmark = pytest.mark.django_db


def _set(item, **changes):
    action_item_update(item=item, user=None, changes=changes, revision=item.revision)


def _rows(response):
    return [row.item.question_key for row in response.context["listing"].rows]


def test_the_site_page_lists_its_items_with_counts_per_status(client, world):
    items = tracked(world)
    _set(items[0], status="done")
    _set(items[1], status="in_progress", due_date=datetime.date(2020, 1, 1))
    tracked(world, world.hospital)
    client.force_login(world.victor)
    response = client.get(reverse("actions:site", args=[world.clinic.pk]))
    assert response.status_code == 200
    assert sorted(_rows(response)) == ["gov.q02", "gov.q03", "ops.q01", "ops.q02"]
    counts = response.context["listing"].counts
    assert counts == {
        "total": 4,
        "overdue": 1,
        "open": 2,
        "in_progress": 1,
        "done": 1,
        "wont_do": 0,
    }
    html = response.content.decode()
    assert 'class="row-overdue"' in html
    assert "Overdue" in html


def test_the_organisation_page_lists_every_site_and_filters(client, world):
    tracked(world)
    hospital = tracked(world, world.hospital)
    _set(hospital[0], owner=world.sam, due_date=datetime.date(2020, 1, 1))
    client.force_login(world.alice)
    url = reverse("actions:organisation", args=[world.org.slug])
    assert len(_rows(client.get(url))) == 8
    assert len(_rows(client.get(url, {"site": world.hospital.pk}))) == 4
    assert _rows(client.get(url, {"domain": "ops"})) == ["ops.q01", "ops.q01", "ops.q02", "ops.q02"]
    assert _rows(client.get(url, {"owner": world.sam.pk})) == ["ops.q01"]
    assert len(_rows(client.get(url, {"owner": "none"}))) == 7
    assert _rows(client.get(url, {"overdue": "on"})) == ["ops.q01"]
    assert _rows(client.get(url, {"status": "done"})) == []


def test_own_items_come_first_then_priority_or_due_date(client, world):
    items = {i.question_key: i for i in tracked(world)}
    _set(items["gov.q03"], owner=world.carla, due_date=datetime.date(2026, 9, 1))
    _set(items["ops.q02"], due_date=datetime.date(2026, 6, 1))
    _set(items["ops.q01"], due_date=datetime.date(2026, 7, 1))
    client.force_login(world.carla)
    url = reverse("actions:site", args=[world.clinic.pk])
    assert _rows(client.get(url)) == ["gov.q03", "ops.q01", "gov.q02", "ops.q02"]
    assert _rows(client.get(url, {"sort": "due"})) == ["gov.q03", "ops.q02", "ops.q01", "gov.q02"]


def test_bad_filters_are_reported_and_left_out(client, world):
    tracked(world)
    client.force_login(world.alice)
    url = reverse("actions:organisation", args=[world.org.slug])
    for query in (
        {"site": "x"},
        {"site": "99999999999999999999999"},
        {"site": world.other_site.pk},
        {"owner": world.oscar.pk},
        {"status": "<b>"},
        {"sort": "pk"},
        {"domain": "nope"},
        {"page": "-1"},
    ):
        response = client.get(url, query)
        assert response.status_code == 200, query
        assert len(_rows(response)) == 4, query
        if "page" not in query:
            assert "This filter is left out." in response.content.decode(), query


def test_a_site_admin_sees_their_sites_items_and_those_they_own(client, world):
    tracked(world)
    hospital = tracked(world, world.hospital)
    _set(hospital[0], owner=world.sam)
    client.force_login(world.sam)
    response = client.get(reverse("actions:organisation", args=[world.org.slug]))
    assert [r.item.site for r in response.context["listing"].rows].count(world.hospital) == 1
    assert len(_rows(response)) == 5
    assert client.get(reverse("actions:site", args=[world.hospital.pk])).status_code == 404
    assert client.get(reverse("actions:item", args=[hospital[0].pk])).status_code == 200
    assert client.get(reverse("actions:item", args=[hospital[1].pk])).status_code == 404


def test_the_list_costs_the_same_queries_however_many_items(client, world):
    client.force_login(world.sam)
    url = reverse("actions:organisation", args=[world.org.slug])
    tracked(world)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(3):
        tracked(
            world,
            factories.make_site(world.org, f"Extra {n}"),
        )
        tracked(world, label=f"2026 r{n}", day=datetime.date(2026, 1, 1 + n))
    ActionItem.objects.update(owner=world.sam, due_date=datetime.date(2020, 1, 1))
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["listing"].rows) > 8
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_the_owner_updates_status_and_notes_whatever_their_role(client, world):
    item = tracked(world)[0]
    _set(item, owner=world.victor)
    client.force_login(world.victor)
    url = reverse("actions:item", args=[item.pk])
    page = client.get(url)
    assert "As its owner you may update the status and notes" in page.content.decode()
    response = client.post(
        url,
        {
            "status": "in_progress",
            "notes": "Vendor call booked",
            "revision": item.revision,
            "owner": "",
            "due_date": "2030-01-01",
            "title": "Hijacked",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.notes) == ("in_progress", "Vendor call booked")
    assert item.owner == world.victor
    assert item.due_date is None
    assert item.title != "Hijacked"


def test_a_viewer_who_does_not_own_it_reads_only(client, world):
    item = tracked(world)[0]
    client.force_login(world.victor)
    url = reverse("actions:item", args=[item.pk])
    assert 'method="post"' not in client.get(url).content.decode().split("<main")[1]
    assert client.post(url, {"status": "done", "revision": 1}).status_code == 403
    item.refresh_from_db()
    assert item.status == "open"


def test_a_consultant_edits_every_field(client, world):
    item = tracked(world)[0]
    client.force_login(world.carla)
    response = client.post(
        reverse("actions:item", args=[item.pk]),
        {
            "title": "  Sign the BAA  now ",
            "owner": world.sam.pk,
            "due_date": "2026-06-30",
            "status": "open",
            "reason": "",
            "notes": "",
            "revision": item.revision,
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.title, item.owner, item.due_date) == (
        "Sign the BAA now",
        world.sam,
        datetime.date(2026, 6, 30),
    )
    assert set(
        ActionItemEvent.objects.filter(item=item, action="changed").values_list("field", flat=True)
    ) == {"title", "owner", "due_date"}


@pytest.mark.parametrize(
    ("posted", "field", "message"),
    [
        ({"status": "wont_do", "reason": " "}, "reason", "Say why this will not be done."),
        ({"status": "closed"}, "status", "Select a valid choice."),
        ({"due_date": "2026-02-30"}, "due_date", "Enter a valid date."),
        ({"due_date": "1900-01-01"}, "due_date", "between the years 2000 and 2100"),
        ({"owner": "999999"}, "owner", "Select a valid choice."),
        ({"title": "   "}, "title", "Say what is to be done."),
        ({"notes": "x" * 5001}, "notes", "at most 5000 characters"),
    ],
)
def test_bad_input_is_named_next_to_its_field_and_nothing_changes(
    client, world, posted, field, message
):
    item = tracked(world)[0]
    client.force_login(world.alice)
    data = {
        "title": item.title,
        "owner": "",
        "due_date": "",
        "status": "open",
        "reason": "",
        "notes": "kept?",
        "revision": item.revision,
        **posted,
    }
    response = client.post(reverse("actions:item", args=[item.pk]), data)
    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors[field])
    item.refresh_from_db()
    assert item.notes == ""
    assert item.revision == 1


def test_a_stale_edit_is_refused_and_says_who_changed_it(client, world):
    item = tracked(world)[0]
    action_item_update(item=item, user=world.sam, changes={"notes": "Sam's"}, revision=1)
    client.force_login(world.alice)
    data = {"title": item.title, "status": "open", "notes": "Alice's", "revision": 1}
    response = client.post(reverse("actions:item", args=[item.pk]), data, follow=True)
    assert "Sam Site changed this item while you were editing it" in response.content.decode()
    item.refresh_from_db()
    assert item.notes == "Sam's"


def test_marking_done_prompts_to_answer_the_question_again(client, world):
    item = [i for i in tracked(world) if i.question_key == "gov.q03"][0]
    draft = factories.make_assessment(
        world.clinic,
        world.instrument,
        round_label="2026 spring",
        round_date=datetime.date(2026, 3, 1),
    )
    client.force_login(world.sam)
    response = client.post(
        reverse("actions:item", args=[item.pk]),
        {"title": item.title, "status": "done", "revision": 1},
        follow=True,
    )
    html = response.content.decode()
    assert "Marked done. Answer its question again" in html
    link = reverse("assessments:domain", args=[draft.pk, "gov"]) + "#q-gov.q03"
    assert f'href="{link}"' in html


def test_without_an_open_round_done_points_to_the_next_round(client, world):
    item = tracked(world)[0]
    _set(item, status="done")
    client.force_login(world.alice)
    html = client.get(reverse("actions:item", args=[item.pk])).content.decode()
    assert "Start the next round of Northside Clinic" in html
    assert f'href="{reverse("assessments:site", args=[world.clinic.pk])}"' in html


def test_tracking_from_the_results_page(client, world):
    assessment = submitted_round(world)
    client.force_login(world.sam)
    results = reverse("reports:results", args=[assessment.pk])
    html = client.get(results).content.decode()
    assert "Track the top 10" in html
    assert 'name="question" value="gov.q03"' in html
    url = reverse("actions:track", args=[assessment.pk])
    assert client.post(url, {"question": "gov.q03"}).status_code == 302
    assert list(ActionItem.objects.values_list("question_key", flat=True)) == ["gov.q03"]
    client.post(url, {"scope": "all"})
    assert ActionItem.objects.count() == 4
    html = client.get(results).content.decode()
    assert "Tracked: Open" in html
    assert "Track the top 10" not in html


@pytest.mark.parametrize(
    "posted",
    [
        {},
        {"scope": "everything"},
        {"question": "gov.q01"},
        {"question": "x" * 500},
        {"question": "\x00"},
    ],
)
def test_tracking_something_outside_the_plan_creates_nothing(client, world, posted):
    assessment = submitted_round(world)
    client.force_login(world.alice)
    response = client.post(reverse("actions:track", args=[assessment.pk]), posted, follow=True)
    assert response.status_code == 200
    assert "Nothing tracked" in response.content.decode()
    assert ActionItem.objects.count() == 0


def test_viewers_see_the_plan_without_track_buttons_and_may_not_post(client, world):
    assessment = submitted_round(world)
    client.force_login(world.victor)
    html = client.get(reverse("reports:results", args=[assessment.pk])).content.decode()
    assert "not tracked" in html
    assert "Track the top 10" not in html
    assert (
        client.post(reverse("actions:track", args=[assessment.pk]), {"scope": "all"}).status_code
        == 403
    )
    assert ActionItem.objects.count() == 0


def test_the_account_page_turns_the_digest_off_and_on(client, world):
    client.force_login(world.victor)
    url = reverse("accounts:notifications")
    assert 'id="id_digest" checked' in client.get(url).content.decode()
    client.post(url, {"reminders": "on"})
    assert world.victor.action_digest.enabled is False
    assert world.victor.assignment_reminders.enabled is True
    assert 'id="id_digest" checked' not in client.get(url).content.decode()
    client.post(url, {"digest": "on", "reminders": "on"})
    world.victor.action_digest.refresh_from_db()
    assert world.victor.action_digest.enabled is True


def test_overdue_uses_the_local_date(world):
    item = tracked(world)[0]
    _set(item, due_date=timezone.localdate())
    item.refresh_from_db()
    assert not item.is_overdue()
    assert item.is_overdue(timezone.localdate() + datetime.timedelta(days=1))
