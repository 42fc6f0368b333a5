"""Assignments (issue 15): coordinators assign domains; an assignment lets its person answer
those domains and nothing else; e-mails, "My assignments" and the daily reminder."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import access
from assessments.models import Answer, Membership
from respondents.models import Assignment, AssignmentEvent
from respondents.reminders import reminders_send
from respondents.services import (
    AssignmentError,
    assignment_create,
    assignment_remove,
    reminder_preference_set,
)
from tests import factories

TODAY = datetime.date(2026, 3, 10)


@pytest.fixture
def assessment(world):
    return factories.make_assessment(world.clinic, world.instrument)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _domain_url(assessment, key: str) -> str:
    return reverse("assessments:domain", args=[assessment.pk, key])


def _page_fields(client: Client, assessment, key: str) -> dict[str, str]:
    response = client.get(_domain_url(assessment, key))
    assert response.status_code == 200
    form = response.context["form"]
    data: dict[str, str] = {}
    for name in form.fields:
        value = form[name].value()
        if value is not None and not name.endswith("--resolve"):
            data[name] = str(value)
    return data


def _assign(assessment, user, by, domain="gov", due=None):
    return assignment_create(
        assessment=assessment, domain_key=domain, respondent=user, due_date=due, user=by
    ).assignment


def test_a_viewer_answers_the_assigned_domain_and_nothing_else(world, assessment):
    _assign(assessment, world.victor, world.alice, "gov")
    client = _client(world.victor)
    page = client.get(_domain_url(assessment, "gov"))
    assert page.context["can_edit"] is True
    data = _page_fields(client, assessment, "gov")
    response = client.post(_domain_url(assessment, "gov"), {**data, "gov.q03": "2"})
    assert response.status_code == 302
    answer = Answer.objects.get(assessment=assessment, question__key="gov.q03")
    assert (answer.value, answer.answered_by) == ("2", world.victor)
    # Another domain of the same assessment stays read-only for them...
    assert client.get(_domain_url(assessment, "ops")).context["can_edit"] is False
    data = _page_fields(client, assessment, "ops")
    assert client.post(_domain_url(assessment, "ops"), {**data, "ops.q02": "3"}).status_code == 403
    # ...and so do submitting, targets and other assessments of the site.
    assert client.get(reverse("assessments:submit", args=[assessment.pk])).status_code == 403
    assert client.get(reverse("assessments:targets", args=[assessment.pk])).status_code == 403
    other = factories.make_assessment(world.clinic, world.instrument, round_label="Other round")
    data = _page_fields(client, other, "gov")
    assert client.post(_domain_url(other, "gov"), {**data, "gov.q03": "2"}).status_code == 403
    assert not Answer.objects.filter(question__key="ops.q02").exists()


def test_may_edit_domain_is_the_one_answer(world, assessment):
    victor = Membership.objects.get(user=world.victor)
    alice = Membership.objects.get(user=world.alice)
    assert access.may_edit_domain(alice, assessment, "ops")
    assert not access.may_edit_domain(victor, assessment, "gov")
    assignment = _assign(assessment, world.victor, world.alice, "gov")
    assert access.may_edit_domain(victor, assessment, "gov")
    assert not access.may_edit_domain(victor, assessment, "ops")
    assignment_remove(assignment=assignment, user=world.alice)
    assert not access.may_edit_domain(victor, assessment, "gov")


def test_a_removed_respondent_keeps_their_answers_marked(world, assessment):
    assignment = _assign(assessment, world.victor, world.alice, "gov")
    client = _client(world.victor)
    data = _page_fields(client, assessment, "gov")
    client.post(_domain_url(assessment, "gov"), {**data, "gov.q03": "2"})
    assignment_remove(assignment=assignment, user=world.alice)
    data = _page_fields(client, assessment, "gov")
    assert client.post(_domain_url(assessment, "gov"), {**data, "gov.q03": "4"}).status_code == 403
    assert Answer.objects.get(question__key="gov.q03").value == "2"
    page = _client(world.alice).get(reverse("respondents:assignments", args=[assessment.pk]))
    assert "removed" in page.content.decode()
    assert "answers kept" in page.content.decode()
    actions = list(
        AssignmentEvent.objects.filter(assessment=assessment).values_list("action", flat=True)
    )
    assert actions == ["removed", "assigned"]


def test_a_coordinator_assigns_and_the_person_gets_an_email(world, assessment, settings):
    settings.SITE_URL = "https://readiness.example"
    response = _client(world.carla).post(
        reverse("respondents:assignments", args=[assessment.pk]),
        {"domain": "ops", "respondent": str(world.victor.pk), "due_date": "2026-03-12"},
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get(assessment=assessment)
    assert (assignment.domain_key, assignment.user, assignment.assigned_by) == (
        "ops",
        world.victor,
        world.carla,
    )
    assert assignment.due_date == datetime.date(2026, 3, 12)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world.victor.email]
    assert "Operations" in message.subject
    assert f"https://readiness.example/a/{assessment.pk}/d/ops/" in message.body
    assert "12 March 2026" in message.body
    # Assigning again only changes the due date: no second e-mail.
    _assign(assessment, world.victor, world.carla, "ops", due=datetime.date(2026, 3, 20))
    assert len(mail.outbox) == 1
    assert Assignment.objects.get().due_date == datetime.date(2026, 3, 20)


def test_a_site_admin_coordinates_their_own_site_only(world, assessment):
    hospital = factories.make_assessment(world.hospital, world.instrument)
    client = _client(world.sam)
    assert client.get(reverse("respondents:assignments", args=[assessment.pk])).status_code == 200
    assert client.get(reverse("respondents:assignments", args=[hospital.pk])).status_code == 404
    assert (
        _client(world.victor)
        .get(reverse("respondents:assignments", args=[assessment.pk]))
        .status_code
        == 403
    )


def test_only_members_who_can_see_the_site_are_assigned(world, assessment):
    # Sam administers the clinic only: he cannot be given the hospital's domains.
    hospital = factories.make_assessment(world.hospital, world.instrument)
    with pytest.raises(AssignmentError, match="can see this site"):
        _assign(hospital, world.sam, world.alice)
    with pytest.raises(AssignmentError, match="can see this site"):
        _assign(assessment, world.oscar, world.alice)
    response = _client(world.alice).post(
        reverse("respondents:assignments", args=[hospital.pk]),
        {"domain": "gov", "respondent": str(world.sam.pk)},
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not Assignment.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"domain": "nope", "respondent": "1"}, "Select a valid choice"),
        ({"domain": "gov", "respondent": "x"}, "Select a valid choice"),
        ({"domain": "gov", "respondent": ""}, "This field is required"),
        ({"domain": "gov", "respondent": "VICTOR", "due_date": "31/31/2026"}, "valid date"),
        ({"domain": "gov", "respondent": "VICTOR", "due_date": "1900-01-01"}, "between 2000"),
    ],
)
def test_bad_input_is_a_message_next_to_the_field(world, assessment, data, message):
    data = {k: str(world.victor.pk) if v == "VICTOR" else v for k, v in data.items()}
    response = _client(world.alice).post(
        reverse("respondents:assignments", args=[assessment.pk]), data
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Assignment.objects.exists()


@pytest.mark.parametrize("value", ["", "abc", "-1", "99999999999999999999999", "0"])
def test_removing_what_does_not_exist_says_so(world, assessment, value):
    client = _client(world.alice)
    url = reverse("respondents:assignments", args=[assessment.pk])
    response = client.post(url, {"remove": value}, follow=True)
    assert response.status_code == 200
    assert "no longer exists" in response.content.decode()


def test_an_assignment_of_another_assessment_cannot_be_removed_here(world, assessment):
    other = factories.make_assessment(world.hospital, world.instrument)
    foreign = _assign(other, world.victor, world.alice)
    _client(world.sam).post(
        reverse("respondents:assignments", args=[assessment.pk]), {"remove": str(foreign.pk)}
    )
    foreign.refresh_from_db()
    assert foreign.is_active


def test_my_assignments_show_progress_per_domain(world, assessment):
    _assign(assessment, world.victor, world.alice, "gov", due=datetime.date(2020, 1, 1))
    _assign(assessment, world.victor, world.alice, "ops")
    client = _client(world.victor)
    data = _page_fields(client, assessment, "gov")
    client.post(_domain_url(assessment, "gov"), {**data, "gov.q01": "no", "gov.q03": "2"})
    page = client.get(reverse("assessments:organisation", args=[world.org.slug]))
    html = page.content.decode()
    assert "My assignments" in html
    # gov shows q01, q03 and q04 (q02 is hidden after "no"): two of three answered.
    assert "2 of 3 answered" in html
    assert "0 of 2 answered" in html
    assert "overdue since" in html
    mine = client.get(reverse("respondents:mine"))
    assert "2 of 3 answered" in mine.content.decode()
    # Nobody else sees them.
    assert (
        "My assignments" not in _client(world.carla).get(page.request["PATH_INFO"]).content.decode()
    )


def _organisation_page_queries(client: Client, slug: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("assessments:organisation", args=[slug])).status_code == 200
    return len(queries)


def test_my_assignments_cost_the_same_queries_however_many(world, assessment):
    client = _client(world.victor)
    _assign(assessment, world.victor, world.alice, "gov")
    _organisation_page_queries(client, world.org.slug)  # warm the content cache
    one = _organisation_page_queries(client, world.org.slug)
    _assign(assessment, world.victor, world.alice, "ops")
    for label in ("B", "C", "D"):
        more = factories.make_assessment(world.hospital, world.instrument, round_label=label)
        _assign(more, world.victor, world.alice, "gov")
        _assign(more, world.victor, world.alice, "ops")
    assert _organisation_page_queries(client, world.org.slug) == one


def test_reminders_go_to_who_is_due_within_three_days_or_overdue(world, assessment):
    _assign(assessment, world.victor, world.alice, "gov", due=TODAY + datetime.timedelta(3))
    _assign(assessment, world.victor, world.alice, "ops", due=TODAY - datetime.timedelta(1))
    _assign(assessment, world.carla, world.alice, "gov", due=TODAY + datetime.timedelta(4))
    _assign(assessment, world.sam, world.alice, "gov")  # no due date: never reminded
    mail.outbox.clear()
    summary = reminders_send(today=TODAY)
    assert (summary.emails, summary.assignments) == (1, 2)
    assert mail.outbox[0].to == [world.victor.email]
    body = mail.outbox[0].body
    assert "Governance" in body
    assert "OVERDUE since 9 Mar 2026" in body
    assert "1 overdue" in mail.outbox[0].subject
    # At most one a day, however often the job runs.
    assert reminders_send(today=TODAY).emails == 0
    # The next day Victor's are still due, and Carla's (4 days off today) is within 3.
    assert reminders_send(today=TODAY + datetime.timedelta(1)).emails == 2


def test_reminders_respect_the_opt_out_and_removal(world, assessment):
    gov = _assign(assessment, world.victor, world.alice, "gov", due=TODAY)
    _assign(assessment, world.carla, world.alice, "gov", due=TODAY)
    reminder_preference_set(user=world.carla, enabled=False)
    assert reminders_send(today=TODAY).emails == 1
    assignment_remove(assignment=gov, user=world.alice)
    assert reminders_send(today=TODAY + datetime.timedelta(1)).emails == 0


def test_the_notifications_page_turns_them_off_and_keeps_the_digest(world, assessment):
    _assign(assessment, world.victor, world.alice, "gov", due=TODAY)
    client = _client(world.victor)
    url = reverse("accounts:notifications")
    # The old address, in e-mails already sent, leads to the one page of e-mail choices.
    old = client.get(reverse("respondents:reminders"))
    assert old.headers["Location"] == url + "#reminders"
    page = client.get(url).content.decode()
    assert 'id="id_reminders" checked' in page
    response = client.post(url, {"digest": "on"})
    assert response.status_code == 302
    assert reminders_send(today=TODAY).emails == 0
    assert world.victor.action_digest.enabled is True
    assert 'id="id_reminders" checked' not in client.get(url).content.decode()


def test_the_reminder_e_mail_links_to_the_choice(world, assessment):
    _assign(assessment, world.victor, world.alice, "gov", due=TODAY)
    mail.outbox.clear()
    assert reminders_send(today=TODAY).emails == 1
    body = mail.outbox[0].body
    assert "/account/notifications/#reminders" in body


def test_the_command_sends_them(world, assessment, capsys):
    _assign(assessment, world.victor, world.alice, "gov", due=timezone.localdate())
    call_command("send_assignment_reminders")
    assert "1 reminder e-mail(s)" in capsys.readouterr().out
    assert any(world.victor.email in m.to for m in mail.outbox)
