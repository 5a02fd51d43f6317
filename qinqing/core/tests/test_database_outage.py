"""The database gone mid-request (restarted, failed over, a kept connection dropped): a 503 that
says so, never a 500 with a traceback. The real outage, PostgreSQL killed under writes, is in
test_faults_postgres.py."""

import logging

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client, override_settings
from django.urls import include, path

from config.api import api


def _database_gone(request):
    raise OperationalError("server closed the connection unexpectedly")


def _connection_closed(request):
    raise InterfaceError("connection already closed")


def _bug(request):
    raise RuntimeError("not the database")


handler500 = "qinqing.core.views.error_500"
urlpatterns = [
    path("gone/", _database_gone),
    path("closed/", _connection_closed),
    path("bug/", _bug),
    path("api/v1/", api.urls),
    path("", include("qinqing.core.urls")),
]

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
@pytest.mark.parametrize("url", ["/gone/", "/closed/"])
def test_a_page_whose_database_is_gone_answers_503_in_chinese(url, caplog):
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = Client(raise_request_exception=False).post(url)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    html = response.content.decode()
    assert "数据库暂不可用，请稍后再试" in html
    assert "Traceback" not in html and "connection" not in html
    # Still logged for the operator, with the exception (docs/operations.md: alert on ERROR).
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1 and records[0].exc_info is not None


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_other_errors_stay_500():
    response = Client(raise_request_exception=False).get("/bug/")
    assert response.status_code == 500
    assert "服务器内部错误" in response.content.decode()


@override_settings(DEBUG=False)
def test_the_api_answers_503_json_when_the_database_is_gone(monkeypatch):
    """Through the real API: the bearer token is looked up in the database first."""

    def unreachable(token):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed')

    monkeypatch.setattr("qinqing.core.api.api_token_find", unreachable)
    response = Client(raise_request_exception=False).get(
        "/api/v1/me", headers={"authorization": "Bearer whatever"}
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "detail": "数据库暂不可用，请稍后再试",
        "code": "database_unavailable",
    }
