"""Each fuzz test signs its own personas in: nothing signed in by an earlier test is reused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fuzz.common import SIGN_INS


@pytest.fixture(autouse=True)
def _new_sign_ins() -> Iterator[None]:
    SIGN_INS.forget()
    yield
    SIGN_INS.forget()
