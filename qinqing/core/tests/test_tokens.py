"""API tokens: tied to the password they were issued under, listed and revocable by their owner
and by a platform administrator, and by the API call that uses them."""

import pytest

from qinqing.core.models import ApiToken, AuditEntry
from qinqing.core.testing import ANONYMOUS, check_matrix

PASSWORD = "qinqing-demo"


def issue(client, username="editor", password=PASSWORD) -> str:
    response = client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    return response.json()["token"]


def me(client, clear) -> int:
    client.logout()
    return client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {clear}").status_code


# --- a password change ends every token -----------------------------------------------------


def test_a_token_stops_working_after_set_password_and_save(client, demo_users):
    clear = issue(client)
    assert me(client, clear) == 200
    editor = demo_users["editor"]
    editor.set_password("another-long-password")
    editor.save()
    assert me(client, clear) == 401
    token = ApiToken.objects.get()
    assert token.revoked_at is None  # not revoked by hand: refused by its fingerprint
    # A token issued under the new password works.
    assert me(client, issue(client, password="another-long-password")) == 200


def test_a_token_stops_working_after_a_password_change_on_the_site(client, demo_users):
    clear = issue(client)
    client.force_login(demo_users["editor"])
    response = client.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-password",
            "new_password2": "another-long-password",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/account/tokens/"
    page = client.get("/account/tokens/").content.decode()
    assert "密码已更改，已失效" in page
    assert AuditEntry.objects.filter(action="auth.password_change").count() == 1
    assert me(client, clear) == 401


def test_a_token_stops_working_after_a_password_change_in_the_admin(client, demo_users):
    clear = issue(client)
    client.force_login(demo_users["admin"])
    editor = demo_users["editor"]
    response = client.post(
        f"/admin/auth/user/{editor.pk}/password/",
        {"password1": "another-long-password", "password2": "another-long-password"},
    )
    assert response.status_code == 302
    assert me(client, clear) == 401


def test_a_token_issued_before_fingerprints_is_refused(client, demo_users):
    clear = issue(client)
    ApiToken.objects.update(password_fingerprint="")
    assert me(client, clear) == 401


def test_a_token_survives_a_secret_key_rotation_with_the_old_key_as_fallback(
    client, demo_users, settings
):
    clear = issue(client)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-that-is-long-enough-for-django-checks"
    assert me(client, clear) == 200


# --- revocation -----------------------------------------------------------------------------


def test_the_owner_lists_and_revokes_a_token(client, demo_users):
    clear, other = issue(client), issue(client)
    client.force_login(demo_users["editor"])
    page = client.get("/account/tokens/").content.decode()
    assert page.count("撤销</button>") == 2 and clear not in page
    token = ApiToken.objects.order_by("created_at", "pk").first()
    response = client.post(f"/tokens/{token.pk}/revoke/")
    assert response.status_code == 302 and response["Location"] == "/account/tokens/"
    assert me(client, clear) == 401 and me(client, other) == 200
    entry = AuditEntry.objects.get(action="api_token.revoke")
    assert entry.detail == {"user": "editor", "by_owner": True}
    client.force_login(demo_users["editor"])
    assert "已撤销" in client.get("/account/tokens/").content.decode()


def test_a_platform_administrator_revokes_anyones_token(client, demo_users):
    clear = issue(client, "judge")
    client.force_login(demo_users["admin"])
    page = client.get("/tokens/?user=judge").content.decode()
    assert "judge" in page and "撤销</button>" in page
    token = ApiToken.objects.get()
    response = client.post(f"/tokens/{token.pk}/revoke/")
    assert response.status_code == 302 and response["Location"] == "/tokens/"
    assert me(client, clear) == 401
    entry = AuditEntry.objects.get(action="api_token.revoke")
    assert entry.detail == {"user": "judge", "by_owner": False}
    assert entry.actor_id == demo_users["admin"].pk
    # Once revoked, a second revocation changes nothing and says so.
    client.force_login(demo_users["admin"])
    client.post(f"/tokens/{token.pk}/revoke/")
    assert AuditEntry.objects.filter(action="api_token.revoke").count() == 1


def test_the_api_revokes_the_token_it_is_called_with(client, demo_users):
    clear, other = issue(client), issue(client)
    client.logout()
    response = client.delete("/api/v1/auth/token", HTTP_AUTHORIZATION=f"Bearer {clear}")
    assert response.status_code == 204
    assert me(client, clear) == 401 and me(client, other) == 200
    response = client.delete("/api/v1/auth/token", HTTP_AUTHORIZATION=f"Bearer {clear}")
    assert response.status_code == 401
    # A browser session has no token to revoke.
    client.force_login(demo_users["editor"])
    assert client.delete("/api/v1/auth/token").status_code == 401


# --- who may open what ----------------------------------------------------------------------


def test_permission_matrix_of_the_account_and_token_pages(client, demo_users):
    everyone = {u: 200 for u in demo_users}
    check_matrix(
        client,
        {
            "/account/tokens/": {ANONYMOUS: 302, **everyone},
            "/account/password/": {ANONYMOUS: 302, **everyone},
            "/tokens/": {
                ANONYMOUS: 302,
                **{u: 403 for u in demo_users},
                "admin": 200,
            },
        },
        demo_users,
    )


@pytest.mark.parametrize(
    ("who", "status"),
    [(ANONYMOUS, 302), ("judge", 404), ("admin", 302), ("editor", 302)],
)
def test_permission_matrix_of_revocation(client, demo_users, who, status):
    issue(client, "editor")
    token = ApiToken.objects.get()
    check_matrix(client, {f"/tokens/{token.pk}/revoke/": {who: status}}, demo_users, method="post")
    assert (ApiToken.objects.get().revoked_at is not None) == (who in ("admin", "editor"))
    if who == ANONYMOUS:
        assert client.get(f"/tokens/{token.pk}/revoke/").status_code == 302
    else:
        client.force_login(demo_users[who])
        assert client.get(f"/tokens/{token.pk}/revoke/").status_code == 405
