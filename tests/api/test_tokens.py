"""Personal API tokens: stored hashed, shown once, expiry, revocation, read-only, limited to
one organisation, last use recorded cheaply, and the account page that manages them."""

from __future__ import annotations

import datetime
import hashlib

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from api.tokens import TOUCH_EVERY, token_create, token_touch
from assessments.models import Answer, Membership
from tests import factories
from tests.api.conftest import ApiClient, api_client
from tests.test_security import inline_code

ME = "/api/v1/me/"


def _page(client: Client, **data: str):
    return client.post(reverse("api_tokens:manage"), data)


def test_only_a_hash_of_the_token_is_stored(world):
    token, secret = token_create(user=world.alice, name="warehouse")
    assert secret.startswith("rdy_")
    assert len(secret) > 40
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert secret not in {str(v) for v in row.values()}
    assert token.prefix == secret[:12]


def test_the_page_shows_a_new_token_once_and_it_works(world):
    client = Client()
    client.force_login(world.alice)
    response = _page(client, action="create", name="Power BI", organisation="", expires_on="")
    assert response.status_code == 302
    page = client.get(reverse("api_tokens:manage"))
    token = ApiToken.objects.get(user=world.alice)
    secret = next(
        line.split('value="')[1].split('"')[0]
        for line in page.content.decode().splitlines()
        if 'id="new-token"' in line
    )
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert "private" in page["Cache-Control"]
    assert "no-store" in page["Cache-Control"]
    assert ApiClient(secret).get(ME).json()["token"]["name"] == "Power BI"
    again = client.get(reverse("api_tokens:manage")).content.decode()
    assert secret not in again
    assert token.prefix in again
    assert inline_code(page.content.decode()) == []


