"""Two-factor sign-in (issue 12, finding 11): TOTP codes and recovery codes through django-otp,
required for the roles MFA_REQUIRED_ROLES names, optional for everyone else."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import mfa
from assessments.models import Membership
from tests import factories
from tests.test_access_matrix import MATRIX
from tests.test_access_matrix import _kwargs as matrix_kwargs
from tests.test_security import _assert_security_headers, inline_code

PASSWORD = "pw-Secret-123"
SETUP = reverse("accounts:two-factor-setup")
VERIFY = reverse("accounts:two-factor-verify")
OVERVIEW = reverse("accounts:two-factor")
DISABLE = reverse("accounts:two-factor-disable")


@pytest.fixture
def mfa_on(settings: Any) -> Any:
    """The production default: org admins and consultants must use a second factor."""
    settings.MFA_REQUIRED_ROLES = ["org_admin", "consultant"]
    settings.MFA_EXEMPT_USERS = []
    return settings


def _sign_in(user: Any, address: str = "10.1.1.1") -> Client:
    """A password sign-in through the login form, as a browser does it."""
    client = Client(REMOTE_ADDR=address)
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    return client


def _app_device(user: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name=mfa.APP_DEVICE_NAME, confirmed=True)


def _code(device: TOTPDevice, offset_steps: int = 0) -> str:
    """What the phone shows now (or `offset_steps` periods from now)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, 0)
    totp.time = totp.time + offset_steps * device.step
    return f"{totp.token():06d}"


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _location(response: Any) -> str:
    assert response.status_code == 302, response.status_code
    return str(response.headers["Location"])


# --- who is forced ------------------------------------------------------------------------------


def test_a_required_role_without_a_device_is_sent_to_set_up_from_every_page(world, mfa_on):
    client = _sign_in(world.alice)
    draft = factories.make_assessment(world.clinic, world.instrument)

    class Objects(dict):
        # A target added later (the redirect comes before any lookup): any id will do.
        def __missing__(self, key: str) -> Any:
            return SimpleNamespace(pk=draft.pk, slug=world.org.slug)

    objects = Objects(
        {
            "org": world.org,
            "site": world.clinic,
            "member": world.victor.memberships.get(),
            "draft": draft,
            "submitted": draft,
            "next": draft,
        }
    )
    allowed = {"accounts:two-factor-setup", "logout"}
    checked = 0
    for name, entry in MATRIX.items():
        if name in allowed:
            continue
        url = reverse(name, kwargs=matrix_kwargs(entry.target, objects))
        for method in ("get", "post"):
            location = _location(getattr(client, method)(url))
            assert location.startswith(SETUP), (name, method, location)
        checked += 1
    # Pages outside the URL matrix too: the Django admin and an unknown address.
    for url in ("/admin/", "/admin/assessments/organisation/", "/no-such-page/"):
        assert _location(client.get(url)).startswith(SETUP), url
    assert checked >= len(MATRIX) - len(allowed)
    # Nothing was changed by the posts.
    assert Membership.objects.filter(organisation=world.org).count() == 4


def test_every_url_of_the_two_factor_pages_is_in_the_access_matrix():
    for name in ("two-factor", "two-factor-setup", "two-factor-verify", "two-factor-disable"):
        assert f"accounts:{name}" in MATRIX


def test_the_redirect_to_set_up_keeps_the_page_asked_for(world, mfa_on):
    client = _sign_in(world.carla)
    url = reverse("assessments:organisation", args=[world.org.slug])
    assert _location(client.get(url)) == f"{SETUP}?next=%2Fo%2F{world.org.slug}%2F"


def test_an_optional_role_is_not_forced(world, mfa_on):
    for user in (world.victor, world.sam):
        client = _sign_in(user)
        response = client.get(reverse("assessments:organisation", args=[world.org.slug]))
        assert response.status_code == 200, user


def test_an_exempt_user_is_not_forced(world, mfa_on):
    mfa_on.MFA_EXEMPT_USERS = ["ALICE@example.org".casefold()]
    client = _sign_in(world.alice)
    response = client.get(reverse("assessments:members", args=[world.org.slug]))
    assert response.status_code == 200
    assert b"exempt" in client.get(OVERVIEW).content


def test_no_role_is_forced_when_the_setting_is_empty(world, settings):
    settings.MFA_REQUIRED_ROLES = []
    client = _sign_in(world.alice)
    assert client.get(reverse("assessments:members", args=[world.org.slug])).status_code == 200


