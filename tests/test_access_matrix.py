"""Every URL × every role, generated from the URL configuration.

A URL added without an entry in MATRIX makes `test_every_url_has_an_entry` fail, so the
access rules of a new page are always decided and tested. An object of another
organisation is always a 404, whoever asks.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from actions.services import action_items_create_from_plan
from assessments.invitations import invitation_create
from assessments.models import Membership
from assessments.rounds import assessment_start_next_round
from assessments.services import AnswerChange, answers_save, assessment_submit
from evidence.services import evidence_upload
from reports.job_services import report_batch_create
from reports.models import ReportBatch
from tests import factories
from tests.conftest import SignIns, World, make_world

# The matrix is about who gets which status and headers, not about what a PDF looks like: the PDF
# views render a stand-in (tests/conftest.py), laid out for real in tests/reports/test_pdf.py.
pytestmark = pytest.mark.usefixtures("stand_in_pdfs")

# Personas (issue 6): anonymous, a viewer, a site admin of another site, a consultant of
# another organisation, and an org admin.
PERSONAS = ("anonymous", "viewer", "other_site_admin", "other_org_consultant", "org_admin")

OK, REDIRECT, FORBIDDEN, NOT_FOUND = 200, 302, 403, 404


@dataclass(frozen=True)
class Entry:
    target: str  # which object the URL is about: see _kwargs
    expected: tuple[int, int, int, int]  # viewer, other site admin, other-org consultant, org admin
    method: str = "get"
    public: bool = False  # reachable without logging in


def _view(ok: int = OK, *, target: str, method: str = "get") -> Entry:
    """A page about one site's data: the site admin of another site gets a 404."""
    return Entry(target, (ok, NOT_FOUND, NOT_FOUND, ok), method)


def _edit(ok: int = OK, *, target: str, method: str = "get") -> Entry:
    """A change to one site's data: viewers are refused, other sites are invisible."""
    return Entry(target, (FORBIDDEN, NOT_FOUND, NOT_FOUND, ok), method)


def _org_view(ok: int = OK) -> Entry:
    return Entry("org", (ok, ok, NOT_FOUND, ok))


def _org_admin(ok: int = OK, *, target: str = "org", method: str = "get") -> Entry:
    return Entry(target, (FORBIDDEN, FORBIDDEN, NOT_FOUND, ok), method)


