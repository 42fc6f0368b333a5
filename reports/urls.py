from __future__ import annotations

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("o/<slug:slug>/compare/", views.compare, name="compare"),
    path("o/<slug:slug>/branding/", views.branding, name="branding"),
]
