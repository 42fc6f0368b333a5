"""Invitations: the members page never tells who has an account, and nobody joins without
accepting a one-time, expiring link while signed in as the invited address."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments.invitations import token_hash
from assessments.models import Invitation, MemberEvent, Membership
from tests import factories
from tests.conftest import World

Role = Membership.Role


def _client(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _members_url(world: World) -> str:
    return reverse("assessments:members", args=[world.org.slug])


def _invite(world: World, email: str, role: str = "viewer", **extra: Any) -> Any:
    return _client(world.alice).post(
        _members_url(world), {"email": email, "role": role, **extra}, follow=True
    )


def _link(message: Any) -> str:
    match = re.search(r"http://testserver(/invitations/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def _page_text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- inviting -------------------------------------------------------------------------------


def test_an_invitation_emails_a_one_time_link_and_joins_nobody(world):
    response = _invite(world, "Nina@Example.ORG", "viewer")
    assert response.status_code == 200
    invitation = Invitation.objects.get()
    assert invitation.email == "Nina@example.org"
    assert invitation.invited_by == world.alice
    assert not User.objects.filter(email__iexact="nina@example.org").exists()
    [message] = mail.outbox
    assert message.to == ["Nina@example.org"]
    assert "Northside Health" in message.subject
    link = _link(message)
    token = link.split("/")[2]
    # Only a hash is stored: the token itself is nowhere in the database.
    assert invitation.token_hash == token_hash(token)
    assert token not in invitation.token_hash
    assert "7 days" in message.body
    assert MemberEvent.objects.get().action == MemberEvent.Action.INVITED


def test_the_message_is_the_same_for_a_known_and_an_unknown_address(world):
    known = _page_text(_invite(world, "oscar@example.org", "consultant"))
    unknown = _page_text(_invite(world, "nobody@example.org", "consultant"))

    def message(text: str, email: str) -> str:
        found = re.search(r"Invitation sent to [^<]*", text)
        assert found, text
        return found.group(0).replace(email, "EMAIL")

    assert message(known, "oscar@example.org") == message(unknown, "nobody@example.org")
    assert "Oscar" not in known  # never named
    assert "account" not in message(known, "oscar@example.org")
    # Oscar is not joined to Northside by being invited.
    assert not Membership.objects.filter(user=world.oscar, organisation=world.org).exists()
    assert len(mail.outbox) == 2


def test_pending_invitations_are_listed_with_resend_and_revoke(world):
    _invite(world, "sia@example.org", "site_admin", sites=[world.hospital.pk])
    text = _page_text(_client(world.alice).get(_members_url(world)))
    invitation = Invitation.objects.get()
    assert "Pending invitations" in text
    assert "sia@example.org" in text
    assert "Northside Hospital" in text
    assert reverse("assessments:resend-invitation", args=[world.org.slug, invitation.pk]) in text
    assert reverse("assessments:revoke-invitation", args=[world.org.slug, invitation.pk]) in text
    assert list(invitation.sites.all()) == [world.hospital]


def test_inviting_an_address_again_replaces_the_pending_link(world):
    _invite(world, "nina@example.org", "viewer")
    old = _link(mail.outbox[0])
    _invite(world, "NINA@example.org", "consultant")
    assert "no longer works" in _page_text(_client().get(old))
    assert Invitation.objects.filter(revoked_at__isnull=True).get().role == Role.CONSULTANT


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"email": "", "role": "viewer"}, "email", "Give the person's email address."),
        ({"email": "not-an-email", "role": "viewer"}, "email", "Enter a valid email address."),
        ({"email": "a@example.org", "role": "owner"}, "role", "Select a valid choice."),
        ({"email": "a@example.org"}, "role", "Choose a role."),
        ({"email": "a@example.org", "role": "site_admin"}, "sites", "Choose at least one site"),
        (
            {"email": "a@example.org", "role": "site_admin", "sites": [10**30]},
            "sites",
            "Choose sites of this organisation only.",
        ),
    ],
)
def test_bad_input_is_shown_next_to_the_field(world, data, field, words):
    response = _client(world.alice).post(_members_url(world), data)
    assert response.status_code == 422
    assert words in response.context["form"].errors[field][0]
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_a_site_of_another_organisation_cannot_be_given(world):
    response = _client(world.alice).post(
        _members_url(world),
        {"email": "a@example.org", "role": "site_admin", "sites": [world.other_site.pk]},
    )
    assert response.status_code == 422
    assert not Invitation.objects.exists()


def test_sites_are_kept_only_for_site_admins(world):
    _invite(world, "cy@example.org", "consultant", sites=[world.clinic.pk])
    assert not Invitation.objects.get().sites.exists()


@pytest.mark.parametrize("user", ["victor", "sam", "carla"])
def test_only_org_admins_may_invite(world, user):
    response = _client(getattr(world, user)).post(
        _members_url(world), {"email": "x@example.org", "role": "org_admin"}
    )
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_another_organisations_admin_gets_a_404_for_revoke_and_resend(world):
    _invite(world, "nina@example.org")
    invitation = Invitation.objects.get()
    for name in ("resend-invitation", "revoke-invitation"):
        # Through Oscar's own organisation's URL, and through Northside's.
        for slug in (world.other_org.slug, world.org.slug):
            url = reverse(f"assessments:{name}", args=[slug, invitation.pk])
            assert _client(world.oscar).post(url).status_code == 404
    invitation.refresh_from_db()
    assert invitation.is_open
    assert len(mail.outbox) == 1


# --- revoke and resend ----------------------------------------------------------------------


def test_a_revoked_invitation_cannot_be_accepted(world):
    _invite(world, "nina@example.org")
    invitation = Invitation.objects.get()
    link = _link(mail.outbox[0])
    url = reverse("assessments:revoke-invitation", args=[world.org.slug, invitation.pk])
    response = _client(world.alice).post(url, follow=True)
    assert "revoked" in _page_text(response)
    assert "nina@example.org" not in _page_text(response).split("Pending invitations")[1]
    page = _client().post(link, _new_account())
    assert "no longer works" in _page_text(page)
    assert not User.objects.filter(email="nina@example.org").exists()
    event = MemberEvent.objects.get(action=MemberEvent.Action.REVOKED)
    assert (event.user, event.email) == (world.alice, "nina@example.org")


def test_resend_makes_a_new_link_and_the_old_one_stops_working(world):
    _invite(world, "nina@example.org")
    invitation = Invitation.objects.get()
    invitation.expires_at = timezone.now() - datetime.timedelta(minutes=1)
    invitation.save()
    old = _link(mail.outbox[0])
    url = reverse("assessments:resend-invitation", args=[world.org.slug, invitation.pk])
    response = _client(world.alice).post(url, follow=True)
    assert "Invitation sent to nina@example.org" in _page_text(response)
    new = _link(mail.outbox[1])
    assert new != old
    assert "no longer works" in _page_text(_client().get(old))
    # The resend renews an expired invitation too.
    assert "Create my account and join" in _page_text(_client().get(new))
    assert MemberEvent.objects.filter(action=MemberEvent.Action.RESENT, user=world.alice).exists()


def test_a_member_who_never_set_a_password_gets_the_same_resend(world):
    nina = User.objects.create_user("nina", email="nina@example.org", password=None)
    member = factories.make_membership(nina, world.org, Role.VIEWER)
    text = _page_text(_client(world.alice).get(_members_url(world)))
    url = reverse("assessments:resend-member-invitation", args=[world.org.slug, member.pk])
    assert url in text
    _client(world.alice).post(url)
    link = _link(mail.outbox[0])
    response = _client().post(link, _new_account(first_name="Nina", last_name="Late"))
    assert response.status_code == 302
    nina.refresh_from_db()
    assert nina.has_usable_password()
    assert nina.get_full_name() == "Nina Late"
    assert Membership.objects.get(user=nina, organisation=world.org).role == Role.VIEWER
    # A member who can sign in has nothing to resend.
    victor = Membership.objects.get(user=world.victor, organisation=world.org)
    url = reverse("assessments:resend-member-invitation", args=[world.org.slug, victor.pk])
    _client(world.alice).post(url)
    assert len(mail.outbox) == 1


# --- accepting ------------------------------------------------------------------------------


def _new_account(**changes: str) -> dict[str, str]:
    data = {
        "first_name": "Nina",
        "last_name": "New",
        "password1": "a long Passphrase 42",
        "password2": "a long Passphrase 42",
    }
    data.update(changes)
    return data


def test_someone_new_sets_name_and_password_and_only_then_has_an_account(world):
    _invite(world, "sia@example.org", "site_admin", sites=[world.hospital.pk])
    link = _link(mail.outbox[0])
    client = _client()
    page = client.get(link)
    assert page.status_code == 200
    assert "Join Northside Health" in _page_text(page)
    assert not User.objects.filter(email="sia@example.org").exists()
    response = client.post(link, _new_account(first_name="Sia", last_name="Site"))
    assert response.status_code == 302
    assert response["Location"] == reverse("assessments:organisation", args=[world.org.slug])
    user = User.objects.get(email="sia@example.org")
    assert user.check_password("a long Passphrase 42")
    assert user.get_full_name() == "Sia Site"
    member = Membership.objects.get(user=user, organisation=world.org)
    assert (member.role, list(member.sites.all())) == (Role.SITE_ADMIN, [world.hospital])
    # Signed in as the new account.
    assert client.get(reverse("assessments:organisation", args=[world.org.slug])).status_code == 200
    event = MemberEvent.objects.get(action=MemberEvent.Action.ACCEPTED)
    assert event.user == user


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"first_name": "  "}, "first_name"),
        ({"password2": "something else"}, "password2"),
        ({"password1": "123", "password2": "123"}, "password1"),
        ({"password1": "", "password2": ""}, "password1"),
    ],
)
def test_a_bad_name_or_password_is_explained_and_creates_nothing(world, changes, field):
    _invite(world, "nina@example.org")
    link = _link(mail.outbox[0])
    response = _client().post(link, _new_account(**changes))
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert not User.objects.filter(email="nina@example.org").exists()
    assert Invitation.objects.get().is_open


def test_a_link_works_only_once(world):
    _invite(world, "nina@example.org")
    link = _link(mail.outbox[0])
    assert _client().post(link, _new_account()).status_code == 302
    again = _client().post(link, _new_account(first_name="Mallory"))
    assert "no longer works" in _page_text(again)
    assert User.objects.filter(email="nina@example.org").count() == 1
    assert User.objects.get(email="nina@example.org").first_name == "Nina"


def test_an_expired_link_joins_nobody(world, settings):
    settings.INVITATION_DAYS = 2
    _invite(world, "nina@example.org")
    invitation = Invitation.objects.get()
    assert invitation.expires_at - invitation.sent_at == datetime.timedelta(days=2)
    invitation.expires_at = timezone.now() - datetime.timedelta(seconds=1)
    invitation.save()
    link = _link(mail.outbox[0])
    response = _client().post(link, _new_account())
    assert "This invitation has expired" in _page_text(response)
    assert not User.objects.filter(email="nina@example.org").exists()


def test_an_existing_account_signs_in_and_accepts(world):
    _invite(world, "oscar@example.org", "consultant")
    link = _link(mail.outbox[0])
    page = _page_text(_client().get(link))
    assert "Sign in to accept" in page
    # The new-account form is not offered for an address that can sign in.
    assert _client().post(link, _new_account()).status_code == 200
    assert not world.oscar.memberships.filter(organisation=world.org).exists()
    oscar = _client(world.oscar)
    assert "Accept and join Northside Health" in _page_text(oscar.get(link))
    assert not world.oscar.memberships.filter(organisation=world.org).exists()  # GET joins nobody
    response = oscar.post(link)
    assert response.status_code == 302
    assert Membership.objects.get(user=world.oscar, organisation=world.org).role == Role.CONSULTANT
    assert world.oscar.check_password("pw-Secret-123")  # untouched


def test_the_wrong_account_signed_in_is_told_to_sign_out_and_joins_nothing(world):
    _invite(world, "oscar@example.org", "org_admin")
    link = _link(mail.outbox[0])
    victor = _client(world.victor)
    for method in ("get", "post"):
        response = getattr(victor, method)(link)
        assert response.status_code == 403
        text = _page_text(response)
        assert "signed in with another account" in text
        assert "Sign out, then open the link from the email again" in text
        assert "oscar@example.org" not in text
    assert Membership.objects.get(user=world.victor, organisation=world.org).role == Role.VIEWER
    assert not world.oscar.memberships.filter(organisation=world.org).exists()
    assert Invitation.objects.get().is_open  # still usable by the right person


@pytest.mark.parametrize("token", ["bad-token", "x" * 5000, "%00", "a" * 43])
def test_an_unknown_link_is_a_page_not_an_error(world, token):
    response = _client().get(f"/invitations/{token}/")
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert "no longer works" in _page_text(response)
