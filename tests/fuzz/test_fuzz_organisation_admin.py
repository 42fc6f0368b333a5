"""Fuzz the organisation admin screens (sites, members, invitations) and the offboarding
confirmation: no input gives a 500, reaches another organisation or changes anything
but what a valid form asks for.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from assessments.models import (
    Invitation,
    Membership,
    Organisation,
    Site,
)
from tests import factories
from tests.conftest import World
from tests.fuzz.common import (
    ENCODING,
    FUZZ,
    admin_post,
    assert_only_on_success,
    form_data,
    post_form,
    rolled_back,
    saved_state,
    signed_in,
    values,
)

pytestmark = pytest.mark.django_db


# --- organisation admin screens ---------------------------------------------------------------


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_adding_a_site(world, data, urlencoded):
    posted = data.draw(form_data(["name", "kind"]))
    with rolled_back():
        response, before = admin_post(
            world, "assessments:manage-sites", [world.org.slug], posted, urlencoded
        )
        if response.status_code == 302:
            new = Site.objects.exclude(pk__in=[row[0] for row in before["sites"]]).get()
            assert new.name == " ".join(posted["name"].split())
            assert new.organisation == world.org


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_editing_a_site(world, data, urlencoded):
    posted = data.draw(form_data(["name", "kind", "action"]))
    with rolled_back():
        response, _ = admin_post(
            world, "assessments:edit-site", [world.org.slug, world.clinic.pk], posted, urlencoded
        )
        world.other_site.refresh_from_db()
        assert world.other_site.name == "Other Clinic"


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_adding_a_member(world, data, urlencoded):
    # Adding is inviting: a refused POST sends and stores nothing, and nobody joins directly.
    posted = data.draw(form_data(["email", "role", "sites"]))
    if data.draw(st.booleans()):
        posted["sites"] = data.draw(
            st.sampled_from(
                [str(world.clinic.pk), str(world.other_site.pk), "0", "-1", "x", "9" * 30]
            )
        )
    with rolled_back():
        response, before = admin_post(
            world, "assessments:members", [world.org.slug], posted, urlencoded
        )
        assert (
            not Membership.objects.filter(sites=world.other_site)
            .exclude(organisation=world.other_org)
            .exists()
        )
        assert saved_state()["memberships"] == before["memberships"]
        assert not Invitation.objects.filter(sites=world.other_site).exists()


def _invitation_link(world: World, email: str) -> str:
    from assessments.invitations import invitation_create

    links: list[str] = []

    def remember(token: str) -> str:
        links.append(token)
        return ""

    invitation_create(
        organisation=world.org,
        email=email,
        role=Membership.Role.VIEWER,
        sites=[],
        invited_by=world.alice,
        accept_url=remember,
    )
    return reverse("assessments:accept-invitation", args=[links[0]])


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_accepting_an_invitation_as_someone_new(world, data, urlencoded):
    posted = data.draw(form_data(["first_name", "last_name", "password1", "password2"]))
    with rolled_back():
        link = _invitation_link(world, "newcomer@example.org")
        before = saved_state()
        response = post_form(Client(), link, posted, urlencoded)
        if assert_only_on_success(response, before):
            user = User.objects.get(email="newcomer@example.org")
            assert user.check_password(posted["password1"])
            assert Membership.objects.filter(user=user, organisation=world.org).exists()


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_accepting_an_invitation_with_another_account(world, data, urlencoded):
    posted = data.draw(form_data(["first_name", "last_name", "password1", "password2"]))
    with rolled_back():
        link = _invitation_link(world, "someone-else@example.org")
        before = saved_state()
        response = post_form(signed_in(world.victor), link, posted, urlencoded)
        assert response.status_code == 403
        assert saved_state() == before


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_editing_a_member(world, data, urlencoded):
    posted = data.draw(form_data(["role", "sites"]))
    if data.draw(st.booleans()):
        posted["sites"] = data.draw(
            st.sampled_from([str(world.clinic.pk), str(world.other_site.pk), "0", "x", "9" * 30])
        )
    member = Membership.objects.get(user=world.victor, organisation=world.org)
    with rolled_back():
        admin_post(
            world, "assessments:edit-member", [world.org.slug, member.pk], posted, urlencoded
        )
        assert not member.sites.filter(organisation=world.other_org).exists()
        # The last org admin can never demote themselves through junk.
        assert Membership.objects.filter(organisation=world.org, role="org_admin").exists()


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_removing_a_member(world, data, urlencoded):
    posted = data.draw(form_data(["confirm"]))
    alice = Membership.objects.get(user=world.alice, organisation=world.org)
    with rolled_back():
        # Alice is the only org admin: removing her must be refused whatever is posted.
        response, _ = admin_post(
            world, "assessments:remove-member", [world.org.slug, alice.pk], posted, urlencoded
        )
        assert response.status_code == 409


@pytest.mark.parametrize("url_name", ["assessments:members", "assessments:edit-member"])
def test_a_huge_site_id_in_the_member_forms_is_a_form_error(world, url_name):
    member = Membership.objects.get(user=world.victor, organisation=world.org)
    args = [world.org.slug] if url_name == "assessments:members" else [world.org.slug, member.pk]
    before = saved_state()
    client = signed_in(world.alice)
    response = client.post(
        reverse(url_name, args=args),
        {"email": "new@example.org", "role": "site_admin", "sites": "9" * 30},
    )
    assert response.status_code == 422
    assert "Choose sites of this organisation only." in response.content.decode()
    assert saved_state() == before


@FUZZ
@given(typed=st.one_of(values(), st.sampled_from(["Northside Health", " Northside Health "])))
def test_fuzz_the_offboarding_confirmation(world, typed):
    with rolled_back():
        root = factories.make_user("root", is_staff=True, is_superuser=True)
        client = Client()
        client.force_login(root)
        url = reverse("admin:offboarding_organisation", args=[world.org.pk])
        response = client.post(url, {"name": typed})
        exists = Organisation.objects.filter(pk=world.org.pk).exists()
        if typed.strip() == "Northside Health":
            assert response.status_code == 302
            assert not exists
        else:
            assert response.status_code == 422
            assert exists
            assert Site.objects.filter(organisation=world.org).count() == 2
