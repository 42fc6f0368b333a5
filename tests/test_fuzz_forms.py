"""Fuzz every form and page with hypothesis: no input gives a 500, and nothing saved changes
unless the input was a valid change (then exactly as posted, with its audit entry).

Each example runs inside a savepoint that is rolled back, so every example starts from the
same state; the `world` personas are made once per test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django import forms
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import QueryDict
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from assessments.content import instrument_content
from assessments.models import (
    Answer,
    Assessment,
    AuditEntry,
    Instrument,
    Invitation,
    Membership,
    Organisation,
    Site,
)
from assessments.services import AnswerChange, answers_save, assessment_submit
from assessments.transfer import export_assessment
from tests import factories
from tests.conftest import World

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# --- strategies -------------------------------------------------------------------------------

NASTY = [
    "",
    " ",
    "\x00",
    "\t\n",
    "na",
    "NA",
    " na ",
    "-1",
    "0",
    "4",
    "5",
    "1.0",
    "1e9",
    "9" * 40,
    "yes",
    "no",
    "all",
    "none",
    "some",
    "mine",
    "theirs",
    "__submit__",
    "on",
    "true",
    "<script>alert(1)</script>",
    "'; DROP TABLE assessments_answer;--",
    "../../etc/passwd",
    "%00",
    "\u202e",
    "\ufeff",
    "💥",
    "NaN",
    "Infinity",
    "-0",
    "0x10",
    "１",
    "٣",
    "1,5",
    "1_000",
    "2026-02-30",
    "2026-03-01",
    "99999-01-01",
    "0001-01-01",
    "9" * 5000,
    "x" * 5001,
    "a@b",
    "a@example.org",
    " Alice@Example.ORG ",
    "org_admin",
    "site_admin",
    "viewer",
    "archive",
    "restore",
    "save",
    "clinic",
    "hospital",
    "http://evil.example/",
    "//evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
]


def values() -> st.SearchStrategy[str]:
    """Random text: short, unicode, binary-ish, numeric, long (over 5000), or known-nasty."""
    return st.one_of(
        st.sampled_from(NASTY),
        st.text(max_size=40),
        st.text(st.characters(codec="utf-8"), max_size=300),
        st.binary(max_size=64).map(lambda raw: raw.decode("latin-1")),
        st.integers().map(str),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.builds(
            lambda char, n: char * n, st.characters(codec="utf-8"), st.integers(4990, 12_000)
        ),
    )


def form_data(known_keys: list[str]) -> st.SearchStrategy[dict[str, str]]:
    keys = st.one_of(st.sampled_from(known_keys), st.text(max_size=30))
    return st.dictionaries(keys, values(), max_size=14)


def _post(client: Client, url: str, data: dict[str, str], urlencoded: bool, **extra: Any) -> Any:
    if urlencoded:
        return client.post(
            url, urlencode(data), content_type="application/x-www-form-urlencoded", **extra
        )
    return client.post(url, data, **extra)


ENCODING = st.booleans()
RAW_BODIES = st.one_of(
    st.binary(max_size=400),
    st.builds(lambda d: urlencode(d).encode(), st.dictionaries(st.text(max_size=20), st.text())),
)


@contextmanager
def rolled_back() -> Iterator[None]:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _db() -> dict[str, list[Any]]:
    """Everything a form could change."""
    through = Membership.sites.through
    return {
        "answers": list(
            Answer.objects.order_by("pk").values_list(
                "pk", "assessment_id", "question_id", "value", "comment", "evidence", "revision"
            )
        ),
        "assessments": list(
            Assessment.objects.order_by("pk").values_list(
                "pk",
                "site_id",
                "instrument_id",
                "status",
                "targets",
                "round_label",
                "round_date",
                "revision",
            )
        ),
        "sites": list(
            Site.objects.order_by("pk").values_list(
                "pk", "organisation_id", "name", "kind", "archived"
            )
        ),
        "memberships": list(
            Membership.objects.order_by("pk").values_list(
                "pk", "user_id", "organisation_id", "role"
            )
        ),
        "membership_sites": list(
            through.objects.order_by("pk").values_list("membership_id", "site_id")
        ),
        "users": list(
            User.objects.order_by("pk").values_list(
                "pk", "username", "email", "password", "is_active"
            )
        ),
        "instruments": list(
            Instrument.objects.order_by("pk").values_list(
                "pk", "slug", "version", "content_hash", "organisation_id"
            )
        ),
        "organisations": list(
            Organisation.objects.order_by("pk").values_list(
                "pk", "name", "slug", "report_title", "report_logo", "report_signoff"
            )
        ),
        "invitations": list(
            Invitation.objects.order_by("pk").values_list(
                "pk", "organisation_id", "email", "role", "token_hash", "accepted_at", "revoked_at"
            )
        ),
        # Reads and exports are recorded on purpose; every other entry is a change.
        "audit": list(
            AuditEntry.objects.exclude(action__in=["viewed", "exported"])
            .order_by("pk")
            .values_list("pk", "action", "subject")
        ),
    }


def _assert_only_on_success(response: Any, before: dict[str, list[Any]]) -> bool:
    """No 500; a response other than the redirect after a successful POST changed nothing."""
    assert response.status_code < 500
    if response.status_code == 302:
        return True
    assert _db() == before, f"status {response.status_code} but the data changed"
    return False


def _assessment(world: World, *, submitted: bool = False) -> Assessment:
    """An assessment with saved work that the fuzzing must not damage."""
    assessment = factories.make_assessment(world.clinic, world.instrument)
    answers_save(
        assessment=assessment,
        user=world.sam,
        changes=[
            AnswerChange(key="gov.q01", value="yes"),
            AnswerChange(key="gov.q03", value="2", comment="Meets monthly", evidence="Minutes"),
            AnswerChange(key="gov.q04", value="A scribe tool"),
            AnswerChange(key="ops.q01", value="some"),
        ],
    )
    if submitted:
        assessment_submit(assessment=assessment, user=world.alice)
    return assessment


# --- the questionnaire ------------------------------------------------------------------------


def _answer_state(assessment: Assessment) -> dict[str, tuple[str, str, str, int]]:
    return {
        key: (value, comment, evidence, revision)
        for key, value, comment, evidence, revision in assessment.answers.values_list(
            "question__key", "value", "comment", "evidence", "revision"
        )
    }


def _audit_counts(assessment: Assessment) -> dict[str, int]:
    counts: dict[str, int] = {}
    for subject in AuditEntry.objects.filter(assessment=assessment, action="answer").values_list(
        "subject", flat=True
    ):
        counts[subject] = counts.get(subject, 0) + 1
    return counts


def _revision(raw: str | None) -> int | None:
    try:
        return forms.IntegerField(required=False, min_value=0).clean(raw)
    except forms.ValidationError:
        return None


def _assert_questionnaire_invariants(
    assessment: Assessment,
    domain_key: str,
    posted: QueryDict | dict[str, str],
    before: dict[str, tuple[str, str, str, int]],
    audits_before: dict[str, int],
) -> None:
    """Each answer is untouched, or is exactly what was posted for it, on its current revision,
    with one audit entry; never anything else."""
    content = instrument_content(assessment.instrument)
    after = _answer_state(assessment)
    audits_after = _audit_counts(assessment)
    domain_questions = {q.key: q for q in content.questions_of(domain_key)}
    for key in set(before) | set(after):
        old, new = before.get(key), after.get(key)
        added = audits_after.get(key, 0) - audits_before.get(key, 0)
        if old == new:
            assert added == 0, f"{key}: an audit entry without a change"
            continue
        event("an answer was saved")  # shows, with --hypothesis-show-statistics, that valid
        # changes are generated too, not only rejected junk
        assert key in domain_questions, f"{key}, outside the posted domain, changed"
        assert new is not None, f"{key}: an answer was deleted"
        assert added == 1, f"{key}: changed with {added} audit entries"
        old_revision = old[3] if old else 0
        assert _revision(posted.get(f"{key}--rev")) == old_revision, f"{key}: stale revision saved"
        assert new[3] == old_revision + 1
        value = (posted.get(key) or "").strip()
        assert new[:3] == (
            value,
            (posted.get(f"{key}--comment") or "").strip(),
            (posted.get(f"{key}--evidence") or "").strip(),
        ), f"{key}: stored something other than what was posted"
        question = domain_questions[key]
        if question.type == "text":
            assert len(new[0]) <= 5000
            assert "\x00" not in new[0]
        else:
            allowed = {o["value"] for o in question.options} | (
                {"na"} if question.allow_na else set()
            )
            assert new[0] in allowed | {""}, f"{key}: stored an invalid option {new[0]!r}"
        assert len(new[1]) <= 5000
        assert len(new[2]) <= 5000


def _field_names(world: World) -> list[str]:
    names = ["next_domain", "csrfmiddlewaretoken"]
    for question in instrument_content(world.instrument).questions:
        for suffix in ("", "--comment", "--evidence", "--rev", "--base", "--resolve", "--conflict"):
            names.append(question.key + suffix)
    return names


def _questionnaire_fuzz(
    world: World,
    data: dict[str, str] | bytes,
    *,
    autosave: bool,
    urlencoded: bool,
    domain_key: str,
    submitted: bool,
    user: User,
) -> None:
    with rolled_back():
        assessment = _assessment(world, submitted=submitted)
        before = _answer_state(assessment)
        audits = _audit_counts(assessment)
        whole = _db()
        client = _client(user)
        url = reverse("assessments:domain", args=[assessment.pk, domain_key])
        headers = {"X-Autosave": "1"} if autosave else {}
        if isinstance(data, bytes):
            response = client.post(
                url, data, content_type="application/x-www-form-urlencoded", headers=headers
            )
            posted: QueryDict | dict[str, str] = QueryDict(data)
        else:
            response = _post(client, url, data, urlencoded, headers=headers)
            posted = data
        assert response.status_code < 500
        if autosave and response.status_code in (200, 409):
            json.loads(response.content)  # the script reads it
        if submitted or user != world.sam or response.status_code == 400:
            assert _db() == whole
        _assert_questionnaire_invariants(assessment, domain_key, posted, before, audits)


@FUZZ
@given(
    data=st.data(),
    autosave=st.booleans(),
    urlencoded=ENCODING,
    domain_key=st.sampled_from(["gov", "ops"]),
    submitted=st.booleans(),
)
def test_fuzz_the_questionnaire_page(world, data, autosave, urlencoded, domain_key, submitted):
    posted = data.draw(form_data(_field_names(world)))
    _questionnaire_fuzz(
        world,
        posted,
        autosave=autosave,
        urlencoded=urlencoded,
        domain_key=domain_key,
        submitted=submitted,
        user=world.sam,
    )


@FUZZ
@given(
    key=st.sampled_from(["gov.q01", "gov.q03", "gov.q04"]),
    value=values(),
    comment=values(),
    evidence=values(),
    rev=st.one_of(st.sampled_from(["1", "0", "2", "", "-1", "1.0", " 1 ", "١"]), values()),
    base=st.one_of(st.just(None), values()),
    autosave=st.booleans(),
)
def test_fuzz_one_question_as_the_autosave_script_posts_it(
    world, key, value, comment, evidence, rev, base, autosave
):
    # The shape questionnaire.js posts, with random values: most are invalid and must
    # leave the saved answer alone; the valid ones are saved exactly.
    data = {
        key: value,
        f"{key}--comment": comment,
        f"{key}--evidence": evidence,
        f"{key}--rev": rev,
    }
    if base is not None:
        data[f"{key}--base"] = base
    _questionnaire_fuzz(
        world,
        data,
        autosave=autosave,
        urlencoded=True,
        domain_key="gov",
        submitted=False,
        user=world.sam,
    )


@FUZZ
@given(body=RAW_BODIES, autosave=st.booleans())
def test_fuzz_the_questionnaire_with_raw_bodies(world, body, autosave):
    _questionnaire_fuzz(
        world,
        body,
        autosave=autosave,
        urlencoded=True,
        domain_key="gov",
        submitted=False,
        user=world.sam,
    )


@FUZZ
@given(data=st.data(), autosave=st.booleans())
def test_fuzz_the_questionnaire_as_a_viewer_changes_nothing(world, data, autosave):
    posted = data.draw(form_data(_field_names(world)))
    _questionnaire_fuzz(
        world,
        posted,
        autosave=autosave,
        urlencoded=True,
        domain_key="gov",
        submitted=False,
        user=world.victor,
    )


def test_an_invalid_autosave_keeps_the_saved_answer_and_says_why(world):
    assessment = _assessment(world)
    before = _answer_state(assessment)
    client = _client(world.sam)
    url = reverse("assessments:domain", args=[assessment.pk, "gov"])
    for value, comment in (("7", ""), ("2", "x" * 5001), ("2\x00", ""), ("2", "a\x00b")):
        response = client.post(
            url,
            {"gov.q03": value, "gov.q03--comment": comment, "gov.q03--rev": "1"},
            headers={"X-Autosave": "1"},
        )
        assert response.status_code == 409, (value, comment)
        assert "gov.q03" in response.json()["problems"]
        assert _answer_state(assessment) == before


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_submit(world, data, urlencoded):
    posted = data.draw(form_data(["confirm", "next"]))
    with rolled_back():
        assessment = _assessment(world)
        answers = _answer_state(assessment)
        before = _db()
        response = _post(
            _client(world.sam),
            reverse("assessments:submit", args=[assessment.pk]),
            posted,
            urlencoded,
        )
        if _assert_only_on_success(response, before):
            assessment.refresh_from_db()
            assert posted.get("confirm") == "yes"
            assert assessment.status == Assessment.Status.SUBMITTED
            assert _answer_state(assessment) == answers


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_targets(world, data, urlencoded):
    posted = data.draw(form_data(["gov", "ops", "other"]))
    with rolled_back():
        assessment = _assessment(world)
        before = _db()
        response = _post(
            _client(world.alice),
            reverse("assessments:targets", args=[assessment.pk]),
            posted,
            urlencoded,
        )
        if _assert_only_on_success(response, before):
            assessment.refresh_from_db()
            for key in ("gov", "ops"):
                target = Decimal(posted[key].strip())
                assert Decimal(0) <= target <= Decimal(100)
                assert Decimal(str(assessment.targets.get(key, target))) == target
        else:
            # Any refused POST, an empty one included, shows the form with its errors.
            assert response.status_code == 422


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_starting_an_assessment_on_the_site_page(world, data, urlencoded):
    posted = data.draw(form_data(["instrument", "round_label", "round_date"]))
    if data.draw(st.booleans()):
        posted["instrument"] = str(world.instrument.pk)
    with rolled_back():
        before = _db()
        response = _post(
            _client(world.sam),
            reverse("assessments:site", args=[world.clinic.pk]),
            posted,
            urlencoded,
        )
        if _assert_only_on_success(response, before):
            created = Assessment.objects.exclude(pk__in=[row[0] for row in before["assessments"]])
            assert created.count() == 1
            assert created.get().round_label == posted["round_label"].strip()


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_starting_the_next_round(world, data, urlencoded):
    posted = data.draw(form_data(["instrument", "round_label", "round_date"]))
    if data.draw(st.booleans()):
        posted["instrument"] = str(world.instrument.pk)
    if data.draw(st.booleans()):
        posted["round_date"] = data.draw(st.sampled_from(["2026-06-01", "2027-01-01", "2020-1-1"]))
    with rolled_back():
        previous = _assessment(world, submitted=True)
        before = _db()
        response = _post(
            _client(world.sam),
            reverse("assessments:next-round", args=[previous.pk]),
            posted,
            urlencoded,
        )
        if _assert_only_on_success(response, before):
            created = Assessment.objects.exclude(pk__in=[row[0] for row in before["assessments"]])
            assert created.count() == 1
            new = created.get()
            assert new.previous_id == previous.pk
            assert new.round_label == posted["round_label"].strip()
            assert new.round_date >= previous.round_date


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_moving_a_draft_to_a_newer_version(world, data, urlencoded):
    posted = data.draw(form_data(["instrument", "revision"]))
    with rolled_back():
        newer = factories.load_instrument_text(
            factories.SMALL_INSTRUMENT.replace('version: "1.0"', 'version: "1.1"'), "v11.yaml"
        )
        assessment = _assessment(world)
        if data.draw(st.booleans()):
            posted["instrument"] = str(newer.pk)
        if data.draw(st.booleans()):
            posted["revision"] = str(data.draw(st.sampled_from([assessment.revision, 0, -1])))
        before = _db()
        old_answers = _answer_state(assessment)
        response = _post(
            _client(world.sam),
            reverse("assessments:move-version", args=[assessment.pk]),
            posted,
            urlencoded,
        )
        if _assert_only_on_success(response, before):
            moved = Assessment.objects.get(pk=assessment.pk)
            if moved.instrument_id == newer.pk:
                # Every question of this 1.1 is unchanged: every answer carries, as it was.
                assert posted["instrument"].strip() == str(newer.pk)
                assert _answer_state(moved) == old_answers
            else:
                assert _db() == before


@FUZZ
@given(
    data=st.data(),
    name=st.sampled_from(["assessments:reopen", "assessments:confirm-carried"]),
    user=st.sampled_from(["victor", "sam", "carla", "oscar"]),
)
def test_fuzz_the_button_only_posts(world, data, name, user):
    posted = data.draw(form_data(["next", "confirm"]))
    with rolled_back():
        assessment = _assessment(world, submitted=name == "assessments:reopen")
        args = [assessment.pk] if name == "assessments:reopen" else [assessment.pk, "gov"]
        before = _db()
        response = _post(_client(getattr(world, user)), reverse(name, args=args), posted, True)
        assert response.status_code < 500
        if response.status_code != 302:
            assert _db() == before
        if user in {"victor", "oscar"} or (user == "sam" and name == "assessments:reopen"):
            assert _db() == before  # no right to do it, whatever is posted


# --- sign-in ----------------------------------------------------------------------------------


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_the_login_form(world, data, urlencoded):
    posted = data.draw(form_data(["username", "password", "next"]))
    with rolled_back():
        client = Client(REMOTE_ADDR="10.9.9.9")
        response = _post(client, reverse("login"), posted, urlencoded)
        assert response.status_code < 500
        assert response.status_code in {200, 400, 429}
        assert "_auth_user_id" not in client.session


@FUZZ
@given(next_url=values(), query=st.booleans())
def test_a_fuzzed_next_never_redirects_off_site_after_sign_in(world, next_url, query):
    with rolled_back():
        client = Client(REMOTE_ADDR="10.9.9.8")
        url = reverse("login")
        data = {"username": "alice", "password": "pw-Secret-123"}
        if query:
            url += "?" + urlencode({"next": next_url})
        else:
            data["next"] = next_url
        response = client.post(url, data)
        assert response.status_code in {302, 400}
        if response.status_code == 302:
            # As a browser reads it: control characters dropped, backslashes as slashes.
            location = re.sub(r"[\x00-\x20]", "", response.headers["Location"]).replace("\\", "/")
            parsed = urlsplit(location)
            assert parsed.scheme in {"", "http", "https"}, location
            assert parsed.netloc in {"", "testserver"}, location


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_the_password_reset_request(world, data, urlencoded):
    posted = data.draw(form_data(["email"]))
    if data.draw(st.booleans()):
        posted["email"] = data.draw(
            st.sampled_from(
                ["victor@example.org", " VICTOR@example.org ", "victor@example.org\x00", "x@y"]
            )
        )
    with rolled_back():
        before = _db()
        response = _post(Client(), reverse("password_reset"), posted, urlencoded)
        assert response.status_code < 500
        assert _db() == before  # asking for a link changes nothing


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_setting_a_new_password(world, data, urlencoded):
    posted = data.draw(form_data(["new_password1", "new_password2"]))
    if data.draw(st.booleans()) and "new_password1" in posted:
        posted["new_password2"] = posted["new_password1"]
    with rolled_back():
        client = Client()
        link = reverse(
            "password_reset_confirm",
            args=[
                urlsafe_base64_encode(force_bytes(world.victor.pk)),
                default_token_generator.make_token(world.victor),
            ],
        )
        form_page = client.get(link)  # swaps the token for a session and redirects
        assert form_page.status_code == 302
        before = _db()
        response = _post(client, form_page.url, posted, urlencoded)
        if not _assert_only_on_success(response, before):
            world.victor.refresh_from_db()
            assert world.victor.check_password("pw-Secret-123")


# --- organisation admin screens ---------------------------------------------------------------


def _admin_post(
    world: World,
    url_name: str,
    args: list[Any],
    posted: dict[str, str],
    urlencoded: bool,
    files: dict[str, Any] | None = None,
) -> tuple[Any, dict]:
    before = _db()
    client = _client(world.alice)
    url = reverse(url_name, args=args)
    if files:
        response = client.post(url, {**posted, **files})
    else:
        response = _post(client, url, posted, urlencoded)
    _assert_only_on_success(response, before)
    return response, before


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_adding_a_site(world, data, urlencoded):
    posted = data.draw(form_data(["name", "kind"]))
    with rolled_back():
        response, before = _admin_post(
            world, "assessments:manage-sites", [world.org.slug], posted, urlencoded
        )
        if response.status_code == 302:
            new = Site.objects.exclude(pk__in=[row[0] for row in before["sites"]]).get()
            assert new.name == " ".join(posted["name"].split())
            assert new.organisation == world.org


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_editing_a_site(world, data, urlencoded):
    posted = data.draw(form_data(["name", "kind", "action"]))
    with rolled_back():
        response, _ = _admin_post(
            world, "assessments:edit-site", [world.org.slug, world.clinic.pk], posted, urlencoded
        )
        world.other_site.refresh_from_db()
        assert world.other_site.name == "Other Clinic"


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_adding_a_member(world, data, urlencoded):
    # Adding is inviting: a refused POST sends and stores nothing, and nobody joins directly.
    posted = data.draw(form_data(["email", "role", "sites"]))
    if data.draw(st.booleans()):
        posted["sites"] = data.draw(
            st.sampled_from(
                [str(world.clinic.pk), str(world.other_site.pk), "0", "-1", "x", "9" * 30]
            )
        )
    with rolled_back():
        response, before = _admin_post(
            world, "assessments:members", [world.org.slug], posted, urlencoded
        )
        assert (
            not Membership.objects.filter(sites=world.other_site)
            .exclude(organisation=world.other_org)
            .exists()
        )
        assert _db()["memberships"] == before["memberships"]
        assert not Invitation.objects.filter(sites=world.other_site).exists()


def _invitation_link(world: World, email: str) -> str:
    from assessments.invitations import invitation_create

    links: list[str] = []

    def remember(token: str) -> str:
        links.append(token)
        return ""

    invitation_create(
        organisation=world.org,
        email=email,
        role=Membership.Role.VIEWER,
        sites=[],
        invited_by=world.alice,
        accept_url=remember,
    )
    return reverse("assessments:accept-invitation", args=[links[0]])


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_accepting_an_invitation_as_someone_new(world, data, urlencoded):
    posted = data.draw(form_data(["first_name", "last_name", "password1", "password2"]))
    with rolled_back():
        link = _invitation_link(world, "newcomer@example.org")
        before = _db()
        response = _post(Client(), link, posted, urlencoded)
        if _assert_only_on_success(response, before):
            user = User.objects.get(email="newcomer@example.org")
            assert user.check_password(posted["password1"])
            assert Membership.objects.filter(user=user, organisation=world.org).exists()


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_accepting_an_invitation_with_another_account(world, data, urlencoded):
    posted = data.draw(form_data(["first_name", "last_name", "password1", "password2"]))
    with rolled_back():
        link = _invitation_link(world, "someone-else@example.org")
        before = _db()
        response = _post(_client(world.victor), link, posted, urlencoded)
        assert response.status_code == 403
        assert _db() == before


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_editing_a_member(world, data, urlencoded):
    posted = data.draw(form_data(["role", "sites"]))
    if data.draw(st.booleans()):
        posted["sites"] = data.draw(
            st.sampled_from([str(world.clinic.pk), str(world.other_site.pk), "0", "x", "9" * 30])
        )
    member = Membership.objects.get(user=world.victor, organisation=world.org)
    with rolled_back():
        _admin_post(
            world, "assessments:edit-member", [world.org.slug, member.pk], posted, urlencoded
        )
        assert not member.sites.filter(organisation=world.other_org).exists()
        # The last org admin can never demote themselves through junk.
        assert Membership.objects.filter(organisation=world.org, role="org_admin").exists()


@FUZZ
@given(data=st.data(), urlencoded=ENCODING)
def test_fuzz_removing_a_member(world, data, urlencoded):
    posted = data.draw(form_data(["confirm"]))
    alice = Membership.objects.get(user=world.alice, organisation=world.org)
    with rolled_back():
        # Alice is the only org admin: removing her must be refused whatever is posted.
        response, _ = _admin_post(
            world, "assessments:remove-member", [world.org.slug, alice.pk], posted, urlencoded
        )
        assert response.status_code == 409


YAML_NASTY = [
    b"",
    b"\x00\x01",
    b"\xff\xfe",
    b"- a\n- b\n",
    b"slug: [\n",
    b"!!python/object/apply:os.system ['true']",
    b"a: &a [1,2]\nb: [*a,*a,*a]\n",
    b"{" * 5000,
    b"[" * 100_000,
    b"slug: x\nversion: '1'\ntitle: t\ndomains: 7\n",
    factories.SMALL_INSTRUMENT.encode().replace(b"small-test", b"small-fuzz"),
    factories.SMALL_INSTRUMENT.encode(),  # already loaded: same content, a no-op
    factories.SMALL_INSTRUMENT.encode().replace(b"Governance", b"Changed"),  # same version, changed
    b"x" * (2 * 1024 * 1024),  # over the upload limit
]


def _mutated_yaml() -> st.SearchStrategy[bytes]:
    lines = factories.SMALL_INSTRUMENT.splitlines()

    def mutate(index: int, replacement: str) -> bytes:
        changed = list(lines)
        changed[index % len(lines)] = replacement
        return "\n".join(changed).replace("small-test", "small-fuzz").encode()

    return st.builds(mutate, st.integers(0, len(lines) - 1), values())


@FUZZ
@given(
    content=st.one_of(st.sampled_from(YAML_NASTY), st.binary(max_size=300), _mutated_yaml()),
    name=values(),
)
def test_fuzz_the_instrument_upload(world, content, name):
    with rolled_back():
        # The test client only sends a plain file name (no path, not "." or ".."): any other
        # is refused by Django's File before a request is made.
        plain = re.sub(r"[/\\\x00]", "_", name)[:200].strip()
        upload = SimpleUploadedFile(plain if plain not in {"", ".", ".."} else "x", content)
        _admin_post(
            world, "assessments:instruments", [world.org.slug], {}, False, files={"file": upload}
        )
        assert (
            not Instrument.objects.filter(slug="small-test")
            .exclude(pk=world.instrument.pk)
            .exists()
        )


# --- import, branding -------------------------------------------------------------------------


def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(document, dict):
        for key, value in document.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += _paths(value, (*prefix, index))
    return found


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), values()),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(values(), inner, max_size=3),
    max_leaves=6,
)


@FUZZ
@given(data=st.data())
def test_fuzz_the_json_import(world, data):
    with rolled_back():
        source = _assessment(world)
        document = export_assessment(source)
        kind = data.draw(st.sampled_from(["mutated", "removed", "random", "bytes"]))
        if kind in {"mutated", "removed"}:
            path = data.draw(st.sampled_from(_paths(document)))
            target = document
            for step in path[:-1]:
                target = target[step]
            if kind == "removed":
                del target[path[-1]]
            else:
                target[path[-1]] = data.draw(JSON_VALUES)
            content = json.dumps(document).encode()
        elif kind == "random":
            content = json.dumps(data.draw(JSON_VALUES)).encode()
        else:
            content = data.draw(
                st.one_of(
                    st.binary(max_size=300),
                    st.sampled_from(
                        [b"[" * 100_000, b"{}" * 10, b"\xef\xbb\xbf{}", b'{"a": NaN}', b"1" * 5000]
                    ),
                )
            )
        response, before = _admin_post(
            world,
            "assessments:import-json",
            [world.org.slug],
            {},
            False,
            files={"file": SimpleUploadedFile("a.json", content)},
        )
        if response.status_code == 302:
            new = Assessment.objects.exclude(pk__in=[row[0] for row in before["assessments"]])
            assert new.count() == 1
            assert new.get().site.organisation == world.org
        else:
            assert response.status_code == 422


def _png(width: int = 8, height: int = 8) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (1, 2, 3)).save(buffer, format="PNG")
    return buffer.getvalue()


@FUZZ
@given(data=st.data())
def test_fuzz_branding(world, data):
    posted = data.draw(form_data(["report_title", "report_signoff", "report_logo-clear"]))
    logo = data.draw(
        st.one_of(
            st.none(),
            st.binary(max_size=200),
            st.sampled_from(
                [
                    _png(),
                    _png()[:40],
                    _png() + b"<script>",
                    b"GIF89a" + b"\x00" * 20,
                    b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
                    b"%PDF-1.4\n",
                ]
            ),
        )
    )
    with rolled_back():
        files = {"report_logo": SimpleUploadedFile("logo.png", logo)} if logo is not None else None
        response, _ = _admin_post(
            world, "reports:branding", [world.org.slug], posted, False, files=files
        )
        if files is None and response.status_code == 302:
            world.org.refresh_from_db()
            assert world.org.report_title == " ".join(posted.get("report_title", "").split())


# --- GET pages: random query strings and ids --------------------------------------------------


QUERY_KEYS = [
    "page",
    "sort",
    "order",
    "archived",
    "instrument",
    "round",
    "from",
    "to",
    "date",
    "domain",
    "site",
    "sites",
    "format",
    "q",
    "next",
    "dir",
    "rounds",
    "kind",
]


@FUZZ
@given(data=st.data())
def test_fuzz_query_strings_of_the_pages(world, data):
    query = data.draw(
        st.dictionaries(
            st.one_of(st.sampled_from(QUERY_KEYS), st.text(max_size=10)),
            st.one_of(values(), st.integers().map(str)),
            max_size=5,
        )
    )
    with rolled_back():
        assessment = _assessment(world, submitted=data.draw(st.booleans()))
        before = _db()
        pages = [
            reverse("assessments:home"),
            reverse("assessments:organisation", args=[world.org.slug]),
            reverse("assessments:site", args=[world.clinic.pk]),
            reverse("assessments:detail", args=[assessment.pk]),
            reverse("assessments:domain", args=[assessment.pk, "gov"]),
            reverse("assessments:history", args=[assessment.pk]),
            reverse("assessments:targets", args=[assessment.pk]),
            reverse("assessments:submit", args=[assessment.pk]),
            reverse("assessments:manage-sites", args=[world.org.slug]),
            reverse("assessments:members", args=[world.org.slug]),
            reverse("assessments:instruments", args=[world.org.slug]),
            reverse("assessments:import-json", args=[world.org.slug]),
            reverse("reports:compare", args=[world.org.slug]),
            reverse("reports:results", args=[assessment.pk]),
            reverse("reports:gap-report", args=[assessment.pk]),
            reverse("reports:branding", args=[world.org.slug]),
        ]
        url = data.draw(st.sampled_from(pages))
        response = _client(world.alice).get(url + "?" + urlencode(query))
        assert response.status_code < 500, (url, query)
        assert _db() == before


COMPARE_KEYS = [
    "instrument",
    "round",
    "date_from",
    "date_to",
    "site",
    "name",
    "kind",
    "per_page",
    "archived",
    "sort",
    "dir",
    "page",
    "focus",
]


@FUZZ
@given(data=st.data())
def test_fuzz_the_comparison_filters_and_exports(world, data):
    query = data.draw(
        st.lists(
            st.tuples(
                st.one_of(st.sampled_from(COMPARE_KEYS), st.text(max_size=8)),
                st.one_of(
                    values(),
                    st.sampled_from(
                        [
                            "small-test",
                            "small-test 1.0",
                            "2026 spring",
                            "score",
                            "name",
                            "asc",
                            "desc",
                            "25",
                        ]
                    ),
                ),
            ),
            max_size=8,
        )
    )
    if data.draw(st.booleans()):
        query.append(
            (
                "site",
                str(
                    data.draw(
                        st.sampled_from(
                            [
                                world.clinic.pk,
                                world.hospital.pk,
                                world.other_site.pk,
                                0,
                                -1,
                                2**40,
                                2**63,
                                10**20,
                            ]
                        )
                    )
                ),
            )
        )
    with rolled_back():
        _assessment(world, submitted=True)
        before = _db()
        name = data.draw(
            st.sampled_from(["reports:compare", "reports:compare-csv", "reports:compare-xlsx"])
        )
        response = _client(world.carla).get(
            reverse(name, args=[world.org.slug]) + "?" + urlencode(query)
        )
        assert response.status_code < 500, query
        body = b"".join(response) if response.streaming else response.content
        assert b"Other Clinic" not in body  # never another organisation's site
        assert _db() == before


@FUZZ
@given(
    number=st.one_of(st.integers(min_value=0), st.integers(min_value=2**31 - 5, max_value=2**70)),
    key=st.one_of(
        st.sampled_from(["gov", "ops", "GOV", "gov.q01", "..", "%2e%2e"]),
        st.text(st.characters(codec="utf-8", exclude_characters="/?#"), min_size=1, max_size=30),
    ),
    name=st.sampled_from(
        [
            "site",
            "detail",
            "take",
            "domain",
            "history",
            "targets",
            "submit",
            "export-json",
            "results",
            "gap-report",
            "edit-site",
            "edit-member",
        ]
    ),
)
def test_fuzz_ids_and_keys_in_paths(world, number, key, name):
    with rolled_back():
        _assessment(world)
        if name == "domain":
            path = f"/a/{number}/d/{key}/"
        elif name in {"edit-site", "edit-member"}:
            part = "sites" if name == "edit-site" else "members"
            path = f"/o/{world.org.slug}/{part}/{number}/"
        elif name == "site":
            path = f"/sites/{number}/"
        else:
            suffix = {
                "detail": "",
                "export-json": "export.json",
                "results": "results/",
                "gap-report": "report/",
            }.get(name, f"{name}/")
            path = f"/a/{number}/{suffix}"
        response = _client(world.alice).get(path)
        assert response.status_code < 500, path
        response = _client(world.alice).get(f"/a/{number}/d/{key}/")
        assert response.status_code < 500, key


@FUZZ
@given(
    page=st.one_of(st.integers(), st.integers(min_value=2**62, max_value=2**80).map(str), values())
)
def test_fuzz_the_history_page_number(world, page):
    with rolled_back():
        assessment = _assessment(world)
        response = _client(world.victor).get(
            reverse("assessments:history", args=[assessment.pk]), {"page": page}
        )
        assert response.status_code in {200, 404}


# --- 500s found by fuzzing, fixed; kept as regression tests --------------------------------------


def test_a_huge_history_page_number_is_not_a_server_error(world):
    assessment = _assessment(world)
    client = _client(world.victor)
    response = client.get(
        reverse("assessments:history", args=[assessment.pk]), {"page": str(10**20)}
    )
    assert response.status_code in {200, 404}


@pytest.mark.parametrize("url_name", ["assessments:members", "assessments:edit-member"])
def test_a_huge_site_id_in_the_member_forms_is_a_form_error(world, url_name):
    member = Membership.objects.get(user=world.victor, organisation=world.org)
    args = [world.org.slug] if url_name == "assessments:members" else [world.org.slug, member.pk]
    before = _db()
    client = _client(world.alice)
    response = client.post(
        reverse(url_name, args=args),
        {"email": "new@example.org", "role": "site_admin", "sites": "9" * 30},
    )
    assert response.status_code == 422
    assert "Choose sites of this organisation only." in response.content.decode()
    assert _db() == before


# --- two-factor sign-in and offboarding (issue 12, findings 11 and 12) -------------------------


def _otp_state() -> list[Any]:
    from django_otp.plugins.otp_static.models import StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return [
        list(TOTPDevice.objects.order_by("pk").values_list("pk", "user_id", "confirmed", "key")),
        list(StaticToken.objects.order_by("pk").values_list("pk", "device_id", "token")),
    ]


@FUZZ
@given(
    data=st.data(),
    urlencoded=ENCODING,
    name=st.sampled_from(["two-factor-setup", "two-factor-verify", "two-factor-disable"]),
)
def test_fuzz_the_two_factor_forms(world, data, urlencoded, name):
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    posted = data.draw(form_data(["code", "password", "next"]))
    if data.draw(st.booleans()):
        posted["password"] = "pw-Secret-123"
    with rolled_back():
        client = Client(REMOTE_ADDR="10.9.9.7")
        client.force_login(world.victor)
        if name != "two-factor-setup":
            device = TOTPDevice.objects.create(user=world.victor, name="Authenticator app")
            static = StaticDevice.objects.create(user=world.victor, name="Recovery codes")
            StaticToken.objects.create(device=static, token="abcd2345")
            if name == "two-factor-disable":
                session = client.session
                session[DEVICE_ID_SESSION_KEY] = device.persistent_id
                session.save()
        else:
            client.get(reverse("accounts:two-factor-setup"))  # makes the unconfirmed device
        before, otp_before = _db(), _otp_state()
        response = _post(client, reverse(f"accounts:{name}"), posted, urlencoded)
        assert response.status_code in {302, 405, 422, 429}, response.status_code
        assert _db() == before
        if response.status_code != 302:
            assert _otp_state() == otp_before  # a refused code changes no device
        if response.status_code == 302 and name != "two-factor-verify":
            # Only the right code does it: a fuzzed one would have to be the current code.
            event(f"{name} accepted a fuzzed code")


@FUZZ
@given(typed=st.one_of(values(), st.sampled_from(["Northside Health", " Northside Health "])))
def test_fuzz_the_offboarding_confirmation(world, typed):
    with rolled_back():
        root = factories.make_user("root", is_staff=True, is_superuser=True)
        client = Client()
        client.force_login(root)
        url = reverse("admin:offboarding_organisation", args=[world.org.pk])
        response = client.post(url, {"name": typed})
        exists = Organisation.objects.filter(pk=world.org.pk).exists()
        if typed.strip() == "Northside Health":
            assert response.status_code == 302
            assert not exists
        else:
            assert response.status_code == 422
            assert exists
            assert Site.objects.filter(organisation=world.org).count() == 2