def test_a_name_is_needed_and_the_expiry_must_be_ahead(world):
    client = Client()
    client.force_login(world.alice)
    today = timezone.localdate().isoformat()
    response = _page(client, action="create", name="  ", expires_on=today)
    assert response.status_code == 422
    assert "Give the token a name" in response.content.decode()
    assert "Choose a day after today" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_an_expired_token_is_refused(world):
    _, secret = token_create(
        user=world.alice, name="old", expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = ApiClient(secret).get(ME)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert "revoked or expired" in response.json()["detail"]


def test_a_token_expiring_on_a_day_works_until_then(world):
    client = Client()
    client.force_login(world.alice)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    _page(client, action="create", name="short", expires_on=tomorrow.isoformat())
    token = ApiToken.objects.get()
    assert timezone.localtime(token.expires_at).date() == tomorrow
    assert token.is_usable


def test_a_revoked_token_stops_working_at_once(world):
    token, secret = token_create(user=world.alice, name="gone")
    assert ApiClient(secret).get(ME).status_code == 200
    client = Client()
    client.force_login(world.alice)
    assert _page(client, action="revoke", token=str(token.pk)).status_code == 302
    assert ApiClient(secret).get(ME).status_code == 401
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_nobody_renames_or_revokes_someone_elses_token(world):
    token, secret = token_create(user=world.alice, name="alice's")
    client = Client()
    client.force_login(world.victor)
    _page(client, action="revoke", token=str(token.pk))
    _page(client, action="rename", token=str(token.pk), name="mine now")
    token.refresh_from_db()
    assert token.revoked_at is None
    assert token.name == "alice's"
    assert ApiClient(secret).get(ME).status_code == 200


def test_renaming_a_token(world):
    token, _ = token_create(user=world.alice, name="first")
    client = Client()
    client.force_login(world.alice)
    _page(client, action="rename", token=str(token.pk), name="  second   name ")
    token.refresh_from_db()
    assert token.name == "second name"


def test_a_closed_account_s_token_is_refused(world):
    _, secret = token_create(user=world.alice, name="x")
    world.alice.is_active = False
    world.alice.save()
    assert ApiClient(secret).get(ME).status_code == 401


def test_a_malformed_authorization_header_is_a_401_not_the_session(world):
    for header in ("Bearer", "Bearer a b", "Bearer rdy_unknown", "Token nope", "Bearer \u00e9"):
        client = Client(HTTP_AUTHORIZATION=header)
        client.force_login(world.alice)  # a bad token is never rescued by the session
        response = client.get(ME)
        assert response.status_code == 401, header
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_read_only_token_reads_but_never_writes(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    client = api_client(world.alice, read_only=True)
    url = f"/api/v1/assessments/{assessment.pk}/answers/"
    assert client.get(url).status_code == 200
    response = client.post_json(
        url, {"answers": [{"question": "gov.q01", "value": "yes", "revision": 0}]}
    )
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert not Answer.objects.exists()
    for method in ("put", "patch", "delete"):
        response = getattr(client, method)(f"{url}gov.q01/", {}, content_type="application/json")
        assert response.status_code in (403, 405), method
        assert response.status_code != 405 or method != "put"


def test_a_token_limited_to_one_organisation_sees_no_other(world):
    # Carla is a consultant of Northside and of Other Org.
    factories.make_membership(world.carla, world.other_org, Membership.Role.CONSULTANT)
    other = factories.make_assessment(world.other_site, world.instrument)
    own = factories.make_assessment(world.clinic, world.instrument)
    everywhere = api_client(world.carla)
    limited = api_client(world.carla, organisation=world.org)
    assert everywhere.get(f"/api/v1/assessments/{other.pk}/").status_code == 200
    assert limited.get(f"/api/v1/assessments/{other.pk}/").status_code == 404
    assert limited.get(f"/api/v1/assessments/{own.pk}/").status_code == 200
    assert limited.get(f"/api/v1/organisations/{world.other_org.slug}/sites/").status_code == 404
    slugs = [o["slug"] for o in limited.get("/api/v1/organisations/").json()["results"]]
    assert slugs == [world.org.slug]
    listed = {a["id"] for a in limited.get("/api/v1/assessments/").json()["results"]}
    assert listed == {own.pk}
    assert {a["id"] for a in everywhere.get("/api/v1/assessments/").json()["results"]} == {
        own.pk,
        other.pk,
    }


def test_the_limit_ends_with_the_request(world):
    """A limited token's request leaves nothing behind for the next one in the thread."""
    factories.make_membership(world.carla, world.other_org, Membership.Role.CONSULTANT)
    other = factories.make_assessment(world.other_site, world.instrument)
    api_client(world.carla, organisation=world.org).get("/api/v1/organisations/")
    assert api_client(world.carla).get(f"/api/v1/assessments/{other.pk}/").status_code == 200
    page = Client()
    page.force_login(world.carla)
    assert page.get(reverse("assessments:detail", args=[other.pk])).status_code == 200


def test_each_use_moves_last_used_at_most_once_a_minute(world, django_assert_num_queries):
    token, secret = token_create(user=world.alice, name="x")
    assert token.last_used_at is None
    client = ApiClient(secret)
    client.get(ME)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get(ME)
    token.refresh_from_db()
    assert token.last_used_at == first  # within the minute: no write
    later = first + TOUCH_EVERY
    token_touch(token=token, now=later)
    token.refresh_from_db()
    assert token.last_used_at == later
    with django_assert_num_queries(0):
        token_touch(token=token, now=later + datetime.timedelta(seconds=30))


def test_the_session_works_with_its_csrf_token(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.alice)
    url = f"/api/v1/assessments/{assessment.pk}/answers/"
    body = {"answers": [{"question": "gov.q01", "value": "yes", "revision": 0}]}
    assert client.get(url).status_code == 200
    refused = client.post(url, body, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    client.get(reverse("api_tokens:manage"))  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    saved = client.post(url, body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert saved.status_code == 200
    assert ApiClient().get(url).status_code == 401
