"""Security settings, headers, the strict CSP's promise (no inline code), login rate limit, escaping."""

from __future__ import annotations

import datetime
import io
import os
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from PIL import Image

from assessments.invitations import invitation_create
from assessments.models import Assessment, Membership
from assessments.rounds import assessment_start_next_round
from assessments.services import (
    AnswerChange,
    answers_save,
    assessment_create,
    assessment_submit,
)
from tests import factories
from tests.conftest import World

BASE_DIR = Path(__file__).resolve().parent.parent
SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'
PASSWORD = "pw-Secret-123"  # tests/factories.make_user


# --- manage.py check --deploy ---------------------------------------------------------------


def _production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE"))}
    env.update(
        DJANGO_SETTINGS_MODULE="readiness.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="x.example",
        SECURE_SSL_REDIRECT="true",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_PRELOAD="true",
        DATABASE_URL="sqlite:////tmp/x.sqlite3",
    )
    env.update(extra)
    return env


def _check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({}, id="direct"),
        pytest.param({"SECURE_PROXY_SSL_HEADER": "true"}, id="behind-proxy"),
        pytest.param(
            {"SECURE_PROXY_SSL_HEADER": "true", "SECURE_SSL_REDIRECT": "false"},
            id="behind-proxy-that-redirects",
        ),
    ],
)
def test_check_deploy_gives_no_warning_with_production_values(extra):
    result = _check_deploy(_production_env(**extra))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr


def test_check_deploy_still_warns_about_a_development_secret_key():
    # Proves the check above can fail: the development defaults are flagged.
    env = _production_env()
    del env["SECRET_KEY"]
    result = _check_deploy(env)
    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_production_settings_are_secure():
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER, s.SESSION_COOKIE_AGE, s.PROXY_COUNT)"
    )
    env = _production_env(SECURE_PROXY_SSL_HEADER="true", SESSION_TIMEOUT_MINUTES="10")
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "True",
        "True",
        "31536000",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "600",
        "1",
    ]


