"""Errors as RFC 9457 problem details (application/problem+json).

Every error of the API has `type`, `title`, `status`, `detail` and `instance`; a bad input
adds `errors` naming each field or key with its messages ({"round_label": ["…"]}, and
"answers[2].value" inside lists), a stale write adds the current state it lost to. Types
are URNs: they name the kind of problem and point at nothing outside the app.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:clinical-ai-readiness:problem:"
NON_FIELD = "non_field_errors"

# What a plain HTTP error means here, where the exception says no more than its status.
DETAILS = {
    status.HTTP_401_UNAUTHORIZED: "Sign in, or send a personal API token: "
    "Authorization: Bearer <token>.",
    status.HTTP_403_FORBIDDEN: "Your role in this organisation does not allow this.",
    # The same for what does not exist and what belongs to an organisation one is not in.
    status.HTTP_404_NOT_FOUND: "There is nothing here, or nothing you can see.",
}


class Problem(exceptions.APIException):
    """An error of a kind of its own, with extra members (`errors`, `current`, ...)."""

    def __init__(
        self, *, status_code: int, kind: str, title: str, detail: str, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.kind = kind
        self.title = title
        self.extra = extra


def validation_problem(errors: Mapping[str, list[str]], detail: str = "") -> Problem:
    """A 400 naming each bad field or key; nothing was changed."""
    first = "; ".join(f"{key or 'request'}: {messages[0]}" for key, messages in errors.items())
    return Problem(
        status_code=status.HTTP_400_BAD_REQUEST,
        kind="validation",
        title="The request has invalid values",
        detail=detail or f"Nothing was changed. {first}"[:1000],
        errors=dict(errors),
    )


def form_problem(form: forms.BaseForm, names: Mapping[str, str] | None = None) -> Problem:
    """A page's form errors as a problem; `names` maps form field names to the API's."""
    names = names or {}
    errors: dict[str, list[str]] = {}
    for field, messages in form.errors.items():
        key = NON_FIELD if field == NON_FIELD_ERRORS else names.get(field, field)
        errors.setdefault(key, []).extend(str(m) for m in messages)
    return validation_problem(errors)


def conflict_problem(detail: str, *, kind: str = "conflict", **extra: Any) -> Problem:
    """A 409: the write met a newer state (returned in `extra`) or a state that refuses it."""
    return Problem(
        status_code=status.HTTP_409_CONFLICT,
        kind=kind,
        title={
            "conflict": "Someone else changed this first",
            "locked": "The assessment is submitted",
        }.get(kind, "The request conflicts with the current state"),
        detail=detail,
        **extra,
    )


def flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"answers[2].value": ["…"]}."""
    if isinstance(detail, Mapping):
        found: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = str(key)
            if name == NON_FIELD and prefix:
                name = ""
            if isinstance(key, int):  # DRF keys a list's errors by position
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{name}" if prefix and name else (prefix or name)
            for inner, messages in flatten(value, path).items():
                found.setdefault(inner, []).extend(messages)
        return found
    if isinstance(detail, list):
        if all(not isinstance(item, Mapping | list) for item in detail):
            return {prefix or NON_FIELD: [str(item) for item in detail]} if detail else {}
        found = {}
        for index, item in enumerate(detail):
            for inner, messages in flatten(item, f"{prefix}[{index}]").items():
                found.setdefault(inner, []).extend(messages)
        return found
    return {prefix or NON_FIELD: [str(detail)]}


def _title(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler (Http404 and PermissionDenied included, transaction rolled back, the
    WWW-Authenticate and Retry-After headers), with the body as a problem document."""
    if isinstance(exc, exceptions.ValidationError) and not isinstance(exc, Problem):
        exc = validation_problem(flatten(exc.detail))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django's 500, logged as such
    status_code = response.status_code
    request = context.get("request")
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": _title(status_code),
        "status": status_code,
        "detail": "",
        "instance": request.path if request is not None else "",
    }
    if isinstance(exc, Problem):
        body.update(type=TYPE_PREFIX + exc.kind, title=exc.title, detail=str(exc.detail))
        body.update(exc.extra)
    else:
        data = response.data if isinstance(response.data, dict) else {}
        detail = str(data.get("detail", ""))
        code = str(getattr(data.get("detail"), "code", ""))
        default = str(getattr(exc, "default_detail", ""))
        if status_code in DETAILS and (not detail or detail == default or code == "not_found"):
            detail = DETAILS[status_code]
        body["detail"] = detail
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            body["retry_after"] = int(exc.wait)
    response.data = body
    response.content_type = CONTENT_TYPE
    return response
