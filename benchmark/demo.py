"""The demo's anonymous benchmark peers (issue 15), described by demo_peers.yaml beside this
module: organisations nobody signs in to, whose sites submitted the demo round, all taking part,
so that the benchmark shows on the demo's results, report and comparison pages, and a filter by
kind of site shows the "withheld for privacy" message.

Each peer assessment arrives as an assessment file would (`assessment_import`: checked,
audited, its results stored as a submission stores them), with answers drawn from a seeded
random generator around the site's strength: one call per assessment keeps seed_demo fast, and
every run builds the same peers. A second run finds them and changes nothing; an organisation
whose participation was changed since (opted out in the demo) is left as it is. The benchmark
is refreshed once at the end, so the pages show it without waiting for a worker.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from assessments.assessment_format import FORMAT
from assessments.content import InstrumentContent, instrument_content
from assessments.models import Assessment, Instrument, Organisation, Question, Site
from assessments.scoring import visible_keys
from assessments.transfer import assessment_import
from benchmark.models import Participation
from benchmark.publishing import benchmark_refresh
from benchmark.services import participation_set

PEERS_FILE = Path(__file__).with_name("demo_peers.yaml")


class PeersDataError(ValueError):
    """demo_peers.yaml is not what the seeding needs; the message names the key."""


@dataclass(frozen=True)
class PeerSite:
    name: str
    kind: str
    strength: float


@dataclass(frozen=True)
class PeerOrganisation:
    name: str
    slug: str
    sites: tuple[PeerSite, ...]


@dataclass(frozen=True)
class Peers:
    seed: int
    instrument: str
    version: str
    round_label: str
    round_date: datetime.date
    take_part: tuple[str, ...]  # demo organisations (riverbend.yaml) that take part too
    organisations: tuple[PeerOrganisation, ...]


def _fail(where: str, reason: str) -> PeersDataError:
    return PeersDataError(f"{PEERS_FILE.name}: {where}: {reason}")


def _mapping(raw: Any, where: str, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _fail(where, "must be a mapping")
    for key in raw:
        if key not in keys:
            raise _fail(f"{where}.{key}", "unknown key")
    for key in keys:
        if key not in raw:
            raise _fail(f"{where}.{key}", "missing")
    return raw


def _text(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise _fail(where, "must be a non-empty text (quote numbers such as '1.1')")
    return raw


def _list(raw: Any, where: str) -> list[Any]:
    if not isinstance(raw, list) or not raw:
        raise _fail(where, "must be a non-empty list")
    return raw


def _site(raw: Any, where: str) -> PeerSite:
    item = _mapping(raw, where, ("name", "kind", "strength"))
    kind = _text(item["kind"], f"{where}.kind")
    if kind not in Site.Kind.values:
        raise _fail(f"{where}.kind", f"must be one of {', '.join(Site.Kind.values)}")
    strength = item["strength"]
    if isinstance(strength, bool) or not isinstance(strength, int | float):
        raise _fail(f"{where}.strength", "must be a number")
    if not 0 <= strength <= 1:
        raise _fail(f"{where}.strength", "must be between 0 and 1")
    return PeerSite(name=_text(item["name"], f"{where}.name"), kind=kind, strength=strength)


def load_peers(path: Path = PEERS_FILE) -> Peers:
    """Read and check the peers file; PeersDataError names the first key that is wrong."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise _fail("file", f"cannot be read: {exc}") from None
    top = _mapping(
        raw, "file", ("seed", "instrument", "version", "round", "take_part", "organisations")
    )
    if isinstance(top["seed"], bool) or not isinstance(top["seed"], int):
        raise _fail("seed", "must be a whole number")
    round_ = _mapping(top["round"], "round", ("label", "date"))
    if not isinstance(round_["date"], datetime.date):
        raise _fail("round.date", "must be a date (YYYY-MM-DD)")
    organisations = []
    for i, item in enumerate(_list(top["organisations"], "organisations")):
        where = f"organisations[{i}]"
        org = _mapping(item, where, ("name", "slug", "sites"))
        organisations.append(
            PeerOrganisation(
                name=_text(org["name"], f"{where}.name"),
                slug=_text(org["slug"], f"{where}.slug"),
                sites=tuple(
                    _site(site, f"{where}.sites[{j}]")
                    for j, site in enumerate(_list(org["sites"], f"{where}.sites"))
                ),
            )
        )
    return Peers(
        seed=top["seed"],
        instrument=_text(top["instrument"], "instrument"),
        version=_text(top["version"], "version"),
        round_label=_text(round_["label"], "round.label"),
        round_date=round_["date"],
        take_part=tuple(
            _text(name, f"take_part[{i}]")
            for i, name in enumerate(_list(top["take_part"], "take_part"))
        ),
        organisations=tuple(organisations),
    )


