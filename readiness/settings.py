"""Settings for Clinical AI Readiness, configured by environment variables.

Every value has a default that runs straight from a checkout on SQLite. Production sets at
least SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL (see README, "Configuration").
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def envsecret(name: str, default: str) -> str:
    """Read NAME, or the file named by NAME_FILE (for Docker/Kubernetes secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


# Only for running from a checkout; check --deploy flags it, and production sets its own.
SECRET_KEY = envsecret("SECRET_KEY", "django-insecure-local-development-key-do-not-deploy")
DEBUG = envbool("DEBUG", False)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
SITE_NAME = os.environ.get("SITE_NAME", "Clinical AI Readiness")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    # Two-factor sign-in (TOTP apps and one-time recovery codes): accounts/.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "assessments",
    "reports",
    "accounts",
    "offboarding",
    "actions",
    "respondents",
    "benchmark",
    # Evidence files attached to answers (issue 14).
    "evidence",
    # The REST API (api/): DRF, its OpenAPI schema, and Swagger UI from the sidecar's static
    # files (served by the app, no CDN).
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # gzip for pages and JSON (static files are WhiteNoise's, already compressed): above every
    # middleware that writes a response's body, so that it compresses what they wrote.
    "assessments.middleware.CompressPagesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Cache-Control: private, no-store on every response to a signed-in user (ASVS 14.3.2).
    "assessments.middleware.PrivateNoStoreMiddleware",
    "assessments.middleware.InactivityTimeoutMiddleware",
    # ?id__in=<past 64 bits> in an admin changelist: a 400 instead of SQLite's OverflowError.
    "assessments.middleware.AdminNumberOverflowMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # request.user.is_verified(), then the second factor: sign-in is not complete until a
    # user with a device has given a code, or one whose role requires it has set one up.
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # django-axes wants to be last: it turns a lockout into the response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "readiness.urls"
WSGI_APPLICATION = "readiness.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "assessments.context_processors.navigation",
            ],
        },
    },
]

# SQLite from a checkout; PostgreSQL (or anything dj-database-url reads) through DATABASE_URL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction starts, so two concurrent saves of
    # one assessment are serialised instead of both reading the same old revision.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A folder on disk by default (rendered PDFs, chart SVGs, password-reset counters), shared by
# the processes of one machine. Several machines behind a load balancer set CACHE_URL to a Redis
# server instead, so the reset limits hold across all of them.
CACHE_URL = os.environ.get("CACHE_URL", "").strip()
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "readiness",
            # A Redis server that stops answering costs a request two seconds, not a hang;
            # the app then works without the cache (assessments/caching.py).
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
            "TIMEOUT": envint("CACHE_TIMEOUT", 7 * 24 * 3600),
        }
    }
elif CACHE_URL:
    raise ImproperlyConfigured(
        f"CACHE_URL must start with redis://, rediss:// or unix://, not {CACHE_URL.split(':')[0]!r}"
    )
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ.get("CACHE_DIR", str(BASE_DIR / "var" / "cache")),
            "TIMEOUT": envint("CACHE_TIMEOUT", 7 * 24 * 3600),
        }
    }

# Background work (reports/tasks.py): Celery workers render report PDFs and build batch exports.
# Production names a Redis server (or RabbitMQ: amqp://...). The default is kombu's file-system
# transport in var/celery: `make run` needs no service, but only processes of one machine share
# it. Job state lives in the database, so no result backend is used.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_DIR = Path(os.environ.get("CELERY_BROKER_DIR", BASE_DIR / "var" / "celery"))
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "readiness")
# Empty: a worker draws a report's charts itself, in the Chromium it starts beside its PDF
# layout (~500 MB a worker). Named (e.g. "readiness-charts"): the charts of every report are
# drawn first by workers listening on this queue (`-Q`), the only ones that start a Chromium,
# into the shared cache; the workers of CELERY_QUEUE lay out the PDFs (~300 MB each). The
# charts reach the layout through Django's cache, so both kinds must share it (one machine's
# file cache, or CACHE_URL). reports/queue.py; README, "Running on several machines".
CELERY_CHARTS_QUEUE = os.environ.get("CELERY_CHARTS_QUEUE", "").strip()
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged only when it has finished, and a worker that dies mid-task gives it
# back: a killed worker's job is redone by another (tasks are idempotent).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# One report is rendered in seconds; these bound a hung Chromium or WeasyPrint.
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 360)
# A pool process (and the Chromium it started for the charts) is replaced after the task that
# left it above this resident size, in KB: a report renders in ~250 MB, so only a leak or an
# outsized report gets there, and its memory goes back to the machine (issue 13).
CELERY_WORKER_MAX_MEMORY_PER_CHILD = envint("CELERY_WORKER_MAX_MEMORY_PER_CHILD", 350_000)
# A web request that cannot reach the broker gives up after this and renders itself.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
    # Broadcast (remote control, gossip) needs a fan-out the folder does not give every
    # worker: the one embedded worker does without it.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # An unacknowledged task (its worker was killed) is delivered again after this long;
        # longer than the longest task, or a slow task would run twice.
        "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 900),
        "socket_connect_timeout": 2,
        "socket_timeout": 10,
    }
