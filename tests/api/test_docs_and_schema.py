"""The OpenAPI schema is valid OpenAPI 3 and documents every route and method of the API; its
documentation page is served from the app's static files, inside the CSP."""

from __future__ import annotations

import re

from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from openapi_spec_validator import validate

from tests.api.test_api_access_matrix import WRITES
from tests.test_security import inline_code


def _api_paths() -> dict[str, set[str]]:
    """ "/api/v1/…/{pk}/" -> the methods its view answers, from the URL configuration."""
    found: dict[str, set[str]] = {}

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern) and namespace == "api" and pattern.name:
                if pattern.name in {"schema", "docs"}:
                    continue  # the documentation itself
                path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", prefix + str(pattern.pattern))
                # drf-spectacular calls a primary key "id", as the objects do.
                path = path.replace("{pk}", "{id}")
                view = pattern.callback.cls  # type: ignore[attr-defined]
                found[path] = {m for m in ("get", *WRITES) if hasattr(view, m)}

    walk(get_resolver().url_patterns, "", "")
    return found


def test_the_schema_is_valid_openapi_3_and_documents_every_route(db):
    response = Client().get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    assert schema["openapi"].startswith("3.")
    documented = {path: set(ops) - {"parameters"} for path, ops in schema["paths"].items()}
    expected = _api_paths()
    assert len(expected) >= 25
    assert documented == expected
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), (path, method)
            assert operation["responses"], (path, method)
    schemes = schema["components"]["securitySchemes"]
    assert schemes["token"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["token"]["description"],
    }


def test_the_schema_documents_paged_lists_and_problem_errors(db):
    schema = Client().get("/api/v1/schema/?format=json").json()
    listing = schema["paths"]["/api/v1/assessments/"]["get"]["responses"]["200"]
    ref = listing["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][ref]["properties"]) == {
        "count",
        "next",
        "previous",
        "results",
    }


def test_the_docs_page_has_no_inline_code_and_only_the_apps_files(db):
    response = Client().get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert inline_code(html) == []
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assets = re.findall(r'(?:src|href)="(/static/[^"?]+)', html)
    assert any("swagger-ui-bundle.js" in a for a in assets)
    assert any("api_docs.js" in a for a in assets)
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)
