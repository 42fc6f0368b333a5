from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from assessments import demo
from assessments.models import (
    Answer,
    Assessment,
    AuditEntry,
    DomainResult,
    Instrument,
    Membership,
    Organisation,
    Site,
)
from assessments.scoring import NA

pytestmark = pytest.mark.django_db

MODELS = (
    Organisation,
    Site,
    Membership,
    Membership.sites.through,
    Instrument,
    Assessment,
    Answer,
    AuditEntry,
    DomainResult,
)


def _counts() -> dict[str, int]:
    counts = {model.__name__: model.objects.count() for model in MODELS}
    counts["User"] = get_user_model().objects.count()
    return counts


@pytest.fixture
def seeded() -> demo.SeedSummary:
    # Tests that change the demo seed their own (after seeded_once has run in this module,
    # this finds its data, which the assertions below allow for).
    return demo.seed_demo()


@pytest.fixture(scope="module")
def seeded_once(django_db_setup: None, django_db_blocker: Any) -> Iterator[demo.SeedSummary]:
    """The demo seeded once for the tests that only read it, rolled back after the module.

    Seeding takes about a second; each test still runs in its own savepoint inside this
    transaction, as in Django's TestCase.setUpTestData.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        yield demo.seed_demo()
        transaction.set_rollback(True)


def _riverbend_assessments() -> list[Assessment]:
    return list(
        Assessment.objects.filter(site__organisation__name=demo.RIVERBEND).select_related(
            "site", "instrument"
        )
    )


def test_seeding_twice_changes_nothing(seeded: demo.SeedSummary) -> None:
    before = _counts()
    second = demo.seed_demo()
    assert _counts() == before
    assert second.users_created == 0
    assert second.assessments_created == 0
    assert str(second) == "Demo data already present: nothing changed."
    assert before["Assessment"] == 2 * len(demo.SITES)


def test_the_command_prints_the_logins_on_every_run(db: None) -> None:
    for _ in range(2):
        out = StringIO()
        call_command("seed_demo", stdout=out)
        for login in demo.LOGINS:
            assert f"{login.username}  " in out.getvalue()
            assert login.password in out.getvalue()
    assert "nothing changed" in out.getvalue()


@pytest.mark.parametrize("login", demo.LOGINS, ids=lambda login: login.username)
def test_each_demo_login_can_sign_in(
    seeded_once: demo.SeedSummary, client: Client, login: demo.Login
) -> None:
    response = client.post(
        reverse("login"), {"username": login.username, "password": login.password}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(
        get_user_model().objects.get(username=login.username).pk
    )


def test_a_changed_demo_password_is_put_back(seeded: demo.SeedSummary) -> None:
    admin = get_user_model().objects.get(username=demo.ADMIN)
    admin.set_password("something-else-entirely")
    admin.save()
    demo.seed_demo()
    admin.refresh_from_db()
    assert admin.check_password(demo.LOGINS[0].password)


def test_the_people_have_the_roles_the_logins_promise(seeded_once: demo.SeedSummary) -> None:
    User = get_user_model()
    admin = User.objects.get(username=demo.ADMIN)
    assert admin.is_staff
    assert admin.is_superuser
    roles = {
        (m.user.username, m.organisation.name): m.role
        for m in Membership.objects.select_related("user", "organisation")
    }
    assert roles[(demo.ADMIN, demo.RIVERBEND)] == Membership.Role.ORG_ADMIN
    assert roles[(demo.CONSULTANT, demo.RIVERBEND)] == Membership.Role.CONSULTANT
    assert roles[(demo.CONSULTANT, demo.LAKESIDE)] == Membership.Role.CONSULTANT
    assert roles[(demo.VIEWER, demo.RIVERBEND)] == Membership.Role.VIEWER
    site_admin = Membership.objects.get(user__username=demo.SITE_ADMIN)
    assert site_admin.role == Membership.Role.SITE_ADMIN
    assert [s.name for s in site_admin.sites.all()] == ["Eastside Community Clinic"]
    for username in demo.COLLEAGUES:
        assert not User.objects.get(username=username).has_usable_password()


def test_the_demo_has_sites_of_several_kinds_with_two_rounds_each(
    seeded_once: demo.SeedSummary,
) -> None:
    sites = Site.objects.filter(organisation__name=demo.RIVERBEND)
    assert sites.count() >= 5
    assert {s.kind for s in sites} >= {"hospital", "clinic", "practice", "mental_health"}
    for site in sites:
        rounds = sorted(a.round_label for a in site.assessments.all())
        assert rounds == ["2025 autumn", "2026 spring"]
        slugs = {a.instrument.slug for a in site.assessments.all()}
        expected = "mental-health-ai" if site.kind == Site.Kind.MENTAL_HEALTH else "clinical-ai"
        assert slugs == {expected}
    lakeside = Site.objects.get(organisation__name=demo.LAKESIDE)
    assert lakeside.kind == Site.Kind.MENTAL_HEALTH


def test_submitted_rounds_have_stored_results_and_spring_has_drafts_and_a_reopened_one(
    seeded_once: demo.SeedSummary,
) -> None:
    assessments = _riverbend_assessments()
    statuses = Counter((a.round_label, a.status) for a in assessments)
    sites = len(demo.SITES) - 1  # Lakeside is the other organisation
    assert statuses[("2025 autumn", "submitted")] == sites
    assert statuses[("2026 spring", "draft")] in (1, 2)
    assert statuses[("2026 spring", "reopened")] == 1
    assert statuses[("2026 spring", "submitted")] > sites / 2
    for assessment in assessments:
        stored = DomainResult.objects.filter(assessment=assessment).count()
        if assessment.status == Assessment.Status.DRAFT:
            assert stored == 0
            assert assessment.result_score is None
            assert 0 < assessment.answers.count() < len(assessment.instrument.spec().questions)
        else:
            assert stored == assessment.instrument.domains.count()
            assert assessment.result_score is not None
            assert assessment.submitted_at is not None


def test_the_answers_differ_by_site_and_round_like_real_ones(seeded_once: demo.SeedSummary) -> None:
    scores = {
        (a.site.name, a.round_label): a.result_score
        for a in _riverbend_assessments()
        if a.result_score is not None
    }
    hospital = scores[("Riverbend General Hospital", "2026 spring")]
    rural = scores[("Pine Valley Rural Clinic", "2026 spring")]
    assert hospital > rural + 30
    # One site improves between the rounds and one slips.
    assert rural > scores[("Pine Valley Rural Clinic", "2025 autumn")]
    assert (
        scores[("Northgate Urgent Care", "2026 spring")]
        < scores[("Northgate Urgent Care", "2025 autumn")]
    )
    assert len(set(scores.values())) == len(scores)
    verdicts = {a.result_verdict for a in _riverbend_assessments() if a.result_verdict}
    assert verdicts == {"Ready", "Conditionally ready", "Not ready"}

    answers = list(Answer.objects.select_related("question"))
    values = {a.value for a in answers if a.question.type == "scale"}
    assert values >= {"0", "1", "2", "3", "4"}  # every level of the scale is used
    assert any(a.value == NA for a in answers)
    with_comment = sum(1 for a in answers if a.comment) / len(answers)
    with_evidence = sum(1 for a in answers if a.evidence) / len(answers)
    assert 0.1 < with_comment < 0.6
    assert 0.05 < with_evidence < 0.5
    assert any("BAA signed" in a.evidence for a in answers)
    # Follow-up questions are answered where their condition holds.
    assert any(a.question.show_if_question for a in answers)
    assert len({a.answered_by_id for a in answers}) >= 4


def test_every_answer_has_an_audit_entry_and_all_are_dated_in_their_round(
    seeded_once: demo.SeedSummary,
) -> None:
    for assessment in _riverbend_assessments():
        answers = AuditEntry.objects.filter(assessment=assessment, action=AuditEntry.Action.ANSWER)
        assert answers.count() >= assessment.answers.count()
        for entry in AuditEntry.objects.filter(assessment=assessment):
            days = (entry.at.date() - assessment.round_date).days
            assert -45 < days < 30, (entry.action, entry.at)
        for answer in assessment.answers.all():
            assert -45 < (answer.answered_at.date() - assessment.round_date).days < 30
        assert assessment.created_at < assessment.updated_at


def test_the_site_admins_draft_resumes_where_it_was_left(seeded_once: demo.SeedSummary) -> None:
    draft = Assessment.objects.get(
        site__name="Eastside Community Clinic", round_label="2026 spring"
    )
    assert draft.status == Assessment.Status.DRAFT
    assert draft.last_domain_key
    keys = [d.key for d in draft.instrument.spec().domains]
    assert 0 < keys.index(draft.last_domain_key) < len(keys) - 1


def test_the_consultant_brands_their_reports_and_the_network_its_own(
    seeded_once: demo.SeedSummary,
) -> None:
    """Marcus exports with Bell Health Advisory's logo and sign-off in any client; Riverbend's
    staff with the network's own (reports/report_options.py, branding_for)."""
    from reports.report_options import branding_for

    users = get_user_model().objects
    marcus = users.get(username="consultant@riverbend.example")
    dana = users.get(username="admin@riverbend.example")
    riverbend = Organisation.objects.get(slug="riverbend-health-network")
    lakeside = Organisation.objects.get(slug="lakeside-counselling")
    for organisation in (riverbend, lakeside):
        own = branding_for(marcus, Membership.objects.get(user=marcus, organisation=organisation))
        assert (own.owner, own.signoff_name) == ("consultant", "Marcus Bell, Bell Health Advisory")
        assert own.logo is not None
        consultant_logo = str(own.logo.name)
        assert consultant_logo.endswith(".png")
    staff = branding_for(dana, Membership.objects.get(user=dana, organisation=riverbend))
    assert staff.owner == "organisation"
    assert staff.title == "AI readiness gap report"
    assert staff.logo is not None
    assert str(staff.logo.name) != consultant_logo


def test_format_logins_lists_every_login_on_its_own_line() -> None:
    lines = demo.format_logins().splitlines()
    for login in demo.LOGINS:
        assert sum(login.username in line and login.password in line for line in lines) == 1


def test_format_logins_names_the_address_the_server_listens_on(settings) -> None:
    """`make run RUN_PORT=8001` sets SITE_URL: the printed sign-in address follows it."""
    settings.SITE_URL = "http://127.0.0.1:8001"
    assert demo.format_logins().splitlines()[0] == (
        "Demo logins (sign in at http://127.0.0.1:8001/login/):"
    )
