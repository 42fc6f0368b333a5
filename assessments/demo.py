"""Demo data: two organisations, their sites, people and two rounds of assessments.

`seed_demo()` is what `manage.py seed_demo` runs. Everything goes through the services
(assessment_create, answers_save, assessment_submit, assessment_reopen, assessment_set_targets),
so the demo has the audit trail and stored results that real use produces. The answers come
from a seeded random.Random per site and round, so every run builds the same demo; a second run
finds each organisation, person and assessment already there and changes nothing.

Each site has a strength per round (0..1) plus per-domain leanings; a question's answer is that
strength plus a per-question offset that stays the same across rounds, so a site that improves
improves on most questions, as a real site would, instead of being re-rolled.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max

from assessments.content import instrument_content
from assessments.instruments import LoadSummary, load_all
from assessments.models import (
    Answer,
    Assessment,
    AuditEntry,
    Instrument,
    Membership,
    Organisation,
    Question,
    Site,
)
from assessments.scoring import NA, visible_keys
from assessments.services import (
    AnswerChange,
    answers_save,
    assessment_create,
    assessment_reopen,
    assessment_set_targets,
    assessment_submit,
)

SEED = 2026
Role = Membership.Role
Status = Assessment.Status


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    name: str
    what: str


LOGINS = (
    Login(
        "admin@riverbend.example",
        "demo-admin-2026",
        "Dana Whitfield",
        "organisation admin of Riverbend Health Network, also /admin/",
    ),
    Login(
        "consultant@riverbend.example",
        "demo-consultant-2026",
        "Marcus Bell",
        "consultant of Riverbend and of Lakeside Counselling (org switcher)",
    ),
    Login(
        "clinic@riverbend.example",
        "demo-site-2026",
        "Grace Okafor",
        "site admin of Eastside Community Clinic (a draft to finish)",
    ),
    Login(
        "viewer@riverbend.example",
        "demo-viewer-2026",
        "Leo Park",
        "viewer of Riverbend Health Network (read-only)",
    ),
)

# Colleagues who answer for their sites; they have no password (they cannot log in).
COLLEAGUES = {
    "priya.shah@riverbend.example": "Priya Shah",
    "tom.alvarez@riverbend.example": "Tom Alvarez",
    "hannah.lee@riverbend.example": "Hannah Lee",
    "jo.ramirez@lakeside.example": "Jo Ramirez",
}

RIVERBEND = "Riverbend Health Network"
LAKESIDE = "Lakeside Counselling"

ADMIN = LOGINS[0].username
CONSULTANT = LOGINS[1].username
SITE_ADMIN = LOGINS[2].username
VIEWER = LOGINS[3].username
PRIYA, TOM, HANNAH, JO = COLLEAGUES


@dataclass(frozen=True)
class Round:
    label: str
    date: datetime.date


AUTUMN = Round("2025 autumn", datetime.date(2025, 10, 15))
SPRING = Round("2026 spring", datetime.date(2026, 4, 15))
ROUNDS = (AUTUMN, SPRING)
# The autumn round was answered on the instruments' 1.0, spring on 1.1, so the round-to-round
# view shows what a version change carries and what it asks anew.
ROUND_VERSIONS = ("1.0", "1.1")


@dataclass(frozen=True)
class SitePlan:
    organisation: str
    name: str
    kind: str
    instrument: str
    # Overall strength (0..1) in each round, in the order of ROUNDS.
    strength: tuple[float, float]
    answered_by: str
    # Domains answered by someone else than answered_by (e.g. the privacy lead).
    helpers: dict[str, str] = field(default_factory=dict)
    # Per domain: how much better (+) or worse (-) than the site's strength.
    leanings: dict[str, float] = field(default_factory=dict)
    # Fixed answers per round (value, comment, evidence), for the stories the demo tells.
    fixed: tuple[dict[str, tuple[str, str, str]], dict[str, tuple[str, str, str]]] = ({}, {})
    # Questions answered N/A, with the reason given in the comment.
    not_applicable: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    spring_status: str = Status.SUBMITTED
    # For a spring draft: how many domains are done (a fraction means part of the next one).
    spring_domains_done: float = 0.0
    spring_targets: dict[str, int] = field(default_factory=dict)


SITES = (
    SitePlan(
        RIVERBEND,
        "Riverbend General Hospital",
        Site.Kind.HOSPITAL,
        "clinical-ai",
        strength=(0.72, 0.80),
        answered_by=PRIYA,
        helpers={"ethics": ADMIN},
        leanings={"integration": 0.1, "reliability": 0.08, "patients": -0.15, "trust": -0.05},
        fixed=(
            {
                "ethics.q02": ("chosen_vendors", "", ""),
                "ethics.q02a": (
                    "yes",
                    "Covers the ambient scribe and the radiology triage vendor.",
                    "BAA signed with Nuance 2025-03, stored in contracts drive",
                ),
            },
            {
                "ethics.q02": ("approved_checked", "", ""),
                "ethics.q02a": (
                    "yes",
                    "Third vendor (sepsis model) added in January; BAA signed before go-live.",
                    "BAAs: Nuance 2025-03, Aidoc 2025-06, Epic sepsis add-on 2026-01; "
                    "contracts drive/Legal/BAA",
                ),
            },
        ),
        texts={
            "access.q01": "Ambient scribe (DAX) in ED and outpatients, ~140 clinicians; radiology "
            "triage for head CT; Epic sepsis model; ChatGPT is blocked on the clinical network.",
            "data.q07": "Problem lists are incomplete for patients admitted through the ED, and "
            "outside imaging reports arrive as scanned PDFs the AI tools cannot read.",
            "trust.q08": "Nurses worry the sepsis alerts add to alarm fatigue; we retuned the "
            "threshold with the rapid response team and report the alert rate monthly.",
            "training.q07": "Locum and agency doctors: they start without the scribe training. "
            "Night shift nurses find it hard to attend sessions.",
        },
        spring_targets={"ethics": 80, "reliability": 75},
    ),
    SitePlan(
        RIVERBEND,
        "Eastside Community Clinic",
        Site.Kind.CLINIC,
        "clinical-ai",
        strength=(0.5, 0.58),
        answered_by=SITE_ADMIN,
        helpers={"data": ADMIN},
        leanings={"training": 0.1, "integration": -0.1, "data": -0.05},
        fixed=(
            {
                "ethics.q02": ("chosen_vendors", "", ""),
                "ethics.q02a": (
                    "yes",
                    "",
                    "BAA with Suki signed 2025-05; copy in the clinic's compliance binder",
                ),
            },
            {
                "ethics.q02": ("approved_checked", "", ""),
                "ethics.q02a": ("yes", "", "BAA with Suki signed 2025-05, renewed 2026-02"),
            },
        ),
        texts={
            "access.q01": "Suki scribe for six family physicians; the front desk uses a "
            "translation app; some staff use ChatGPT for letters (no patient data, per policy).",
            "data.q07": "Lab results from the county lab come in as PDFs; medication lists are "
            "rarely reconciled.",
            "trust.q08": "Physicians asked whether scribe notes could be used in disputes; "
            "answered in the March staff meeting with the legal FAQ.",
            "training.q07": "Medical assistants: no protected time for training.",
        },
        spring_status=Status.DRAFT,
        spring_domains_done=4.5,
    ),
    SitePlan(
        RIVERBEND,
        "Pine Valley Rural Clinic",
        Site.Kind.CLINIC,
        "clinical-ai",
        strength=(0.22, 0.38),
        answered_by=TOM,
        leanings={"access": -0.1, "training": 0.05, "patients": 0.05},
        fixed=(
            {"ethics.q02": ("unknown", "Nobody has checked which tools staff use at home.", "")},
            {
                "ethics.q02": (
                    "no_patient_data",
                    "After the October review: no AI tool receives patient data yet.",
                    "IT network scan 2026-01 and staff attestation forms",
                )
            },
        ),
        not_applicable={
            "patients.q02": "No patient-facing AI (chatbot or symptom checker) at this site.",
            "patients.q06": "No patient-facing AI tools offered.",
            "integration.q05": "No AI tool is connected to our EHR.",
        },
        texts={
            "access.q01": "None approved. Two physicians use ChatGPT on their phones for "
            "drafting patient letters.",
            "data.q07": "Satellite connection drops several times a week; half of the records "
            "are still scanned paper.",
            "trust.q08": "Staff fear AI will be used to cut nursing hours. Not answered yet.",
            "training.q07": "Everyone: there is no IT support on site and the nearest training "
            "is a two-hour drive.",
        },
    ),
    SitePlan(
        RIVERBEND,
        "Maple Street Family Practice",
        Site.Kind.PRACTICE,
        "clinical-ai",
        strength=(0.45, 0.6),
        answered_by=HANNAH,
        leanings={"patients": 0.12, "reliability": -0.1, "access": -0.05},
        fixed=(
            {"ethics.q02": ("uncontrolled", "Staff used free chatbots for referral letters.", "")},
            {
                "ethics.q02": ("approved_checked", "", ""),
                "ethics.q02a": (
                    "yes",
                    "",
                    "BAA with Abridge signed 2026-01-20, scanned to the practice shared drive",
                ),
            },
        ),
        not_applicable={"data.q05": "Practice data is not used to build or validate models."},
        texts={
            "access.q01": "Abridge ambient notes since January for three GPs; an online symptom "
            "checker on the practice website.",
            "data.q07": "Hospital discharge summaries arrive late and unstructured.",
            "trust.q08": "Older patients' consent to recording; we added a consent step.",
            "training.q07": "Reception staff, who answer patient questions about the symptom "
            "checker.",
        },
        spring_status=Status.REOPENED,
    ),
    SitePlan(
        RIVERBEND,
        "Riverbend Behavioral Health",
        Site.Kind.MENTAL_HEALTH,
        "mental-health-ai",
        strength=(0.48, 0.63),
        answered_by=HANNAH,
        helpers={"privacy": ADMIN},
        leanings={"ethics": 0.1, "evidence": -0.12, "acceptance": 0.05},
        fixed=(
            {
                "privacy.q02": ("chosen_vendors", "", ""),
                "privacy.q02a": (
                    "yes",
                    "",
                    "BAA with Wysa signed 2025-02, stored in contracts drive",
                ),
            },
            {
                "access.q08": ("listed", "Wysa between sessions, adult outpatient only.", ""),
                "privacy.q02": ("approved_only", "", ""),
                "privacy.q02a": (
                    "yes",
                    "",
                    "BAAs with Wysa (2025-02) and Eleos (2025-12), contracts drive/Legal/BAA",
                ),
            },
        ),
        texts={
            "access.q07": "Older adults in the rural north of the county, and clients without "
            "a private space at home for sessions.",
            "ethics.q08": "Risk assessment, diagnosis and anything about medication stays with a "
            "clinician; the chatbot only supports CBT homework between sessions.",
            "integration.q08": "Wysa between sessions (adult outpatient), Eleos session notes "
            "for therapists, text reminders for appointments.",
            "acceptance.q08": "Clients said the chatbot felt impersonal; two therapists feared "
            "notes would be used for productivity targets.",
        },
    ),
    SitePlan(
        RIVERBEND,
        "Northgate Urgent Care",
        Site.Kind.OTHER,
        "clinical-ai",
        strength=(0.6, 0.47),
        answered_by=TOM,
        leanings={"training": -0.1, "trust": -0.05},
        fixed=(
            {
                "ethics.q02": ("none_verified", "", "Checked with IT, 2025-09"),
                "training.q01": (
                    "2",
                    "Scribe users were trained at go-live; nothing yet for the X-ray tool.",
                    "",
                ),
                "patients.q02": (
                    "3",
                    "",
                    "Chatbot disclaimer and hand-off to the nurse line, tested 2025-08",
                ),
            },
            {
                "ethics.q02": ("approved_unchecked", "", ""),
                "ethics.q02a": (
                    "no",
                    "New ambient scribe vendor (pilot since February) was onboarded before the "
                    "BAA was signed; legal is chasing it.",
                    "",
                ),
            },
        ),
        not_applicable={"data.q05": "We do not share data for model development."},
        texts={
            "access.q01": "Ambient scribe pilot (four physicians); an AI X-ray read for "
            "fractures; triage chatbot on the website.",
            "data.q07": "Patients are mostly new to us: no history in our EHR.",
            "trust.q08": "High turnover: the clinicians who chose the scribe have left and the "
            "new ones were not asked.",
            "training.q07": "New starters and weekend locums; the trainer post is vacant since "
            "January.",
        },
    ),
    SitePlan(
        LAKESIDE,
        "Lakeside Counselling Centre",
        Site.Kind.MENTAL_HEALTH,
        "mental-health-ai",
        strength=(0.35, 0.44),
        answered_by=JO,
        leanings={"access": 0.1, "integration": -0.1},
        fixed=(
            {"privacy.q02": ("unknown", "", "")},
            {
                "access.q08": ("listed", "The booking and reminder chatbot.", ""),
                "privacy.q02": ("approved_only", "", ""),
                "privacy.q02a": ("yes", "", "BAA with the booking chatbot vendor, 2026-03"),
            },
        ),
        not_applicable={"privacy.q04": "Lakeside does not run a 42 CFR Part 2 programme."},
        texts={
            "access.q07": "Teenagers without their own phone, and clients with limited English.",
            "ethics.q08": "Any conversation about risk or safety is with a counsellor, never "
            "the chatbot.",
            "integration.q08": "A booking and reminder chatbot; counsellors trial an AI note "
            "summariser.",
            "acceptance.q08": "Counsellors doubt the summaries are accurate enough to keep.",
        },
    ),
)


# --- comments and evidence notes --------------------------------------------------------------

LOW_COMMENTS = (
    "Not started yet; on the agenda for the next governance meeting.",
    "We rely on the vendor for this today; there is no local process.",
    "Discussed at the staff meeting, no owner assigned yet.",
    "Partly covered by the general IT policy, nothing specific to AI.",
    "Waiting on next year's IT budget.",
    "Raised by the medical director; no time to take it on this quarter.",
)
MID_COMMENTS = (
    "Done for the scribe tool, not yet for the newer tools.",
    "Policy drafted, awaiting sign-off by the medical director.",
    "In place on day shifts; nights and weekends are not covered.",
    "Started in January; about half of the teams so far.",
    "Informal: happens, but nothing is written down.",
)
HIGH_COMMENTS = (
    "Reviewed quarterly by the clinical AI governance group.",
    "Checked at the last internal audit, no findings.",
    "Part of the go-live checklist for every new tool.",
    "Owner is the CNIO; last reviewed in March.",
    "Built into the EHR workflow, so it cannot be skipped.",
)
COMMENTS = {"low": LOW_COMMENTS, "mid": MID_COMMENTS, "high": HIGH_COMMENTS}

EVIDENCE: dict[str, dict[str, tuple[str, ...]]] = {
    "clinical-ai": {
        "access": (
            "AI tool inventory: IT asset register, tab 'AI'",
            "Downtime procedure DP-12, last drill 2025-11",
            "Capital plan FY26, line 14 (AI infrastructure)",
        ),
        "integration": (
            "Workflow maps in the Informatics Teams channel",
            "EHR note template 'AI draft - review required' with sign-off step",
            "Intended-use statements, Quality folder/AI/intended-use",
        ),
        "data": (
            "Data quality dashboard (problem list completeness 87%)",
            "Data use agreement DUA-2025-07 with the university",
            "Minimum-necessary guide for AI tools v1.1",
        ),
        "ethics": (
            "HIPAA risk analysis 2025 v2, section 7 (AI tools), compliance SharePoint",
            "AI acceptable-use policy POL-IT-041, approved 2025-06",
            "AI governance committee terms of reference and minutes",
        ),
        "trust": (
            "Staff survey Feb 2026: 64 responses, summary in the staff newsletter",
            "Minutes of the clinician AI forum, 2026-01-14",
            "Usage report from the vendor portal, monthly",
        ),
        "reliability": (
            "Local validation on 200 discharge letters, Quality folder/AI/validation-2025.pdf",
            "Incident category 'AI output' added to the incident system 2025-09",
            "Monthly performance report from the vendor, reviewed by the CMIO",
        ),
        "training": (
            "LMS report 'AI scribe basics' completions, exported 2026-03-31",
            "Training log in the HR system, course code AI-101",
            "Help desk knowledge base article KB-2231",
        ),
        "patients": (
            "Patient leaflet 'How we use AI' v1.2, reviewed by the patient panel",
            "Notice of privacy practices updated 2025-12, section 4",
            "Complaints log, category 'AI', reviewed monthly",
        ),
    },
    "mental-health-ai": {
        "access": (
            "Digital access screening form in the intake pack",
            "Device loan register (12 tablets)",
        ),
        "privacy": (
            "HIPAA risk analysis 2025, appendix C (AI vendors)",
            "Data retention schedule in the Wysa contract, clause 9",
        ),
        "ethics": (
            "Scope-of-use policy for AI tools, clinical governance 2025-11",
            "Client information sheet 'Talking to a chatbot' v2",
        ),
        "accuracy": (
            "Crisis escalation test script run 2026-02-10, results in governance minutes",
            "Quarterly transcript review log, 20 conversations sampled",
        ),
        "integration": (
            "Care pathway map with AI touchpoints, 2026-01",
            "Note template 'AI summary - clinician reviewed'",
        ),
        "acceptance": (
            "Lived-experience panel minutes, 2026-02",
            "Adoption dashboard: uptake and drop-out by programme",
        ),
        "evidence": (
            "PHQ-9/GAD-7 outcomes report Q1 2026",
            "Evidence review of the chatbot vendor's trials, 2025-09",
        ),
    },
}


# --- seeding ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedSummary:
    instruments: LoadSummary
    users_created: int
    assessments_created: int

    def __str__(self) -> str:
        if not self.users_created and not self.assessments_created:
            return "Demo data already present: nothing changed."
        return (
            f"Demo data: {self.users_created} people and {self.assessments_created} "
            "assessments created."
        )


def seed_demo() -> SeedSummary:
    """Create the demo organisations, people and assessments that are not there yet."""
    instruments = load_all()
    with transaction.atomic():
        users, users_created = _users()
        organisations = {
            RIVERBEND: _organisation(RIVERBEND, "riverbend-health-network"),
            LAKESIDE: _organisation(LAKESIDE, "lakeside-counselling"),
        }
        sites = {plan.name: _site(organisations[plan.organisation], plan) for plan in SITES}
        riverbend, lakeside = organisations[RIVERBEND], organisations[LAKESIDE]
        _branding(riverbend)
        _membership(users[ADMIN], riverbend, Role.ORG_ADMIN)
        _membership(users[CONSULTANT], riverbend, Role.CONSULTANT)
        _membership(users[CONSULTANT], lakeside, Role.CONSULTANT)
        _membership(users[VIEWER], riverbend, Role.VIEWER)
        _membership(
            users[SITE_ADMIN], riverbend, Role.SITE_ADMIN, [sites["Eastside Community Clinic"]]
        )
        _membership(users[PRIYA], riverbend, Role.SITE_ADMIN, [sites["Riverbend General Hospital"]])
        _membership(
            users[TOM],
            riverbend,
            Role.SITE_ADMIN,
            [sites["Pine Valley Rural Clinic"], sites["Northgate Urgent Care"]],
        )
        _membership(
            users[HANNAH],
            riverbend,
            Role.SITE_ADMIN,
            [sites["Maple Street Family Practice"], sites["Riverbend Behavioral Health"]],
        )
        _membership(users[JO], lakeside, Role.ORG_ADMIN)

        created = 0
        for plan in SITES:
            for index, round_ in enumerate(ROUNDS):
                instrument = Instrument.objects.get(
                    slug=plan.instrument, version=ROUND_VERSIONS[index], organisation=None
                )
                site = sites[plan.name]
                if Assessment.objects.filter(site=site, round_label=round_.label).exists():
                    continue
                _assessment(plan, site, instrument, index, round_, users)
                created += 1
    return SeedSummary(
        instruments=instruments, users_created=users_created, assessments_created=created
    )


def format_logins() -> str:
    """The demo logins as a small table, for the end of seed_demo and `make run`."""
    rows = [("login", "password", "who")]
    rows += [(login.username, login.password, f"{login.name}, {login.what}") for login in LOGINS]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    lines = ["Demo logins (sign in at http://127.0.0.1:8000/login/):"]
    for username, password, who in rows:
        lines.append(f"  {username:<{widths[0]}}  {password:<{widths[1]}}  {who}")
    return "\n".join(lines)


def _users() -> tuple[dict[str, User], int]:
    model = get_user_model()
    people: list[tuple[str, str, str | None]] = [
        (login.username, login.name, login.password) for login in LOGINS
    ]
    people += [(username, name, None) for username, name in COLLEAGUES.items()]
    users: dict[str, User] = {}
    created = 0
    for username, name, password in people:
        first, last = name.split(" ", 1)
        user, is_new = model.objects.get_or_create(
            username=username,
            defaults={"email": username, "first_name": first, "last_name": last},
        )
        created += is_new
        changed = is_new
        if password is None:
            if is_new:
                user.set_unusable_password()
        elif not user.check_password(password):
            # Keep the printed logins true even if someone changed a demo password.
            user.set_password(password)
            changed = True
        if username == ADMIN and not (user.is_staff and user.is_superuser):
            user.is_staff = user.is_superuser = True  # so /admin/ works in the demo
            changed = True
        if changed:
            user.save()
        users[username] = user
    return users, created


def _branding(organisation: Organisation) -> None:
    """The consultant's branding on Riverbend's reports, so the cover shows a logo."""
    if organisation.report_logo:
        return
    import io

    from django.core.files.base import ContentFile
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (360, 120), "white")
    draw = ImageDraw.Draw(image)
    draw.polygon([(60, 10), (110, 60), (60, 110), (10, 60)], fill=(11, 93, 107))
    draw.polygon([(60, 35), (85, 60), (60, 85), (35, 60)], fill=(158, 224, 232))
    draw.rectangle([(130, 40), (340, 52)], fill=(11, 93, 107))
    draw.rectangle([(130, 68), (290, 78)], fill=(120, 140, 150))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    organisation.report_title = "AI readiness review"
    organisation.report_signoff = "Marcus Bell, Bell Health Advisory"
    organisation.report_logo.save(
        "bell-health-advisory.png", ContentFile(buffer.getvalue()), save=False
    )
    organisation.save(update_fields=["report_title", "report_signoff", "report_logo"])


def _organisation(name: str, slug: str) -> Organisation:
    organisation, _ = Organisation.objects.get_or_create(name=name, defaults={"slug": slug})
    return organisation


def _site(organisation: Organisation, plan: SitePlan) -> Site:
    site, _ = Site.objects.get_or_create(
        organisation=organisation, name=plan.name, defaults={"kind": plan.kind}
    )
    return site


def _membership(
    user: User, organisation: Organisation, role: str, sites: list[Site] | None = None
) -> None:
    membership, _ = Membership.objects.get_or_create(
        user=user, organisation=organisation, defaults={"role": role}
    )
    if sites:
        membership.sites.add(*sites)  # adds only what is missing


def _stamp(day: datetime.date, offset_days: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(
        day + datetime.timedelta(days=offset_days), datetime.time(hour, minute), datetime.UTC
    )


class _Backdater:
    """Moves what the services just wrote to the day the demo story says it happened.

    The services stamp everything with the current time; a demo where both rounds were filled
    in a second ago would make the history page and the round dates meaningless. Seeding runs
    in one transaction of one process, so every audit entry newer than the last one seen
    belongs to the assessment being seeded.
    """

    def __init__(self) -> None:
        self.last_audit = self._max_audit()

    def _max_audit(self) -> int:
        return AuditEntry.objects.aggregate(top=Max("pk"))["top"] or 0

    def __call__(
        self,
        when: datetime.datetime,
        assessment: Assessment | None = None,
        keys: list[str] | None = None,
    ) -> None:
        AuditEntry.objects.filter(pk__gt=self.last_audit).update(at=when)
        if assessment is not None and keys:
            Answer.objects.filter(assessment=assessment, question__key__in=keys).update(
                answered_at=when
            )
        self.last_audit = self._max_audit()


def _assessment(
    plan: SitePlan,
    site: Site,
    instrument: Instrument,
    index: int,
    round_: Round,
    users: dict[str, User],
) -> Assessment:
    rng = random.Random(f"{SEED}:{plan.name}:{round_.label}")
    # The per-question offsets are drawn from a generator of the site alone, so they are the
    # same in both rounds: round two moves the whole site, not each answer at random.
    site_rng = random.Random(f"{SEED}:{plan.name}")
    content = instrument_content(instrument)
    owner = users[plan.answered_by]
    status = Status.SUBMITTED if index == 0 else plan.spring_status
    domains_done = plan.spring_domains_done if status == Status.DRAFT else len(content.domains)

    # The story: started a month before the round date, a domain every other day, submitted
    # on the round date.
    created_at = _stamp(round_.date, -30, 9, 12)
    backdate = _Backdater()
    assessment = assessment_create(
        site=site,
        instrument=instrument,
        round_label=round_.label,
        round_date=round_.date,
        user=owner,
    )
    backdate(created_at)
    if index == 1:
        # Linked to the autumn round, so "Changes since previous round" has something to show.
        earlier = Assessment.objects.filter(site=site, round_label=ROUNDS[0].label).first()
        assessment.previous = earlier
        assessment.save(update_fields=["previous"])
    if index == 1 and plan.spring_targets:
        assessment_set_targets(
            assessment=assessment,
            user=users[ADMIN],
            targets={key: Decimal(value) for key, value in plan.spring_targets.items()},
        )
        backdate(_stamp(round_.date, -29, 14))

    last_change = created_at
    comments = _Cycler(rng)
    values: dict[str, str] = {}
    spec = instrument.spec()
    for number, domain in enumerate(content.domains):
        if number >= domains_done:
            break
        questions = content.questions_of(domain.key)
        offsets = {q.key: site_rng.gauss(0, 0.18) for q in questions}
        strength = plan.strength[index] + plan.leanings.get(domain.key, 0.0)
        # A draft stops part-way through a domain, as a person interrupted would.
        answer_count = round(min(1.0, domains_done - number) * len(questions))
        changes = []
        for question in questions[:answer_count]:
            # Visibility depends only on earlier answers, all given by now (scoring's rule).
            if question.key not in visible_keys(spec, values):
                continue
            change = _answer(plan, index, question, strength + offsets[question.key], rng, comments)
            if change is not None:
                values[question.key] = change.value
                changes.append(change)
        user = users[plan.helpers.get(domain.key, plan.answered_by)]
        answers_save(assessment=assessment, user=user, changes=changes, domain_key=domain.key)
        last_change = _stamp(round_.date, -28 + 2 * number, 10 + number % 6, rng.randrange(60))
        backdate(last_change, assessment, [change.key for change in changes])

    submitted_at = None
    if status != Status.DRAFT:
        assessment_submit(assessment=assessment, user=owner)
        last_change = submitted_at = _stamp(round_.date, 0, 15, 30)
        backdate(submitted_at)
    if status == Status.REOPENED:
        last_change = _reopen_and_correct(assessment, users, owner, round_, backdate)
    Assessment.objects.filter(pk=assessment.pk).update(
        created_at=created_at, updated_at=last_change, submitted_at=submitted_at
    )
    return assessment


def _reopen_and_correct(
    assessment: Assessment,
    users: dict[str, User],
    owner: User,
    round_: Round,
    backdate: _Backdater,
) -> datetime.datetime:
    """The admin reopens a submitted round so the site can record training done since."""
    assessment_reopen(assessment=assessment, user=users[ADMIN])
    backdate(_stamp(round_.date, 12, 9, 40))
    answer = Answer.objects.get(assessment=assessment, question__key="training.q01")
    change = AnswerChange(
        key="training.q01",
        value="3",
        comment="All GPs and nurses completed the AI scribe module in April; reception staff "
        "are booked for May.",
        evidence="LMS completions report, 2026-04-24",
        base_revision=answer.revision,
    )
    answers_save(assessment=assessment, user=owner, changes=[change], domain_key="training")
    changed_at = _stamp(round_.date, 14, 10, 5)
    backdate(changed_at, assessment, ["training.q01"])
    return changed_at


class _Cycler:
    """Hands out comments from a pool in a shuffled order, so one page rarely repeats one."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pools: dict[str, Iterator[str]] = {}

    def take(self, name: str, pool: tuple[str, ...]) -> str:
        if name not in self.pools:
            self.pools[name] = self._cycle(pool)
        return next(self.pools[name])

    def _cycle(self, pool: tuple[str, ...]) -> Iterator[str]:
        while True:
            items = list(pool)
            self.rng.shuffle(items)
            yield from items


