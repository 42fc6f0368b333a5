"""The Celery application: `celery -A readiness worker` runs the tasks of reports/tasks.py.

Configured from Django's settings (the CELERY_* names in readiness/settings.py), so a worker
reads the same environment as the web processes.
"""

from __future__ import annotations

import gc
import os

from celery import Celery
from celery.signals import worker_before_create_process

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "readiness.settings")
# Celery runs Django's system checks when a worker starts; their URL checks import every view
# and all it imports (WeasyPrint, openpyxl, the API), ~45 MB in a worker that serves no page.
# `manage.py check`, CI and the web processes run them; a worker only warns when it has no
# Chromium for the charts (reports/tasks.py).
os.environ.setdefault("CELERY_SKIP_CHECKS", "1")

app = Celery("readiness")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_broker_folders(sender: Celery, **kwargs: object) -> None:
    # kombu's file-system transport expects its folders to exist.
    options = sender.conf.broker_transport_options or {}
    for name in ("data_folder_in", "data_folder_out", "control_folder"):
        folder = options.get(name)
        if folder:
            os.makedirs(folder, exist_ok=True)


@worker_before_create_process.connect
def _freeze_before_fork(**kwargs: object) -> None:
    # The prefork pool's child shares the parent's memory until either writes to a page. The
    # cyclic garbage collector writes to every object it visits, so after the child's first
    # full collection most of Django and the app were copied (~70 MB). Frozen objects are
    # never visited: the child keeps sharing them.
    gc.collect()
    gc.freeze()