# Batch exports (ZIPs of reports) are kept this many days; a periodic task deletes them after.
REPORT_BATCH_DAYS = envint("REPORT_BATCH_DAYS", 7)
CELERY_BEAT_SCHEDULE = {
    "report-files-expire": {"task": "reports.tasks.report_files_expire", "schedule": 3600.0},
    # Jobs whose worker died without the broker giving the task back are queued again.
    "report-jobs-resume": {"task": "reports.tasks.report_jobs_resume", "schedule": 300.0},
    # The daily e-mail to owners of action items due soon or overdue (actions/digest.py); where
    # no beat runs, cron calls `manage.py send_action_digest` instead.
    "action-digest": {"task": "actions.tasks.action_digest_send", "schedule": 24 * 3600.0},
    # The daily reminder of assignments due within 3 days or overdue (respondents/reminders.py);
    # where no beat runs, cron calls `manage.py send_assignment_reminders` instead.
    "assignment-reminders": {
        "task": "respondents.tasks.assignment_reminders_send",
        "schedule": 24 * 3600.0,
    },
    # Evidence files the virus scanner could not be reached for, scanned again (a no-op without
    # CLAMD_SOCKET); where no beat runs, cron calls `manage.py scan_evidence` instead.
    "evidence-scan": {"task": "evidence.tasks.evidence_scan_waiting", "schedule": 600.0},
    # The anonymous benchmark, also queued on every submit (benchmark/publishing.py).
    "benchmark-refresh": {"task": "benchmark.tasks.benchmark_refresh_task", "schedule": 3600.0},
}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "assessments:home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after SESSION_TIMEOUT_MINUTES without a request (InactivityTimeoutMiddleware
# slides the expiry forward at most once a minute, to spare a write per request).
SESSION_TIMEOUT_MINUTES = envint("SESSION_TIMEOUT_MINUTES", 30)
SESSION_COOKIE_AGE = SESSION_TIMEOUT_MINUTES * 60
# However active, a session ends SESSION_MAX_HOURS after sign-in (ASVS 7.3.2).
SESSION_MAX_HOURS = envint("SESSION_MAX_HOURS", 12)
SESSION_COOKIE_HTTPONLY = True

