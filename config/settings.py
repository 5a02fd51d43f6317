"""Qinqing settings: one module, driven by environment variables.

DATABASE_URL      default sqlite:///var/qinqing.sqlite3 (zero set-up)
DATABASE_REPLICA_URL a PostgreSQL read replica of DATABASE_URL for figures, dashboards and
                  exports (default: none; qinqing/core/replica.py)
CONN_MAX_AGE      seconds a database connection is kept (default 60; SQLite: 0)
CONN_HEALTH_CHECKS "1": check a kept connection before reusing it (default off)
SECRET_KEY        default: generated once into var/secret_key (development only)
QINQING_DATA_KEYS keys of the encrypted personal data, current first (required outside DEBUG)
QINQING_SIGNING_KEY the platform's Ed25519 signing seed (required outside DEBUG)
QINQING_SIGNER_BACKEND who holds the keys of signed PDFs: "platform" (default: the platform's
                  demo CA, keys sealed under QINQING_DATA_KEYS) or "pkcs11" (keys named in
                  QINQING_PKCS11, a JSON object, in a UKey/HSM; docs/signatures.md)
DEBUG             "1" to enable (default off; `make demo` turns it on)
ALLOWED_HOSTS     comma-separated host names (required outside DEBUG; development default
                  "127.0.0.1,localhost,testserver")
QINQING_NOTIFIER  dotted path of the notifier backend (default: database + log)
QINQING_TASKS_BACKEND "database" (default: the queue in the database, run by `qinqing worker`)
                  or "immediate" (each task runs in the process that enqueues it, after commit)
TRUSTED_PROXIES   comma-separated addresses/CIDRs of reverse proxies whose X-Forwarded-For is
                  read for the client's address (default: none; REMOTE_ADDR is the client)
HTTPS             "1" behind a TLS-terminating proxy: secure cookies, HSTS, X-Forwarded-Proto read,
                  plain HTTP redirected (SECURE_SSL_REDIRECT=0 turns that off)
SECURE_HSTS_SECONDS  default a year with HTTPS (0 without); SECURE_HSTS_INCLUDE_SUBDOMAINS
                  default on; SECURE_HSTS_PRELOAD default off
QINQING_CSP       the Content-Security-Policy header (default: scripts from this site only)
QINQING_EXPORT_QUEUE_ABOVE  orders above which the needs export runs on the queue (10000)
QINQING_EXPORT_KEEP_HOURS   hours a queued export is kept for its requester (24)
QINQING_SCREENING_PROCESSES processes reading the opened PDFs of a collusion screening when
                  they are large (default 2; 1 reads them in the task worker itself)
LOG_LEVEL         level of the django and qinqing loggers (default INFO)
LOG_FORMAT        "json" (one object a line, the default outside DEBUG) or "plain"
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("QINQING_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
SECRET_KEY_FROM_ENV = bool(os.environ.get("SECRET_KEY"))
# Keys of the personal data at rest (qinqing.core.crypto): 32-byte URL-safe base64 keys, comma
# separated, the current one first (`qinqing rotate_keys --generate` prints a new one). Required
# outside DEBUG; a backup names the keys it needs and is not restored without them.
# The platform's Ed25519 signing key (a 32-byte seed, URL-safe base64): signs what it publishes,
# e.g. the audit chain's daily anchors. Required outside DEBUG.
QINQING_SIGNING_KEY = os.environ.get("QINQING_SIGNING_KEY", "").strip()
QINQING_DATA_KEYS = [
    k.strip() for k in os.environ.get("QINQING_DATA_KEYS", "").split(",") if k.strip()
]
# Signed PDFs (qinqing/core/signing, docs/signatures.md).
QINQING_SIGNER_BACKEND = os.environ.get("QINQING_SIGNER_BACKEND", "platform").strip()
QINQING_PKCS11 = json.loads(os.environ.get("QINQING_PKCS11", "") or "{}")
DEBUG = _env_bool("DEBUG")
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
ALLOWED_HOSTS_FROM_ENV = bool(os.environ.get("ALLOWED_HOSTS"))  # required outside DEBUG
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",  # Django 6: remove (django.tasks is built in)
    "django_tasks_db",
    "qinqing.core",
    "qinqing.enterprises",
    "qinqing.needs",
    "qinqing.activities",
    "qinqing.bidding",
    "qinqing.bankruptcy",
    "qinqing.briefing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "qinqing.core.middleware.BodySizeLimitMiddleware",
    "qinqing.core.middleware.ControlCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "qinqing.core.middleware.DefaultLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "qinqing.core.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "qinqing" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "qinqing.core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'qinqing.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        # "1": check a kept connection (one SELECT 1) before a request reuses it; off by default
        # (it costs a round trip per request), worth it where the database restarts under us.
        conn_health_checks=_env_bool("CONN_HEALTH_CHECKS"),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed during a write; IMMEDIATE avoids lock upgrades mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side parameters: psycopg prepares a statement the fifth time a connection runs it,
    # so the hot paths' statements are planned once per connection instead of on every request
    # (planning the workstation's seat query alone costs more than running it). Turn it off with
    # DB_PREPARED_STATEMENTS=0 behind a pooler in transaction mode, which cannot keep them.
    DATABASES["default"]["OPTIONS"] = (
        {"server_side_binding": True, "prepare_threshold": 5}
        if _env_bool("DB_PREPARED_STATEMENTS", True)
        else {}
    )
# A streaming replica of the primary, read by the figures, dashboards and exports only
# (qinqing/core/replica.py); tests read the primary through it (TEST MIRROR).
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = {
        **dj_database_url.parse(
            os.environ["DATABASE_REPLICA_URL"],
            conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
            conn_health_checks=DATABASES["default"]["CONN_HEALTH_CHECKS"],
        ),
        "OPTIONS": DATABASES["default"].get("OPTIONS", {}),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["qinqing.core.replica.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "qinqing" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Security headers. HTTPS=1 when the site is served over TLS by the reverse proxy in front
# (deploy/nginx.conf, docs/operations.md): cookies only over HTTPS, HSTS, the proxy's
# X-Forwarded-Proto read (the proxy must set it, and the app must be reachable only through it),
# and a plain-HTTP request that reached the app anyway redirected (/healthz exempt, for a
# monitor on the machine itself).
HTTPS = _env_bool("HTTPS")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = _env_bool("SECURE_HSTS_PRELOAD")
# Content-Security-Policy (core.middleware.ContentSecurityPolicyMiddleware): no inline script
# or event handler anywhere (behaviour lives in core/static/core/qinqing.js, asked for with
# data- attributes); styles may be inline because the templates use style attributes.
QINQING_CSP = os.environ.get(
    "QINQING_CSP",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'",
)
SESSION_COOKIE_AGE = 8 * 3600
# With Redis, sessions are read from the cache and written through to the database (every
# request of a signed-in user or workstation reads its session; the database stays the record).
if os.environ.get("REDIS_URL"):
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Request bodies. Django keeps at most DATA_UPLOAD_MAX_MEMORY_SIZE of form fields or JSON in
# memory and spools an upload larger than FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file; the
# whole body is capped before it is read by core.middleware.BodySizeLimitMiddleware (413):
# QINQING_MAX_BODY_BYTES everywhere but the pages that take files, each with its own limit
# (the largest file it accepts and room for the form). The proxy in front caps them too.
_MB = 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = _MB
FILE_UPLOAD_MAX_MEMORY_SIZE = _MB
DATA_UPLOAD_MAX_NUMBER_FILES = 10
QINQING_MAX_BODY_BYTES = _MB
QINQING_BODY_LIMITS = [
    ("/needs/q/*/", 16 * _MB),  # public form: three attachments of 5 MB
    ("/needs/submit/", 16 * _MB),
    ("/needs/new/", 16 * _MB),
    ("/enterprises/import/", 6 * _MB),  # an import file of 5 MB
    ("/bankruptcy/cases/*/claims/import/", 6 * _MB),
    ("/bankruptcy/cases/*/file/", 11 * _MB),  # evidence of 10 MB
    ("/bankruptcy/public/*/file/", 11 * _MB),
    ("/bidding/experts/import/", 11 * _MB),  # an import file of 10 MB
    ("/briefing/import/", 4 * _MB),  # a brief's text file
    # sealed bids: one piece of a chunked upload (QQ-SEAL-2 §6; bids.services.UPLOAD_PIECE_MAX)
    ("/api/v1/bidding/bids/uploads/*/files/*/chunks/*", 16 * _MB + 64 * 1024),
    # sealed bids (QQ-SEAL-2, QQ-SEAL-1): the ciphertexts of one bid and its manifest
    ("/api/v1/bidding/bids", int(os.environ.get("QINQING_BID_MAX_TOTAL_MB", "300")) * _MB + _MB),
]
# Sealed bids: the largest file of a bid (its plaintext) and the whole bid's ciphertexts. The
# browser seals and uploads each file in 1 MiB chunks (QQ-SEAL-2, docs/sealed-bids.md).
QINQING_BID_MAX_FILE_BYTES = int(os.environ.get("QINQING_BID_MAX_FILE_MB", "100")) * _MB
QINQING_BID_MAX_TOTAL_BYTES = int(os.environ.get("QINQING_BID_MAX_TOTAL_MB", "300")) * _MB

# The reverse proxies in front of the app (e.g. "127.0.0.1,10.0.0.0/24"): only a request from
# one of them has its X-Forwarded-For read, from the right (qinqing/core/net.py).
TRUSTED_PROXIES = [p.strip() for p in os.environ.get("TRUSTED_PROXIES", "").split(",") if p.strip()]
# Login throttling (qinqing/core/services.py): failures of the last window, per account and per
# address, make the next attempt wait (doubling, at most QINQING_LOGIN_MAX_DELAY_SECONDS); from
# QINQING_LOGIN_CODE_AFTER failures an account with a phone also needs an SMS code.
QINQING_LOGIN_WINDOW_SECONDS = int(os.environ.get("QINQING_LOGIN_WINDOW_SECONDS", "3600"))
QINQING_LOGIN_MAX_DELAY_SECONDS = int(os.environ.get("QINQING_LOGIN_MAX_DELAY_SECONDS", "300"))
QINQING_LOGIN_CODE_AFTER = int(os.environ.get("QINQING_LOGIN_CODE_AFTER", "5"))
# The optional second factor (django-otp TOTP, /account/2fa/): the issuer the authenticator
# app shows; django-otp's own throttle is off because the login's throttle covers it.
OTP_TOTP_ISSUER = "亲清"
OTP_TOTP_THROTTLE_FACTOR = 0
# Work outside the request (qinqing/core/tasks.py): SMS delivery, rendering, periodic ticks.
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[os.environ.get("QINQING_TASKS_BACKEND", "database")]
    }
}
# The collusion screening (清标) reads large bids' PDFs in this many processes (docs/bidding.md).
SCREENING_PROCESSES = max(1, int(os.environ.get("QINQING_SCREENING_PROCESSES", "2")))
QINQING_NOTIFIER = os.environ.get("QINQING_NOTIFIER", "qinqing.core.notifier.DatabaseLogBackend")
QINQING_SMS_WEBHOOK_URL = os.environ.get("QINQING_SMS_WEBHOOK_URL", "")
# The address people reach the platform at, for links sent by SMS and e-mail.
QINQING_PUBLIC_URL = os.environ.get("QINQING_PUBLIC_URL", "http://127.0.0.1:8000")
# Public needs form: submissions per client address and per phone number in an hour (0: not
# checked, e.g. behind a gateway that limits per address, or for bench/intake.py).
QINQING_NEEDS_RATE_PER_IP = int(os.environ.get("QINQING_NEEDS_RATE_PER_IP", "20"))
QINQING_NEEDS_RATE_PER_PHONE = int(os.environ.get("QINQING_NEEDS_RATE_PER_PHONE", "5"))
QINQING_API_TOKEN_DAYS = int(os.environ.get("QINQING_API_TOKEN_DAYS", "30"))
# The reporting pages keep a figure of a period that ended before today this long (seconds;
# 0: always computed). qinqing/core/figures.py evaluate_for_report.
QINQING_FIGURES_CACHE_SECONDS = int(os.environ.get("QINQING_FIGURES_CACHE_SECONDS", "600"))
# The needs export (qinqing/needs/exports.py): up to this many orders the file is the answer to
# the request; above, it is made on the task queue and kept for its requester this many hours.
QINQING_EXPORT_QUEUE_ABOVE = int(os.environ.get("QINQING_EXPORT_QUEUE_ABOVE", "10000"))
QINQING_EXPORT_KEEP_HOURS = int(os.environ.get("QINQING_EXPORT_KEEP_HOURS", "24"))
# Live evaluation supervision: a workstation without activity for longer is "idle too long".
QINQING_IDLE_MINUTES = int(os.environ.get("QINQING_IDLE_MINUTES", "15"))
# Government procurement: the range of the price deduction for small and micro enterprises per
# procurement category, as ratios (财库〔2020〕46号 Art.9 as raised by 财库〔2022〕19号 from
# 2022-07-01: goods and services 10 %–20 %, works 3 %–5 %). The tender documents fix the rate
# within the range; change these only when the Ministry of Finance changes the rule.
QINQING_SME_DEDUCTION = {
    "goods": ("0.10", "0.20"),
    "services": ("0.10", "0.20"),
    "works": ("0.03", "0.05"),
}
# OCDS open data: the publisher's ocid prefix registered with the Open Contracting Partnership
# (e.g. "ocds-a1b2c3"); the default is a placeholder for development (bidding/ocds.py).
QINQING_OCID_PREFIX = os.environ.get("QINQING_OCID_PREFIX", "ocds-qinqing")

CACHES = {
    "default": (
        {
            "BACKEND": "qinqing.core.cache.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
        if os.environ.get("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "qq_cache"}
    )
}

# Logs go to stderr (systemd's journal, a container's log). Outside DEBUG one JSON object a line
# (qinqing.core.logs.JsonFormatter): every request that ends in a 5xx is logged by django.request
# at ERROR with its path, method, status and traceback; 4xx at WARNING. LOG_FORMAT=plain|json.
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "qinqing.core.logs.JsonFormatter"},
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": os.environ.get("LOG_FORMAT", "plain" if DEBUG else "json"),
        }
    },
    "loggers": {
        "django": {"handlers": ["stderr"], "level": LOG_LEVEL},
        "qinqing": {"handlers": ["stderr"], "level": LOG_LEVEL},
    },
}
