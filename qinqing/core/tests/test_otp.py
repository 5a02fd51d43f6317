"""One-time SMS codes (qinqing.core.otp): throttles, expiry, attempts, single use, hashing."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from qinqing.core import otp
from qinqing.core.errors import DomainError, ThrottledError
from qinqing.core.models import Notification, OneTimeCode

pytestmark = pytest.mark.django_db

POLICY = otp.Policy(
    purpose="test.otp",
    ttl=timedelta(minutes=10),
    max_attempts=3,
    window=timedelta(minutes=30),
    per_phone=2,
    per_ip=3,
    throttled_message="发送过于频繁",
    locked_message="错误次数过多",
)
OTHER = otp.Policy(**{**POLICY.__dict__, "purpose": "test.other"})
BODY = "验证码 {code}，10 分钟内有效。"


class Clock:
    """timezone.now() under the test's control (the services read it through the module)."""

    def __init__(self):
        self.now = timezone.now()

    def __enter__(self):
        self._patch = mock.patch("django.utils.timezone.now", side_effect=lambda: self.now)
        self._patch.start()
        return self

    def __exit__(self, *exc):
        self._patch.stop()

    def advance(self, **delta):
        self.now += timedelta(**delta)


def send(phone="13800000001", *, policy=POLICY, ip=None, body=BODY, subject_id=None):
    return otp.code_send(
        policy=policy,
        phone=phone,
        ip=ip,
        subject_id=subject_id,
        sms_subject="验证码",
        sms_body=body,
    )


def sent_code(outbox, phone="13800000001") -> str:
    body = next(m.body for m in reversed(outbox) if m.address == phone)
    return re.search(r"验证码 (\d{6})", body).group(1)


def test_the_phone_is_normalised_and_checked_by_the_policy():
    assert otp.phone_clean(policy=POLICY, phone=" 138-0000 0001 ") == "13800000001"
    with pytest.raises(DomainError) as exc:
        otp.phone_clean(policy=POLICY, phone="1380000000")
    assert exc.value.field == "phone" and exc.value.message == "请填写11位手机号"
    mainland = otp.Policy(
        **{
            **POLICY.__dict__,
            "phone_pattern": re.compile(r"^1[3-9]\d{9}$"),
            "phone_message": "请填写 11 位中国大陆手机号",
        }
    )
    with pytest.raises(DomainError, match="中国大陆"):
        send("12800000001", policy=mainland)
    assert not OneTimeCode.objects.exists()


def test_per_phone_throttle_boundary_and_window():
    with Clock() as clock:
        for _ in range(POLICY.per_phone):
            send(ip="10.0.0.1")
        with pytest.raises(ThrottledError) as exc:
            send(ip="10.0.0.2")  # another address does not help the same phone
        assert exc.value.message == "发送过于频繁" and exc.value.code == "throttled"
        send("13800000002")  # another phone is not limited
        send(policy=OTHER)  # nor the same phone for another purpose
        clock.advance(minutes=29, seconds=59)
        with pytest.raises(ThrottledError):
            send()
        clock.advance(minutes=1)  # the first sends leave the window
        send()
    assert OneTimeCode.objects.filter(purpose=POLICY.purpose, phone="13800000001").count() == 3


def test_per_address_throttle_boundary():
    with Clock() as clock:
        for n in range(POLICY.per_ip):
            send(f"1380000001{n}", ip="10.0.0.9")
        with pytest.raises(ThrottledError):
            send("13800000019", ip="10.0.0.9")
        send("13800000019", ip="10.0.0.8")
        send("13800000018")  # no address: only the phone limit
        send("13800000017", ip="10.0.0.9", policy=OTHER)
        clock.advance(minutes=30, seconds=1)
        send("13800000016", ip="10.0.0.9")


def test_unknown_recipients_count_against_the_limits_but_get_no_sms(outbox):
    for _ in range(POLICY.per_phone):
        challenge = send(body=None)
        assert len(challenge.code_hash) == 64
    assert not outbox
    with pytest.raises(ThrottledError):
        send()