# Login rate limit (django-axes): lock a username at one address after AXES_FAILURE_LIMIT
# failures, and an address after LOGIN_ADDRESS_FAILURE_LIMIT failures whatever the usernames
# (password spraying), for AXES_COOLOFF_MINUTES. Colleagues behind one clinic's NAT address
# are not locked out by one person's typos.
AXES_ENABLED = envbool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = envint("AXES_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
LOGIN_ADDRESS_FAILURE_LIMIT = envint("LOGIN_ADDRESS_FAILURE_LIMIT", 30)
AXES_HANDLER = "assessments.security.AddressLimitAxesHandler"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# The address a lockout counts: REMOTE_ADDR, or behind PROXY_COUNT trusted proxies the address
# the outermost one saw. (django-ipware is not installed, so AXES_IPWARE_* settings would be
# ignored; trusting X-Forwarded-For without a proxy would let anyone pick a fresh address per
# attempt, and ignoring it behind one would lock everybody out at once.)
PROXY_COUNT = envint("PROXY_COUNT", 1 if envbool("SECURE_PROXY_SSL_HEADER", False) else 0)
AXES_CLIENT_IP_CALLABLE = "assessments.security.client_ip"
# Cut to axes' 255-character column (a longer posted username was a 500 on PostgreSQL).
AXES_USERNAME_CALLABLE = "assessments.security.axes_username"

# Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER=true; SECURE_SSL_REDIRECT can be
# turned off where the proxy already redirects.
SECURE = envbool("SECURE", not DEBUG)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
if envbool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    if not SECURE_SSL_REDIRECT:
        # The deployment says its proxy redirects http to https (security.W008 suggests
        # exactly that), so the app need not do it again.
        SILENCED_SYSTEM_CHECKS = ["security.W008"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = False  # the autosave script reads the token from the form, not the cookie

# No inline script or style: everything comes from /static/. Plotly's runtime styles are
# loaded from a static stylesheet (see reports/charts.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Two-factor sign-in (accounts/): required for members holding one of these roles in any
# organisation, optional for everyone else. MFA_EXEMPT_USERS names accounts (by email) that are
# never forced, e.g. the demo logins of `make run`; a user with a device is still asked for it.
MFA_REQUIRED_ROLES = envlist("MFA_REQUIRED_ROLES", "org_admin,consultant")
MFA_EXEMPT_USERS = [email.casefold() for email in envlist("MFA_EXEMPT_USERS", "")]
OTP_TOTP_ISSUER = SITE_NAME

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if envbool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Serve straight from static/ when nobody ran collectstatic (DEBUG, tests).
WHITENOISE_USE_FINDERS = DEBUG

# Uploads: instrument YAML, assessment JSON and logos are small; refuse anything big early.
UPLOAD_MAX_BYTES = envint("UPLOAD_MAX_BYTES", 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

# Evidence files attached to answers (evidence/, issue 14): their own limits, far above the
# small uploads above. The ZIP limit is for an "export with evidence" brought back in.
EVIDENCE_MAX_BYTES = envint("EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)
EVIDENCE_ZIP_MAX_BYTES = envint("EVIDENCE_ZIP_MAX_BYTES", 200 * 1024 * 1024)
# A ClamAV daemon's unix socket (e.g. /run/clamav/clamd.ctl): every evidence file is scanned
# and shown to others only once clean. Empty: files are not scanned (the README says so).
CLAMD_SOCKET = os.environ.get("CLAMD_SOCKET", "")
CLAMD_TIMEOUT = envint("CLAMD_TIMEOUT", 30)
# Evidence files go to MEDIA_ROOT/evidence/ unless an S3 bucket is named: then to that bucket
# through django-storages (pip install "django-storages[s3]"; credentials from the usual AWS_*
# variables or the machine's role), so that several machines share them. See the README.
EVIDENCE_S3_BUCKET = os.environ.get("EVIDENCE_S3_BUCKET", "")
if EVIDENCE_S3_BUCKET:
    _evidence_s3: dict[str, Any] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": EVIDENCE_S3_BUCKET,
            "region_name": os.environ.get("EVIDENCE_S3_REGION") or None,
            "endpoint_url": os.environ.get("EVIDENCE_S3_ENDPOINT_URL") or None,
            "default_acl": "private",
            "file_overwrite": False,
        },
    }
    STORAGES["evidence"] = _evidence_s3

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Charts in PDFs: kaleido drives this browser; found on PATH when unset.
CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "")

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "readiness@localhost")
# The address people reach the app at, for links in e-mails sent without a request (the
# daily action-item digest).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# An invitation to join an organisation can be accepted for this many days (resending renews it).
INVITATION_DAYS = envint("INVITATION_DAYS", 7)

# The REST API under /api/v1/ (api/). Personal tokens or the session (with its CSRF check);
# errors as RFC 9457 problem details; every list in pages; requests counted per token (each
# token its own bucket), per signed-in person and per address, at these rates.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "api.permissions.IsSignedIn",
        "api.permissions.TokenAllowsWrites",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ApiRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "token": os.environ.get("API_TOKEN_RATE", "600/minute"),
        "session": os.environ.get("API_SESSION_RATE", "600/minute"),
        "anonymous": os.environ.get("API_ANONYMOUS_RATE", "60/minute"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "EXCEPTION_HANDLER": "api.problems.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": f"{SITE_NAME} API",
    "DESCRIPTION": "What a signed-in person can do in the app, with the same rules. "
    "Authenticate with a personal API token (your account menu, API tokens): "
    "`Authorization: Bearer <token>`. Errors are RFC 9457 problem details.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
