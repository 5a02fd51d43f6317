"""One throttled, audited login for the site, the API and the admin: a delay per account and per
address that slows guessing without locking the owner out, then an SMS code; the client's
address behind a trusted proxy."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from qinqing.core import rules
from qinqing.core.models import AccountPhone, AuditEntry, LoginFailure
from qinqing.core.services import user_authenticate

PASSWORD = "qinqing-demo"
CAP = 300  # settings.QINQING_LOGIN_MAX_DELAY_SECONDS, pinned by the fixture below


@pytest.fixture(autouse=True)
def _login_settings(settings):
    settings.QINQING_LOGIN_MAX_DELAY_SECONDS = CAP
    settings.QINQING_LOGIN_CODE_AFTER = 5
    settings.QINQING_LOGIN_WINDOW_SECONDS = 3600
    settings.TRUSTED_PROXIES = []


class Clock:
    """`timezone.now` for the test: time passes only when the test says so (no sleeping)."""

    def __init__(self, start):
        self.at = start

    def __call__(self):
        return self.at


_clock: list[Clock] = []


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    fake = Clock(timezone.now())
    monkeypatch.setattr(timezone, "now", fake)
    _clock[:] = [fake]
    return fake


def elapse(seconds: float) -> None:
    _clock[0].at += timedelta(seconds=seconds)


def token(client, username, password, ip, code=None, **headers):
    body = {"username": username, "password": password}
    if code is not None:
        body["code"] = code
    return client.post(
        "/api/v1/auth/token", body, content_type="application/json", REMOTE_ADDR=ip, **headers
    )


def fail(client, username, ip, **headers):
    """One wrong password that the platform actually checks: wait first if told to."""
    response = token(client, username, "wrong-password", ip, **headers)
    if response.status_code == 429:
        elapse(int(response.get("Retry-After", CAP)))
        response = token(client, username, "wrong-password", ip, **headers)
    assert response.status_code == 401, response.json()
    return response


def sign_in_within_the_cap(client, username, ip, **headers):
    """The right password signs in, after at most one bounded wait."""
    response = token(client, username, PASSWORD, ip, **headers)
    if response.status_code == 429:
        assert 0 < int(response.get("Retry-After", CAP + 1)) <= CAP, response.json()
        elapse(int(response["Retry-After"]))
        response = token(client, username, PASSWORD, ip, **headers)
    assert response.status_code == 200, response.json()


# --- the rule ---------------------------------------------------------------------------


def test_delay_doubles_after_the_free_failures_and_stops_at_the_cap():
    delays = [rules.login_delay(n, free=3, cap=300) for n in range(15)]
    assert delays == [0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
    assert rules.login_delay(10**6, free=3, cap=300) == 300
    assert rules.login_retry_after(5, 0.0, free=3, cap=300) == 4
    assert rules.login_retry_after(5, 3.2, free=3, cap=300) == 1
    assert rules.login_retry_after(5, 4.0, free=3, cap=300) == 0


# --- an account under attack: slowed, never locked --------------------------------------


def test_five_failures_from_anywhere_do_not_lock_the_judge_out(client, demo_users):
    for i in range(5):
        fail(client, "judge", f"203.0.113.{i + 1}")  # addresses A..E
    response = token(client, "judge", PASSWORD, "198.51.100.7")
    # At most a short wait, said in Chinese and as Retry-After; then the password works.
    assert response.status_code == 429
    assert response.get("Retry-After") == str(rules.login_delay(5, free=3, cap=CAP)) == "4"
    assert response.json()["detail"] == "登录尝试过于频繁，请 4 秒后再试"
    elapse(4)
    response = token(client, "judge", PASSWORD, "198.51.100.7")
    assert response.status_code == 200
    assert not LoginFailure.objects.filter(username="judge").exists()  # the success clears them


def test_the_wait_is_bounded_however_long_the_attack(client, demo_users):
    for i in range(20):
        fail(client, "judge", f"203.0.113.{i + 1}")
    response = token(client, "judge", PASSWORD, "198.51.100.7")
    assert response.status_code == 429 and response.get("Retry-After") == str(CAP)
    sign_in_within_the_cap(client, "judge", "198.51.100.7")


def test_an_early_attempt_is_refused_without_checking_or_counting(client, demo_users):
    for i in range(4):
        fail(client, "editor", f"203.0.113.{i + 1}")
    checked = AuditEntry.objects.filter(action="auth.login_failed").count()
    for _ in range(5):
        assert token(client, "editor", "wrong-password", "203.0.113.9").status_code == 429
    assert AuditEntry.objects.filter(action="auth.login_failed").count() == checked == 4
    assert LoginFailure.objects.filter(username="editor").count() == 4


def test_the_failure_answer_says_how_long_the_next_attempt_waits(client, demo_users):
    answers = [fail(client, "editor", "203.0.113.1").json()["detail"] for _ in range(4)]
    assert answers[:2] == ["用户名或密码错误"] * 2
    assert answers[2] == "用户名或密码错误，请 1 秒后再试"
    assert answers[3] == "用户名或密码错误，请 2 秒后再试"


def test_fifteen_failures_behind_one_address_only_slow_its_other_users(client, demo_users):
    office = "203.0.113.50"
    for i in range(15):
        fail(client, f"nobody{i}", office)  # fifteen accounts, one failure each
    # Another user at that address waits a bounded time, then signs in.
    response = token(client, "judge", PASSWORD, office)
    assert response.status_code == 429 and response.get("Retry-After") == "32"
    assert rules.login_delay(15, free=rules.LOGIN_FREE_FAILURES_ADDRESS, cap=CAP) == 32
    sign_in_within_the_cap(client, "judge", office)
    # The accounts are not slowed elsewhere: from another address one signs in at once.
    assert token(client, "editor", PASSWORD, "198.51.100.7").status_code == 200


# --- then an SMS code, for an account with a phone -----------------------------------------


def _code_from(outbox, phone):
    sent = [m for m in outbox if m.address == phone]
    assert sent, "no SMS to the account's phone"
    return sent[-1].body.split("验证码为 ")[1][:6]


def test_after_five_failures_an_account_with_a_phone_also_needs_an_sms_code(
    client, demo_users, outbox
):
    AccountPhone.objects.create(user=demo_users["judge"], phone="13800000077")
    for i in range(5):
        fail(client, "judge", f"203.0.113.{i + 1}")
    elapse(CAP)
    owner = "198.51.100.7"
    response = token(client, "judge", PASSWORD, owner)
    assert response.status_code == 401 and response.json()["code"] == "code_required"
    code = _code_from(outbox, "13800000077")
    assert AuditEntry.objects.filter(action="auth.login_code_sent").count() == 1
    # A wrong password is answered exactly like the right one: no hint about the password.
    guess = token(client, "judge", "wrong-password", "203.0.113.9")
    assert guess.json() == {**response.json(), "detail": guess.json()["detail"]}
    assert guess.json()["code"] == "code_required" and guess.status_code == 401
    assert len([m for m in outbox if m.address == "13800000077"]) == 1  # no second SMS
    # The right password with a wrong code fails (and counts).
    wrong = "000000" if code != "000000" else "111111"
    response = token(client, "judge", PASSWORD, owner, code=wrong)
    assert response.status_code == 401 and response.json()["code"] == "bad_credentials"
    assert response.json()["detail"] == "用户名、密码或验证码错误，请 8 秒后再试"
    elapse(8)
    response = token(client, "judge", PASSWORD, owner, code=code)
    assert response.status_code == 200
    assert not LoginFailure.objects.filter(username="judge").exists()
    login = AuditEntry.objects.filter(action="auth.login").latest("seq")
    assert login.detail == {"ip": owner, "second_factor": "sms"}
    # Counters reset: the next login needs no code.
    assert token(client, "judge", PASSWORD, owner).status_code == 200


def test_an_account_without_a_phone_keeps_the_delay_only(client, demo_users, outbox):
    for i in range(8):
        fail(client, "judge", f"203.0.113.{i + 1}")
    elapse(CAP)
    assert token(client, "judge", PASSWORD, "198.51.100.7").status_code == 200
    assert not outbox


def test_web_login_asks_for_the_code_and_answers_429_with_the_wait(client, demo_users, outbox):
    AccountPhone.objects.create(user=demo_users["judge"], phone="13800000077")
    for i in range(5):
        fail(client, "judge", f"203.0.113.{i + 1}")
    response = client.post("/login/", {"username": "judge", "password": PASSWORD})
    assert response.status_code == 429 and response.get("Retry-After") == "4"
    assert "请 4 秒后再试" in response.content.decode()
    elapse(4)
    response = client.post("/login/", {"username": "judge", "password": PASSWORD})
    html = response.content.decode()
    assert response.status_code == 200 and "需要短信验证" in html and 'name="code"' in html
    code = _code_from(outbox, "13800000077")
    response = client.post("/login/", {"username": "judge", "password": PASSWORD, "code": code})
    assert response.status_code == 302 and response["Location"] == "/"


# --- the admin signs in through the same login ----------------------------------------------


def test_admin_login_is_the_site_login_throttled_and_audited(client, demo_users):
    response = client.get("/admin/login/?next=/admin/core/organisation/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2Fadmin%2Fcore%2Forganisation%2F"
    # The admin's own form no longer checks passwords: thirty guesses there do nothing.
    for _ in range(30):
        response = client.post("/admin/login/", {"username": "admin", "password": "guess"})
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    response = client.post("/admin/login/", {"username": "admin", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    # The site's login is throttled and audited.
    statuses = [
        client.post("/login/?next=/admin/", {"username": "admin", "password": "guess"}).status_code
        for _ in range(30)
    ]
    assert statuses[:3] == [200, 200, 200] and set(statuses[3:]) == {429}
    failed = AuditEntry.objects.filter(action="auth.login_failed")
    assert failed.count() == 3 and failed.first().detail["username"] == "admin"
    elapse(CAP)
    response = client.post("/login/?next=/admin/", {"username": "admin", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert AuditEntry.objects.filter(action="auth.login", actor_label__contains="admin").exists()
    assert client.get("/admin/login/").status_code == 302  # signed in: on to the admin


def test_a_platform_administrator_sets_an_accounts_phone_in_the_admin(client, demo_users):
    client.force_login(demo_users["admin"])
    judge = demo_users["judge"]
    response = client.post(
        "/admin/core/accountphone/add/", {"user": judge.pk, "phone": "1380000007"}
    )
    assert response.status_code == 200 and "请填写11位手机号" in response.content.decode()
    response = client.post(
        "/admin/core/accountphone/add/", {"user": judge.pk, "phone": "13800000077"}
    )
    assert response.status_code == 302
    assert AccountPhone.objects.get(user=judge).phone == "13800000077"
    entry = AuditEntry.objects.get(action="accountphone.create_admin")
    assert entry.detail["values"]["phone"] == "138****0077"  # the chain keeps no phone number
    page = client.get("/admin/core/accountphone/").content.decode()
    assert "138****0077" in page and "13800000077" not in page


def test_admin_login_for_a_signed_in_non_staff_user_is_403(client, demo_users):
    client.force_login(demo_users["judge"])
    assert client.get("/admin/login/?next=/admin/").status_code == 403
    assert client.get("/admin/").status_code == 302  # to the admin's login, which is a 403


# --- the client's address -------------------------------------------------------------------


def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(client, demo_users):
    token(client, "editor", "wrong", "198.51.100.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert LoginFailure.objects.get().ip == "198.51.100.1"


def test_behind_a_trusted_proxy_the_rightmost_untrusted_address_is_the_client(
    client, demo_users, settings
):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.1"]
    # The client wrote 1.1.1.1 itself; the edge proxy (192.0.2.1) appended the real peer.
    forwarded = "1.1.1.1, 203.0.113.9, 192.0.2.1"
    token(client, "editor", "wrong", "10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    failure = LoginFailure.objects.get()
    assert failure.ip == "203.0.113.9"
    assert AuditEntry.objects.get(action="auth.login_failed").detail["ip"] == "203.0.113.9"
    # Another address untrusted in between: it is the client, whatever is left of it.
    token(client, "editor", "wrong", "10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.4")
    assert LoginFailure.objects.latest("pk").ip == "198.51.100.4"


def test_clients_behind_one_trusted_proxy_are_throttled_apart(client, demo_users, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    for i in range(15):
        fail(client, f"nobody{i}", "127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.66")
    assert set(LoginFailure.objects.values_list("ip", flat=True)) == {"203.0.113.66"}
    # Another client of the same proxy is not slowed by that one's failures.
    forwarded = {"HTTP_X_FORWARDED_FOR": "198.51.100.8"}
    assert token(client, "editor", PASSWORD, "127.0.0.1", **forwarded).status_code == 200


# --- concurrency: a burst sees its own failures ---------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_burst_is_checked_one_attempt_at_a_time():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent attempts are exercised on PostgreSQL (SQLite serialises writes)")
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("target", password=PASSWORD)
    outcomes, barrier = [], threading.Barrier(8)

    def attempt():
        try:
            barrier.wait()
            user_authenticate(request=None, username="target", password="wrong")
        except Exception as exc:
            outcomes.append(getattr(exc, "code", repr(exc)))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # The free failures are checked; every other attempt of the burst (at the same instant,
    # the clock standing still) is told to wait.
    assert sorted(outcomes) == ["bad_credentials"] * 3 + ["throttled"] * 5
    assert LoginFailure.objects.filter(username="target").count() == 3
