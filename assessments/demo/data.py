"""The demo's data: riverbend.yaml read into frozen dataclasses, checked as it is read.

The file is shipped and reviewed like code, but it is data a non-programmer may edit, so a
mistake names the key that is wrong (`riverbend.yaml: sites[2].rounds.2026 spring.strength:
...`) instead of failing somewhere in the seeding.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from assessments.models import Assessment, Membership, Site

DEMO_FILE = Path(__file__).with_name("riverbend.yaml")
STATUSES = frozenset(Assessment.Status.values)
COMMENT_BANDS = ("low", "mid", "high")


class DemoDataError(ValueError):
    """The demo file is not what the seeding needs; the message names the key."""


@dataclass(frozen=True)
class Branding:
    title: str
    signoff: str
    logo: str


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    name: str
    what: str
    staff: bool = False
    # A consultant's own report branding (reports.models.ConsultantBranding).
    branding: Branding | None = None


@dataclass(frozen=True)
class Person:
    username: str
    name: str


@dataclass(frozen=True)
class OrganisationPlan:
    name: str
    slug: str
    admin: str  # who sets targets and reopens in the story
    branding: Branding | None = None


@dataclass(frozen=True)
class MembershipPlan:
    user: str
    organisation: str
    role: str
    sites: tuple[str, ...] = ()


@dataclass(frozen=True)
class Round:
    label: str
    date: datetime.date
    version: str  # of the instruments the round is answered on


@dataclass(frozen=True)
class FixedAnswer:
    key: str
    value: str
    comment: str = ""
    evidence: str = ""


@dataclass(frozen=True)
class OwnAnswer:
    """A respondent's own answer where it differs from the consensus, and the coordinator's
    note on settling it (independent answers, issue 15)."""

    respondent: str
    value: str
    comment: str = ""
    note: str = ""


@dataclass(frozen=True)
class IndependentPlan:
    """A round answered in independent mode: who answers which domains on their own, who
    settles the consensus (the round's drawn and fixed answers), and where they disagreed."""

    coordinator: str
    respondents: dict[str, tuple[str, ...]]  # username -> domain keys
    disagreements: dict[str, OwnAnswer] = field(default_factory=dict)  # by question key

    def respondents_of(self, domain_key: str) -> list[str]:
        return [user for user, domains in self.respondents.items() if domain_key in domains]


@dataclass(frozen=True)
class SiteRound:
    strength: float  # 0..1
    status: str = Assessment.Status.SUBMITTED
    # For a draft: how many domains are done (a fraction means part of the next one).
    domains_done: float | None = None
    targets: dict[str, Decimal] = field(default_factory=dict)
    answers: dict[str, FixedAnswer] = field(default_factory=dict)
    # For a reopened round: the answer changed after reopening.
    correction: FixedAnswer | None = None
    independent: IndependentPlan | None = None


@dataclass(frozen=True)
class SitePlan:
    organisation: str
    name: str
    kind: str
    instrument: str
    answered_by: str
    rounds: dict[str, SiteRound]  # by round label
    # Domains answered by someone else than answered_by (e.g. the privacy lead).
    helpers: dict[str, str] = field(default_factory=dict)
    # Per domain: how much better (+) or worse (-) than the site's strength.
    leanings: dict[str, float] = field(default_factory=dict)
    # Questions answered N/A, with the reason given in the comment.
    not_applicable: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoData:
    seed: int
    logins: tuple[Login, ...]
    colleagues: tuple[Person, ...]
    organisations: tuple[OrganisationPlan, ...]
    memberships: tuple[MembershipPlan, ...]
    rounds: tuple[Round, ...]
    sites: tuple[SitePlan, ...]
    comments: dict[str, tuple[str, ...]]  # by band: low, mid, high
    evidence: dict[str, dict[str, tuple[str, ...]]]  # by instrument slug, then domain key


def load_demo(path: Path = DEMO_FILE) -> DemoData:
    """Read and check the demo file; DemoDataError names the first key that is wrong."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DemoDataError(f"{path.name}: cannot be read: {exc}") from None
    return _Reader(path.name).demo(raw)


class _Reader:
    def __init__(self, file_name: str) -> None:
        self.file_name = file_name
        self.people: set[str] = set()  # the logins and colleagues, once read

    def fail(self, where: str, reason: str) -> DemoDataError:
        return DemoDataError(f"{self.file_name}: {where}: {reason}")

    def mapping(
        self, raw: Any, where: str, required: tuple[str, ...] = (), optional: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise self.fail(where, "must be a mapping")
        if required or optional:
            for key in raw:
                if key not in required and key not in optional:
                    raise self.fail(f"{where}.{key}", "unknown key")
            for key in required:
                if key not in raw:
                    raise self.fail(f"{where}.{key}", "missing")
        return raw

    def items(self, raw: Any, where: str) -> list[Any]:
        if not isinstance(raw, list) or not raw:
            raise self.fail(where, "must be a non-empty list")
        return raw

    def text(self, raw: Any, where: str) -> str:
        # A bare yes/no/3 in YAML is a bool or a number: answers must be quoted strings.
        if not isinstance(raw, str) or not raw:
            raise self.fail(where, "must be a non-empty text (quote yes, no and numbers)")
        return raw

    def number(self, raw: Any, where: str) -> float:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise self.fail(where, "must be a number")
        return raw

    def texts(self, raw: Any, where: str) -> dict[str, str]:
        return {
            key: self.text(value, f"{where}.{key}")
            for key, value in self.mapping(raw or {}, where).items()
        }

    def one_of(self, raw: Any, where: str, allowed: Mapping[str, object] | frozenset[str]) -> str:
        value = self.text(raw, where)
        if value not in allowed:
            raise self.fail(where, f"must be one of {', '.join(sorted(allowed))}")
        return value

    def demo(self, raw: Any) -> DemoData:
        top = self.mapping(
            raw,
            "file",
            required=(
                "seed",
                "logins",
                "colleagues",
                "organisations",
                "memberships",
                "rounds",
                "sites",
                "comments",
                "evidence",
            ),
        )
        seed = top["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise self.fail("seed", "must be a whole number")
        logins = tuple(
            self.login(r, f"logins[{i}]") for i, r in enumerate(self.items(top["logins"], "logins"))
        )
        colleagues = tuple(
            self.person(r, f"colleagues[{i}]")
            for i, r in enumerate(self.items(top["colleagues"], "colleagues"))
        )
        people = {p.username for p in logins} | {p.username for p in colleagues}
        organisations = tuple(
            self.organisation(r, f"organisations[{i}]", people)
            for i, r in enumerate(self.items(top["organisations"], "organisations"))
        )
        rounds = tuple(
            self.round(r, f"rounds[{i}]") for i, r in enumerate(self.items(top["rounds"], "rounds"))
        )
        names = {o.name for o in organisations}
        sites = tuple(
            self.site(r, f"sites[{i}]", people, names, rounds)
            for i, r in enumerate(self.items(top["sites"], "sites"))
        )
        site_names = {s.name for s in sites}
        memberships = tuple(
            self.membership(r, f"memberships[{i}]", people, names, site_names)
            for i, r in enumerate(self.items(top["memberships"], "memberships"))
        )
        comments = self.mapping(top["comments"], "comments", required=COMMENT_BANDS)
        return DemoData(
            seed=seed,
            logins=logins,
            colleagues=colleagues,
            organisations=organisations,
            memberships=memberships,
            rounds=rounds,
            sites=sites,
            comments={
                band: self.pool(comments[band], f"comments.{band}") for band in COMMENT_BANDS
            },
            evidence={
                slug: {
                    key: self.pool(pool, f"evidence.{slug}.{key}")
                    for key, pool in self.mapping(domains, f"evidence.{slug}").items()
                }
                for slug, domains in self.mapping(top["evidence"], "evidence").items()
            },
        )

    def pool(self, raw: Any, where: str) -> tuple[str, ...]:
        return tuple(
            self.text(item, f"{where}[{i}]") for i, item in enumerate(self.items(raw, where))
        )

    def login(self, raw: Any, where: str) -> Login:
        item = self.mapping(
            raw, where, ("username", "password", "name", "what"), ("staff", "branding")
        )
        staff = item.get("staff", False)
        if not isinstance(staff, bool):
            raise self.fail(f"{where}.staff", "must be true or false")
        return Login(
            username=self.text(item["username"], f"{where}.username"),
            password=self.text(item["password"], f"{where}.password"),
            name=self.full_name(item["name"], f"{where}.name"),
            what=self.text(item["what"], f"{where}.what"),
            staff=staff,
            branding=self.branding(item["branding"], f"{where}.branding")
            if "branding" in item
            else None,
        )

    def branding(self, raw: Any, where: str) -> Branding:
        b = self.mapping(raw, where, ("title", "signoff", "logo"))
        return Branding(**{key: self.text(b[key], f"{where}.{key}") for key in b})

    def person(self, raw: Any, where: str) -> Person:
        item = self.mapping(raw, where, ("username", "name"))
        return Person(
            username=self.text(item["username"], f"{where}.username"),
            name=self.full_name(item["name"], f"{where}.name"),
        )

    def full_name(self, raw: Any, where: str) -> str:
        name = self.text(raw, where)
        if " " not in name.strip():
            raise self.fail(where, "must be a first and a last name")
        return name

    def person_ref(self, raw: Any, where: str, people: set[str]) -> str:
        username = self.text(raw, where)
        if username not in people:
            raise self.fail(where, f"{username} is not among the logins or colleagues")
        return username

    def organisation(self, raw: Any, where: str, people: set[str]) -> OrganisationPlan:
        item = self.mapping(raw, where, ("name", "slug", "admin"), ("branding",))
        branding = (
            self.branding(item["branding"], f"{where}.branding") if "branding" in item else None
        )
        return OrganisationPlan(
            name=self.text(item["name"], f"{where}.name"),
            slug=self.text(item["slug"], f"{where}.slug"),
            admin=self.person_ref(item["admin"], f"{where}.admin", people),
            branding=branding,
        )

    def membership(
        self, raw: Any, where: str, people: set[str], organisations: set[str], sites: set[str]
    ) -> MembershipPlan:
        item = self.mapping(raw, where, ("user", "organisation", "role"), ("sites",))
        named = item.get("sites", [])
        return MembershipPlan(
            user=self.person_ref(item["user"], f"{where}.user", people),
            organisation=self.one_of(
                item["organisation"], f"{where}.organisation", frozenset(organisations)
            ),
            role=self.one_of(item["role"], f"{where}.role", frozenset(Membership.Role.values)),
            sites=tuple(
                self.one_of(name, f"{where}.sites[{i}]", frozenset(sites))
                for i, name in enumerate(self.items(named, f"{where}.sites") if named else [])
            ),
        )

    def round(self, raw: Any, where: str) -> Round:
        item = self.mapping(raw, where, ("label", "date", "version"))
        if not isinstance(item["date"], datetime.date):
            raise self.fail(f"{where}.date", "must be a date (YYYY-MM-DD)")
        return Round(
            label=self.text(item["label"], f"{where}.label"),
            date=item["date"],
            version=self.text(item["version"], f"{where}.version"),
        )

    def site(
        self,
        raw: Any,
        where: str,
        people: set[str],
        organisations: set[str],
        rounds: tuple[Round, ...],
    ) -> SitePlan:
        item = self.mapping(
            raw,
            where,
            ("name", "organisation", "kind", "instrument", "answered_by", "rounds"),
            ("helpers", "leanings", "not_applicable", "texts"),
        )
        by_label = self.mapping(
            item["rounds"], f"{where}.rounds", required=tuple(r.label for r in rounds)
        )
        self.people = people
        helpers = self.mapping(item.get("helpers") or {}, f"{where}.helpers")
        leanings = self.mapping(item.get("leanings") or {}, f"{where}.leanings")
        return SitePlan(
            organisation=self.one_of(
                item["organisation"], f"{where}.organisation", frozenset(organisations)
            ),
            name=self.text(item["name"], f"{where}.name"),
            kind=self.one_of(item["kind"], f"{where}.kind", frozenset(Site.Kind.values)),
            instrument=self.text(item["instrument"], f"{where}.instrument"),
            answered_by=self.person_ref(item["answered_by"], f"{where}.answered_by", people),
            rounds={
                label: self.site_round(value, f"{where}.rounds.{label}")
                for label, value in by_label.items()
            },
            helpers={
                key: self.person_ref(value, f"{where}.helpers.{key}", people)
                for key, value in helpers.items()
            },
            leanings={
                key: self.number(value, f"{where}.leanings.{key}")
                for key, value in leanings.items()
            },
            not_applicable=self.texts(item.get("not_applicable"), f"{where}.not_applicable"),
            texts=self.texts(item.get("texts"), f"{where}.texts"),
        )

    def site_round(self, raw: Any, where: str) -> SiteRound:
        item = self.mapping(
            raw,
            where,
            ("strength",),
            ("status", "domains_done", "targets", "answers", "correction", "independent"),
        )
        status = self.one_of(
            item.get("status", Assessment.Status.SUBMITTED), f"{where}.status", STATUSES
        )
        strength = self.number(item["strength"], f"{where}.strength")
        if not 0 <= strength <= 1:
            raise self.fail(f"{where}.strength", "must be between 0 and 1")
        domains_done = None
        if status == Assessment.Status.DRAFT:
            if "domains_done" not in item:
                raise self.fail(f"{where}.domains_done", "missing: a draft says how far it got")
            domains_done = self.number(item["domains_done"], f"{where}.domains_done")
        correction = None
        if status == Assessment.Status.REOPENED:
            fixes = self.answers(item.get("correction"), f"{where}.correction")
            if len(fixes) != 1:
                raise self.fail(f"{where}.correction", "a reopened round corrects one answer")
            (correction,) = fixes.values()
        targets = self.mapping(item.get("targets") or {}, f"{where}.targets")
        return SiteRound(
            strength=strength,
            status=status,
            domains_done=domains_done,
            targets={
                key: Decimal(str(self.number(v, f"{where}.targets.{key}")))
                for key, v in targets.items()
            },
            answers=self.answers(item.get("answers"), f"{where}.answers"),
            correction=correction,
            independent=self.independent(item["independent"], f"{where}.independent")
            if "independent" in item
            else None,
        )

    def independent(self, raw: Any, where: str) -> IndependentPlan:
        item = self.mapping(raw, where, ("coordinator", "respondents"), ("disagreements",))
        respondents = {
            self.person_ref(user, f"{where}.respondents.{user}", self.people): tuple(
                self.text(domain, f"{where}.respondents.{user}[{i}]")
                for i, domain in enumerate(self.items(domains, f"{where}.respondents.{user}"))
            )
            for user, domains in self.mapping(item["respondents"], f"{where}.respondents").items()
        }
        disagreements = {}
        for key, value in self.mapping(
            item.get("disagreements") or {}, f"{where}.disagreements"
        ).items():
            here = f"{where}.disagreements.{key}"
            own = self.mapping(value, here, ("respondent", "value"), ("comment", "note"))
            respondent = self.person_ref(own["respondent"], f"{here}.respondent", self.people)
            if key.split(".", 1)[0] not in respondents.get(respondent, ()):
                raise self.fail(f"{here}.respondent", f"{respondent} does not answer this domain")
            disagreements[key] = OwnAnswer(
                respondent=respondent,
                value=self.text(own["value"], f"{here}.value"),
                comment=self.text(own["comment"], f"{here}.comment") if "comment" in own else "",
                note=self.text(own["note"], f"{here}.note") if "note" in own else "",
            )
        return IndependentPlan(
            coordinator=self.person_ref(item["coordinator"], f"{where}.coordinator", self.people),
            respondents=respondents,
            disagreements=disagreements,
        )

    def answers(self, raw: Any, where: str) -> dict[str, FixedAnswer]:
        answers = {}
        for key, value in self.mapping(raw or {}, where).items():
            here = f"{where}.{key}"
            answer = self.mapping(value, here, ("value",), ("comment", "evidence"))
            answers[key] = FixedAnswer(
                key=key,
                value=self.text(answer["value"], f"{here}.value"),
                comment=self.text(answer["comment"], f"{here}.comment")
                if "comment" in answer
                else "",
                evidence=self.text(answer["evidence"], f"{here}.evidence")
                if "evidence" in answer
                else "",
            )
        return answers
