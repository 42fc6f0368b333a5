"""The Celery application: `celery -A readiness worker` runs the tasks of reports/tasks.py.

Configured from Django's settings (the CELERY_* names in readiness/settings.py), so a worker
reads the same environment as the web processes.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "readiness.settings")

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
