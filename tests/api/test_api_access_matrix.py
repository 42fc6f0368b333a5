"""Every API route × every method × every role, generated from the URL configuration.

The API's counterpart of tests/test_access_matrix.py (which leaves the `api` namespace to
this file): a route, or a method of a route, without an entry in MATRIX fails
`test_every_api_route_and_method_has_an_entry`. Requests send a personal token, as scripts
do. An object of another organisation is a 404 for everyone; anonymous requests are a 401.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from reports.job_services import stored_report_request
from reports.models import StoredReport
from respondents.models import Assignment, IndependentAnswering
from tests import factories
from tests.api.conftest import ApiClient, api_client
from tests.test_access_matrix import built, objects  # noqa: F401  (the page matrix's objects)

PERSONAS = ("viewer", "other_site_admin", "other_org_consultant", "org_admin")
OK, CREATED, ACCEPTED, NO_CONTENT = 200, 201, 202, 204
UNAUTHORIZED, FORBIDDEN, NOT_FOUND = 401, 403, 404
WRITES = ("post", "put", "patch", "delete")


@dataclass(frozen=True)
class Entry:
    target: str  # which object the URL is about: see _kwargs
    expected: tuple[int, int, int, int]  # viewer, other site admin, other-org consultant, admin
    method: str = "get"
    data: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    public: bool = False
    query: str = ""
    multipart: bool = False  # the body as multipart/form-data (a file upload), not JSON


def _view(ok: int = OK, *, target: str, method: str = "get", data: Any = None) -> Entry:
    """About one site's data: the site admin of another site gets a 404."""
    return Entry(target, (ok, NOT_FOUND, NOT_FOUND, ok), method, data)


def _edit(ok: int = OK, *, target: str, method: str, data: Any = None) -> Entry:
    """A change to one site's data: viewers are refused, other sites are invisible."""
    return Entry(target, (FORBIDDEN, NOT_FOUND, NOT_FOUND, ok), method, data)


def _org(ok: int = OK) -> Entry:
    return Entry("org", (ok, ok, NOT_FOUND, ok))


def _org_exporters(target: str = "org", method: str = "get", ok: int = OK, data: Any = None):
    return Entry(target, (FORBIDDEN, FORBIDDEN, NOT_FOUND, ok), method, data)


def _new_assessment(o: dict[str, Any]) -> dict[str, Any]:
    return {
        "site": o["site"].pk,
        "instrument": o["draft"].instrument_id,
        "round_label": "2027 spring",
        "round_date": "2026-06-01",
        "carry_over": False,
    }