def _settings_run(code: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """`code` in a new Python with production settings (read on first use; no apps loaded)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=_production_env(**extra),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_cache_is_a_folder_by_default_and_redis_when_cache_url_names_one(tmp_path):
    code = "from django.conf import settings as s; c = s.CACHES['default']; print(c['BACKEND'], c['LOCATION'])"
    folder = _settings_run(code, CACHE_DIR=str(tmp_path))
    assert folder.returncode == 0, folder.stderr
    assert folder.stdout.split() == [
        "django.core.cache.backends.filebased.FileBasedCache",
        str(tmp_path),
    ]
    redis = _settings_run(code, CACHE_URL="redis://cache.internal:6379/2")
    assert redis.returncode == 0, redis.stderr
    assert redis.stdout.split() == [
        "django.core.cache.backends.redis.RedisCache",
        "redis://cache.internal:6379/2",
    ]


def test_a_cache_url_of_another_kind_stops_start_up_with_a_clear_message():
    result = _settings_run(
        "from django.conf import settings; settings.CACHES",
        CACHE_URL="memcached://cache.internal:11211",
    )
    assert result.returncode != 0
    assert "CACHE_URL must start with redis://" in result.stderr
    assert "'memcached'" in result.stderr


# --- headers ----------------------------------------------------------------------------------


def _csp(response: Any) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def _assert_security_headers(response: Any) -> None:
    csp = _csp(response)
    assert csp, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    for directive in ("script-src", "style-src"):
        sources = csp.get(directive) or csp["default-src"]
        assert "'unsafe-inline'" not in sources, (directive, sources)
        assert "'unsafe-eval'" not in sources, (directive, sources)
        assert not {"*", "https:", "http:", "data:"} & set(sources), (directive, sources)
    assert csp["default-src"] == ["'self'"]
    assert csp.get("object-src") == ["'none'"]
    assert csp.get("frame-ancestors") == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] in {"same-origin", "no-referrer", "strict-origin"}
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_carry_a_strict_csp_and_the_security_headers(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    client = Client()
    _assert_security_headers(client.get(reverse("login")))
    _assert_security_headers(client.get("/no-such-page/"))
    client.force_login(world.alice)
    _assert_security_headers(client.get(reverse("assessments:organisation", args=[world.org.slug])))
    _assert_security_headers(client.get(reverse("assessments:domain", args=[assessment.pk, "gov"])))
    autosave = client.post(
        reverse("assessments:domain", args=[assessment.pk, "gov"]),
        {"gov.q01": "yes", "gov.q01--rev": "0"},
        headers={"X-Autosave": "1"},
    )
    assert autosave.status_code == 200
    _assert_security_headers(autosave)


def test_session_and_csrf_cookies_are_http_only_where_possible(world):
    client = Client()
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"].lower() in {"lax", "strict"}


# --- no inline code in any page ---------------------------------------------------------------


class InlineCodeFinder(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, styles and event handlers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_inline_script = False
        self._script_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        line = self.getpos()[0]
        if tag == "style":
            self.problems.append(f"line {line}: <style> block")
        if tag == "script":
            kind = (attributes.get("type") or "").lower()
            if not attributes.get("src") and kind != "application/json":
                self._in_inline_script = True
                self._script_text = []
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"line {line}: style= on <{tag}>")
            if name.startswith("on"):
                self.problems.append(f"line {line}: {name}= on <{tag}>")
            if name in {"href", "src", "action", "formaction"} and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.problems.append(f"line {line}: javascript: URL on <{tag}>")

    def handle_data(self, data: str) -> None:
        if self._in_inline_script:
            self._script_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._in_inline_script:
            self._in_inline_script = False
            text = "".join(self._script_text).strip()
            self.problems.append(f"line {self.getpos()[0]}: inline <script> {text[:60]!r}")


def inline_code(html: str) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


def test_the_inline_code_finder_finds_what_a_strict_csp_blocks():
    html = (
        '<p style="color:red" onclick="x()">a</p><style>p{}</style><script>alert(1)</script>'
        '<a href="javascript:void(0)">x</a>'
        '<script src="/static/x.js"></script><script type="application/json">{"a": 1}</script>'
    )
    problems = inline_code(html)
    assert len(problems) == 5, problems
    assert inline_code('<script src="/static/x.js"></script><p class="x">ok</p>') == []


@dataclass
class Seeded:
    world: World
    draft: Assessment
    submitted: Assessment
    previous: Assessment


def _save(assessment: Assessment, user: User, **values: str) -> None:
    changes = []
    for key, value in values.items():
        answer = assessment.answers.filter(question__key=key).first()
        changes.append(
            AnswerChange(
                key=key,
                value=value,
                comment=SCRIPT,
                evidence=IMG,
                base_revision=answer.revision if answer else 0,
            )
        )
    outcome = answers_save(assessment=assessment, user=user, changes=changes)
    assert not outcome.conflicts


@pytest.fixture
def seeded(world: World) -> Seeded:
    """Assessments in every state, with a hostile comment and evidence note on each answer."""
    world.clinic.name = "Clinic <b>bold</b>"
    world.clinic.save()
    logo = io.BytesIO()
    Image.new("RGB", (40, 20), (10, 80, 160)).save(logo, format="PNG")
    world.org.report_title = "Review <b>bold</b>"
    world.org.report_signoff = SCRIPT
    world.org.report_logo.save("logo.png", ContentFile(logo.getvalue()), save=True)
    previous = assessment_create(
        site=world.clinic,
        instrument=world.instrument,
        round_label="2025 <i>autumn</i>",
        round_date=datetime.date(2025, 10, 1),
        user=world.alice,
    )
    _save(previous, world.sam, **{"gov.q01": "no", "gov.q03": "1", "ops.q01": "none"})
    assessment_submit(assessment=previous, user=world.alice)
    # The next round of the clinic: carried-over answers, and a round-to-round diff page.
    draft = assessment_start_next_round(
        previous=previous,
        user=world.alice,
        round_label="2026 spring",
        round_date=datetime.date(2026, 3, 1),
    )
    _save(
        draft, world.sam, **{"gov.q01": "yes", "gov.q02": "no", "gov.q03": "2", "gov.q04": SCRIPT}
    )
    submitted = assessment_create(
        site=world.hospital,
        instrument=world.instrument,
        round_label="2026 spring",
        round_date=datetime.date(2026, 3, 1),
        user=world.alice,
    )
    _save(
        submitted,
        world.alice,
        **{"gov.q01": "yes", "gov.q02": "yes", "gov.q03": "4", "ops.q01": "all", "ops.q02": "na"},
    )
    assessment_submit(assessment=submitted, user=world.alice)
    return Seeded(world=world, draft=draft, submitted=submitted, previous=previous)


def _routes() -> list[tuple[str, str, list[str]]]:
    """(route, name, parameters) of every URL pattern outside the Django admin."""
    found: list[tuple[str, str, list[str]]] = []

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue  # Django's own admin: staff only, its templates are Django's
                if pattern.namespace == "api":
                    continue  # JSON, and its docs page: tests/api/test_docs_and_schema.py
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                found.append(
                    (
                        route,
                        namespace + (pattern.name or ""),
                        re.findall(r"<(?:\w+:)?(\w+)>", route),
                    )
                )

    walk(get_resolver().url_patterns, "", "")
    return found


def _action_item(seeded: Seeded) -> Any:
    """An action item of the draft (its plan is live), with a script in its notes."""
    from actions.models import ActionItem
    from actions.services import action_item_update, action_items_create_from_plan

    item = ActionItem.objects.filter(assessment=seeded.draft).first()
    if item is None:
        item = action_items_create_from_plan(
            assessment=seeded.draft, user=seeded.world.alice, keys=None, limit=1
        )[0]
        action_item_update(
            item=item,
            user=seeded.world.alice,
            changes={"notes": SCRIPT, "owner": seeded.world.alice},
            revision=item.revision,
        )
    return item


def _evidence_file(seeded: Seeded) -> Any:
    """An evidence file of the draft whose name is markup (the page must escape it)."""
    import io

    from evidence.models import EvidenceFile
    from evidence.services import evidence_upload

    evidence = EvidenceFile.objects.filter(assessment=seeded.draft).first()
    if evidence is None:
        content = b"%PDF-1.4\n%%EOF\n"
        evidence = evidence_upload(
            assessment=seeded.draft,
            question_key="gov.q01",
            name="<img src=x onerror=alert(1)> minutes.pdf",
            stream=io.BytesIO(content),
            size=len(content),
            user=seeded.world.alice,
        ).evidence
    return evidence


def _report_batch(seeded: Seeded) -> Any:
    """A batch export of the submitted assessment (its page and progress, before any worker)."""
    from reports.job_services import report_batch_create
    from reports.models import ReportBatch

    batch = ReportBatch.objects.filter(organisation=seeded.world.org).first()
    if batch is None:
        batch = report_batch_create(
            organisation=seeded.world.org,
            user=seeded.world.alice,
            title="Round <i>autumn</i>",
            filters=[("Round", "<i>autumn</i>")],
            assessment_ids=[seeded.submitted.pk],
        )
    return batch


def _kwargs(
    route: str, params: list[str], seeded: Seeded, assessment: Assessment
) -> dict[str, Any]:
    """Values for a route's parameters; an unknown parameter fails the test (never skipped)."""
    world = seeded.world
    values: dict[str, Any] = {}
    route = re.sub(r"<\w+:(\w+)>", r"<\1>", route)  # whatever the converter
    for param in params:
        if param == "slug":
            values[param] = world.org.slug
        elif param == "key" and "/q/<key>" in route:
            values[param] = "gov.q01"  # a question (the review flag)
        elif param == "key":
            values[param] = "gov"
        elif param == "pk" and route.startswith("a/"):
            values[param] = assessment.pk
        elif param == "pk" and "sites/<pk>" in route:
            values[param] = world.clinic.pk
        elif param == "pk" and "members/<pk>" in route:
            values[param] = Membership.objects.get(user=world.victor, organisation=world.org).pk
        elif param == "pk" and "invitations/<pk>" in route:
            values[param] = invitation_create(
                organisation=world.org,
                email="invited@example.org",
                role=Membership.Role.VIEWER,
                sites=[],
                invited_by=world.alice,
                accept_url=str,
            ).invitation.pk
        elif param == "pk" and route.startswith("actions/"):
            values[param] = _action_item(seeded).pk
        elif param == "pk" and route.startswith("files/"):
            values[param] = _evidence_file(seeded).pk
        elif param == "pk" and "batches/<pk>" in route:
            values[param] = _report_batch(seeded).pk
        elif param == "pk" and "instruments/<pk>" in route:
            values[param] = assessment.instrument_id  # the blank questionnaire
        elif param == "uidb64":
            values[param] = urlsafe_base64_encode(force_bytes(world.victor.pk))
        elif param == "token":
            values[param] = default_token_generator.make_token(world.victor)
        else:
            pytest.fail(f"test_security._kwargs does not know how to fill {param!r} in {route!r}")
    return values


HTML_TYPES = ("text/html",)
# Documents rendered from the report (seconds each): scanned once, for the draft.
RENDERED_DOCUMENTS = (".pdf", ".docx")
FILE_TYPES = (
    "application/json",
    "application/zip",  # the export with evidence
    "application/pdf",
    "text/csv",
    "image/",
    "application/vnd.openxmlformats",
)


def _scan(client: Client, url: str, seen: dict[str, list[str]]) -> Any:
    response = client.get(url, follow=True)
    assert response.status_code < 500, url
    content_type = response.headers.get("Content-Type", "")
    if content_type.startswith(HTML_TYPES):
        _assert_security_headers(response)
        html = response.content.decode()
        seen[url] = inline_code(html)
        assert "<script>alert(1)</script>" not in html, f"unescaped comment on {url}"
        assert "<img src=x" not in html, f"unescaped evidence on {url}"
        assert "<b>bold</b>" not in html, url
        assert "<i>autumn</i>" not in html, url
    else:
        assert content_type.startswith(FILE_TYPES) or response.status_code == 405, (
            url,
            response.status_code,
            content_type,
        )
    return response


def test_no_page_has_inline_script_or_style(
    seeded: Seeded, client: Client, stand_in_pdfs: None
) -> None:
    """Every URL of the app, for each state of an assessment, as an org admin; plus error pages.

    A PDF has no HTML to scan: its template is rendered, but not laid out (stand_in_pdfs)."""
    world = seeded.world
    client.force_login(world.alice)
    seen: dict[str, list[str]] = {}
    statuses: dict[str, int] = {}
    for assessment in (seeded.draft, seeded.submitted, seeded.previous):
        for route, name, params in _routes():
            if name in {"login", "logout"}:
                continue  # anonymous pages, below
            if name:
                url = reverse(name, kwargs=_kwargs(route, params, seeded, assessment))
            else:  # an unnamed route (e.g. favicon.ico) has no parameters to fill
                assert not params, f"unnamed route with parameters: {route}"
                url = "/" + route.lstrip("^").rstrip("$")
            if url in statuses:
                continue  # a page not about the assessment: the same URL in every state
            if assessment != seeded.draft and url.endswith(RENDERED_DOCUMENTS):
                continue  # no HTML to scan; tests/reports render each state's documents
            statuses[url] = _scan(client, url, seen).status_code
    # Pages as other people see them, and states that only appear after a POST.
    for user in (world.victor, world.sam, world.carla):
        other = Client()
        other.force_login(user)
        for url in (
            reverse("assessments:home"),
            reverse("assessments:organisation", args=[world.org.slug]),
            reverse("assessments:site", args=[world.clinic.pk]),
            reverse("assessments:detail", args=[seeded.draft.pk]),
            reverse("assessments:domain", args=[seeded.draft.pk, "gov"]),
        ):
            _scan(other, url, seen)
    domain_url = reverse("assessments:domain", args=[seeded.draft.pk, "gov"])
    # A stale revision gives the conflict box; a bad choice gives field errors.
    invalid = client.post(
        domain_url, {"gov.q03": "9", "gov.q03--rev": "1", "gov.q01": "no", "gov.q01--rev": "0"}
    )
    assert invalid.status_code < 500
    seen["domain page with errors and a conflict"] = inline_code(invalid.content.decode())
    assert b"Choose one of the listed answers" in invalid.content
    targets = client.post(reverse("assessments:targets", args=[seeded.draft.pk]), {"gov": "x"})
    seen["targets with errors"] = inline_code(targets.content.decode())
    site = client.post(reverse("assessments:site", args=[world.clinic.pk]), {"round_label": ""})
    seen["site with errors"] = inline_code(site.content.decode())
    anonymous = Client()
    for url in (reverse("login"), "/no-such-page/"):
        _scan(anonymous, url, seen)
    login = anonymous.post(reverse("login"), {"username": "nobody", "password": "x"})
    seen["login with errors"] = inline_code(login.content.decode())
    outsider = Client()
    outsider.force_login(world.oscar)
    _scan(outsider, reverse("assessments:detail", args=[seeded.draft.pk]), seen)  # 404 page

    problems = {url: found for url, found in seen.items() if found}
    assert problems == {}
    # Guards against a silently empty scan: every app page was rendered.
    ok_pages = [url for url, status in statuses.items() if status == 200]
    assert len(ok_pages) >= 20, statuses


def test_no_django_admin_page_has_inline_script_or_style(seeded):
    """The admin is left out of the walk above (its URLs take model names); scan it here."""
    from django.contrib import admin

    root = User.objects.create_superuser("root", "root@example.org", PASSWORD)
    client = Client()
    client.force_login(root)
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
        first = model._default_manager.first()
        if first is not None:
            urls.append(
                reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk])
            )
    problems = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code in {200, 403}, url  # 403: add is off for read-only content
        if found := inline_code(response.content.decode()):
            problems[url] = found
    assert problems == {}
    assert len(urls) > 10


