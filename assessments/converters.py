"""Path converters shared by the URL configurations."""

from __future__ import annotations


class IdConverter:
    """A database id: digits that fit a 64-bit integer.

    Django's `int` converter takes any number of digits, and a 25-digit id makes SQLite
    raise OverflowError (a 500) instead of finding nothing (a 404).
    """

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