MATRIX: dict[str, list[Entry]] = {
    # The schema and its page hold no data: public.
    "api:schema": [Entry("none", (OK, OK, OK, OK), public=True)],
    "api:docs": [Entry("none", (OK, OK, OK, OK), public=True)],
    "api:me": [Entry("none", (OK, OK, OK, OK))],
    "api:organisations": [Entry("none", (OK, OK, OK, OK))],
    "api:organisation": [_org()],
    "api:sites": [_org()],
    "api:site": [_view(target="site")],
    "api:instruments": [_org()],
    "api:instrument": [Entry("org-instrument", (OK, OK, NOT_FOUND, OK))],
    "api:comparison": [_org()],
    "api:action-items": [_org()],
    "api:action-item": [
        _view(target="item"),
        _edit(
            target="item",
            method="patch",
            data=lambda o: {"status": "in_progress", "revision": o["item"].revision},
        ),
    ],
    # Lists of everything the person may see: filtered, never refused.
    "api:assessments": [
        Entry("none", (OK, OK, OK, OK)),
        _edit(CREATED, target="none", method="post", data=_new_assessment),
    ],
    "api:assessment": [_view(target="draft")],
    "api:submit": [_edit(target="draft", method="post")],
    "api:reopen": [Entry("submitted", (FORBIDDEN, NOT_FOUND, NOT_FOUND, OK), "post")],
    "api:targets": [
        _view(target="draft"),
        _edit(target="draft", method="patch", data=lambda o: {"targets": {"gov": 65}}),
    ],
    "api:answers": [
        _view(target="draft"),
        _edit(
            target="draft",
            method="post",
            data=lambda o: {"answers": [{"question": "gov.q01", "value": "yes", "revision": 0}]},
        ),
    ],
    "api:answer": [
        _view(target="draft-question"),
        _edit(
            target="draft-question", method="put", data=lambda o: {"value": "yes", "revision": 0}
        ),
    ],
    "api:history": [_view(target="submitted")],
    "api:history-assignments": [_view(target="submitted")],
    # Evidence files (issue 14): who sees the assessment lists and downloads them; who may
    # answer the question attaches and deletes (a viewer: 403 unless assigned the domain).
    "api:answer-files": [
        _view(target="file-question"),
        Entry(
            "file-question",
            (FORBIDDEN, NOT_FOUND, NOT_FOUND, CREATED),
            "post",
            lambda o: {"file": SimpleUploadedFile("policy.txt", b"Our AI policy\n")},
            multipart=True,
        ),
    ],
    "api:evidence-file": [
        _view(target="file"),
        _edit(NO_CONTENT, target="file", method="delete"),
    ],
    "api:evidence-file-download": [_view(target="file")],
    "api:track": [
        _edit(CREATED, target="submitted", method="post", data=lambda o: {"scope": "all"})
    ],
    "api:report-start": [_view(ACCEPTED, target="submitted", method="post", data=lambda o: {})],
    "api:report-job": [_view(target="report-job")],
    "api:report-job-download": [_view(target="report-ready")],
    "api:assignments": [
        _edit(target="draft", method="get"),
        _edit(
            CREATED,
            target="draft",
            method="post",
            data=lambda o: {"domain": "gov", "user": o["viewer"].pk},
        ),
    ],
    "api:assignment": [_edit(NO_CONTENT, target="assignment", method="delete")],
    "api:my-assignments": [Entry("none", (OK, OK, OK, OK))],
    # Independent answers (issue 15): everyone who sees the assessment reads (blind rule
    # inside); a respondent writes their own assigned domain; its coordinators the consensus.
    "api:respondent-answers": [
        _view(target="independent"),
        _edit(
            target="independent",
            method="post",
            data=lambda o: {
                "domain": "gov",
                "answers": [{"question": "gov.q01", "value": "yes", "revision": 0}],
            },
        ),
    ],
    "api:respondent-done": [
        _edit(NO_CONTENT, target="independent", method="post", data=lambda o: {"domain": "ops"})
    ],
    "api:consensus": [
        Entry("independent", (FORBIDDEN, NOT_FOUND, NOT_FOUND, OK), query="?domain=gov"),
        _edit(
            target="independent",
            method="post",
            data=lambda o: {
                "domain": "gov",
                "answers": [{"question": "gov.q03", "value": "2", "revision": 0, "note": "ok"}],
            },
        ),
    ],
    # Batch exports: for who exports for the network (org admins and consultants).
    "api:batches": [
        _org_exporters(),
        _org_exporters(method="post", ok=ACCEPTED, data=lambda o: {"round": "2025 autumn"}),
    ],
    "api:batch": [_org_exporters("org-batch")],
    "api:batch-download": [_org_exporters("org-batch")],
}


