"""HTML to PDF with WeasyPrint; the only module that imports weasyprint.

WeasyPrint must never reach the network or read arbitrary files: a report holds text typed
by users, and the server may sit on a hospital network. Its URL fetcher therefore serves
/static/ and /media/ from disk and data: URLs (the chart SVGs), and refuses everything else
(http, https, ftp, file, and paths outside those two folders).
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils._os import safe_join
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

# Relative URLs in the templates ("/static/...") resolve against this; it is never fetched.
BASE_URL = "https://report.invalid/"
_HOST = urlsplit(BASE_URL).netloc


class RefusedURL(ValueError):
    """WeasyPrint asked for something outside /static/, /media/ and data: URLs."""


def _static_path(relative: str) -> Path | None:
    # Collected files first (hashed names under the manifest storage), then the finders
    # (DEBUG and tests, where nobody ran collectstatic).
    root = getattr(settings, "STATIC_ROOT", None)
    if root:
        try:
            candidate = Path(safe_join(str(root), relative))
        except SuspiciousFileOperation:
            return None
        if candidate.is_file():
            return candidate
    found = finders.find(relative)
    if isinstance(found, list):
        found = found[0] if found else None
    return Path(found) if found else None


def _media_path(relative: str) -> Path | None:
    try:
        candidate = Path(safe_join(str(settings.MEDIA_ROOT), relative))
    except SuspiciousFileOperation:
        return None
    return candidate if candidate.is_file() else None


def resolve_local(url: str) -> Path | None:
    """The file on disk a report URL stands for, or None when it is not one we serve."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.netloc != _HOST:
        return None
    path = unquote(parts.path)
    if ".." in Path(path).parts:
        return None
    for prefix, resolver in (
        (settings.STATIC_URL, _static_path),
        (settings.MEDIA_URL, _media_path),
    ):
        prefix = "/" + prefix.strip("/") + "/"
        if path.startswith(prefix):
            relative = path[len(prefix) :]
            return resolver(relative) if relative else None
    return None


class LocalFilesFetcher(URLFetcher):  # type: ignore[misc]
    """Serves /static/ and /media/ from disk and data: URLs; refuses everything else."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False, timeout=1)

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            # urllib's data: handler, no I/O; allowed_protocols limits the parent to it.
            return super().fetch(url, headers)
        path = resolve_local(url)
        if path is None:
            logger.warning("Report PDF: refused to fetch %s", url[:200])
            raise RefusedURL(f"Refused to fetch {url[:200]!r}: only /static/ and /media/ files")
        mime_type, encoding = mimetypes.guess_type(path.name)
        headers_out = {"Content-Type": mime_type or "application/octet-stream"}
        if mime_type and mime_type.startswith("text/"):
            headers_out["Content-Type"] += "; charset=utf-8"
        return URLFetcherResponse(url, path.read_bytes(), headers_out)


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render a template to HTML, then to PDF bytes (A4; page layout from print.css)."""
    html = render_to_string(template_name, context)
    return html_to_pdf(html)


def html_document(html: str) -> Any:
    """The laid-out pages of an HTML report (a weasyprint Document), fetching only local files."""
    return HTML(string=html, base_url=BASE_URL, url_fetcher=LocalFilesFetcher()).render()


def html_to_pdf(html: str) -> bytes:
    return bytes(html_document(html).write_pdf())
