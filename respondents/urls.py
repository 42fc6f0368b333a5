from __future__ import annotations

from django.urls import path

from respondents import consensus_views, views

app_name = "respondents"

urlpatterns = [
    path("a/<id:pk>/assignments/", views.assignments, name="assignments"),
    # Independent answers (issue 15): a respondent's part done; the coordinator's consensus.
    path("a/<id:pk>/d/<str:key>/done/", consensus_views.done, name="done"),
    path("a/<id:pk>/consensus/<str:key>/", consensus_views.consensus, name="consensus"),
    path("assignments/", views.mine, name="mine"),
    path("assignments/reminders/", views.reminders, name="reminders"),
]
