from __future__ import annotations

from django.urls import path

from reports import compare_views, job_views, questionnaire_views, views

app_name = "reports"

urlpatterns = [
    path("o/<slug:slug>/compare/", compare_views.compare, name="compare"),
    path("o/<slug:slug>/compare.csv", compare_views.compare_csv, name="compare-csv"),
    path("o/<slug:slug>/compare.xlsx", compare_views.compare_xlsx, name="compare-xlsx"),
    path(
        "o/<slug:slug>/instruments/<id:pk>/questionnaire.pdf",
        questionnaire_views.blank_questionnaire,
        name="blank-questionnaire",
    ),
    path("o/<slug:slug>/branding/", views.branding, name="branding"),
    path("o/<slug:slug>/branding/logo/", views.branding_logo, name="branding-logo"),
    path("a/<id:pk>/results/", views.results, name="results"),
    path("a/<id:pk>/report/", views.gap_report, name="gap-report"),
    path("a/<id:pk>/charts.json", views.chart_data, name="chart-data"),
    path("a/<id:pk>/report.pdf", views.gap_report_pdf, name="gap-report-pdf"),
    path("a/<id:pk>/report.docx", views.gap_report_docx, name="gap-report-docx"),
    path("a/<id:pk>/report/preparing/", job_views.report_preparing, name="report-preparing"),
    path("a/<id:pk>/report/status.json", job_views.report_status, name="report-status"),
    path("o/<slug:slug>/batches/", job_views.batch_list, name="batches"),
    path("o/<slug:slug>/batches/<id:pk>/", job_views.batch_detail, name="batch"),
    path("o/<slug:slug>/batches/<id:pk>/status.json", job_views.batch_status, name="batch-status"),
    path(
        "o/<slug:slug>/batches/<id:pk>/reports.zip", job_views.batch_download, name="batch-download"
    ),
    # For load balancers: no login, no data (reports/job_views.py).
    path("healthz", job_views.healthz, name="healthz"),
]
