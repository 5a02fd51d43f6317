from datetime import date

import pytest
from django.test import override_settings


def test_login_page_is_chinese_whatever_the_browser_locale(client, db):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-hans"' in html
    assert "用户名" in html and "登录" in html


def test_login_then_home_shows_roles(client, demo_users):
    response = client.post(
        "/login/", {"username": "judge", "password": "qinqing-demo"}, follow=True
    )
    html = response.content.decode()
    assert "法官/书记员" in html
    assert "武汉市洪山区人民法院" in html


def test_wrong_password_shows_chinese_error(client, demo_users):
    response = client.post("/login/", {"username": "judge", "password": "x"})
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()


def test_english_is_available(client, demo_users):
    client.force_login(demo_users["judge"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert 'lang="en"' in html
    assert "My roles" in html


def test_logout_requires_post(client, demo_users):
    client.force_login(demo_users["judge"])
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert "企业有事，找亲清" in client.get("/").content.decode()  # the public front door


def test_healthz(client, db, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 6, 1))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "static": "ok",
        "calendar": {"status": "ok", "missing_years": []},
        "queue": {"status": "ok", "backend": "database", "late": 0},
        "replica": {"status": "none"},  # no read replica configured (core/replica.py)
    }


@override_settings(DEBUG=False)
def test_404_page_is_chinese(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_500_page_is_chinese_and_needs_no_database(rf):
    from qinqing.core.views import error_500

    response = error_500(rf.get("/"))
    assert response.status_code == 500
    assert "服务器内部错误" in response.content.decode()


def test_audit_verify_button_reports_a_break(client, demo_users):
    from qinqing.core.models import AuditEntry

    client.force_login(demo_users["admin"])
    assert "审计链完整" in client.post("/audit/verify/").content.decode()
    AuditEntry.objects.filter(seq=2).update(action="forged")
    html = client.post("/audit/verify/").content.decode()
    assert "审计链断裂：第 2 条" in html


def test_audit_verify_is_platform_admin_only(client, demo_users):
    client.force_login(demo_users["editor"])
    assert client.post("/audit/verify/").status_code == 403


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2024-09-30", "2024-01-01", "结束日期不能早于起始日期"),
        ("bad", "2024-01-01", "errorlist"),
        ("0001-01-01", "2024-01-01", "起始日期不能早于 2000-01-01"),  # was a 500
        ("2024-01-01", "9999-12-31", "结束日期不能晚于"),
    ],
)
def test_figures_page_rejects_bad_periods_with_a_message(client, demo_users, start, end, message):
    client.force_login(demo_users["editor"])
    response = client.get(f"/figures/?start={start}&end={end}")
    assert response.status_code == 200
    assert message in response.content.decode()


def test_figures_page_shows_values(client, demo_users):
    client.force_login(demo_users["editor"])
    html = client.get("/figures/?start=2024-10-01&end=2024-10-31").content.decode()
    assert "工作日天数" in html and ">19<" in html


def test_figures_page_reads_in_english(client, demo_users):
    """The registry keeps the Chinese source text; the page shows the reader's language."""
    client.force_login(demo_users["editor"])
    client.cookies["django_language"] = "en"
    html = client.get("/figures/?start=2024-10-01&end=2024-10-31").content.decode()
    assert "Working days" in html and "make-up working days" in html and ">days<" in html
    assert "工作日天数" not in html
