"""Fuzz the API's evidence upload: files of every content and name, other fields, JSON and raw
bodies, any persona, open or submitted assessment. Never a 500; every refusal is a problem
document; a refused upload keeps nothing (no row, no audit entry, no stored content); an
accepted one is a 201 for exactly one row holding exactly the bytes sent."""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import event, given
from hypothesis import strategies as st

from api.tokens import token_create
from assessments.models import Assessment, AuditEntry
from evidence.models import EvidenceFile
from tests.api.conftest import ApiClient
from tests.evidence import samples
from tests.fuzz.common import FUZZ, RAW_BODIES, assessment_with_work, rolled_back
from tests.fuzz.test_fuzz_evidence import _contents, _names, _stored

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EVIDENCE_MAX_BYTES = 64 * 1024
    return settings.MEDIA_ROOT


def _plain(name: str) -> str:
    """The test client sends only a plain name (Django's File refuses others earlier)."""
    plain = re.sub(r"[/\\\x00]", "_", name)[:250].strip()
    return plain if plain not in {"", ".", ".."} else "x"


def _body() -> st.SearchStrategy[tuple[str, object]]:
    """("multipart", fields) with files and texts, ("json", any JSON), ("raw", (type, bytes))."""
    good = st.sampled_from(
        [
            ("baa.pdf", samples.PDF),
            ("log.csv", samples.CSV),
            ("notes.txt", samples.TEXT),
            ("chart.png", samples.PNG),
        ]
    )
    wellformed = st.builds(lambda pair: SimpleUploadedFile(*pair), good)
    files = st.one_of(
        wellformed,
        st.builds(lambda c, n: SimpleUploadedFile(_plain(n), c), _contents(), _names()),
    )
    fields = st.dictionaries(
        st.sampled_from(["file", "file", "name", "other", "question"]),
        st.one_of(files, st.text(max_size=30)),
        max_size=3,
    )
    return st.one_of(
        st.tuples(st.just("multipart"), st.fixed_dictionaries({"file": files})),
        st.tuples(st.just("multipart"), fields),
        st.tuples(
            st.just("json"),
            st.one_of(
                st.none(),
                st.text(max_size=20),
                st.dictionaries(st.text(max_size=8), st.text(max_size=20), max_size=3),
            ),
        ),
        st.tuples(
            st.just("raw"),
            st.tuples(
                st.sampled_from(
                    ["multipart/form-data; boundary=x", "multipart/form-data", "text/plain", ""]
                ),
                RAW_BODIES,
            ),
        ),
    )


@FUZZ
@given(
    body=_body(),
    persona=st.sampled_from(["alice", "sam", "alice", "victor", "oscar"]),
    key=st.one_of(
        st.sampled_from(["gov.q01", "gov.q03", "ops.q02"]),
        st.sampled_from(["nope.q1", "GOV.Q01", "gov.q01 "]),
        st.text(max_size=20),
    ),
    submitted=st.sampled_from([False, False, True]),
)
def test_fuzz_the_api_upload(world, media, body, persona, key, submitted):
    with rolled_back():
        assessment = assessment_with_work(world)
        if submitted:
            Assessment.objects.filter(pk=assessment.pk).update(status=Assessment.Status.SUBMITTED)
        if "/" in key or key in {"", ".", ".."} or not key.isprintable():
            return  # no URL carries it: nothing to post
        url = f"/api/v1/assessments/{assessment.pk}/answers/{key}/files/"
        _, secret = token_create(user=getattr(world, persona), name="fuzz")
        client = ApiClient(secret)
        before = (
            list(EvidenceFile.objects.values_list("pk", flat=True)),
            AuditEntry.objects.count(),
            _stored(media),
        )
        kind, data = body
        if kind == "multipart":
            response = client.post(url, data)
        elif kind == "json":
            response = client.post(url, json.dumps(data), content_type="application/json")
        else:
            content_type, raw = data  # type: ignore[misc]
            response = client.post(url, raw, content_type=content_type)
        assert response.status_code < 500, (body, response.content[:300])
        event(f"status {response.status_code}")
        created = EvidenceFile.objects.exclude(pk__in=before[0])
        if response.status_code == 201:
            evidence = created.get()
            sent = data["file"]  # type: ignore[index]
            sent.seek(0)
            content = sent.read()
            assert response.json()["id"] == evidence.pk
            assert evidence.size == len(content) > 0
            assert (media / evidence.stored_name).read_bytes() == content
            assert AuditEntry.objects.count() == before[1] + 1
            assert persona in {"alice", "sam"}
            assert not submitted
            return
        assert response["Content-Type"] == "application/problem+json"
        problem = response.json()
        assert {"type", "title", "status", "detail"} <= set(problem)
        assert problem["status"] == response.status_code
        assert not created.exists()
        assert AuditEntry.objects.count() == before[1]
        assert _stored(media) == before[2]