def _routes(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _routes(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name and namespace == "api:":
            yield f"{namespace}{pattern.name}", pattern.callback


def api_routes() -> dict[str, set[str]]:
    """API route name -> the methods its view answers (HEAD and OPTIONS aside)."""
    found = {}
    for name, callback in _routes(get_resolver().url_patterns):
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        if view_class is None:
            found[name] = {"get"}
            continue
        found[name] = {m for m in ("get", *WRITES) if hasattr(view_class, m)}
    return found


def test_every_api_route_and_method_has_an_entry():
    routes = api_routes()
    assert set(routes) - set(MATRIX) == set(), "add the new API routes to MATRIX"
    assert set(MATRIX) - set(routes) == set(), "remove routes that no longer exist"
    for name, methods in routes.items():
        assert {e.method for e in MATRIX[name]} == methods, name


@pytest.fixture
def objs(objects, settings, monkeypatch) -> dict[str, Any]:  # noqa: F811
    """The page matrix's objects, with a report job, a ready report and an assignment each."""
    media = Path(settings.MEDIA_ROOT)  # the page matrix's, where its evidence files are
    (media / "report-batches").mkdir(exist_ok=True)
    (media / "report-batches" / "test.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    (media / "reports").mkdir(exist_ok=True)
    (media / "reports" / "ready.pdf").write_bytes(b"%PDF-1.7 test")
    # No worker here: starting a report queues it (recorded, not rendered).
    monkeypatch.setattr("reports.queue.enqueue", lambda *args: True)
    world = objects["world"]
    extended: dict[str, Any] = {"users": objects["users"]}
    for side, owner in (("own", world.alice), ("other", world.oscar)):
        found = dict(objects[side])
        job, _ = stored_report_request(assessment=found["submitted"], key=f"test-{side}", params={})
        ready, _ = stored_report_request(
            assessment=found["submitted"], key=f"ready-{side}", params={}
        )
        StoredReport.objects.filter(pk=ready.pk).update(
            status=StoredReport.Status.READY, file="reports/ready.pdf", size=13
        )
        found["report-job"] = job
        found["report-ready"] = ready
        found["assignment"] = Assignment.objects.create(
            assessment=found["draft"], domain_key="ops", user=owner, assigned_by=owner
        )
        found["viewer"] = world.victor
        independent = factories.make_assessment(found["site"], world.instrument, "2027 autumn")
        IndependentAnswering.objects.create(assessment=independent, set_by=owner)
        for domain in ("gov", "ops"):
            Assignment.objects.create(assessment=independent, domain_key=domain, user=owner)
        found["independent"] = independent
        extended[side] = found
    return extended


def _kwargs(target: str, o: dict[str, Any]) -> dict[str, Any]:
    return {
        "none": {},
        "org": {"slug": o["org"].slug},
        "org-instrument": {"slug": o["org"].slug, "pk": o["draft"].instrument_id},
        "org-batch": {"slug": o["org"].slug, "pk": o["batch"].pk},
        "site": {"pk": o["site"].pk},
        "draft": {"pk": o["draft"].pk},
        "draft-question": {"pk": o["draft"].pk, "key": "gov.q01"},
        "submitted": {"pk": o["submitted"].pk},
        "item": {"pk": o["item"].pk},
        "report-job": {"pk": o["report-job"].pk},
        "report-ready": {"pk": o["report-ready"].pk},
        "assignment": {"pk": o["draft"].pk, "assignment_pk": o["assignment"].pk},
        "independent": {"pk": o["independent"].pk},
        "file": {"pk": o["file"].pk},
        "file-question": {"pk": o["draft"].pk, "key": o["file"].question_key},
    }[target]


def _request(client: Any, entry: Entry, url: str, o: dict[str, Any]) -> int:
    if entry.method == "get":
        return client.get(url).status_code
    data = entry.data(o) if entry.data else {}
    call = getattr(client, entry.method)
    if entry.multipart:
        return call(url, data).status_code  # the test client's default: multipart
    return call(url, data, content_type="application/json").status_code


CASES = [(name, index) for name, entries in sorted(MATRIX.items()) for index in range(len(entries))]


@pytest.mark.parametrize(("name", "index"), CASES)
def test_each_role_gets_what_it_should(objs, name, index):
    entry = MATRIX[name][index]
    own = objs["own"]
    url = reverse(name, kwargs=_kwargs(entry.target, own)) + entry.query
    anonymous = _request(ApiClient(), entry, url, own)
    assert anonymous == (OK if entry.public else UNAUTHORIZED), (name, "anonymous", anonymous)
    for persona, expected in zip(PERSONAS, entry.expected, strict=True):
        client = api_client(objs["users"][persona])
        status = _request(client, entry, url, own)
        assert status == expected, (name, entry.method, persona, status)


@pytest.mark.parametrize(
    ("name", "index"), [(n, i) for n, i in CASES if MATRIX[n][i].target != "none"]
)
def test_an_object_of_another_organisation_is_always_a_404(objs, name, index):
    entry = MATRIX[name][index]
    url = reverse(name, kwargs=_kwargs(entry.target, objs["other"])) + entry.query
    for persona in PERSONAS:
        if persona == "other_org_consultant":
            continue  # that organisation is theirs
        status = _request(api_client(objs["users"][persona]), entry, url, objs["other"])
        assert status == NOT_FOUND, (name, entry.method, persona, status)


def test_creating_at_another_organisations_site_is_a_404(objs):
    """The one write whose object is named in the body, not the address."""
    data = _new_assessment(objs["other"])
    for persona in PERSONAS:
        if persona == "other_org_consultant":
            continue
        response = api_client(objs["users"][persona]).post(
            reverse("api:assessments"), data, content_type="application/json"
        )
        assert response.status_code == NOT_FOUND, (persona, response.status_code)