def _drawn_answers(
    content: InstrumentContent, strength: float, rng: random.Random
) -> dict[str, dict[str, str]]:
    """A site's answers around its strength: every visible scored question, in file order
    (a follow-up is visible once the answers before it show it)."""
    values: dict[str, str] = {}
    for question in content.questions:
        if not question.scored or question.key not in visible_keys(content.spec, values):
            continue
        level = min(1.0, max(0.0, strength + rng.gauss(0, 0.2)))
        if question.type == Question.Type.YES_NO:
            values[question.key] = "yes" if level >= 0.5 else "no"
        else:
            options = sorted(question.options, key=lambda o: o["score"])
            values[question.key] = str(options[round(level * (len(options) - 1))]["value"])
    return {key: {"value": value} for key, value in values.items()}


def _take_part(organisation: Organisation) -> None:
    """Opt in, unless the organisation's choice was already made (left as it is)."""
    if not Participation.objects.filter(organisation=organisation).exists():
        participation_set(organisation=organisation, opted_in=True, user=None)


def demo_benchmark_seed(*, peers: Peers | None = None) -> int:
    """Create the peers that are not there yet and refresh the benchmark; returns how many
    peer assessments were created (0 when the instrument version is not loaded)."""
    peers = peers or load_peers()
    instrument = Instrument.objects.filter(
        slug=peers.instrument, version=peers.version, organisation__isnull=True
    ).first()
    if instrument is None:
        return 0
    content = instrument_content(instrument)
    created = 0
    with transaction.atomic():
        for plan in peers.organisations:
            organisation, _ = Organisation.objects.get_or_create(
                name=plan.name, defaults={"slug": plan.slug}
            )
            _take_part(organisation)
            for site_plan in plan.sites:
                site, _ = Site.objects.get_or_create(
                    organisation=organisation,
                    name=site_plan.name,
                    defaults={"kind": site_plan.kind},
                )
                if Assessment.objects.filter(site=site, round_label=peers.round_label).exists():
                    continue
                rng = random.Random(f"{peers.seed}:{plan.name}:{site_plan.name}")
                data = {
                    "format": FORMAT,
                    "instrument": {"slug": peers.instrument, "version": peers.version},
                    "organisation": organisation.name,
                    "site": site.name,
                    "round": peers.round_label,
                    "round_date": peers.round_date.isoformat(),
                    "status": Assessment.Status.SUBMITTED,
                    "targets": {},
                    "answers": _drawn_answers(content, site_plan.strength, rng),
                }
                assessment = assessment_import(data=data, user=None, organisation=organisation)
                # Submitted on the round's day, as the story of the demo goes.
                submitted = datetime.datetime.combine(
                    peers.round_date, datetime.time(16), datetime.UTC
                )
                Assessment.objects.filter(pk=assessment.pk).update(
                    created_at=submitted, updated_at=submitted, submitted_at=submitted
                )
                created += 1
        for taking_part in Organisation.objects.filter(name__in=peers.take_part):
            _take_part(taking_part)
    benchmark_refresh()
    return created
