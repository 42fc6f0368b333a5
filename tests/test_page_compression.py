"""Pages and JSON go out gzipped when the browser accepts it; downloads do not (issue 13)."""

from __future__ import annotations

import gzip

from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from assessments.middleware import CompressPagesMiddleware


def test_a_signed_in_page_is_gzipped_for_a_browser_that_accepts_it(world):
    client = Client()
    client.force_login(world.alice)
    url = reverse("assessments:organisation", args=[world.org.slug])
    plain = client.get(url)
    assert plain.status_code == 200
    assert not plain.has_header("Content-Encoding")
    packed = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    html = gzip.decompress(packed.content).decode()
    assert world.org.name in html
    # Still private: compression changes nothing of the caching rules.
    assert "no-store" in packed["Cache-Control"]
    assert len(packed.content) < len(plain.content) / 2


def _through_middleware(content_type: str) -> HttpResponse:
    request = RequestFactory().get("/", headers={"Accept-Encoding": "gzip"})
    body = b"0123456789" * 500
    middleware = CompressPagesMiddleware(lambda r: HttpResponse(body, content_type=content_type))
    return middleware(request)  # type: ignore[return-value]


def test_pdfs_zips_and_images_are_sent_as_they_are():
    for kind in ("application/pdf", "application/zip", "image/png"):
        response = _through_middleware(kind)
        assert not response.has_header("Content-Encoding"), kind
        assert response.content == b"0123456789" * 500


def test_json_and_csv_are_gzipped():
    for kind in ("application/json", "text/csv; charset=utf-8", "text/html; charset=utf-8"):
        response = _through_middleware(kind)
        assert response["Content-Encoding"] == "gzip", kind
        assert gzip.decompress(response.content) == b"0123456789" * 500
