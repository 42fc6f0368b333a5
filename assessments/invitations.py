"""Invitations to join an organisation: the only way an organisation admin adds a person.

An admin invites an email address with a role; the person gets a one-time link by email and
becomes a member only by accepting it while signed in as that address. Someone without an
account chooses a name and password on accepting, and only then does the account exist. The
admin's page says the same whatever the address, so it never tells who has an account.

Only a SHA-256 hash of each link's token is stored. A link works once, until
settings.INVITATION_DAYS after it was sent, and resending makes a new one (the old stops).
Every invitation, resend, revocation and acceptance is a MemberEvent of the organisation.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets
import smtplib
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from assessments.display import display_name
from assessments.models import Invitation, MemberEvent, Membership, Organisation, Site
from assessments.services import _check_sites, _username_for

logger = logging.getLogger(__name__)

# Builds the absolute accept URL of a token (the view knows the host the admin used).
AcceptUrl = Callable[[str], str]


class InvitationInvalid(Exception):
    """The link is unknown, replaced by a newer one, revoked or already used."""


class InvitationExpired(InvitationInvalid):
    """The link was valid but is older than INVITATION_DAYS."""


class WrongAccount(Exception):
    """The signed-in account's email is not the invited address."""


class AccountExists(Exception):
    """The invited address has an account with a password: sign in to accept."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def _expiry(now: datetime.datetime) -> datetime.datetime:
    return now + datetime.timedelta(days=settings.INVITATION_DAYS)


def _same_email(a: str | None, b: str) -> bool:
    return bool(a) and str(a).casefold() == b.casefold()


def _event(invitation: Invitation, action: str, user: User | None, **detail: object) -> MemberEvent:
    return MemberEvent.objects.create(
        organisation_id=invitation.organisation_id,
        invitation=invitation,
        user=user,
        action=action,
        email=invitation.email,
        detail={"role": invitation.role, **detail},
    )


def _send(invitation: Invitation, token: str, accept_url: AcceptUrl, inviter: User | None) -> bool:
    """Email the link; False when the mail server refused (the invitation stays, resendable)."""
    context = {
        "invitation": invitation,
        "organisation": invitation.organisation,
        "inviter": display_name(inviter),
        "url": accept_url(token),
        "days": settings.INVITATION_DAYS,
    }
    subject = f"Invitation to join {invitation.organisation.name}"
    body = render_to_string("assessments/email/invitation.txt", context)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email])
    except (OSError, smtplib.SMTPException):
        logger.exception("invitation email to organisation %s failed", invitation.organisation_id)
        return False
    return True


@dataclass(frozen=True)
class Sent:
    invitation: Invitation
    delivered: bool


def invitation_create(
    *,
    organisation: Organisation,
    email: str,
    role: str,
    sites: list[Site],
    invited_by: User,
    accept_url: AcceptUrl,
) -> Sent:
    """Invite `email` (a pending invitation of the same address is replaced: one open link)."""
    sites = _check_sites(organisation, role, sites)
    token, hashed = _new_token()
    now = timezone.now()
    with transaction.atomic():
        for old in Invitation.objects.select_for_update().filter(
            organisation=organisation,
            email__iexact=email,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
        ):
            old.revoked_at, old.revoked_by = now, invited_by
            old.save(update_fields=["revoked_at", "revoked_by"])
            _event(old, MemberEvent.Action.REVOKED, invited_by, reason="replaced")
        invitation = Invitation.objects.create(
            organisation=organisation,
            email=email,
            role=role,
            token_hash=hashed,
            invited_by=invited_by,
            created_at=now,
            sent_at=now,
            expires_at=_expiry(now),
        )
        invitation.sites.set(sites)
        _event(invitation, MemberEvent.Action.INVITED, invited_by, sites=[s.name for s in sites])
    return Sent(invitation, _send(invitation, token, accept_url, invited_by))


def invitation_resend(*, invitation: Invitation, user: User, accept_url: AcceptUrl) -> Sent:
    """A new link with a new expiry; the previous link stops working."""
    if not invitation.is_open:
        raise InvitationInvalid
    token, hashed = _new_token()
    now = timezone.now()
    with transaction.atomic():
        invitation.token_hash, invitation.sent_at, invitation.expires_at = hashed, now, _expiry(now)
        invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
        _event(invitation, MemberEvent.Action.RESENT, user)
    return Sent(invitation, _send(invitation, token, accept_url, user))


def invitation_revoke(*, invitation: Invitation, user: User) -> None:
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not locked.is_open:
            return
        invitation.revoked_at, invitation.revoked_by = timezone.now(), user
        invitation.save(update_fields=["revoked_at", "revoked_by"])
        _event(invitation, MemberEvent.Action.REVOKED, user)


def member_invitation_resend(*, membership: Membership, user: User, accept_url: AcceptUrl) -> Sent:
    """For a member whose account has no password yet (added before invitations existed):
    an invitation to their address with their current role, accepted by choosing a password."""
    member = membership.user
    if member.has_usable_password() or not member.email:
        raise InvitationInvalid
    return invitation_create(
        organisation=membership.organisation,
        email=member.email,
        role=membership.role,
        sites=list(membership.sites.all()),
        invited_by=user,
        accept_url=accept_url,
    )


def invitation_for_token(token: str) -> Invitation:
    """The open invitation of a link; raises InvitationInvalid or InvitationExpired."""
    invitation = (
        Invitation.objects.select_related("organisation")
        .filter(token_hash=token_hash(token[:200]))
        .first()
    )
    if invitation is None or not invitation.is_open:
        raise InvitationInvalid
    if invitation.is_expired:
        raise InvitationExpired
    return invitation


def _lock_open(invitation: Invitation) -> Invitation:
    """The invitation locked for the rest of the transaction, checked again: two tabs
    accepting one link at the same moment must not both succeed."""
    locked = (
        Invitation.objects.select_for_update().select_related("organisation").get(pk=invitation.pk)
    )
    if locked.token_hash != invitation.token_hash or not locked.is_open:
        raise InvitationInvalid
    if locked.is_expired:
        raise InvitationExpired
    return locked


def _join(invitation: Invitation, user: User) -> Membership:
    membership = Membership.objects.filter(
        user=user, organisation_id=invitation.organisation_id
    ).first()
    if membership is None:
        try:
            with transaction.atomic():
                membership = Membership.objects.create(
                    user=user, organisation_id=invitation.organisation_id, role=invitation.role
                )
        except IntegrityError:  # joined through another invitation a moment ago
            membership = Membership.objects.get(
                user=user, organisation_id=invitation.organisation_id
            )
        else:
            membership.sites.set(
                invitation.sites.filter(organisation_id=invitation.organisation_id)
            )
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    _event(invitation, MemberEvent.Action.ACCEPTED, user)
    return membership


def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Join the signed-in `user`, who must hold the invited address. A person who is a member
    already (a resend to someone without a password) keeps their membership as it is."""
    if not _same_email(user.email, invitation.email):
        raise WrongAccount
    with transaction.atomic():
        return _join(_lock_open(invitation), user)


