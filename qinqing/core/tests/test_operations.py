"""Running in production: request errors logged, misconfiguration refused, health reported."""

import base64
import importlib.util
import io
import json
import logging
import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client, override_settings
from django.urls import path

from qinqing.core.checks import refuse_to_start_if_misconfigured

SETTINGS_FILE = Path(__file__).resolve().parents[3] / "config" / "settings.py"
KEY = base64.urlsafe_b64encode(b"K" * 32).decode()
SIGNING_KEY = base64.urlsafe_b64encode(b"S" * 32).decode()
# The check reads any manifest storage; the production one (whitenoise's) also compresses every
# file, which costs half a minute here.
MANIFEST_STORAGE = {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}


def _broken_view(request):
    raise RuntimeError("the ledger is on fire")


urlpatterns = [path("broken/", _broken_view)]


def _stderr_handlers(logger_name: str) -> list[logging.StreamHandler]:
    """The stream handlers a record of this logger reaches (its own and its parents'), but
    pytest's capturing ones."""
    handlers, logger = [], logging.getLogger(logger_name)
    while logger:
        handlers += [
            h
            for h in logger.handlers
            if isinstance(h, logging.StreamHandler) and not type(h).__module__.startswith("_pytest")
        ]
        logger = logger.parent if logger.propagate else None
    return handlers


@pytest.mark.django_db
@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_a_request_error_is_one_json_line_on_stderr(caplog):
    handlers = _stderr_handlers("django.request")
    buffers = [io.StringIO() for _ in handlers]
    olds = [h.setStream(b) for h, b in zip(handlers, buffers, strict=True)]
    try:
        with caplog.at_level(logging.INFO, logger="django.request"):
            response = Client(raise_request_exception=False).post("/broken/?x=1")
    finally:
        for h, old in zip(handlers, olds, strict=True):
            h.setStream(old)
    assert response.status_code == 500
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    assert records[0].levelno == logging.ERROR and "/broken/" in records[0].getMessage()

    lines = [line for b in buffers for line in b.getvalue().splitlines() if line]
    assert len(lines) == 1, lines
    entry = json.loads(lines[0])
    assert entry["level"] == "ERROR" and entry["logger"] == "django.request"
    assert entry["path"] == "/broken/" and entry["method"] == "POST" and entry["status"] == 500
    assert "RuntimeError: the ledger is on fire" in entry["exception"]
    assert entry["time"].endswith("+00:00")


@pytest.fixture
def production(settings, tmp_path):
    """DEBUG off with the keys and host names given; static files as in production (the
    manifest storage, an empty STATIC_ROOT until collectstatic runs)."""
    settings.DEBUG = False
    settings.SECRET_KEY_FROM_ENV, settings.ALLOWED_HOSTS_FROM_ENV = True, True
    settings.QINQING_DATA_KEYS, settings.QINQING_SIGNING_KEY = [KEY], SIGNING_KEY
    settings.ALLOWED_HOSTS = ["qinqing.example.gov.cn", "testserver"]
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    settings.STORAGES = {**settings.STORAGES, "staticfiles": MANIFEST_STORAGE}
    return settings


def _deploy_check_ids(fail_level: str = "ERROR") -> set[str]:
    try:
        call_command("check", deploy=True, fail_level=fail_level, stdout=io.StringIO())
    except SystemCheckError as exc:
        return set(re.findall(r"\(([\w.]+\.[EW]\d+)\)", str(exc)))
    return set()


def test_without_collectstatic_the_server_refuses_to_start(production):
    with pytest.raises(
        ImproperlyConfigured, match=r"staticfiles\.json 不存在.*qinqing collectstatic"
    ):
        refuse_to_start_if_misconfigured()
    assert "qinqing.E020" in _deploy_check_ids()

    call_command("collectstatic", "--no-input", verbosity=0)
    refuse_to_start_if_misconfigured()
    assert "qinqing.E020" not in _deploy_check_ids()

    # An upgrade brought a static file the last collectstatic did not see.
    manifest_file = production.STATIC_ROOT / "staticfiles.json"
    manifest = json.loads(manifest_file.read_text())
    del manifest["paths"]["core/qinqing.css"]
    manifest_file.write_text(json.dumps(manifest))
    with pytest.raises(
        ImproperlyConfigured, match=re.escape("缺少 1 个文件（如 core/qinqing.css）")
    ):
        refuse_to_start_if_misconfigured()


