"""Rat Park settings: one module, driven by environment variables with safe defaults.

Every variable is listed, with its default, in docs/deploy.md.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from environ.fileaware_mapping import FileAwareMapping

BASE_DIR = Path(__file__).resolve().parent.parent


class _SecretFiles(FileAwareMapping):
    """Every variable can also come from a file named by <NAME>_FILE (Docker/Kubernetes
    secrets), e.g. SECRET_KEY_FILE=/run/secrets/secret_key. The newline that `echo` leaves at
    the end of such a file is not part of the value."""

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key).rstrip("\r\n")


class _Env(environ.Env):
    ENVIRON = _SecretFiles()


env = _Env()
# A local .env is convenient for development; it is git-ignored and never required.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# Runtime files of the embedded default (SQLite database, file broker, beat schedule).
VAR_DIR = Path(env.str("RATPARK_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    # Reached only with DEBUG on (above); check --deploy flags the insecure prefix anyway.
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production-0123456789"  # noqa: S105  # nosec B105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Without SITE_URL, links in emails point at the port `make run` serves on (PORT).
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}").rstrip(
    "/"
)
SITE_NAME = "Rat Park"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "accounts",
    "notifications",
    "network",
    "checkins",
    "nudges",
    "clinic",
    # Top of the layers: seed_demo touches every app.
    "demo",
]

MIDDLEWARE = [
    # First, so probes by IP address or over plain HTTP get an answer (see recovery/health.py).
    "recovery.health.HealthzMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.SlidingSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # No browser or proxy keeps a page shown to a signed-in person (recovery/middleware.py).
    "recovery.middleware.PrivateNoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "clinic.middleware.ClinicianSessionMiddleware",
]

ROOT_URLCONF = "recovery.urls"
WSGI_APPLICATION = "recovery.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "recovery.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'ratpark.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Fail in seconds, not minutes, when the server is unreachable (a URL's
    # ?connect_timeout= wins).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    # psycopg 3's connection pool; with a pool, persistent connections must stay off.
    if env.bool("DATABASE_POOL", default=True):
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=1),
            "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
            "timeout": env.int("DATABASE_POOL_TIMEOUT", default=10),
        }
        DATABASES["default"]["CONN_MAX_AGE"] = 0
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and the worker share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Redis: cache (rate limits) and broker ---------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis's cache with an outage answered as a miss (rate limits fail open), not a 500.
            "BACKEND": "recovery.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="ratpark"),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    # A file cache is shared by every process on the machine, so rate limits still hold.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Authentication (django-allauth) ---------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Rat Park] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
ACCOUNT_RATE_LIMITS = {
    # allauth's defaults, stated here so operators can see and tune them.
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",  # nosec B105  # a rate limit, not a password
    "reset_password_from_key": "20/m/ip",  # nosec B105  # a rate limit, not a password
    "change_password": "5/m/user",  # nosec B105  # a rate limit, not a password
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
    "request_login_code": "20/m/ip,3/m/key",
}
# Behind a reverse proxy, rate limits must key on the real client address.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env.str("TRUSTED_CLIENT_IP_HEADER", default="") or None

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = SITE_NAME
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Email -------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# In DEBUG without EMAIL_URL (the `make run` demo), mail is written as files under var/mail/,
# which staff can read on the local "Sent mail" page (/dev/mail/).
MAIL_DIR = BASE_DIR / "var" / "mail"
if DEBUG and not env.str("EMAIL_URL", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(MAIL_DIR)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Rat Park <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# --- Security ----------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Idle timeout: the session expires after this long without a request.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=30) * 60
# The idle timeout slides without a write per request: accounts.middleware.SlidingSessionMiddleware
# saves the session (pushing its expiry forward) at most once per SESSION_REFRESH_SECONDS.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = env.int("SESSION_REFRESH_SECONDS", default=60)
# A verified therapist's session idles out sooner (clinic.middleware), as clinics expect.
THERAPIST_IDLE_TIMEOUT_MINUTES = env.int("THERAPIST_IDLE_TIMEOUT_MINUTES", default=15)
# Staff must enrol a second factor (TOTP or a security key) before the admin opens.
STAFF_ADMIN_REQUIRES_MFA = env.bool("STAFF_ADMIN_REQUIRES_MFA", default=True)
# Fernet keys for session notes, newest first (clinic.crypto); rotate with rotate_note_keys.
CLINIC_NOTE_KEYS = env.list("CLINIC_NOTE_KEYS", default=[])
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# No third-party origins, ever: scripts, styles, fonts, images and connections come from us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "worker-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Crisis resources, shown in the footer of every page -----------------------------------------
# Override per deployment with CRISIS_RESOURCES, a JSON list of {"name", "phone", "text", "url"}.
CRISIS_RESOURCES = json.loads(
    env.str(
        "CRISIS_RESOURCES",
        default=json.dumps(
            [
                {
                    "name": "988 Suicide & Crisis Lifeline",
                    "phone": "988",
                    "text": "988",
                    "url": "https://988lifeline.org",
                },
                {
                    "name": "SAMHSA National Helpline",
                    "phone": "1-800-662-4357",
                    "text": "",
                    "url": "https://www.samhsa.gov/find-help/national-helpline",
                },
            ]
        ),
    )
)
# The emergency services number pages and emails name for immediate danger ("call 911").
EMERGENCY_NUMBER = env.str("EMERGENCY_NUMBER", default="911")

# --- Celery ----------------------------------------------------------------------------
# "localhost" only keeps kombu from warning that the file broker URL names no host.
CELERY_BROKER_URL = (
    env.str("CELERY_BROKER_URL", default="") or REDIS_URL or "filesystem://localhost/"
)
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Embedded default: kombu's filesystem transport, so a worker runs without Redis.
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Exchange tables; kombu's default is "control" in the current directory.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=f"file://{VAR_DIR}/results")
    (VAR_DIR / "results").mkdir(exist_ok=True)
else:
    if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        # kombu's Redis transport, fixed so a worker survives a Redis restart mid-task.
        CELERY_BROKER_TRANSPORT = "recovery.broker:RedisTransport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Must exceed the longest task time limit, or Redis redelivers running tasks.
        "visibility_timeout": 60 * 60,
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
        "max_retries": 2,
    }
    CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None  # workers keep reconnecting after a broker restart
CELERY_TASK_PUBLISH_RETRY = True
# A web request that publishes while the broker is down gives up quickly instead of hanging.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# After a broker connection loss, running tasks cannot be acknowledged and come back from the
# queue anyway: stop them rather than run them twice (Celery 6's default).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_WORKER_MAX_TASKS_PER_CHILD = 1000
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_KB", default=300_000)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"nudges.tasks.deliver*": {"queue": "delivery"}}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# A few static entries; every per-person schedule lives in the database, not here.
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions": {
        "task": "accounts.tasks.clear_expired_sessions",
        # https://crontab.guru/#17_3_*_*_*
        "schedule": crontab(hour=3, minute=17),
        # A run that waited this long behind a stopped worker is dropped; the next one comes.
        "options": {"expires": 60 * 60},
    },
    # https://crontab.guru/#41_4_*_*_* : daily consent expiry and two-week reminders.
    "network-expire-consents": {
        "task": "network.tasks.expire_consents",
        "schedule": crontab(hour=4, minute=41),
        "options": {"expires": 60 * 60},
    },
    # https://crontab.guru/#53_*/12_*_*_* : the access-log checkpoint, twice a day so that one
    # missed run still leaves one a day in the structured log (docs/privacy.md).
    "network-access-log-checkpoint": {
        "task": "network.tasks.publish_access_log_checkpoint",
        "schedule": crontab(hour="*/12", minute=53),
        "options": {"expires": 60 * 60},
    },
    # The nudges sweep: every due reminder, prompt and digest for everyone, in a few SQL
    # statements. Expires so a backlog after downtime collapses into one run.
    "nudges-sweep": {
        "task": "nudges.tasks.sweep",
        "schedule": timedelta(seconds=60),
        "options": {"expires": 55},
    },
}

# --- Nudges ----------------------------------------------------------------------------------
# Retry back-off for temporary delivery failures (exponential with jitter, capped).
NUDGES_RETRY_BASE_SECONDS = env.float("NUDGES_RETRY_BASE_SECONDS", default=30.0)
NUDGES_RETRY_MAX_SECONDS = env.float("NUDGES_RETRY_MAX_SECONDS", default=3600.0)
# A delivery queued this long ago and still pending is published again by the sweep.
NUDGES_REDRIVE_SECONDS = env.int("NUDGES_REDRIVE_SECONDS", default=180)
# How long a worker holds a delivery it is sending; longer than any channel's timeout.
NUDGES_LEASE_SECONDS = env.int("NUDGES_LEASE_SECONDS", default=90)
# The sweep claims this many people per transaction; a minute whose first batch is full asks
# this many more workers to share it (0: the beat's worker sweeps alone).
NUDGES_SWEEP_BATCH = env.int("NUDGES_SWEEP_BATCH", default=2000)
NUDGES_SWEEP_HELPERS = env.int("NUDGES_SWEEP_HELPERS", default=0)
# Default reminder and prompt times are spread over this many minutes per person (stable).
NUDGES_DEFAULT_JITTER_MINUTES = env.int("NUDGES_DEFAULT_JITTER_MINUTES", default=30)
# Web push (VAPID). Generate with: vapid --gen (py-vapid), then use the raw base64url keys.
VAPID_PRIVATE_KEY = env.str("VAPID_PRIVATE_KEY", default="")
VAPID_PUBLIC_KEY = env.str("VAPID_PUBLIC_KEY", default="")
VAPID_SUBJECT = env.str("VAPID_SUBJECT", default="mailto:admin@localhost")

# --- Logging: structured lines on stdout, never request bodies or health data ------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "recovery.logging.JsonFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # Replaces Django's own plain-text console handler, so each record is written once.
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        "celery": {"level": LOG_LEVEL},
    },
}
