from __future__ import annotations

from django.urls import path

from reports import compare_views, views

app_name = "reports"

urlpatterns = [
    path("o/<slug:slug>/compare/", compare_views.compare, name="compare"),
    path("o/<slug:slug>/compare.csv", compare_views.compare_csv, name="compare-csv"),
    path("o/<slug:slug>/compare.xlsx", compare_views.compare_xlsx, name="compare-xlsx"),
    path("o/<slug:slug>/branding/", views.branding, name="branding"),
    path("o/<slug:slug>/branding/logo/", views.branding_logo, name="branding-logo"),
    path("a/<id:pk>/results/", views.results, name="results"),
    path("a/<id:pk>/report/", views.gap_report, name="gap-report"),
    path("a/<id:pk>/report.pdf", views.gap_report_pdf, name="gap-report-pdf"),
]
