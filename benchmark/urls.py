from __future__ import annotations

from django.urls import path

from benchmark import views

app_name = "benchmark"

urlpatterns = [
    path(
        "o/<slug:slug>/benchmark/",
        views.participation,
        name="participation",
    ),
]