def test_superuser_can_be_named_as_a_required_role(world, settings):
    settings.MFA_REQUIRED_ROLES = ["superuser"]
    admin = factories.make_user("root", is_superuser=True, is_staff=True)
    assert mfa.mfa_required(admin)
    assert not mfa.mfa_required(world.alice)


# --- set-up -------------------------------------------------------------------------------------


def test_set_up_shows_a_qr_code_and_the_key_and_no_inline_script(world, mfa_on):
    client = _sign_in(world.alice)
    response = client.get(SETUP)
    assert response.status_code == 200
    html = response.content.decode()
    _assert_security_headers(response)
    assert inline_code(html) == []
    assert re.search(r'<img[^>]+src="data:image/svg\+xml', html)
    device = TOTPDevice.objects.get(user=world.alice, confirmed=False)
    assert mfa.totp_secret(device) in html
    assert "no-store" in response.headers["Cache-Control"]
    # A reload shows the same secret (a code scanned before it still matches).
    assert client.get(SETUP).status_code == 200
    assert TOTPDevice.objects.filter(user=world.alice).count() == 1


def test_set_up_refuses_a_wrong_code_and_accepts_the_right_one(world, mfa_on, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    client = _sign_in(world.alice)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=world.alice)
    refused = client.post(SETUP, {"code": _wrong(_code(device))})
    assert refused.status_code == 422
    assert "That code was not accepted" in refused.content.decode()
    assert not mfa.mfa_enabled(world.alice)

    session_before = client.session.session_key
    response = client.post(SETUP, {"code": _code(device)})
    assert _location(response) == OVERVIEW
    assert client.session.session_key != session_before
    device.refresh_from_db()
    assert device.confirmed
    page = client.get(OVERVIEW).content.decode()
    codes = list(
        StaticToken.objects.filter(device__user=world.alice).values_list("token", flat=True)
    )
    assert len(codes) == mfa.RECOVERY_CODE_COUNT
    assert all(code in page for code in codes)
    assert "shown only this once" in page
    # Shown once: the next visit has them no longer.
    again = client.get(OVERVIEW).content.decode()
    assert not any(code in again for code in codes)
    assert f"{mfa.RECOVERY_CODE_COUNT} recovery codes left" in again
    # Signed in with the second factor: the app opens.
    members = reverse("assessments:members", args=[world.org.slug])
    assert client.get(members).status_code == 200


def test_set_up_page_of_a_user_with_a_device_goes_to_the_overview(world):
    _app_device(world.victor)
    client = Client()
    client.force_login(world.victor)
    # force_login skips the second factor: the verify step comes first.
    assert _location(client.get(SETUP)).startswith(VERIFY)


# --- the code after the password ----------------------------------------------------------------


def test_a_user_with_a_device_is_asked_for_a_code_and_the_right_one_is_accepted(world, mfa_on):
    device = _app_device(world.victor)  # optional role: asked because a device exists
    client = _sign_in(world.victor)
    url = reverse("assessments:organisation", args=[world.org.slug])
    assert _location(client.get(url)) == f"{VERIFY}?next=%2Fo%2F{world.org.slug}%2F"
    page = client.get(f"{VERIFY}?next={url}")
    assert page.status_code == 200
    assert inline_code(page.content.decode()) == []
    session_before = client.session.session_key
    response = client.post(VERIFY, {"code": _code(device), "next": url})
    assert _location(response) == url
    assert client.session.session_key != session_before
    assert client.get(url).status_code == 200


def test_a_wrong_code_is_refused_and_counted(world, mfa_on):
    device = _app_device(world.alice)
    client = _sign_in(world.alice)
    response = client.post(VERIFY, {"code": _wrong(_code(device))})
    assert response.status_code == 422
    assert "That code was not accepted" in response.content.decode()
    assert AccessAttempt.objects.filter(username="alice").get().failures_since_start == 1
    # Still not signed in with the second factor.
    assert _location(client.get(reverse("assessments:home"))).startswith(VERIFY)


