"""Notifications other apps may listen to; assessments itself never depends on who does.

They carry no domain logic: `assessment_submitted` lets the reports app pre-render the gap
report once a submit has committed, without assessments importing reports.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent after the submit's transaction has committed; `assessment` is the submitted one.
assessment_submitted = Signal()
