from __future__ import annotations

from django.urls import path

from actions import views

app_name = "actions"

urlpatterns = [
    path("o/<slug:slug>/actions/", views.organisation_actions, name="organisation"),
    path("o/<slug:slug>/actions.csv", views.export_csv, name="export-csv"),
    path("o/<slug:slug>/actions.xlsx", views.export_xlsx, name="export-xlsx"),
    path("sites/<id:pk>/actions/", views.site_actions, name="site"),
    path("actions/<id:pk>/", views.item, name="item"),
    path("a/<id:pk>/actions/", views.track, name="track"),
]