def invitation_accept_new_account(
    *, invitation: Invitation, first_name: str, last_name: str, password: str
) -> User:
    """Accept for someone who cannot sign in yet: the account is created (or, for an account
    that never had a password, completed) only now. Raises AccountExists when the address has
    an account with a password: its owner signs in to accept."""
    UserModel = get_user_model()
    with transaction.atomic():
        locked = _lock_open(invitation)
        users = [
            u
            for u in UserModel.objects.select_for_update().filter(email__iexact=locked.email)
            if _same_email(u.email, locked.email)
        ]
        if any(u.has_usable_password() or not u.is_active for u in users):
            raise AccountExists
        user = users[0] if users else None
        if user is None:
            user = UserModel.objects.create_user(
                username=_username_for(locked.email),
                email=locked.email,
                password=password,
                first_name=first_name,
                last_name=last_name,
            )
        else:
            user.first_name, user.last_name = first_name, last_name
            user.set_password(password)
            user.save(update_fields=["first_name", "last_name", "password"])
        _join(locked, user)
    return user


def account_can_sign_in(email: str) -> bool:
    """Whether the invited address has an account with a password (shown only to the holder
    of the link, who owns the address)."""
    UserModel = get_user_model()
    return any(
        u.has_usable_password() and u.is_active and _same_email(u.email, email)
        for u in UserModel.objects.filter(email__iexact=email)
    )