def test_the_csrf_failure_page_has_no_inline_code(world):
    # Django's own CSRF failure page has an inline <style> block: templates/403_csrf.html.
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403
    assert inline_code(response.content.decode()) == []


def test_the_lockout_page_has_no_inline_code(world):
    client = Client()
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "alice", "password": f"wrong{attempt}"})
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert inline_code(response.content.decode()) == []


# --- login rate limit (django-axes) -----------------------------------------------------------


def _login(username: str, password: str, address: str, **meta: str) -> Any:
    defaults: dict[str, Any] = {"REMOTE_ADDR": address, **meta}
    return Client(**defaults).post(reverse("login"), {"username": username, "password": password})


def _is_lockout(response: Any) -> bool:
    return (
        response.status_code == 429
        and b"Too many failed sign-in attempts" in response.content
        and b"Try again later" in response.content
    )


def _fail(attempts: list[tuple[str, str]], **headers: str) -> None:
    """Failed logins (username, address): each is refused with the form, the last one locks."""
    for number, (username, address) in enumerate(attempts, start=1):
        response = _login(username, "wrong", address, **headers)
        if number < len(attempts):
            assert response.status_code == 200, number  # the form again, with its error
            assert b"Please enter a correct email address and password" in response.content
        else:
            assert _is_lockout(response), number


