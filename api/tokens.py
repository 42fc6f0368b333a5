"""Writes and the lookup of personal API tokens.

A token is "rdy_" and 43 random URL-safe characters (256 bits). The database keeps its
SHA-256 hash and its first characters; the token itself exists only in the one response that
shows it. Looking a token up by its hash needs no constant-time comparison: the index finds
a row or none, and a hash of a guess tells nothing about the real one.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from api.models import ApiToken
from assessments.models import Organisation

PREFIX = "rdy_"
SHOWN_CHARACTERS = 12  # "rdy_" and the first eight random characters
# last_used_at moves at most this often: the exact second is not worth a write per request.
TOUCH_EVERY = datetime.timedelta(minutes=1)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def token_create(
    *,
    user: User,
    name: str,
    read_only: bool = False,
    organisation: Organisation | None = None,
    expires_at: datetime.datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token of `user` and its secret, which is never stored and cannot be shown again."""
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[:SHOWN_CHARACTERS],
        key_hash=token_hash(raw),
        read_only=read_only,
        organisation=organisation,
        expires_at=expires_at,
    )
    return token, raw


@transaction.atomic
def token_rename(*, token: ApiToken, name: str) -> ApiToken:
    token.name = name
    token.save(update_fields=["name"])
    return token


@transaction.atomic
def token_revoke(*, token: ApiToken) -> ApiToken:
    """Stop the token working at once; the row stays, so the list shows it was revoked."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_for_secret(raw: str) -> ApiToken | None:
    """The usable token whose secret is `raw`, with its owner; None for anything else."""
    if not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.usable().select_related("user").filter(key_hash=token_hash(raw)).first()
    )
    if token is None or not token.user.is_active:
        return None
    return token


def token_touch(*, token: ApiToken, now: datetime.datetime | None = None) -> None:
    """Record a use: one UPDATE at most once a minute per token, none in between."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
