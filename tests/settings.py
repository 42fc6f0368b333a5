"""Test-only tweaks on top of the real settings."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from readiness.settings import *  # noqa: F403
from readiness.settings import BASE_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests sign the personas in with force_login; the two-factor tests (tests/accounts/) turn the
# requirement on for themselves.
MFA_REQUIRED_ROLES = []
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# No broker answers here (nothing listens on port 1), so a PDF download renders in the
# request as when Redis is down in production, and other tests need no worker. The queue's own
# tests record what is queued (tests/reports/test_jobs.py) or run a real worker on Redis
# (tests/reports/test_worker_roundtrip.py).
CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1, "max_retries": 0}
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="readiness-media-"))
SECURE = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STATIC_ROOT = BASE_DIR / "staticfiles"

# A file, not the shared-cache in-memory database: SQLite's shared cache fails concurrent
# writers at once ("table is locked") instead of waiting, which the concurrency and browser
# tests need to exercise the real locking.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"readiness-test-{os.getpid()}.sqlite3")
    }