def _answer(
    plan: SitePlan,
    index: int,
    question: Question,
    level: float,
    rng: random.Random,
    comments: _Cycler,
) -> AnswerChange | None:
    key = question.key
    if key in plan.fixed[index]:
        value, comment, evidence = plan.fixed[index][key]
        return AnswerChange(key=key, value=value, comment=comment, evidence=evidence)
    if key in plan.not_applicable and question.allow_na:
        return AnswerChange(key=key, value=NA, comment=plan.not_applicable[key])
    if question.type == Question.Type.TEXT:
        text = plan.texts.get(key, "")
        return AnswerChange(key=key, value=text) if text else None

    # Each round moves a little on its own too: people answer the same practice differently.
    level = min(1.0, max(0.0, level + rng.gauss(0, 0.06)))
    options = sorted(question.options, key=lambda o: o["score"])
    if question.type == Question.Type.YES_NO:
        value = "yes" if level >= 0.5 else "no"
        top = 1.0 if value == "yes" else 0.0
    else:
        position = round(level * (len(options) - 1))
        value = str(options[position]["value"])
        top = position / (len(options) - 1)

    comment = evidence = ""
    if rng.random() < 0.3:
        band = "low" if top < 0.4 else "mid" if top < 0.75 else "high"
        comment = comments.take(band, COMMENTS[band])
    if top >= 0.5 and rng.random() < 0.25:
        pool = EVIDENCE[plan.instrument].get(question.domain.key, ())
        if pool:
            evidence = comments.take(question.domain.key, pool)
    return AnswerChange(key=key, value=value, comment=comment, evidence=evidence)
