from __future__ import annotations

from django.urls import path

from assessments import admin_views, transfer_views, views

app_name = "assessments"

organisation_urls = [
    path("o/<slug:slug>/", views.organisation, name="organisation"),
    path("o/<slug:slug>/sites/", admin_views.manage_sites, name="manage-sites"),
    path("o/<slug:slug>/sites/<int:pk>/", admin_views.edit_site, name="edit-site"),
    path("o/<slug:slug>/members/", admin_views.members, name="members"),
    path("o/<slug:slug>/members/<int:pk>/", admin_views.edit_member, name="edit-member"),
    path("o/<slug:slug>/members/<int:pk>/remove/", admin_views.remove_member, name="remove-member"),
    path("o/<slug:slug>/instruments/", admin_views.instruments, name="instruments"),
    path("o/<slug:slug>/import/", transfer_views.import_json, name="import-json"),
]

assessment_urls = [
    path("a/<int:pk>/", views.detail, name="detail"),
    path("a/<int:pk>/take/", views.take, name="take"),
    path("a/<int:pk>/d/<str:key>/", views.domain, name="domain"),
    path("a/<int:pk>/d/<str:key>/confirm/", views.confirm_carried_over, name="confirm-carried"),
    path("a/<int:pk>/submit/", views.submit, name="submit"),
    path("a/<int:pk>/reopen/", views.reopen, name="reopen"),
    path("a/<int:pk>/targets/", views.targets, name="targets"),
    path("a/<int:pk>/history/", views.history, name="history"),
    path("a/<int:pk>/export.json", transfer_views.export_json, name="export-json"),
]

urlpatterns = [
    path("", views.home, name="home"),
    *organisation_urls,
    path("sites/<int:pk>/", views.site, name="site"),
    *assessment_urls,
]
