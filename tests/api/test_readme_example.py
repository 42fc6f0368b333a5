"""The README's Python example of the API runs as written against a live server: it lists
assessments, writes an answer (on a conflict, sends it again on the current revision: a
colleague's change makes it happen) and downloads the report. A renamed route or field breaks this test, not a reader's script."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import requests

from api.tokens import token_create
from assessments.instrument_loading import load_all
from assessments.models import Answer, Instrument, Membership
from assessments.services import AnswerChange, answers_save
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
    # A colleague answers access.q02 between the script's read and its write, so the example's
    # conflict handling runs: its write is a 409, and it sends its answer again on her revision.
    colleague = factories.make_user("colleague")
    factories.make_membership(colleague, organisation, Membership.Role.ORG_ADMIN)
    post = requests.Session.post
    statuses: list[int] = []

    def post_after_a_colleague(session: requests.Session, url: str, **kwargs: Any) -> Any:
        if url.endswith("/answers/"):
            answers_save(
                assessment=draft, user=colleague, changes=[AnswerChange("access.q02", "1")]
            )
        response = post(session, url, **kwargs)
        statuses.append(response.status_code)
        return response

    monkeypatch.setattr(requests.Session, "post", post_after_a_colleague)
    exec(compile(code, "README.md (API example)", "exec"), {})

    assert statuses[0] == 409
    answer = Answer.objects.get(assessment=draft, question__key="access.q02")
    assert (answer.value, answer.answered_by) == ("3", user)
    assert answer.revision == 2
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF-")