def test_the_database_keeps_a_keyed_hash_never_the_code(outbox, settings):
    challenge = send(subject_id=42)
    code = sent_code(outbox)
    row = OneTimeCode.objects.get(pk=challenge.pk)
    assert re.fullmatch(r"[0-9a-f]{64}", row.code_hash) and code not in row.code_hash
    assert row.subject_id == 42 and row.purpose == POLICY.purpose and row.phone == "13800000001"
    stored = Notification.objects.get(address="13800000001")
    assert code not in stored.body and code not in stored.subject
    assert otp.code_matches(row, f" {code} ")
    settings.SECRET_KEY = "another-" + settings.SECRET_KEY  # the hash is keyed
    assert not otp.code_matches(row, code)


def test_codes_differ_per_row_even_for_the_same_phone_and_code(outbox):
    with mock.patch("secrets.randbelow", return_value=123456):
        first, second = send(), send()
    assert first.code_hash != second.code_hash
    assert otp.code_matches(first, "123456") and otp.code_matches(second, "123456")


def test_a_code_expires_after_its_ttl(outbox):
    with Clock() as clock:
        challenge = send()
        code = sent_code(outbox)
        clock.advance(minutes=10, microseconds=1)
        with pytest.raises(DomainError) as exc:
            otp.code_check(policy=POLICY, challenge=challenge, code=code)
        assert exc.value.code == "expired" and exc.value.message == "验证码已失效，请重新获取"


def test_a_code_is_valid_until_its_expiry(outbox):
    with Clock() as clock:
        challenge = send()
        code = sent_code(outbox)
        clock.advance(minutes=10)  # the very end of its life
        assert otp.code_check(policy=POLICY, challenge=challenge, code=code).used_at is not None


def test_wrong_attempts_count_and_lock_at_the_limit(outbox):
    challenge = send()
    code = sent_code(outbox)
    for n in range(1, POLICY.max_attempts):
        with pytest.raises(DomainError) as exc:
            otp.code_check(policy=POLICY, challenge=challenge, code="x")
        assert exc.value.code == "wrong_code" and exc.value.message == "验证码不正确"
        assert OneTimeCode.objects.get(pk=challenge.pk).attempts == n
    # one attempt left: the right code still works
    assert otp.code_check(policy=POLICY, challenge=challenge, code=code, use=False)

    locked = send("13800000002")
    code = sent_code(outbox, "13800000002")
    for _ in range(POLICY.max_attempts):
        with pytest.raises(DomainError, match="不正确"):
            otp.code_check(policy=POLICY, challenge=locked, code="000000x")
    with pytest.raises(DomainError) as exc:
        otp.code_check(policy=POLICY, challenge=locked, code=code)
    assert exc.value.code == "locked" and exc.value.message == "错误次数过多"
    assert OneTimeCode.objects.get(pk=locked.pk).attempts == POLICY.max_attempts


def test_single_use(outbox):
    challenge = send()
    code = sent_code(outbox)
    used = otp.code_check(policy=POLICY, challenge=challenge, code=code)
    assert used.used_at is not None
    with pytest.raises(DomainError) as exc:
        otp.code_check(policy=POLICY, challenge=challenge, code=code)
    assert exc.value.code == "expired"
    assert OneTimeCode.objects.get(pk=challenge.pk).attempts == 0


def test_checked_but_not_used_until_the_caller_uses_it(outbox):
    challenge = send()
    code = sent_code(outbox)
    otp.code_check(policy=POLICY, challenge=challenge, code=code, use=False)
    otp.code_check(policy=POLICY, challenge=challenge, code=code, use=False)
    assert otp.code_use(policy=POLICY, challenge=challenge).used_at is not None
    with pytest.raises(DomainError) as exc:
        otp.code_use(policy=POLICY, challenge=challenge)
    assert exc.value.code == "expired" and exc.value.message == "验证码已使用"


def test_a_code_serves_only_its_purpose_and_subject(outbox):
    challenge = send(subject_id=7)
    code = sent_code(outbox)
    assert otp.code_find(policy=POLICY, pk=challenge.pk, subject_id=7) == challenge
    assert otp.code_find(policy=POLICY, pk=challenge.pk, subject_id=8) is None
    assert otp.code_find(policy=OTHER, pk=challenge.pk) is None
    assert otp.code_find(policy=POLICY, pk=None) is None
    with pytest.raises(DomainError) as exc:
        otp.code_check(policy=OTHER, challenge=challenge, code=code)
    assert exc.value.code == "expired"
    otp.code_check(policy=POLICY, challenge=challenge, code=code)
    assert otp.code_find(policy=POLICY, pk=challenge.pk, unused=True) is None
