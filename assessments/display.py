"""How a person and a file size read on a page: one wording wherever they appear."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser

MB = 1024 * 1024


def display_name(user: AbstractUser | None) -> str:
    """The person's full name, else their username; empty for nobody (e.g. a deleted user)."""
    if user is None:
        return ""
    return name_of(user.first_name, user.last_name, user.get_username())


def name_of(first: str | None, last: str | None, username: str | None) -> str:
    """display_name of a user read as three columns (None for each: nobody)."""
    return f"{first or ''} {last or ''}".strip() or username or ""


def file_size(n: int) -> str:
    """A size in bytes as people read it: "35 bytes", "800 KB", "1.5 MB", "2 MB"."""
    if n >= MB:
        return f"{n / MB:.1f}".removesuffix(".0") + " MB"
    if n < 1024:
        return "1 byte" if n == 1 else f"{n} bytes"
    return f"{n // 1024} KB"