def test_the_development_host_names_are_refused_outside_debug(production):
    production.STORAGES = {
        **production.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    refuse_to_start_if_misconfigured()
    production.ALLOWED_HOSTS_FROM_ENV = False
    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS"):
        refuse_to_start_if_misconfigured()
    assert "qinqing.E021" in _deploy_check_ids()
    production.DEBUG = True  # `make demo`: no keys, no host names, no collectstatic
    production.QINQING_DATA_KEYS, production.QINQING_SIGNING_KEY = [], ""
    refuse_to_start_if_misconfigured()


@pytest.mark.django_db
def test_healthz_is_503_without_static_files_or_database(production, client, monkeypatch):
    """It said 200 while every page was a 500 (DEBUG off, no collectstatic)."""
    from django.db.backends.base.base import BaseDatabaseWrapper

    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["static"] == "missing" and response.json()["status"] == "error"
    assert response.json()["database"] == "ok"

    call_command("collectstatic", "--no-input", verbosity=0)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["static"] == "ok" and response.json()["status"] in {"ok", "warn"}
    assert set(response.json()) == {"status", "database", "static", "calendar", "queue", "replica"}

    def unreachable(self, *args, **kwargs):
        raise OperationalError("connection refused")

    from django.db import OperationalError

    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable", "static": "ok"}


# --- security headers and the Content-Security-Policy ------------------------------------------

SECURITY_SETTINGS = [
    "HTTPS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
]


def _settings_module_under(monkeypatch, tmp_path, **env) -> dict:
    """config/settings.py evaluated afresh under these environment variables: its security
    settings by name (None for one it does not set)."""
    for name in ("HTTPS", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QINQING_VAR_DIR", str(tmp_path / "var"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("settings_under_test", SETTINGS_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {name: getattr(module, name, None) for name in SECURITY_SETTINGS}


def test_https_turns_on_secure_cookies_hsts_and_the_proxy_header(monkeypatch, tmp_path):
    plain = _settings_module_under(monkeypatch, tmp_path)
    assert plain["SESSION_COOKIE_SECURE"] is plain["CSRF_COOKIE_SECURE"] is False
    assert plain["SECURE_HSTS_SECONDS"] == 0 and plain["SECURE_SSL_REDIRECT"] is False
    assert plain["SECURE_PROXY_SSL_HEADER"] is None  # X-Forwarded-Proto is not read

    https = _settings_module_under(monkeypatch, tmp_path, HTTPS="1")
    assert https["SESSION_COOKIE_SECURE"] is https["CSRF_COOKIE_SECURE"] is True
    assert https["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert https["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert https["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert https["SECURE_SSL_REDIRECT"] is True

    tuned = _settings_module_under(
        monkeypatch, tmp_path, HTTPS="1", SECURE_SSL_REDIRECT="0", SECURE_HSTS_SECONDS="600"
    )
    assert tuned["SECURE_SSL_REDIRECT"] is False and tuned["SECURE_HSTS_SECONDS"] == 600


def test_check_deploy_is_clean_with_https_and_the_keys(production, monkeypatch, tmp_path):
    # Set by the browser tests' fixture for Playwright's thread (async.E001 in deployment).
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    for name, value in _settings_module_under(monkeypatch, tmp_path, HTTPS="1").items():
        setattr(production, name, value)
    production.STORAGES = {
        **production.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # HSTS preload is the domain owner's decision (the list is for the registrable domain).
    assert _deploy_check_ids("WARNING") <= {"security.W021"}
    production.SESSION_COOKIE_SECURE = False
    assert "security.W012" in _deploy_check_ids("WARNING")


@pytest.mark.django_db
def test_https_responses_carry_hsts_secure_cookies_and_redirect_plain_http(production, client):
    production.SECURE_HSTS_SECONDS, production.SECURE_HSTS_INCLUDE_SUBDOMAINS = 31536000, True
    production.SESSION_COOKIE_SECURE = production.CSRF_COOKIE_SECURE = True
    production.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    production.SECURE_SSL_REDIRECT = True
    production.STORAGES = {
        **production.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    response = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response.cookies["csrftoken"]["secure"] is True
    assert "script-src 'self';" in response["Content-Security-Policy"]
    plain = client.get("/login/")
    assert plain.status_code == 301 and plain["Location"] == "https://testserver/login/"
    assert client.get("/healthz").status_code == 200  # a monitor on the machine, over HTTP


@pytest.mark.django_db
def test_every_response_has_a_policy_without_inline_script(client):
    policy = client.get("/login/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert client.get("/healthz")["Content-Security-Policy"] == policy


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")
INLINE_HANDLER = re.compile(r"<[^>]*\s(on[a-z]+|hx-on[:\w-]*)=", re.S)


def test_no_template_has_inline_script_or_event_handlers():
    """The policy would block them: a confirmation skipped, a selector that does nothing."""
    offenders = []
    for template in sorted((SETTINGS_FILE.parent.parent / "qinqing").rglob("templates/**/*.html")):
        text = template.read_text()
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER):
            offenders += [f"{template.name}: {m.group(0)[:60]}" for m in pattern.finditer(text)]
    assert offenders == []
