"""One wording for people's names and file sizes."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from assessments.display import display_name, file_size, name_of


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (35, "35 bytes"),
        (1023, "1023 bytes"),
        (1024, "1 KB"),
        (800 * 1024, "800 KB"),
        (1024 * 1024 - 1, "1023 KB"),
        (1024 * 1024, "1 MB"),
        (3 * 1024 * 1024 // 2, "1.5 MB"),
        (50 * 1024 * 1024, "50 MB"),
    ],
)
def test_file_size_reads_in_bytes_then_kb_below_a_megabyte_and_in_mb_from_one(
    size: int, shown: str
) -> None:
    assert file_size(size) == shown


def test_display_name_is_the_full_name_when_there_is_one() -> None:
    assert display_name(User(username="sam", first_name="Sam", last_name="Site")) == "Sam Site"


def test_display_name_falls_back_to_the_username() -> None:
    assert display_name(User(username="sam@example.org")) == "sam@example.org"


def test_display_name_of_nobody_is_empty() -> None:
    assert display_name(None) == ""


def test_a_name_read_as_columns_reads_as_display_name() -> None:
    assert name_of("Sam", "", "sam") == "Sam"
    assert name_of("", "", "sam@example.org") == "sam@example.org"
    assert name_of(None, None, None) == ""  # an answer nobody is recorded for
