"""The README's Python example of the API runs as written against a live server: it lists
assessments, writes an answer (on a conflict, sends it again on the current revision) and
downloads the report. A renamed route or field breaks this test, not a reader's script."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from api.tokens import token_create
from assessments.instrument_loading import load_all
from assessments.models import Answer, Instrument, Membership
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

README = Path(__file__).resolve().parents[2] / "README.md"


def _python_example() -> str:
    api_section = README.read_text(encoding="utf-8").split("\n## API\n", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", api_section, re.S)
    return code


def test_the_readme_python_example_runs(live_server: Any, tmp_path: Path, monkeypatch) -> None:
    load_all()
    instrument = Instrument.objects.get(slug="clinical-ai", version="1.1", organisation=None)
    organisation = factories.make_organisation("Readme Health")
    site = factories.make_site(organisation, "Readme Clinic")
    user = factories.make_user("readme")
    factories.make_membership(user, organisation, Membership.Role.ORG_ADMIN)
    draft = factories.make_assessment(site, instrument)
    _, secret = token_create(user=user, name="readme")

    code = _python_example()
    assert '"Bearer rdy_..."' in code
    assert '"http://127.0.0.1:8000/api/v1"' in code
    code = code.replace('"Bearer rdy_..."', f'"Bearer {secret}"').replace(
        '"http://127.0.0.1:8000/api/v1"', f'"{live_server.url}/api/v1"'
    )
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md (API example)", "exec"), {"print": lambda *a: None})

    answer = Answer.objects.get(assessment=draft, question__key="access.q02")
    assert answer.value == "3"
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF-")