def test_the_address_limit_is_higher_than_the_limit_for_one_user():
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.LOGIN_ADDRESS_FAILURE_LIMIT > settings.AXES_FAILURE_LIMIT


def test_failures_for_one_user_behind_an_address_do_not_lock_a_colleague_there(world):
    # A clinic behind one NAT address: one person mistypes their password five times.
    clinic = "10.0.1.1"
    _fail([("alice", clinic)] * settings.AXES_FAILURE_LIMIT)
    response = _login("alice", PASSWORD, clinic)
    assert _is_lockout(response)
    assert "_auth_user_id" not in response.wsgi_request.session
    # A colleague behind the same address signs in.
    assert _login("victor", PASSWORD, clinic).status_code == 302


def test_many_failures_across_usernames_lock_the_address(world, settings):
    # Password spraying: one guess for each of many usernames from one address.
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 12
    limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    _fail([(f"guess{n}", "10.0.2.7") for n in range(limit)])
    response = _login("alice", PASSWORD, "10.0.2.7")
    assert _is_lockout(response)
    assert "_auth_user_id" not in response.wsgi_request.session
    # The same person from another address signs in.
    assert _login("alice", PASSWORD, "10.0.2.8").status_code == 302


def test_the_default_address_limit_locks_a_spraying_address(world):
    limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    _fail([(f"spray{n}", "10.0.2.9") for n in range(limit)])
    assert _is_lockout(_login("victor", PASSWORD, "10.0.2.9"))