def test_wrong_codes_lock_the_account_like_wrong_passwords(world, mfa_on, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the axes limit alone, here
    settings.AXES_FAILURE_LIMIT = 3
    device = _app_device(world.alice)
    client = _sign_in(world.alice)
    for _ in range(2):
        assert client.post(VERIFY, {"code": _wrong(_code(device))}).status_code == 422
    locked = client.post(VERIFY, {"code": _wrong(_code(device))})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session  # the half-signed-in session ended
    # Neither the password nor the right code gets in now.
    again = Client(REMOTE_ADDR="10.1.1.1").post(
        reverse("login"), {"username": "alice", "password": PASSWORD}
    )
    assert again.status_code == 429


def test_signing_in_again_does_not_reset_the_delay_after_wrong_codes(world, mfa_on, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    device = _app_device(world.alice)
    client = _sign_in(world.alice)
    client.post(VERIFY, {"code": _wrong(_code(device))})
    fresh = _sign_in(world.alice, address="10.2.2.2")  # the password again resets axes
    response = fresh.post(VERIFY, {"code": _code(device)})
    assert response.status_code == 422
    assert "wait" in response.content.decode()


def test_an_off_site_next_is_ignored_after_the_code(world, mfa_on):
    device = _app_device(world.alice)
    client = _sign_in(world.alice)
    response = client.post(VERIFY, {"code": _code(device), "next": "https://evil.example/"})
    assert _location(response) == reverse("assessments:home")


def test_a_recovery_code_works_once(world, mfa_on, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = settings.OTP_STATIC_THROTTLE_FACTOR = 0
    _app_device(world.alice)
    codes = mfa.recovery_codes_replace(user=world.alice)
    first = _sign_in(world.alice)
    response = first.post(VERIFY, {"code": codes[0].upper()[:4] + "-" + codes[0][4:]})
    assert _location(response) == reverse("assessments:home")
    assert mfa.recovery_codes_left(world.alice) == mfa.RECOVERY_CODE_COUNT - 1
    second = _sign_in(world.alice, address="10.3.3.3")
    assert second.post(VERIFY, {"code": codes[0]}).status_code == 422
    assert second.post(VERIFY, {"code": codes[1]}).status_code == 302


# --- turning it off -----------------------------------------------------------------------------


def test_turning_it_off_takes_the_password_and_a_code(world, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device = _app_device(world.victor)
    mfa.recovery_codes_replace(user=world.victor)
    client = _sign_in(world.victor)
    assert client.post(VERIFY, {"code": _code(device, -1)}).status_code == 302
    wrong_password = client.post(DISABLE, {"password": "nope", "code": _code(device)})
    assert wrong_password.status_code == 422
    assert "That is not your password." in wrong_password.content.decode()
    wrong_code = client.post(DISABLE, {"password": PASSWORD, "code": _wrong(_code(device))})
    assert wrong_code.status_code == 422
    assert mfa.mfa_enabled(world.victor)
    response = client.post(DISABLE, {"password": PASSWORD, "code": _code(device)})
    assert _location(response) == OVERVIEW
    assert not TOTPDevice.objects.filter(user=world.victor).exists()
    assert not StaticDevice.objects.filter(user=world.victor).exists()
    assert b"Set up two-factor sign-in" in client.get(OVERVIEW).content


def test_a_required_user_who_turns_it_off_must_set_it_up_again(world, mfa_on, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device = _app_device(world.carla)
    client = _sign_in(world.carla)
    assert client.post(VERIFY, {"code": _code(device, -1)}).status_code == 302
    assert client.post(DISABLE, {"password": PASSWORD, "code": _code(device)}).status_code == 302
    assert _location(client.get(OVERVIEW)).startswith(SETUP)


def test_the_disable_page_only_takes_posts(world):
    client = Client()
    client.force_login(world.victor)
    assert client.get(DISABLE).status_code == 405


# --- make run ------------------------------------------------------------------------------------


def test_make_run_exempts_exactly_the_demo_logins():
    from assessments.demo import LOGINS

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    match = re.search(r"^DEMO_LOGINS := (.+)$", makefile, re.MULTILINE)
    assert match, "Makefile: DEMO_LOGINS"
    assert match.group(1).split(",") == [login.username for login in LOGINS]
    assert "MFA_EXEMPT_USERS=$(DEMO_LOGINS)" in makefile


@pytest.mark.parametrize("step", ["verify", "set-up"])
def test_the_api_tells_a_half_signed_in_session_to_finish_signing_in(world, mfa_on, step):
    """A redirect to a form means nothing to a program: the API answers a 401 problem."""
    if step == "verify":
        _app_device(world.alice)
    client = _sign_in(world.alice)
    response = client.get("/api/v1/organisations/")
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    problem = response.json()
    assert problem["status"] == 401
    assert problem["instance"] == "/api/v1/organisations/"
    assert "authenticator app" in problem["detail"]
    assert "API token" in problem["detail"]
    # The pages still lead the browser to the step.
    page = client.get(reverse("assessments:home"))
    assert _location(page).startswith(VERIFY if step == "verify" else SETUP)
