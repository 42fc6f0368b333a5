"""New members choose their password through the reset link sent by email."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client


def test_a_new_member_sets_a_password_by_email(world):
    world.victor.set_unusable_password()
    world.victor.save()
    client = Client()
    response = client.post("/password/reset/", {"email": "victor@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"/password/reset/[^/]+/[^/\s]+/", mail.outbox[0].body).group(0)
    form_page = client.get(link, follow=True)
    assert "Choose a password" in form_page.content.decode()
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-Long-new-pass-42", "new_password2": "a-Long-new-pass-42"},
    )
    assert response.status_code == 302
    world.victor.refresh_from_db()
    assert world.victor.check_password("a-Long-new-pass-42")


def test_an_unknown_address_reveals_nothing(db):
    response = Client().post("/password/reset/", {"email": "nobody@example.org"}, follow=True)
    assert "If an account exists" in response.content.decode()
    assert len(mail.outbox) == 0


def test_reset_links_are_limited_per_address_and_per_email(world):
    from assessments.security import RESET_LIMIT_PER_HOUR

    client = Client()
    for _ in range(RESET_LIMIT_PER_HOUR):
        response = client.post("/password/reset/", {"email": "victor@example.org"})
        assert response.status_code == 302
    response = client.post("/password/reset/", {"email": "victor@example.org"})
    assert response.status_code == 429
    assert "Too many password links" in response.content.decode()
    assert len(mail.outbox) == RESET_LIMIT_PER_HOUR
    # Another address asking for the same email is limited too: the inbox is protected.
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.post("/password/reset/", {"email": "victor@example.org"}).status_code == 429
    assert len(mail.outbox) == RESET_LIMIT_PER_HOUR


def test_reset_links_are_sent_while_the_cache_is_down(world, cache_down, caplog):
    # The limit is off (and logged) rather than the reset broken for everyone.
    response = Client().post("/password/reset/", {"email": "victor@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert any(r.getMessage().startswith("Cache counter failed") for r in caplog.records)
