"""Each fuzz test signs its own personas in: nothing signed in by an earlier test is reused."""

from __future__ import annotations

import pytest

from tests.fuzz.common import SIGN_INS


@pytest.fixture(autouse=True)
def _new_sign_ins() -> None:
    SIGN_INS.forget()
