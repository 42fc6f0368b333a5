"""How a person and a file size read on a page: one wording wherever they appear."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser

MB = 1024 * 1024


def display_name(user: AbstractUser | None) -> str:
    """The person's full name, else their username; empty for nobody (e.g. a deleted user)."""
    if user is None:
        return ""
    return str(user.get_full_name() or user.get_username())


def file_size(n: int) -> str:
    """A size in bytes as people read it: "35 bytes", "800 KB", "1.5 MB", "2 MB"."""
    if n >= MB:
        return f"{n / MB:.1f}".removesuffix(".0") + " MB"
    if n < 1024:
        return "1 byte" if n == 1 else f"{n} bytes"
    return f"{n // 1024} KB"
