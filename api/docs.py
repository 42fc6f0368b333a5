"""The OpenAPI schema, its documentation page, and the API's answer to an unknown address.

The page is Swagger UI from drf-spectacular-sidecar's static files (served by the app like
every other static file, so no CDN and nothing outside the CSP): the sidecar's own template
has an inline script, so the page is the app's template and static/js/api_docs.js starts it.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from drf_spectacular.views import SpectacularAPIView

from api.problems import CONTENT_TYPE


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 document (YAML; JSON with ?format=json). Public: it holds no data."""


@require_GET
def docs(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "api/docs.html",
        {"schema_url": reverse("api:schema") + "?format=json"},
    )


def not_found(request: HttpRequest) -> HttpResponse:
    body = {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "The API has no such address. Its addresses are listed at "
        + reverse("api:docs")
        + ".",
        "instance": request.path,
    }
    return JsonResponse(body, status=404, content_type=CONTENT_TYPE)
