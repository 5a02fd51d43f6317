"""Running in production: request errors logged, misconfiguration refused, health reported."""

import io
import json
import logging

import pytest
from django.test import Client, override_settings
from django.urls import path


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
