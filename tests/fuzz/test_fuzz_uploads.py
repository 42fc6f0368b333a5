"""Fuzz the uploads: instrument YAML, assessment JSON and the branding logo. No file gives a
500, and a refused one writes nothing.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given
from hypothesis import strategies as st

from assessments.models import (
    Assessment,
    Instrument,
)
from assessments.transfer_export import export_assessment
from tests import factories
from tests.fuzz.common import (
    FUZZ,
    admin_post,
    assessment_with_work,
    form_data,
    rolled_back,
    values,
)

pytestmark = pytest.mark.django_db


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
        admin_post(
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
        source = assessment_with_work(world)
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
        response, before = admin_post(
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
def test_fuzz_the_branding_form_saves_the_title_as_posted_or_nothing(world, data):
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
        response, _ = admin_post(
            world, "reports:branding", [world.org.slug], posted, False, files=files
        )
        if files is None and response.status_code == 302:
            world.org.refresh_from_db()
            assert world.org.report_title == " ".join(posted.get("report_title", "").split())
