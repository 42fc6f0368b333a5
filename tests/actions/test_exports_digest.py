"""Exports in a plan-of-action layout (formula-neutralised) and the daily digest."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from actions.digest import digest_send
from actions.exports import HEADERS
from actions.services import action_item_update, digest_preference_set
from assessments.models import ExportRecord
from tests.actions.helpers import tracked

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 5, 10)


def _set(item, **changes):
    action_item_update(item=item, user=None, changes=changes, revision=item.revision)


def test_the_csv_has_the_plan_of_action_columns_and_neutralises_formulas(client, world):
    item = tracked(world)[0]
    _set(item, owner=world.sam, due_date=datetime.date(2026, 6, 1), notes="=HYPERLINK(1)")
    client.force_login(world.victor)
    response = client.get(reverse("actions:export-csv", args=[world.org.slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == HEADERS
    assert rows[0][:1] + rows[0][3:6] + rows[0][7:] == [
        "Item",
        "Question",
        "Weakness",
        "Action",
        "Owner",
        "Due date",
        "Status",
        "Milestone notes",
    ]
    first = dict(zip(HEADERS, rows[1], strict=True))
    assert first["Item"] == f"AI-{item.pk}"
    assert first["Owner"] == "Sam Site"
    assert first["Due date"] == "2026-06-01"
    assert first["Milestone notes"] == "'=HYPERLINK(1)"
    assert first["Weakness"] == "Sometimes (1 of 3)"
    assert len(rows) == 5
    record = ExportRecord.objects.get()
    assert (record.kind, record.rows, record.user) == ("action-items-csv", 4, world.victor)


def test_the_excel_file_follows_the_filters_and_says_who_took_it(client, world):
    tracked(world)
    tracked(world, world.hospital)
    client.force_login(world.alice)
    response = client.get(
        reverse("actions:export-xlsx", args=[world.org.slug]), {"site": world.hospital.pk}
    )
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["Plan of action"]
    values = list(sheet.values)
    assert list(values[0]) == HEADERS
    assert {row[1] for row in values[1:]} == {"Northside Hospital"}
    filters = dict(list(book["Filters"].values)[1:])
    assert filters["Site"] == "Northside Hospital"
    assert filters["Exported by"] == "Alice Admin"


def test_a_site_admin_exports_only_what_they_see(client, world):
    tracked(world)
    tracked(world, world.hospital)
    client.force_login(world.sam)
    response = client.get(reverse("actions:export-csv", args=[world.org.slug]))
    rows = list(csv.reader(io.StringIO(response.content.decode())))[1:]
    assert {row[1] for row in rows} == {"Northside Clinic"}


def test_the_digest_mails_each_owner_their_due_and_overdue_items(world):
    items = tracked(world)
    world.sam.email, world.carla.email = "sam@example.org", "carla@example.org"
    world.sam.save()
    world.carla.save()
    _set(items[0], owner=world.sam, due_date=TODAY - datetime.timedelta(days=1))  # overdue
    _set(items[1], owner=world.sam, due_date=TODAY + datetime.timedelta(days=7))  # due soon
    _set(items[2], owner=world.sam, due_date=TODAY + datetime.timedelta(days=8))  # not yet
    _set(items[3], owner=world.carla, due_date=TODAY, status="done")  # done: no mail
    summary = digest_send(today=TODAY)
    assert (summary.emails, summary.items) == (1, 2)
    (message,) = mail.outbox
    assert message.to == ["sam@example.org"]
    assert message.subject == "1 overdue and 1 due soon: your action items"
    assert items[0].title in message.body
    assert items[1].title in message.body
    assert items[2].title not in message.body
    assert f"/actions/{items[0].pk}/" in message.body
    assert "/account/notifications/" in message.body


def test_nobody_who_opted_out_or_left_the_organisation_gets_one(world):
    items = tracked(world)
    for user in (world.sam, world.victor):
        user.email = f"{user.username}@example.org"
        user.save()
    _set(items[0], owner=world.sam, due_date=TODAY)
    _set(items[1], owner=world.victor, due_date=TODAY)
    digest_preference_set(user=world.sam, enabled=False)
    world.victor.memberships.all().delete()
    assert digest_send(today=TODAY).emails == 0
    assert mail.outbox == []


def test_the_command_sends_the_same_digest(world):
    item = tracked(world)[0]
    world.sam.email = "sam@example.org"
    world.sam.save()
    _set(item, owner=world.sam, due_date=datetime.date(2020, 1, 1))
    out = io.StringIO()
    call_command("send_action_digest", stdout=out)
    assert out.getvalue().strip() == "Action digest: 1 e-mail(s) about 1 item(s)."
    assert len(mail.outbox) == 1


def test_the_celery_task_sends_the_same_digest(world):
    from actions.tasks import action_digest_send

    item = tracked(world)[0]
    world.sam.email = "sam@example.org"
    world.sam.save()
    _set(item, owner=world.sam, due_date=datetime.date(2020, 1, 1))
    assert action_digest_send() == "Action digest: 1 e-mail(s) about 1 item(s)."
    assert mail.outbox[0].to == ["sam@example.org"]
