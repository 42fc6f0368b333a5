"""The API tokens page, among the person's account pages."""

from __future__ import annotations

from django.urls import path

from api import token_views

app_name = "api_tokens"

urlpatterns = [
    path("account/api-tokens/", token_views.manage, name="manage"),
]
