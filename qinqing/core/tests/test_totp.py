"""The optional second factor (django-otp TOTP): set up by the user, then needed by every login
(site, admin, API token); stopped by the user with the password or reset by an administrator."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from qinqing.core.models import AuditEntry
from qinqing.core.testing import ANONYMOUS, check_matrix

PASSWORD = "qinqing-demo"


def now_code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the authenticator shows now (or `steps_ahead` 30-second steps later: a code is
    good once, and the device accepts the next step's)."""
    key, step, t0 = device.bin_key, device.step, device.t0
    return f"{totp(key, step=step, t0=t0, digits=device.digits, drift=steps_ahead):06d}"


def wrong_code(device: TOTPDevice) -> str:
    return f"{(int(now_code(device)) + 500_000) % 1_000_000:06d}"


def token(client, password=PASSWORD, code=None, username="supervisor"):
    body = {"username": username, "password": password}
    if code is not None:
        body["code"] = code
    return client.post("/api/v1/auth/token", body, content_type="application/json")


@pytest.fixture
def enabled(client, demo_users):
    """`supervisor` has set up and confirmed a TOTP device on its page."""
    client.force_login(demo_users["supervisor"])
    assert client.post("/account/2fa/", {"op": "start"}).status_code == 302
    device = TOTPDevice.objects.get(user=demo_users["supervisor"])
    page = client.get("/account/2fa/").content.decode()
    assert "<svg" in page and "密钥" in page and not device.confirmed
    assert client.post("/account/2fa/", {"op": "confirm", "code": now_code(device)}).status_code
    device.refresh_from_db()
    client.logout()
    return device


def test_setting_up_needs_a_right_code_and_is_audited(client, demo_users):
    client.force_login(demo_users["supervisor"])
    assert "未启用" in client.get("/account/2fa/").content.decode()
    client.post("/account/2fa/", {"op": "start"})
    device = TOTPDevice.objects.get()
    response = client.post("/account/2fa/", {"op": "confirm", "code": wrong_code(device)})
    assert response.status_code == 400 and "动态口令不正确" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    client.post("/account/2fa/", {"op": "confirm", "code": now_code(device)})
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEntry.objects.filter(action="auth.totp_enable").count() == 1
    page = client.get("/account/2fa/").content.decode()
    assert "已启用" in page and device.key not in page and "<svg" not in page


def test_without_a_second_factor_nothing_changes(client, demo_users):
    assert token(client).status_code == 200


def test_every_login_then_needs_the_code(client, enabled):
    # Without a code: asked for it, whatever the password (the answer tells nothing of it).
    first, guess = token(client), token(client, password="wrong-password")
    assert first.status_code == guess.status_code == 401
    assert first.json() == guess.json() and first.json()["code"] == "code_required"
    assert not AuditEntry.objects.filter(action="auth.login_failed").exists()  # nothing checked
    # The right password with a wrong code, a wrong password with the right code: refused.
    response = token(client, code=wrong_code(enabled))
    assert response.status_code == 401 and response.json()["code"] == "bad_credentials"
    response = token(client, password="wrong-password", code=now_code(enabled))
    assert response.status_code == 401 and response.json()["code"] == "bad_credentials"
    code = now_code(enabled, steps_ahead=1)  # setting up used this step's
    assert token(client, code=code).status_code == 200
    login = AuditEntry.objects.filter(action="auth.login").latest("seq")
    assert login.detail["second_factor"] == "totp"
    # A code is good once.
    assert token(client, code=code).status_code == 401


def test_the_web_and_admin_login_need_it_too(client, demo_users):
    admin = demo_users["admin"]
    device = TOTPDevice.objects.create(user=admin, name="default", confirmed=True)
    response = client.post("/login/?next=/admin/", {"username": "admin", "password": PASSWORD})
    html = response.content.decode()
    assert response.status_code == 200 and 'name="code"' in html and "动态口令" in html
    response = client.post(
        "/login/?next=/admin/",
        {"username": "admin", "password": PASSWORD, "code": now_code(device)},
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_the_owner_stops_it_with_the_password(client, enabled, demo_users):
    client.force_login(demo_users["supervisor"])
    code = now_code(enabled, steps_ahead=1)
    response = client.post("/account/2fa/", {"op": "disable", "password": "wrong", "code": code})
    assert response.status_code == 400 and "密码或动态口令不正确" in response.content.decode()
    response = client.post("/account/2fa/", {"op": "disable", "password": PASSWORD})
    assert response.status_code == 400
    assert TOTPDevice.objects.filter(confirmed=True).exists()
    response = client.post("/account/2fa/", {"op": "disable", "password": PASSWORD, "code": code})
    assert response.status_code == 302
    assert not TOTPDevice.objects.exists()
    assert AuditEntry.objects.get(action="auth.totp_disable").detail == {"user": "supervisor"}
    assert token(client).status_code == 200


def test_an_administrator_resets_it_in_the_admin_without_seeing_the_key(
    client, enabled, demo_users
):
    client.force_login(demo_users["admin"])
    page = client.get("/admin/otp_totp/totpdevice/").content.decode()
    assert "supervisor" in page and enabled.key not in page
    assert client.get(f"/admin/otp_totp/totpdevice/{enabled.pk}/change/").status_code in (
        200,
        302,
    )
    change = client.get(f"/admin/otp_totp/totpdevice/{enabled.pk}/change/").content.decode()
    assert enabled.key not in change
    response = client.post(f"/admin/otp_totp/totpdevice/{enabled.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.exists()
    assert AuditEntry.objects.filter(action="totpdevice.delete_admin").exists()
    client.logout()
    assert token(client).status_code == 200


def test_permission_matrix_of_the_second_factor_page(client, demo_users):
    check_matrix(
        client, {"/account/2fa/": {ANONYMOUS: 302, **{u: 200 for u in demo_users}}}, demo_users
    )