def test_a_success_before_the_limit_resets_the_count(world):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(2):
        for _attempt in range(limit - 1):
            assert _login("alice", "wrong", "10.0.3.1").status_code == 200
        assert _login("alice", PASSWORD, "10.0.3.1").status_code == 302
    assert not AccessAttempt.objects.filter(username="alice", failures_since_start__gt=0).exists()


def test_a_very_long_username_is_refused_like_a_wrong_password_and_still_counted(world):
    # Django's login form does not enforce the username's length; axes stores at most 255
    # characters, and PostgreSQL refused the longer one with a 500 before AXES_USERNAME_CALLABLE.
    long_name = "a" * 4000
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _login(long_name, "wrong", "10.0.6.1")
        assert response.status_code == 200
        assert b"Please enter a correct email address and password" in response.content
    assert _is_lockout(_login(long_name, "wrong", "10.0.6.1"))
    assert _is_lockout(_login(long_name[:255] + "b", "wrong", "10.0.6.1"))


def test_a_forged_forwarded_for_header_does_not_dodge_the_locks(world, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _login("alice", "wrong", "10.0.4.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{attempt}")
        assert response.status_code == 200
    response = _login("alice", "wrong", "10.0.4.1", HTTP_X_FORWARDED_FOR="192.0.2.98")
    assert _is_lockout(response)
    response = _login("alice", PASSWORD, "10.0.4.1", HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert _is_lockout(response)
    # Spraying with a fresh forged address each time is counted against the real one.
    _fail(
        [(f"guess{n}", "10.0.4.2") for n in range(8)],
        HTTP_X_FORWARDED_FOR="192.0.2.1",
    )
    response = _login("victor", PASSWORD, "10.0.4.2", HTTP_X_FORWARDED_FOR="192.0.2.77")
    assert _is_lockout(response)


def test_behind_a_proxy_each_client_address_is_counted_apart(world, settings):
    settings.PROXY_COUNT = 1
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    proxy = "10.0.5.1"
    for attempt in range(8):
        response = _login(
            f"guess{attempt}",
            "wrong",
            proxy,
            HTTP_X_FORWARDED_FOR=f"1.1.1.1, 203.0.113.{attempt % 2 + 7}",
        )
        assert response.status_code == 200
    # The attacker alternated two addresses: neither reached the limit, nor did the proxy.
    assert _login("alice", PASSWORD, proxy, HTTP_X_FORWARDED_FOR="203.0.113.50").status_code == 302
    _fail(
        [(f"more{n}", proxy) for n in range(8)],
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    # A forged left-most hop does not help: the proxy's own (right-most) entry counts.
    response = _login("victor", PASSWORD, proxy, HTTP_X_FORWARDED_FOR="8.8.8.8, 203.0.113.9")
    assert _is_lockout(response)
    assert _login("victor", PASSWORD, proxy, HTTP_X_FORWARDED_FOR="203.0.113.10").status_code == 302


# --- comments and evidence are escaped --------------------------------------------------------


def test_a_hostile_comment_shows_escaped_on_the_questionnaire_and_history(world):
    assessment = factories.make_assessment(world.clinic, world.instrument)
    client = Client()
    client.force_login(world.sam)
    url = reverse("assessments:domain", args=[assessment.pk, "gov"])
    response = client.post(
        url,
        {"gov.q03": "2", "gov.q03--rev": "0", "gov.q03--comment": SCRIPT, "gov.q03--evidence": IMG},
    )
    assert response.status_code == 302
    for page in (url, reverse("assessments:history", args=[assessment.pk])):
        html = client.get(page).content.decode()
        assert SCRIPT not in html, page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, page
        assert IMG not in html, page
        assert "&lt;img src=x onerror=" in html, page
