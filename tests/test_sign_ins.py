"""tests.conftest.SignIns: the cheap sign-in the fuzz tests and the access matrix rely on."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.db import transaction
from django.urls import reverse

from assessments.models import Membership
from tests import factories
from tests.conftest import SignIns, World


def test_every_client_is_signed_in_with_its_own_session_even_after_a_rollback(world: World):
    sign_ins = SignIns()
    first = sign_ins.client(world.alice)
    keys = {first.cookies["sessionid"].value}
    for _ in range(2):
        with transaction.atomic():
            client = sign_ins.client(world.alice)
            keys.add(client.cookies["sessionid"].value)
            response = client.get(reverse("assessments:organisation", args=[world.org.slug]))
            assert response.status_code == 200
            assert response.wsgi_request.user == world.alice
            transaction.set_rollback(True)
    assert len(keys) == 3
    # What a savepoint rolled back is gone; the real sign-in's session stays.
    assert list(Session.objects.values_list("session_key", flat=True)) == [
        first.cookies["sessionid"].value
    ]


def test_a_restored_session_is_the_user_it_was_made_for(world: World):
    sign_ins = SignIns()
    sign_ins.client(world.alice)
    sign_ins.client(world.sam)
    assert (
        sign_ins.client(world.sam).get(reverse("assessments:home")).wsgi_request.user == world.sam
    )
    assert (
        sign_ins.client(world.alice).get(reverse("assessments:home")).wsgi_request.user
        == world.alice
    )


def test_a_user_made_again_under_a_reused_pk_is_signed_in_for_real(world: World):
    sign_ins = SignIns()
    for name in ("first", "second"):
        with transaction.atomic():
            user = factories.make_user(name)  # SQLite gives the rolled-back pk again
            factories.make_membership(user, world.org, Membership.Role.ORG_ADMIN)
            client = sign_ins.client(user)
            url = reverse("assessments:organisation", args=[world.org.slug])
            response = client.get(url)
            assert response.status_code == 200
            assert response.wsgi_request.user == user
            transaction.set_rollback(True)
