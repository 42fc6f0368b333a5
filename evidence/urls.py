from __future__ import annotations

from django.urls import path

from evidence import views

app_name = "evidence"

urlpatterns = [
    path("a/<id:pk>/q/<str:key>/files/", views.upload, name="upload"),
    path("a/<id:pk>/export-evidence.zip", views.export_zip, name="export-zip"),
    path("files/<id:pk>/", views.download, name="download"),
    path("files/<id:pk>/delete/", views.delete, name="delete"),
]