MATRIX: dict[str, Entry] = {
    "login": Entry("none", (REDIRECT, REDIRECT, REDIRECT, REDIRECT), public=True),
    "logout": Entry("none", (REDIRECT, REDIRECT, REDIRECT, REDIRECT), method="post", public=True),
    "password_reset": Entry("none", (OK, OK, OK, OK), public=True),
    "password_reset_done": Entry("none", (OK, OK, OK, OK), public=True),
    "password_reset_confirm": Entry("reset", (OK, OK, OK, OK), public=True),
    "password_reset_complete": Entry("none", (OK, OK, OK, OK), public=True),
    "assessments:home": Entry("none", (REDIRECT, REDIRECT, REDIRECT, REDIRECT)),
    # The help page and glossary: no organisation's data, open to all, signed in or not.
    "assessments:help": Entry("none", (OK, OK, OK, OK), public=True),
    "assessments:organisation": _org_view(),
    "assessments:manage-sites": _org_admin(),
    "assessments:edit-site": _org_admin(target="org-site"),
    "assessments:members": _org_admin(),
    "assessments:edit-member": _org_admin(target="org-member"),
    "assessments:remove-member": _org_admin(target="org-member"),
    # Invitations (issue 12): revoke and resend are org admins' POSTs; the accept page is
    # public (the emailed link is the credential) and a bad link is a page saying so.
    "assessments:resend-member-invitation": _org_admin(
        REDIRECT, target="org-member", method="post"
    ),
    "assessments:resend-invitation": _org_admin(REDIRECT, target="org-invitation", method="post"),
    "assessments:revoke-invitation": _org_admin(REDIRECT, target="org-invitation", method="post"),
    "assessments:accept-invitation": Entry("invitation-link", (OK, OK, OK, OK), public=True),
    "assessments:instruments": _org_admin(),
    "assessments:import-json": _org_admin(),
    "assessments:site": _view(target="site"),
    "assessments:detail": _view(target="draft"),
    "assessments:take": _view(REDIRECT, target="draft"),
    "assessments:domain": _view(target="draft-domain"),
    "assessments:confirm-carried": _edit(REDIRECT, target="draft-domain", method="post"),
    # Marking a question for review (issue 11): for those who may edit the assessment.
    "assessments:review-flag": _edit(REDIRECT, target="draft-question", method="post"),
    "assessments:submit": _edit(target="draft"),
    "assessments:reopen": Entry("submitted", (FORBIDDEN, NOT_FOUND, NOT_FOUND, REDIRECT), "post"),
    "assessments:targets": _edit(target="draft"),
    "assessments:history": _view(target="submitted"),
    "assessments:export-json": _view(target="submitted"),
    "assessments:next-round": _edit(target="submitted"),
    "assessments:round-diff": _view(target="next"),
    # Moving a draft to a newer version: only those who may edit it learn that the page
    # exists (a viewer gets a 404 too). The draft here has no newer version: sent back.
    "assessments:move-version": Entry("draft", (NOT_FOUND, NOT_FOUND, NOT_FOUND, REDIRECT)),
    # Evidence files (issue 14): whoever may view the assessment downloads; whoever may answer
    # the question attaches and deletes (a viewer: 403); the export with evidence is the JSON's.
    "evidence:upload": _edit(REDIRECT, target="draft-question", method="post"),
    "evidence:delete": _edit(REDIRECT, target="draft-file", method="post"),
    "evidence:download": _view(target="draft-file"),
    "evidence:export-zip": _view(target="submitted"),
    # Action items (issue 14): everyone of the organisation reads; a site admin sees their
    # sites' items (and those they own); tracking the plan is for those who may edit it.
    "actions:organisation": _org_view(),
    "actions:export-csv": _org_view(),
    "actions:export-xlsx": _org_view(),
    "actions:site": _view(target="site"),
    "actions:item": _view(target="item"),
    "actions:track": _edit(REDIRECT, target="submitted", method="post"),
    # Assignments (issue 15): the assessment's coordinators (org admins, consultants, its
    # site admins) assign; everyone has their own list and reminder choice.
    # The anonymous benchmark (issue 15): only an org admin opts the organisation in or out.
    "benchmark:participation": _org_admin(),
    "respondents:assignments": _edit(target="draft"),
    "respondents:mine": Entry("none", (OK, OK, OK, OK)),
    # Independent answers (issue 15): the consensus is the coordinators'; marking a part done
    # only its respondent's (nobody is assigned here, so everyone who sees the site gets a 403).
    "respondents:consensus": _edit(target="draft-domain"),
    "respondents:done": Entry("draft-domain", (FORBIDDEN, NOT_FOUND, NOT_FOUND, FORBIDDEN)),
    # The old reminder page: links in e-mails already sent lead to the e-mail choices.
    "respondents:reminders": Entry("none", (REDIRECT, REDIRECT, REDIRECT, REDIRECT)),
    "reports:compare": _org_view(),
    "reports:compare-csv": _org_view(),
    "reports:compare-xlsx": _org_view(),
    # The blank questionnaire of an instrument version (issue 11): every member prints it.
    "reports:blank-questionnaire": Entry("org-instrument", (OK, OK, NOT_FOUND, OK)),
    "reports:branding": Entry("org", (FORBIDDEN, FORBIDDEN, NOT_FOUND, OK)),
    "reports:branding-logo": Entry("org", (OK, OK, NOT_FOUND, OK)),
    "reports:results": _view(target="submitted"),
    "reports:gap-report": _view(target="submitted"),
    # The figures of those two pages' interactive charts, fetched when asked for (issue 13).
    "reports:chart-data": _view(target="submitted"),
    "reports:gap-report-pdf": _view(target="submitted"),
    "reports:gap-report-docx": _view(target="submitted"),
    # Background report jobs (issue 13). A report being prepared is the report's; batch
    # exports are for who exports for the network (org admins and consultants); /healthz is
    # public and shows no data.
    "reports:report-preparing": _view(REDIRECT, target="submitted"),
    "reports:report-status": _view(target="submitted"),
    "reports:batches": _org_admin(),
    "reports:batch": _org_admin(target="org-batch"),
    "reports:batch-status": _org_admin(target="org-batch"),
    "reports:batch-download": _org_admin(target="org-batch"),
    "reports:healthz": Entry("none", (OK, OK, OK, OK), public=True),
    # The signed-in user's own two-factor sign-in: no organisation's data. Without a device,
    # the code page has nothing to ask and turning it off has nothing to turn off.
    "accounts:two-factor": Entry("none", (OK, OK, OK, OK)),
    "accounts:notifications": Entry("none", (OK, OK, OK, OK)),
    "accounts:two-factor-setup": Entry("none", (OK, OK, OK, OK)),
    "accounts:two-factor-verify": Entry("none", (REDIRECT, REDIRECT, REDIRECT, REDIRECT)),
    "accounts:two-factor-disable": Entry(
        "none", (REDIRECT, REDIRECT, REDIRECT, REDIRECT), method="post"
    ),
    # The person's own API tokens (issue 16): no organisation's data.
    "api_tokens:manage": Entry("none", (OK, OK, OK, OK)),
}


