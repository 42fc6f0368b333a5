from __future__ import annotations

from django.urls import path

from respondents import views

app_name = "respondents"

urlpatterns = [
    path("a/<id:pk>/assignments/", views.assignments, name="assignments"),
    path("assignments/", views.mine, name="mine"),
    path("assignments/reminders/", views.reminders, name="reminders"),
]
