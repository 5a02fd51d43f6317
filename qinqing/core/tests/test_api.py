import json

import pytest

from qinqing.core import figures


@pytest.fixture
def token(client, demo_users):
    response = client.post(
        "/api/v1/auth/token",
        {"username": "editor", "password": "qinqing-demo"},
        content_type="application/json",
    )
    assert response.status_code == 200
    return response.json()["token"]


def test_token_then_bearer(client, token):
    client.logout()
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["grants"][0]["role"] == "editor"


def test_bad_token_and_no_auth_are_401_json(client, demo_users):
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer qq_wrong"}):
        response = client.get("/api/v1/me", **headers)
        assert response.status_code == 401
        assert response.json() == {"detail": "未登录或令牌无效", "code": "unauthenticated"}


def test_session_auth_works(client, demo_users):
    client.force_login(demo_users["judge"])
    assert client.get("/api/v1/me").json()["username"] == "judge"


def test_wrong_password_is_401_and_audited(client, demo_users):
    response = client.post(
        "/api/v1/auth/token",
        {"username": "editor", "password": "nope"},
        content_type="application/json",
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "用户名或密码错误"
    from qinqing.core.models import AuditEntry

    assert AuditEntry.objects.filter(action="auth.login_failed").count() == 1


@pytest.mark.parametrize(
    "body", ["not json", json.dumps({"username": "x"}), json.dumps({"password": 1})]
)
def test_malformed_bodies_are_4xx_json(client, db, body):
    response = client.post("/api/v1/auth/token", body, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert "detail" in response.json()


def test_figures_shape(client, token):
    response = client.get(
        "/api/v1/figures?from=2024-10-01&to=2024-10-31", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 200
    rows = {f["name"]: f for f in response.json()["figures"]}
    assert set(rows["working_days"]) == {"name", "label", "value", "unit", "definition"}
    # October 2024: 23 weekdays, less National Day's 1–7 Oct (5 weekdays), plus make-up Sat 12th.
    assert rows["working_days"]["value"] == 19
    assert rows["working_days"]["label"] == "工作日天数"
    assert len(rows) == len(figures.all_figures())


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("from=2024-10-31&to=2024-10-01", 400),
        ("from=2024-13-01&to=2024-10-01", 422),
        ("to=2024-10-01", 422),
        ("from=2024-01-01&to=2024-10-01&organisation=no-such-org", 404),
    ],
)
def test_figures_bad_input(client, token, query, status):
    response = client.get(f"/api/v1/figures?{query}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == status
    assert "detail" in response.json()


def test_figures_require_authentication(client, db):
    assert client.get("/api/v1/figures?from=2024-01-01&to=2024-01-31").status_code == 401


def test_openapi_and_docs(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/figures" in schema["paths"]
    assert "/api/v1/auth/token" in schema["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_a_body_that_is_not_json_is_refused_in_chinese(client, db):
    response = client.post("/api/v1/auth/token", "not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] == "请求内容无法解析：请以 JSON 格式发送"


@pytest.mark.parametrize(
    ("query", "field", "detail"),
    [
        ("from=2024-01-01&to=9999-12-31", "to", "结束日期不能晚于"),
        ("from=0001-01-01&to=2024-01-31", "from", "起始日期不能早于 2000-01-01"),
    ],
)
def test_figures_of_a_period_beyond_the_calendar_are_a_400(client, token, query, field, detail):
    """9999-12-31 overflowed the figures' date arithmetic (500); 0001-01-01 too, after
    counting working days through two thousand years."""
    response = client.get(f"/api/v1/figures?{query}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 400
    assert response.json()["field"] == field and detail in response.json()["detail"]
