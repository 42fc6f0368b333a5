"""The REST API, version 1: /api/v1/ (readiness/urls.py includes it there)."""

from __future__ import annotations

from django.urls import path, re_path

from api import docs
from api.views import (
    actions,
    answers,
    assessments,
    assignments,
    comparison,
    evidence,
    history,
    instruments,
    organisations,
    reports,
    respondents,
)

app_name = "api"

organisation_urls = [
    path("organisations/", organisations.OrganisationListView.as_view(), name="organisations"),
    path(
        "organisations/<slug:slug>/",
        organisations.OrganisationDetailView.as_view(),
        name="organisation",
    ),
    path("organisations/<slug:slug>/sites/", organisations.SiteListView.as_view(), name="sites"),
    path(
        "organisations/<slug:slug>/instruments/",
        organisations.InstrumentListView.as_view(),
        name="instruments",
    ),
    path(
        "organisations/<slug:slug>/instruments/<id:pk>/",
        instruments.InstrumentDetailView.as_view(),
        name="instrument",
    ),
    path(
        "organisations/<slug:slug>/comparison/",
        comparison.ComparisonView.as_view(),
        name="comparison",
    ),
    path(
        "organisations/<slug:slug>/action-items/",
        actions.ActionItemListView.as_view(),
        name="action-items",
    ),
    path("organisations/<slug:slug>/batches/", reports.BatchListView.as_view(), name="batches"),
    path(
        "organisations/<slug:slug>/batches/<id:pk>/",
        reports.BatchDetailView.as_view(),
        name="batch",
    ),
    path(
        "organisations/<slug:slug>/batches/<id:pk>/download/",
        reports.BatchDownloadView.as_view(),
        name="batch-download",
    ),
]

assessment_urls = [
    path("assessments/", assessments.AssessmentListView.as_view(), name="assessments"),
    path("assessments/<id:pk>/", assessments.AssessmentDetailView.as_view(), name="assessment"),
    path("assessments/<id:pk>/submit/", assessments.SubmitView.as_view(), name="submit"),
    path("assessments/<id:pk>/reopen/", assessments.ReopenView.as_view(), name="reopen"),
    path("assessments/<id:pk>/targets/", assessments.TargetsView.as_view(), name="targets"),
    path("assessments/<id:pk>/answers/", answers.AnswerListView.as_view(), name="answers"),
    path(
        "assessments/<id:pk>/answers/<str:key>/",
        answers.AnswerDetailView.as_view(),
        name="answer",
    ),
    path(
        "assessments/<id:pk>/answers/<str:key>/files/",
        evidence.AnswerFilesView.as_view(),
        name="answer-files",
    ),
    path("assessments/<id:pk>/history/", history.HistoryView.as_view(), name="history"),
    path(
        "assessments/<id:pk>/history/assignments/",
        history.AssignmentEventsView.as_view(),
        name="history-assignments",
    ),
    path("assessments/<id:pk>/action-items/", actions.TrackView.as_view(), name="track"),
    path("assessments/<id:pk>/report/", reports.ReportStartView.as_view(), name="report-start"),
    path(
        "assessments/<id:pk>/assignments/",
        assignments.AssignmentListView.as_view(),
        name="assignments",
    ),
    path(
        "assessments/<id:pk>/assignments/<id:assignment_pk>/",
        assignments.AssignmentDetailView.as_view(),
        name="assignment",
    ),
    path(
        "assessments/<id:pk>/respondent-answers/",
        respondents.RespondentAnswersView.as_view(),
        name="respondent-answers",
    ),
    path(
        "assessments/<id:pk>/respondent-answers/done/",
        respondents.RespondentDoneView.as_view(),
        name="respondent-done",
    ),
    path("assessments/<id:pk>/consensus/", respondents.ConsensusView.as_view(), name="consensus"),
]

other_urls = [
    path("me/", organisations.MeView.as_view(), name="me"),
    path("sites/<id:pk>/", organisations.SiteDetailView.as_view(), name="site"),
    path("action-items/<id:pk>/", actions.ActionItemDetailView.as_view(), name="action-item"),
    path("report-jobs/<id:pk>/", reports.ReportJobView.as_view(), name="report-job"),
    path(
        "report-jobs/<id:pk>/download/",
        reports.ReportDownloadView.as_view(),
        name="report-job-download",
    ),
    path("assignments/", assignments.MyAssignmentsView.as_view(), name="my-assignments"),
    path("evidence-files/<id:pk>/", evidence.EvidenceFileView.as_view(), name="evidence-file"),
    path(
        "evidence-files/<id:pk>/download/",
        evidence.EvidenceDownloadView.as_view(),
        name="evidence-file-download",
    ),
]

urlpatterns = [
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.docs, name="docs"),
    *other_urls,
    *organisation_urls,
    *assessment_urls,
    # Anything else under /api/v1/: a problem document, not the HTML 404 page.
    re_path(r"^.*$", docs.not_found),
]
