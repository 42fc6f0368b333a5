"""What the API tests share: a client that sends a personal token, and a token per persona."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from api.tokens import token_create


class ApiClient(Client):
    """The test client with `Authorization: Bearer <token>` on every request, and JSON bodies."""

    def __init__(self, secret: str | None = None, **kwargs: Any) -> None:
        if secret is not None:
            kwargs.setdefault("HTTP_AUTHORIZATION", f"Bearer {secret}")
        super().__init__(**kwargs)

    def post_json(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self.post(
            path, data if data is not None else {}, content_type="application/json", **extra
        )

    def put_json(self, path: str, data: Any, **extra: Any) -> Any:
        return self.put(path, data, content_type="application/json", **extra)

    def patch_json(self, path: str, data: Any, **extra: Any) -> Any:
        return self.patch(path, data, content_type="application/json", **extra)


def api_client(user: Any, **token: Any) -> ApiClient:
    """A client acting with a new token of `user` (read_only=, organisation=, expires_at=)."""
    _, secret = token_create(user=user, name=token.pop("name", "test"), **token)
    return ApiClient(secret)


@pytest.fixture
def as_alice(world: Any) -> ApiClient:
    return api_client(world.alice)


@pytest.fixture
def as_victor(world: Any) -> ApiClient:
    return api_client(world.victor)


@pytest.fixture
def as_sam(world: Any) -> ApiClient:
    return api_client(world.sam)
