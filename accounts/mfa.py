"""Two-factor sign-in: who must use it, setting up an authenticator app, checking a code.

The devices are django-otp's: a TOTPDevice for the authenticator app (RFC 6238, 30-second
codes) and a StaticDevice holding one-time recovery codes. django-otp throttles each device
on its own (a growing delay after every wrong code, kept in the database, so signing in again
with the password does not reset it); the views also count wrong codes as failed logins for
django-axes.
"""

from __future__ import annotations

import re
from base64 import b32encode
from enum import Enum

import segno
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.http import HttpRequest
from django_otp import devices_for_user, user_has_device
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from assessments.models import Membership

RECOVERY_CODE_COUNT = 10
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
# What a person may type around a code: spaces and dashes ("123 456", "abcd-efgh").
_SEPARATORS = re.compile(r"[\s\-]+")

AnyUser = User | AnonymousUser


class Step(Enum):
    """What a signed-in user still has to do before the app opens to them."""

    VERIFY = "verify"  # has a device: give a code
    SET_UP = "setup"  # the role requires a second factor and none is set up


def mfa_exempt(user: AnyUser) -> bool:
    """Named in MFA_EXEMPT_USERS (by email, or by a username that is an email)."""
    exempt = set(settings.MFA_EXEMPT_USERS)
    if not exempt:
        return False
    names = {str(getattr(user, "email", "") or "").casefold(), str(user.get_username()).casefold()}
    return bool(names & exempt)


def mfa_required(user: AnyUser) -> bool:
    """Whether the user must use a second factor: a role of MFA_REQUIRED_ROLES in any
    organisation (or "superuser" listed and the user is one), and not exempt."""
    roles = set(settings.MFA_REQUIRED_ROLES)
    if not roles or not user.is_authenticated or mfa_exempt(user):
        return False
    if "superuser" in roles and getattr(user, "is_superuser", False):
        return True
    return Membership.objects.filter(user_id=user.pk, role__in=roles).exists()


def mfa_enabled(user: AnyUser) -> bool:
    return bool(user_has_device(user, confirmed=True))


# Set in the session once a sign-in needs no second factor (no device, role not requiring
# one), so that ordinary pages pay no device or membership query on every request. A role
# that starts to require a second factor is enforced from the user's next sign-in.
SESSION_CLEAR_KEY = "mfa_clear"


def mfa_pending_step_for_session(request: HttpRequest) -> Step | None:
    """mfa_pending_step, remembered for the session once it is None."""
    user = request.user
    if not user.is_authenticated:
        return None
    session = request.session
    if session.get(SESSION_CLEAR_KEY) == user.pk:
        return None
    if getattr(user, "is_verified", lambda: False)():
        return None  # gave a code; not remembered, so turning the device off is noticed
    step = mfa_pending_step(user)
    if step is None:
        session[SESSION_CLEAR_KEY] = user.pk
    return step


def mfa_clear_at_sign_in(*, request: HttpRequest, user: User) -> None:
    """At password sign-in: remember when no second factor is needed (no query afterwards)."""
    if request is not None and hasattr(request, "session") and mfa_pending_step(user) is None:
        request.session[SESSION_CLEAR_KEY] = user.pk


def mfa_pending_step(user: AnyUser) -> Step | None:
    """The step between a password sign-in and the app, or None when there is none."""
    # is_verified() is installed by django-otp's OTPMiddleware.
    if not user.is_authenticated or getattr(user, "is_verified", lambda: False)():
        return None
    if mfa_enabled(user):
        return Step.VERIFY
    if mfa_required(user):
        return Step.SET_UP
    return None


def totp_device_start(*, user: User) -> TOTPDevice:
    """The user's unconfirmed authenticator device, made once and kept across page loads so
    that a QR code scanned before a reload still matches."""
    pending = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).order_by("-pk")
    device = pending.first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def totp_secret(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it typed in: base32, in groups of four."""
    text = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def totp_qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// link as an SVG QR code in a data: URI (drawn here, no outside service;
    CSP allows data: images)."""
    qr = segno.make(device.config_url, error="m")
    return str(qr.svg_data_uri(scale=5, border=2, dark="#000", light="#fff"))


def normalise_code(raw: str) -> str:
    return _SEPARATORS.sub("", raw).lower()


@transaction.atomic
def totp_device_confirm(*, user: User, code: str) -> tuple[Device, list[str]] | None:
    """Confirm the pending authenticator device with a code from it; on success the user's
    recovery codes are replaced by fresh ones, returned once (they are stored as given, as
    django-otp stores them)."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user_id=user.pk, confirmed=False)
        .order_by("-pk")
        .first()
    )
    if device is None or not device.verify_token(normalise_code(code)):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # One authenticator at a time: another confirmed one (set up in a race) is replaced.
    TOTPDevice.objects.filter(user_id=user.pk).exclude(pk=device.pk).delete()
    return device, recovery_codes_replace(user=user)


def recovery_codes_replace(*, user: User) -> list[str]:
    StaticDevice.objects.filter(user_id=user.pk).delete()
    static = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes: set[str] = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add(StaticToken.random_token())
    ordered = sorted(codes)
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in ordered])
    return ordered


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user_id=user.pk, device__confirmed=True).count()


def mfa_verify(*, user: User, code: str) -> Device | None:
    """The confirmed device that accepts `code` (an app code or a recovery code, which is
    then used up), or None. The app is tried first, so that a wrong recovery code does not
    throttle it."""
    token = normalise_code(code)
    if not token or len(token) > 16:
        return None
    with transaction.atomic():
        devices = sorted(
            devices_for_user(user, confirmed=True, for_verify=True),
            key=lambda d: 0 if isinstance(d, TOTPDevice) else 1,
        )
        for device in devices:
            if device.verify_token(token):
                return device
    return None


def mfa_throttled_seconds(user: User) -> int:
    """Seconds until the authenticator accepts another try (0 when it would now)."""
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).first()
    if device is None:
        return 0
    allowed, data = device.verify_is_allowed()
    if allowed or not data:
        return 0
    locked_until = data.get("locked_until")
    if locked_until is None:
        return 0
    from django.utils import timezone

    return max(1, int((locked_until - timezone.now()).total_seconds()) + 1)


@transaction.atomic
def mfa_disable(*, user: User) -> None:
    """Remove every device of the user: the app and the recovery codes."""
    TOTPDevice.objects.filter(user_id=user.pk).delete()
    StaticDevice.objects.filter(user_id=user.pk).delete()
