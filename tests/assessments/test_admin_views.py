"""The organisation admin screens: sites, members and instruments, by role and with bad input."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from assessments.admin_forms import MAX_PROBLEMS_SHOWN, problem_lines
from assessments.instruments import InstrumentError, Problem
from assessments.invitations import invitation_create
from assessments.models import Assessment, Instrument, Invitation, Membership, Question, Site
from assessments.services import (
    LastOrgAdmin,
    SiteNameTaken,
    membership_remove,
    membership_update,
    site_create,
)
from tests import factories
from tests.conftest import World

Role = Membership.Role


def _client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _text(response: Any) -> str:
    """The page as a person reads it (entities such as &quot; decoded)."""
    return html.unescape(response.content.decode())


def _membership(user: User, world: World) -> Membership:
    return Membership.objects.get(user=user, organisation=world.org)


def _urls(world: World) -> dict[str, str]:
    slug = world.org.slug
    sam = _membership(world.sam, world).pk
    return {
        "manage-sites": reverse("assessments:manage-sites", args=[slug]),
        "edit-site": reverse("assessments:edit-site", args=[slug, world.clinic.pk]),
        "members": reverse("assessments:members", args=[slug]),
        "edit-member": reverse("assessments:edit-member", args=[slug, sam]),
        "remove-member": reverse("assessments:remove-member", args=[slug, sam]),
        "instruments": reverse("assessments:instruments", args=[slug]),
    }


# Session, user, membership, the page's own queries, the nav's memberships: the same for 2 or 20 rows.
# Members: +1 for the pending invitations (their sites are prefetched only when there are some).
QUERIES = {"sites": 6, "members": 8, "instruments": 8}

VIEWS = ["manage-sites", "edit-site", "members", "edit-member", "remove-member", "instruments"]


# --- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize(
    ("persona", "expected"),
    [("alice", 200), ("sam", 403), ("carla", 403), ("victor", 403), ("oscar", 404)],
)
def test_only_the_organisation_admin_reaches_the_admin_screens(world, view, persona, expected):
    response = _client(getattr(world, persona)).get(_urls(world)[view])
    assert response.status_code == expected


@pytest.mark.parametrize("view", VIEWS)
def test_anonymous_visitors_are_sent_to_login(world, view):
    response = Client().get(_urls(world)[view])
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("persona", ["sam", "carla", "victor", "oscar"])
def test_posts_by_other_roles_change_nothing(world, view, persona):
    data = {
        "name": "Sneaky Site",
        "kind": "clinic",
        "action": "archive",
        "email": "sneaky@example.org",
        "role": "org_admin",
    }
    response = _client(getattr(world, persona)).post(_urls(world)[view], data)
    assert response.status_code == (404 if persona == "oscar" else 403)
    assert not Site.objects.filter(name="Sneaky Site").exists()
    assert not User.objects.filter(email="sneaky@example.org").exists()
    world.clinic.refresh_from_db()
    assert not world.clinic.archived
    assert _membership(world.sam, world).role == Role.SITE_ADMIN


def test_another_organisations_site_is_a_404_for_an_org_admin(world):
    url = reverse("assessments:edit-site", args=[world.org.slug, world.other_site.pk])
    assert _client(world.alice).get(url).status_code == 404
    assert _client(world.alice).post(url, {"action": "archive"}).status_code == 404
    world.other_site.refresh_from_db()
    assert not world.other_site.archived


def test_another_organisations_membership_is_a_404_for_an_org_admin(world):
    oscar = Membership.objects.get(user=world.oscar)
    for name in ("edit-member", "remove-member"):
        url = reverse(f"assessments:{name}", args=[world.org.slug, oscar.pk])
        assert _client(world.alice).get(url).status_code == 404
        assert _client(world.alice).post(url, {"role": "viewer"}).status_code == 404
    assert Membership.objects.filter(pk=oscar.pk, role=Role.ORG_ADMIN).exists()


# --- sites -----------------------------------------------------------------------------------


def test_the_sites_page_lists_every_site_with_archived_ones_marked(world):
    world.hospital.archived = True
    world.hospital.save()
    response = _client(world.alice).get(_urls(world)["manage-sites"])
    text = _text(response)
    assert "Northside Clinic" in text
    assert "Northside Hospital" in text
    assert "Archived" in text
    assert "Other Clinic" not in text
    assert "Sam Site" in text  # the clinic's site admin


def test_an_org_admin_adds_a_site(world):
    client = _client(world.alice)
    response = client.post(
        _urls(world)["manage-sites"], {"name": "  Harbour   Practice ", "kind": "practice"}
    )
    assert response.status_code == 302
    site = Site.objects.get(organisation=world.org, name="Harbour Practice")
    assert site.kind == Site.Kind.PRACTICE
    assert not site.archived
    page = client.get(response.url)
    assert "Site “Harbour Practice” added." in _text(page)


def test_a_duplicate_site_name_is_an_error_next_to_the_field(world):
    response = _client(world.alice).post(
        _urls(world)["manage-sites"], {"name": "northside clinic", "kind": "clinic"}
    )
    assert response.status_code == 422
    assert "already exists in this organisation" in response.context["form"].errors["name"][0]
    assert 'id="error_1_id_name"' in response.content.decode()
    assert Site.objects.filter(organisation=world.org).count() == 2


def test_the_same_site_name_is_fine_in_another_organisation(world):
    response = _client(world.alice).post(
        _urls(world)["manage-sites"], {"name": "Other Clinic", "kind": "clinic"}
    )
    assert response.status_code == 302
    assert Site.objects.filter(name="Other Clinic").count() == 2


def test_a_duplicate_of_an_archived_site_suggests_restoring_it(world):
    world.hospital.archived = True
    world.hospital.save()
    response = _client(world.alice).post(
        _urls(world)["manage-sites"], {"name": "Northside Hospital", "kind": "hospital"}
    )
    assert "restore it instead" in response.context["form"].errors["name"][0]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "kind": "clinic"}, "name"),
        ({"name": "   ", "kind": "clinic"}, "name"),
        ({"name": "x" * 201, "kind": "clinic"}, "name"),
        ({"name": "New", "kind": "castle"}, "kind"),
    ],
)
def test_bad_site_input_is_shown_next_to_the_field(world, data, field):
    response = _client(world.alice).post(_urls(world)["manage-sites"], data)
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert Site.objects.filter(organisation=world.org).count() == 2


def test_an_org_admin_renames_a_site_and_changes_its_kind(world):
    response = _client(world.alice).post(
        _urls(world)["edit-site"], {"name": "Northside Family Practice", "kind": "practice"}
    )
    assert response.status_code == 302
    world.clinic.refresh_from_db()
    assert world.clinic.name == "Northside Family Practice"
    assert world.clinic.kind == Site.Kind.PRACTICE


def test_renaming_a_site_to_another_sites_name_is_refused(world):
    response = _client(world.alice).post(
        _urls(world)["edit-site"], {"name": "Northside Hospital", "kind": "clinic"}
    )
    assert response.status_code == 422
    assert "already exists" in response.context["form"].errors["name"][0]
    world.clinic.refresh_from_db()
    assert world.clinic.name == "Northside Clinic"


def test_a_site_keeps_its_own_name_when_only_the_kind_changes(world):
    response = _client(world.alice).post(
        _urls(world)["edit-site"], {"name": "Northside Clinic", "kind": "other"}
    )
    assert response.status_code == 302
    world.clinic.refresh_from_db()
    assert world.clinic.kind == Site.Kind.OTHER


def test_an_archived_site_is_hidden_closed_to_new_assessments_and_keeps_its_data(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    client = _client(world.alice)
    response = client.post(_urls(world)["edit-site"], {"action": "archive"})
    assert response.status_code == 302
    world.clinic.refresh_from_db()
    assert world.clinic.archived
    dashboard = reverse("assessments:organisation", args=[world.org.slug])
    assert [row["site"] for row in client.get(dashboard).context["rows"]] == [world.hospital]
    archived_too = client.get(dashboard + "?archived=1").context["rows"]
    assert [row["site"] for row in archived_too] == [world.clinic, world.hospital]
    client.post(
        reverse("assessments:site", args=[world.clinic.pk]),
        {
            "instrument": world.instrument.pk,
            "round_label": "2026 autumn",
            "round_date": "2026-03-01",
        },
    )
    assert list(Assessment.objects.filter(site=world.clinic)) == [assessment]


def test_an_archived_site_can_be_restored(world):
    world.clinic.archived = True
    world.clinic.save()
    response = _client(world.alice).post(_urls(world)["edit-site"], {"action": "restore"})
    assert response.status_code == 302
    world.clinic.refresh_from_db()
    assert not world.clinic.archived


def test_site_create_refuses_a_taken_name(world):
    with pytest.raises(SiteNameTaken):
        site_create(organisation=world.org, name="Northside Clinic", kind="clinic")


def test_the_sites_page_queries_do_not_grow_with_the_sites(world, django_assert_max_num_queries):
    client = _client(world.alice)
    url = _urls(world)["manage-sites"]
    client.get(url)  # warm caches (instrument content) so counts compare
    with django_assert_max_num_queries(QUERIES["sites"]):
        client.get(url)
    for n in range(15):
        site = factories.make_site(world.org, f"Extra {n}")
        factories.make_membership(factories.make_user(), world.org, Role.SITE_ADMIN, [site])
        factories.make_assessment(site, world.instrument)
    with django_assert_max_num_queries(QUERIES["sites"]):
        response = client.get(url)
    assert "Extra 14" in _text(response)


# --- members ---------------------------------------------------------------------------------


def test_the_members_page_lists_roles_and_a_site_admins_sites(world):
    text = _text(_client(world.alice).get(_urls(world)["members"]))
    for name in ("Alice Admin", "Sam Site", "Carla Consultant", "Victor Viewer"):
        assert name in text
    assert "Oscar" not in text
    assert "Organisation admin" in text
    assert "Northside Clinic" in text  # sam's site


def test_adding_a_person_invites_them_instead_of_joining_them(world):
    # Invitations (tests/assessments/test_invitations.py): nobody joins, no account is made.
    users = User.objects.count()
    response = _client(world.alice).post(
        _urls(world)["members"], {"email": "OSCAR@example.org", "role": "consultant"}
    )
    assert response.status_code == 302
    assert User.objects.count() == users
    assert not Membership.objects.filter(user=world.oscar, organisation=world.org).exists()
    assert Invitation.objects.get().email == "OSCAR@example.org"


def test_adding_someone_who_already_belongs_says_so_next_to_the_email(world):
    response = _client(world.alice).post(
        _urls(world)["members"], {"email": "Carla@Example.org", "role": "viewer"}
    )
    assert response.status_code == 422
    error = response.context["form"].errors["email"][0]
    assert "already belongs to this organisation" in error
    assert "Consultant" in error
    assert 'id="error_1_id_email"' in response.content.decode()
    assert _membership(world.carla, world).role == Role.CONSULTANT


def test_a_site_admin_needs_at_least_one_site(world):
    response = _client(world.alice).post(
        _urls(world)["members"], {"email": "new@example.org", "role": "site_admin"}
    )
    assert response.status_code == 422
    assert response.context["form"].errors["sites"] == [
        "Choose at least one site for a site admin."
    ]
    assert not Invitation.objects.exists()


def test_a_site_of_another_organisation_is_rejected(world):
    response = _client(world.alice).post(
        _urls(world)["members"],
        {
            "email": "sia@example.org",
            "role": "site_admin",
            "sites": [world.clinic.pk, world.other_site.pk],
        },
    )
    assert response.status_code == 422
    assert response.context["form"].errors["sites"] == ["Choose sites of this organisation only."]
    assert not Invitation.objects.exists()
    assert "Other Clinic" not in _text(response)  # never offered either


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "", "role": "viewer"}, "email"),
        ({"email": "not-an-email", "role": "viewer"}, "email"),
        ({"email": "a@example.org", "role": "owner"}, "role"),
        ({"email": "a@example.org"}, "role"),
        ({"email": "a@example.org", "role": "site_admin", "sites": ["abc"]}, "sites"),
    ],
)
def test_bad_member_input_is_shown_next_to_the_field(world, data, field):
    response = _client(world.alice).post(_urls(world)["members"], data)
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert Membership.objects.filter(organisation=world.org).count() == 4


def test_an_org_admin_changes_a_role(world):
    carla = _membership(world.carla, world)
    url = reverse("assessments:edit-member", args=[world.org.slug, carla.pk])
    response = _client(world.alice).post(url, {"role": "viewer"})
    assert response.status_code == 302
    carla.refresh_from_db()
    assert carla.role == Role.VIEWER


def test_changing_a_site_admins_sites_and_role(world):
    client = _client(world.alice)
    url = _urls(world)["edit-member"]
    sam = _membership(world.sam, world)
    response = client.post(url, {"role": "site_admin", "sites": [world.hospital.pk]})
    assert response.status_code == 302
    assert list(sam.sites.all()) == [world.hospital]
    client.post(url, {"role": "consultant", "sites": [world.hospital.pk]})
    sam.refresh_from_db()
    assert sam.role == Role.CONSULTANT
    assert not sam.sites.exists()


def test_editing_a_member_refuses_another_organisations_site(world):
    response = _client(world.alice).post(
        _urls(world)["edit-member"], {"role": "site_admin", "sites": [world.other_site.pk]}
    )
    assert response.status_code == 422
    assert response.context["form"].errors["sites"] == ["Choose sites of this organisation only."]
    assert list(_membership(world.sam, world).sites.all()) == [world.clinic]


def test_the_edit_page_shows_the_current_role_and_sites(world):
    response = _client(world.alice).get(_urls(world)["edit-member"])
    form = response.context["form"]
    assert form["role"].value() == Role.SITE_ADMIN
    assert [int(pk) for pk in form["sites"].value()] == [world.clinic.pk]


def test_the_last_org_admin_cannot_demote_themselves(world):
    alice = _membership(world.alice, world)
    url = reverse("assessments:edit-member", args=[world.org.slug, alice.pk])
    response = _client(world.alice).post(url, {"role": "viewer"})
    assert response.status_code == 422
    assert "only organisation admin" in response.context["form"].errors["role"][0]
    alice.refresh_from_db()
    assert alice.role == Role.ORG_ADMIN


def test_an_org_admin_can_step_down_when_another_remains(world):
    carla = _membership(world.carla, world)
    membership_update(membership=carla, role=Role.ORG_ADMIN, sites=[])
    alice = _membership(world.alice, world)
    url = reverse("assessments:edit-member", args=[world.org.slug, alice.pk])
    response = _client(world.alice).post(url, {"role": "viewer"})
    # Alice can no longer manage: she lands on the dashboard, not on a 403.
    assert response.url == reverse("assessments:organisation", args=[world.org.slug])
    alice.refresh_from_db()
    assert alice.role == Role.VIEWER


def test_removing_a_member_asks_for_confirmation_first(world):
    response = _client(world.alice).get(_urls(world)["remove-member"])
    assert response.status_code == 200
    assert "Remove Sam Site from Northside Health?" in _text(response)
    assert Membership.objects.filter(user=world.sam, organisation=world.org).exists()


def test_an_org_admin_removes_a_member_and_the_account_stays(world):
    response = _client(world.alice).post(_urls(world)["remove-member"])
    assert response.status_code == 302
    assert response.url == reverse("assessments:members", args=[world.org.slug])
    assert not Membership.objects.filter(user=world.sam).exists()
    assert User.objects.filter(pk=world.sam.pk).exists()
    assert _client(world.sam).get(
        reverse("assessments:site", args=[world.clinic.pk])
    ).status_code == (404)


def test_the_last_org_admin_cannot_remove_themselves(world):
    alice = _membership(world.alice, world)
    url = reverse("assessments:remove-member", args=[world.org.slug, alice.pk])
    page = _client(world.alice).get(url)
    assert "the only organisation admin of Northside Health" in _text(page)
    assert 'type="submit" class="btn btn-danger"' not in page.content.decode()
    response = _client(world.alice).post(url)
    assert response.status_code == 409
    assert "Make someone else an organisation admin first" in _text(response)
    assert Membership.objects.filter(pk=alice.pk).exists()


def test_an_org_admin_who_leaves_is_sent_home(world):
    membership_update(membership=_membership(world.carla, world), role=Role.ORG_ADMIN, sites=[])
    alice = _membership(world.alice, world)
    url = reverse("assessments:remove-member", args=[world.org.slug, alice.pk])
    response = _client(world.alice).post(url)
    assert response.url == reverse("assessments:home")
    assert not Membership.objects.filter(pk=alice.pk).exists()


def test_membership_services_guard_the_last_org_admin(world):
    alice = _membership(world.alice, world)
    with pytest.raises(LastOrgAdmin):
        membership_remove(membership=alice)
    with pytest.raises(LastOrgAdmin):
        membership_update(membership=alice, role=Role.CONSULTANT, sites=[])
    assert Membership.objects.get(pk=alice.pk).role == Role.ORG_ADMIN


def test_membership_services_refuse_another_organisations_site(world):
    with pytest.raises(ValueError, match="another organisation"):
        invitation_create(
            organisation=world.org,
            email="x@example.org",
            role=Role.SITE_ADMIN,
            sites=[world.other_site],
            invited_by=world.alice,
            accept_url=str,
        )
    with pytest.raises(ValueError, match="at least one site"):
        membership_update(membership=_membership(world.sam, world), role=Role.SITE_ADMIN, sites=[])
    assert not User.objects.filter(email="x@example.org").exists()
    assert not Invitation.objects.exists()


def test_the_members_page_queries_do_not_grow_with_the_members(
    world, django_assert_max_num_queries
):
    client = _client(world.alice)
    url = _urls(world)["members"]
    client.get(url)  # warm caches (instrument content) so counts compare
    with django_assert_max_num_queries(QUERIES["members"]):
        client.get(url)
    for n in range(15):
        site = factories.make_site(world.org, f"Extra {n}")
        factories.make_membership(factories.make_user(), world.org, Role.SITE_ADMIN, [site])
        invitation_create(
            organisation=world.org,
            email=f"invited{n}@example.org",
            role=Role.SITE_ADMIN,
            sites=[site],
            invited_by=world.alice,
            accept_url=str,
        )
    with django_assert_max_num_queries(QUERIES["members"] + 1):  # + the invitations' sites
        response = client.get(url)
    assert "Extra 14" in _text(response)
    assert "invited14@example.org" in _text(response)


# --- instruments -----------------------------------------------------------------------------

OWN_INSTRUMENT = factories.SMALL_INSTRUMENT.replace("slug: small-test", "slug: northside-own")


def _upload(client: Client, world: World, content: bytes, name: str = "own.yaml") -> Any:
    return client.post(
        _urls(world)["instruments"],
        {"file": SimpleUploadedFile(name, content, content_type="application/x-yaml")},
    )


def test_the_instruments_page_lists_shipped_and_own_instruments_with_counts(world):
    factories.make_assessment(world.clinic, world.instrument)
    factories.make_assessment(world.other_site, world.instrument)  # not Northside's
    other = OWN_INSTRUMENT.replace("northside-own", "other-own").replace(
        "Small test instrument", "Other's instrument"
    )
    _upload(_client(world.oscar), world, other.encode())
    response = _client(world.alice).get(_urls(world)["instruments"])
    rows = {row["instrument"].slug: row for row in response.context["rows"]}
    assert set(rows) == {"small-test"}  # another organisation's upload stays theirs
    assert (rows["small-test"]["domains"], rows["small-test"]["questions"]) == (2, 6)
    assert rows["small-test"]["assessments"] == 1
    assert "Other's instrument" not in _text(response)


def test_an_org_admin_uploads_an_instrument(world):
    client = _client(world.alice)
    response = _upload(client, world, OWN_INSTRUMENT.encode())
    assert response.status_code == 302
    instrument = Instrument.objects.get(slug="northside-own", version="1.0")
    assert instrument.organisation == world.org
    assert instrument.source_name == "own.yaml"
    assert instrument.questions.count() == 6
    page = _text(client.get(response.url))
    assert "Loaded “Small test instrument” version 1.0" in page
    assert "Uploaded" in page


def test_uploading_the_same_file_again_changes_nothing(world):
    client = _client(world.alice)
    _upload(client, world, OWN_INSTRUMENT.encode())
    response = _upload(client, world, (OWN_INSTRUMENT + "\n# a comment\n").encode())
    assert response.status_code == 302
    assert "already loaded with the same content" in _text(client.get(response.url))
    assert Instrument.objects.filter(slug="northside-own").count() == 1


def test_an_uploaded_instrument_can_start_an_assessment(world):
    _upload(_client(world.alice), world, OWN_INSTRUMENT.encode())
    own = Instrument.objects.get(slug="northside-own")
    response = _client(world.sam).get(reverse("assessments:site", args=[world.clinic.pk]))
    assert own in response.context["form"].fields["instrument"].queryset


def test_bad_yaml_is_an_error_next_to_the_upload_field(world):
    response = _upload(_client(world.alice), world, b"slug: [unclosed\ntitle: x\n")
    assert response.status_code == 422
    errors = response.context["form"].errors["file"]
    assert any("invalid YAML at line" in error for error in errors)
    assert 'id="error_1_id_file"' in response.content.decode()
    assert Instrument.objects.count() == 1


def test_a_huge_number_in_an_upload_is_an_error_naming_key_and_line(world):
    # int("9" * 5000) raises ValueError past Python's 4,300-digit limit: refused before that.
    text = OWN_INSTRUMENT.replace('version: "1.0"', "version: 0x" + "f" * 4000)
    response = _upload(_client(world.alice), world, text.encode())
    assert response.status_code == 422
    errors = response.context["form"].errors["file"]
    assert any("the number given for 'version' has 4,002 characters" in e for e in errors)
    assert any("line 3" in e for e in errors)
    assert not Instrument.objects.filter(slug="northside-own").exists()


def test_every_validation_problem_is_listed_and_nothing_is_loaded(world):
    text = (
        OWN_INSTRUMENT.replace("title: Small test instrument", "titel: Small test instrument")
        .replace("        recommendation: Monitor uptime.\n", "")
        .replace("    weight: 2\n", "    weight: -2\n")
    )
    response = _upload(_client(world.alice), world, text.encode(), name="broken.yaml")
    assert response.status_code == 422
    errors = response.context["form"].errors["file"]
    assert len(errors) >= 3
    page = _text(response)
    assert 'broken.yaml: titel: unknown field at the top level (did you mean "title"?)' in page
    assert "broken.yaml: ops.q02:" in page  # the question without a recommendation
    assert "broken.yaml: ops:" in page  # the domain with a negative weight
    assert not Instrument.objects.filter(slug="northside-own").exists()


@pytest.mark.parametrize("limit", [100])
def test_a_file_over_the_size_limit_is_refused(world, settings, limit):
    settings.UPLOAD_MAX_BYTES = limit
    response = _upload(_client(world.alice), world, OWN_INSTRUMENT.encode())
    assert response.status_code == 422
    assert "instrument files up to" in response.context["form"].errors["file"][0]
    assert not Instrument.objects.filter(slug="northside-own").exists()


def test_a_file_that_is_not_utf8_is_refused(world):
    content = OWN_INSTRUMENT.replace("Governance", "Gouvernance é").encode("latin-1")
    response = _upload(_client(world.alice), world, content)
    assert response.status_code == 422
    assert "not UTF-8" in response.context["form"].errors["file"][0]
    assert not Instrument.objects.filter(slug="northside-own").exists()


def test_an_upload_without_a_file_asks_for_one(world):
    response = _client(world.alice).post(_urls(world)["instruments"], {})
    assert response.status_code == 422
    assert response.context["form"].errors["file"] == ["Choose an instrument file to upload."]


def test_changed_content_of_a_loaded_version_is_refused_and_nothing_changes(world):
    client = _client(world.alice)
    _upload(client, world, OWN_INSTRUMENT.encode())
    instrument = Instrument.objects.get(slug="northside-own")
    changed = OWN_INSTRUMENT.replace("Is AI uptime monitored?", "Is AI uptime watched?")
    response = _upload(client, world, changed.encode())
    assert response.status_code == 422
    assert "already loaded with different content" in _text(response)
    assert Instrument.objects.get(pk=instrument.pk).content_hash == instrument.content_hash
    assert Question.objects.get(instrument=instrument, key="ops.q02").text == (
        "Is AI uptime monitored?"
    )


def test_an_upload_cannot_take_the_slug_of_a_shipped_instrument(world):
    changed = factories.SMALL_INSTRUMENT.replace('version: "1.0"', 'version: "2.0"')
    response = _upload(_client(world.alice), world, changed.encode())
    assert response.status_code == 422
    assert "already taken" in _text(response)
    assert not Instrument.objects.filter(slug="small-test", version="2.0").exists()


def test_problem_lists_are_cut_short_with_a_count():
    exc = InstrumentError(Problem("f.yaml", f"q{n}", "bad") for n in range(MAX_PROBLEMS_SHOWN + 7))
    lines = problem_lines(exc)
    assert len(lines) == MAX_PROBLEMS_SHOWN + 1
    assert lines[0] == "f.yaml: q0: bad"
    assert lines[-1] == "… and 7 more problems."


def test_the_instruments_page_queries_do_not_grow_with_the_assessments(
    world, django_assert_max_num_queries
):
    client = _client(world.alice)
    url = _urls(world)["instruments"]
    client.get(url)  # warm caches (instrument content) so counts compare
    with django_assert_max_num_queries(QUERIES["instruments"]):
        client.get(url)
    _upload(client, world, OWN_INSTRUMENT.encode())
    for n in range(10):
        factories.make_assessment(world.clinic, world.instrument, round_label=f"Round {n}")
    with django_assert_max_num_queries(QUERIES["instruments"]):
        response = client.get(url)
    assert len(response.context["rows"]) == 2
