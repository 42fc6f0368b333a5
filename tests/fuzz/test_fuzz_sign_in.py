"""Fuzz sign-in, the password reset and the two-factor forms: no input gives a 500 or
signs anyone in, and a refused code changes no device.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import event, given
from hypothesis import strategies as st

from tests.fuzz.common import (
    ENCODING,
    FUZZ,
    assert_only_on_success,
    form_data,
    post_form,
    rolled_back,
    saved_state,
    values,
)

pytestmark = pytest.mark.django_db


# --- sign-in ----------------------------------------------------------------------------------


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_the_login_form(world, data, urlencoded):
    posted = data.draw(form_data(["username", "password", "next"]))
    with rolled_back():
        client = Client(REMOTE_ADDR="10.9.9.9")
        response = post_form(client, reverse("login"), posted, urlencoded)
        assert response.status_code < 500
        assert response.status_code in {200, 400, 429}
        assert "_auth_user_id" not in client.session


@FUZZ
@given(next_url=values(), query=st.booleans())
def test_a_fuzzed_next_never_redirects_off_site_after_sign_in(world, next_url, query):
    with rolled_back():
        client = Client(REMOTE_ADDR="10.9.9.8")
        url = reverse("login")
        data = {"username": "alice", "password": "pw-Secret-123"}
        if query:
            url += "?" + urlencode({"next": next_url})
        else:
            data["next"] = next_url
        response = client.post(url, data)
        assert response.status_code in {302, 400}
        if response.status_code == 302:
            # As a browser reads it: control characters dropped, backslashes as slashes.
            location = re.sub(r"[\x00-\x20]", "", response.headers["Location"]).replace("\\", "/")
            parsed = urlsplit(location)
            assert parsed.scheme in {"", "http", "https"}, location
            assert parsed.netloc in {"", "testserver"}, location


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_the_password_reset_request(world, data, urlencoded):
    posted = data.draw(form_data(["email"]))
    if data.draw(st.booleans()):
        posted["email"] = data.draw(
            st.sampled_from(
                ["victor@example.org", " VICTOR@example.org ", "victor@example.org\x00", "x@y"]
            )
        )
    with rolled_back():
        before = saved_state()
        response = post_form(Client(), reverse("password_reset"), posted, urlencoded)
        assert response.status_code < 500
        assert saved_state() == before  # asking for a link changes nothing


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_setting_a_new_password(world, data, urlencoded):
    posted = data.draw(form_data(["new_password1", "new_password2"]))
    if data.draw(st.booleans()) and "new_password1" in posted:
        posted["new_password2"] = posted["new_password1"]
    with rolled_back():
        client = Client()
        link = reverse(
            "password_reset_confirm",
            args=[
                urlsafe_base64_encode(force_bytes(world.victor.pk)),
                default_token_generator.make_token(world.victor),
            ],
        )
        form_page = client.get(link)  # swaps the token for a session and redirects
        assert form_page.status_code == 302
        before = saved_state()
        response = post_form(client, form_page.url, posted, urlencoded)
        if not assert_only_on_success(response, before):
            world.victor.refresh_from_db()
            assert world.victor.check_password("pw-Secret-123")


# --- two-factor sign-in and offboarding (issue 12, findings 11 and 12) -------------------------


def _otp_state() -> list[Any]:
    from django_otp.plugins.otp_static.models import StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return [
        list(TOTPDevice.objects.order_by("pk").values_list("pk", "user_id", "confirmed", "key")),
        list(StaticToken.objects.order_by("pk").values_list("pk", "device_id", "token")),
    ]


@FUZZ
@given(
    data=st.data(),
    urlencoded=ENCODING,
    name=st.sampled_from(["two-factor-setup", "two-factor-verify", "two-factor-disable"]),
)
def test_fuzz_the_two_factor_forms(world, data, urlencoded, name):
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    posted = data.draw(form_data(["code", "password", "next"]))
    if data.draw(st.booleans()):
        posted["password"] = "pw-Secret-123"
    with rolled_back():
        client = Client(REMOTE_ADDR="10.9.9.7")
        client.force_login(world.victor)
        if name != "two-factor-setup":
            device = TOTPDevice.objects.create(user=world.victor, name="Authenticator app")
            static = StaticDevice.objects.create(user=world.victor, name="Recovery codes")
            StaticToken.objects.create(device=static, token="abcd2345")
            if name == "two-factor-disable":
                session = client.session
                session[DEVICE_ID_SESSION_KEY] = device.persistent_id
                session.save()
        else:
            client.get(reverse("accounts:two-factor-setup"))  # makes the unconfirmed device
        before, otp_before = saved_state(), _otp_state()
        response = post_form(client, reverse(f"accounts:{name}"), posted, urlencoded)
        assert response.status_code in {302, 405, 422, 429}, response.status_code
        assert saved_state() == before
        if response.status_code != 302:
            assert _otp_state() == otp_before  # a refused code changes no device
        if response.status_code == 302 and name != "two-factor-verify":
            # Only the right code does it: a fuzzed one would have to be the current code.
            event(f"{name} accepted a fuzzed code")