def _names(patterns: list[Any], namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django's admin has its own staff-only checks
            if pattern.namespace == "api":
                continue  # the REST API's own matrix: tests/api/test_api_access_matrix.py
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def test_every_url_has_an_entry():
    names = set(_names(get_resolver().url_patterns))
    assert names - set(MATRIX) == set(), "add the new URLs to MATRIX"
    assert set(MATRIX) - names == set(), "remove URLs that no longer exist"


@pytest.fixture(scope="module")
def built(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The objects, made once for the module and rolled back after it; each test runs in its
    own savepoint inside this transaction (as in Django's TestCase.setUpTestData)."""
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        override_settings(MEDIA_ROOT=media),  # the evidence files are stored there
    ):
        world = make_world(factories.load_instrument_text(factories.SMALL_INSTRUMENT))
        yield media, _objects(world)
        transaction.set_rollback(True)


@pytest.fixture
def objects(db: None, built: tuple[Path, dict[str, Any]], settings: Any) -> dict[str, Any]:
    """The objects URLs are about, in Northside (``own``) and in Other Org (``other``)."""
    media, objects = built
    settings.MEDIA_ROOT = media
    return objects


def _objects(world: World) -> dict[str, Any]:
    Role = Membership.Role
    other_site_admin = factories.make_user("hank")
    factories.make_membership(other_site_admin, world.org, Role.SITE_ADMIN, sites=[world.hospital])
    other_consultant = factories.make_user("cody")
    factories.make_membership(other_consultant, world.other_org, Role.CONSULTANT)
    factories.make_site(world.org, "Northside Logo Test")
    world.org.report_logo = "logos/test.png"
    world.other_org.report_logo = "logos/test.png"

    def assessments_at(site, user):
        draft = factories.make_assessment(site, world.instrument, round_label="2026 spring")
        submitted = factories.make_assessment(site, world.instrument, round_label="2025 autumn")
        answers_save(
            assessment=submitted, user=user, changes=[AnswerChange(key="gov.q03", value="2")]
        )
        assessment_submit(assessment=submitted, user=user)
        earlier = factories.make_assessment(site, world.instrument, round_label="2024 autumn")
        assessment_submit(assessment=earlier, user=user)
        later = assessment_start_next_round(previous=earlier, user=user, round_label="2025 spring")
        return draft, submitted, later

    own_draft, own_submitted, own_next = assessments_at(world.clinic, world.alice)
    other_draft, other_submitted, other_next = assessments_at(world.other_site, world.oscar)

    def batch_of(org, user, assessment):
        # A finished batch export whose ZIP is written by the test (it sets MEDIA_ROOT).
        batch = report_batch_create(
            organisation=org, user=user, title="Round", filters=[], assessment_ids=[assessment.pk]
        )
        ReportBatch.objects.filter(pk=batch.pk).update(
            status=ReportBatch.Status.DONE, file="report-batches/test.zip", size=22
        )
        return batch

    def file_of(assessment, user):
        content = b"%PDF-1.4\n%%EOF\n"
        return evidence_upload(
            assessment=assessment,
            question_key="gov.q03",
            name="minutes.pdf",
            stream=io.BytesIO(content),
            size=len(content),
            user=user,
        ).evidence

    def invitation_of(org, user):
        return invitation_create(
            organisation=org,
            email=f"invited@{org.slug}.example",
            role=Role.VIEWER,
            sites=[],
            invited_by=user,
            accept_url=str,
        ).invitation

    return {
        "world": world,
        # The personas' sign-ins, paid once for the module (each test rolls its rows back).
        "sign_ins": SignIns(),
        "users": {
            "viewer": world.victor,
            "other_site_admin": other_site_admin,
            "other_org_consultant": other_consultant,
            "org_admin": world.alice,
        },
        "own": {
            "org": world.org,
            "site": world.clinic,
            "member": world.victor.memberships.get(),
            "invitation": invitation_of(world.org, world.alice),
            "draft": own_draft,
            "submitted": own_submitted,
            "next": own_next,
            "item": action_items_create_from_plan(assessment=own_submitted, user=world.alice)[0],
            "batch": batch_of(world.org, world.alice, own_submitted),
            "file": file_of(own_draft, world.alice),
        },
        "other": {
            "org": world.other_org,
            "site": world.other_site,
            "member": world.oscar.memberships.get(),
            "invitation": invitation_of(world.other_org, world.oscar),
            "draft": other_draft,
            "submitted": other_submitted,
            "next": other_next,
            "item": action_items_create_from_plan(assessment=other_submitted, user=world.oscar)[0],
            "batch": batch_of(world.other_org, world.oscar, other_submitted),
            "file": file_of(other_draft, world.oscar),
        },
    }


def _kwargs(target: str, objs: dict[str, Any]) -> dict[str, Any]:
    return {
        "none": {},
        "reset": {"uidb64": "MQ", "token": "bad-token"},  # an invalid link: a page, no data
        "org": {"slug": objs["org"].slug},
        "org-site": {"slug": objs["org"].slug, "pk": objs["site"].pk},
        "org-member": {"slug": objs["org"].slug, "pk": objs["member"].pk},
        "org-invitation": {"slug": objs["org"].slug, "pk": objs["invitation"].pk},
        "org-batch": {"slug": objs["org"].slug, "pk": objs["batch"].pk},
        "org-instrument": {"slug": objs["org"].slug, "pk": objs["draft"].instrument_id},
        "invitation-link": {"token": "bad-token"},  # an invalid link: a page, no data
        "site": {"pk": objs["site"].pk},
        "draft": {"pk": objs["draft"].pk},
        "draft-domain": {"pk": objs["draft"].pk, "key": "gov"},
        "draft-question": {"pk": objs["draft"].pk, "key": "gov.q01"},
        "draft-file": {"pk": objs["file"].pk},
        "submitted": {"pk": objs["submitted"].pk},
        "next": {"pk": objs["next"].pk},
        "item": {"pk": objs["item"].pk},
    }[target]


def _request(objects: dict[str, Any], user, entry: Entry, url: str) -> int:
    client = Client() if user is None else objects["sign_ins"].client(user)
    return getattr(client, entry.method)(url).status_code


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_each_role_gets_what_it_should(objects, name, settings):
    media = Path(settings.MEDIA_ROOT)
    # Written again for each test: a request of an earlier one may have replaced the logo.
    (media / "logos").mkdir(exist_ok=True)
    (media / "logos" / "test.png").write_bytes(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
        )
    )
    for org in (objects["own"]["org"], objects["other"]["org"]):
        org.save(update_fields=["report_logo"])
    (media / "report-batches").mkdir(exist_ok=True)
    (media / "report-batches" / "test.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    entry = MATRIX[name]
    url = reverse(name, kwargs=_kwargs(entry.target, objects["own"]))
    anonymous = _request(objects, None, entry, url)
    if entry.public:
        assert anonymous < 400, (name, "anonymous", anonymous)
    else:
        assert anonymous == REDIRECT, (name, "anonymous", anonymous)
    for persona, expected in zip(PERSONAS[1:], entry.expected, strict=True):
        status = _request(objects, objects["users"][persona], entry, url)
        assert status == expected, (name, persona, status)


@pytest.mark.parametrize(
    "name",
    sorted(n for n, e in MATRIX.items() if e.target not in {"none", "reset", "invitation-link"}),
)
def test_an_object_of_another_organisation_is_always_a_404(objects, name):
    entry = MATRIX[name]
    url = reverse(name, kwargs=_kwargs(entry.target, objects["other"]))
    for persona in PERSONAS[1:]:
        status = _request(objects, objects["users"][persona], entry, url)
        if persona == "other_org_consultant":
            continue  # that organisation is theirs
        assert status == NOT_FOUND, (name, persona, status)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_no_cache_may_store_what_a_signed_in_user_is_shown(objects, name):
    """ASVS 14.3.2: assessment data and people's names stay out of shared and browser caches.

    Every response to a signed-in user carries `Cache-Control: private, no-store`, refusals
    and redirects included (static files are served before the session is read).
    """
    entry = MATRIX[name]
    url = reverse(name, kwargs=_kwargs(entry.target, objects["own"]))
    for persona in PERSONAS[1:]:
        client = objects["sign_ins"].client(objects["users"][persona])
        response = getattr(client, entry.method)(url)
        directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
        assert {"private", "no-store"} <= directives, (name, persona, response.status_code)
        assert not any(d.startswith("max-age=") and d != "max-age=0" for d in directives), (
            name,
            persona,
            directives,
        )
