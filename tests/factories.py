"""Plain make_* helpers for test data (djangoproject.com style)."""

from __future__ import annotations

import datetime
import functools
import itertools
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from assessments.instruments import InstrumentDef
from assessments.models import Assessment, Instrument, Membership, Organisation, Site

_counter = itertools.count(1)
INSTRUMENTS_DIR = Path(__file__).resolve().parent.parent / "assessments" / "instruments"


def make_user(username: str | None = None, **kwargs: Any) -> User:
    username = username or f"user{next(_counter)}"
    kwargs.setdefault("email", f"{username}@example.org")
    user = get_user_model().objects.create_user(
        username=username, password="pw-Secret-123", **kwargs
    )
    return user


def make_organisation(name: str | None = None) -> Organisation:
    name = name or f"Organisation {next(_counter)}"
    slug = name.lower().replace(" ", "-")
    return Organisation.objects.create(name=name, slug=slug)


def make_site(organisation: Organisation, name: str | None = None, **kwargs: Any) -> Site:
    return Site.objects.create(
        organisation=organisation, name=name or f"Site {next(_counter)}", **kwargs
    )


def make_membership(
    user: User, organisation: Organisation, role: str, sites: list[Site] | None = None
) -> Membership:
    membership = Membership.objects.create(user=user, organisation=organisation, role=role)
    if sites:
        membership.sites.set(sites)
    return membership


def load_instrument(slug: str = "clinical-ai", version: str = "1.0") -> Instrument:
    """Load a shipped instrument file (idempotent)."""
    from assessments.instrument_loading import instrument_sync

    existing = Instrument.objects.filter(slug=slug, version=version).first()
    if existing:
        return existing
    name = f"{slug}-{version}.yaml"
    instrument, _ = instrument_sync(definition=_shipped_definition(name), source_name=name)
    return instrument


def load_instrument_text(text: str, name: str = "test.yaml") -> Instrument:
    """Load an instrument from YAML text written in a test."""
    from assessments.instrument_loading import instrument_sync

    instrument, _ = instrument_sync(definition=_text_definition(text, name), source_name=name)
    return instrument


# Most tests load the same few files and texts (the `world` fixture loads SMALL_INSTRUMENT for
# each test): each is read and validated once per process. The definitions are frozen.
@functools.cache
def _shipped_definition(name: str) -> InstrumentDef:
    from assessments.instrument_reader import read_instrument

    return read_instrument(INSTRUMENTS_DIR / name)


@functools.cache
def _text_definition(text: str, name: str) -> InstrumentDef:
    from assessments.instrument_reader import read_instrument

    return read_instrument(text.encode(), name=name)


def make_assessment(
    site: Site,
    instrument: Instrument | None = None,
    round_label: str = "2026 spring",
    round_date: datetime.date | None = None,
    **kwargs: Any,
) -> Assessment:
    return Assessment.objects.create(
        site=site,
        instrument=instrument or load_instrument(),
        round_label=round_label,
        round_date=round_date or datetime.date(2026, 3, 1),
        **kwargs,
    )


# A small instrument for view and scoring-through-the-database tests.
SMALL_INSTRUMENT = """
slug: small-test
version: "1.0"
title: Small test instrument
default_target: 60
domains:
  - key: gov
    title: Governance
    questions:
      - key: gov.q01
        type: yes_no
        text: Do you use an AI vendor that receives patient data?
        help: A register of AI vendors exists.
        recommendation: Make a register of AI vendors.
      - key: gov.q02
        type: yes_no
        text: Is a business associate agreement signed with every such vendor?
        help: Every vendor that receives PHI has a signed BAA.
        critical: true
        allow_na: false
        recommendation: Sign a BAA before any PHI reaches the vendor.
        show_if: {question: gov.q01, in: ["yes"]}
      - key: gov.q03
        type: scale
        text: Is there an AI governance committee?
        help: A committee meets and keeps minutes.
        recommendation: Set up a committee.
      - key: gov.q04
        type: text
        text: Which AI tools are in use?
        help: List them.
  - key: ops
    title: Operations
    weight: 2
    target: 70
    questions:
      - key: ops.q01
        type: choice
        text: How is AI output reviewed?
        help: A clinician reviews every output.
        recommendation: Require clinician review.
        options:
          - {value: "none", label: "Not reviewed", score: 0}
          - {value: "some", label: "Sometimes", score: 1}
          - {value: "all", label: "Always", score: 3}
      - key: ops.q02
        type: scale
        text: Is AI uptime monitored?
        help: Dashboards and alerts exist.
        recommendation: Monitor uptime.
"""
