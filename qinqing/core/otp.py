"""One-time SMS codes that prove a phone: send (throttled), check (attempt-limited), use once.

A module describes one use by a `Policy` (its purpose, time to live, attempts and send limits,
and its messages) and links a code to the row it is for by `subject_id` (the purpose names the
model). Only a keyed hash of the code is stored (HMAC-SHA-256 under SECRET_KEY, over the
purpose, phone, send time and code); the clear code goes out by SMS through the notifier as a
`sensitive` message, so it is stored and audited without its text. The module's own services
audit what the code was for (`seat.signin_code`, `claim.phone_challenge`, …); attempts are
counted on the row, not in the chain.

Call `code_check` (or `code_lock`, `code_matches`, `code_fail`, `code_use` where a check needs
more than the code) from the module's service; a wrong attempt is counted and committed before
the error is raised, so the limit holds.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from qinqing.core.errors import DomainError, ThrottledError
from qinqing.core.models import OneTimeCode
from qinqing.core.notifier import notification_send

EXPIRED_MESSAGE = "验证码已失效，请重新获取"
USED_MESSAGE = "验证码已使用"
WRONG_MESSAGE = "验证码不正确"


@dataclass(frozen=True)
class Policy:
    """How the codes of one purpose behave: lifetime, wrong attempts allowed, sends allowed per
    phone and per address within `window`, which phone numbers are accepted, and the messages
    for a refused send and a locked code."""

    purpose: str
    ttl: timedelta
    max_attempts: int
    window: timedelta
    per_phone: int
    per_ip: int
    throttled_message: str
    locked_message: str
    phone_pattern: re.Pattern[str] = re.compile(r"^\d{11}$")
    phone_message: str = "请填写11位手机号"


def phone_clean(*, policy: Policy, phone: str | None) -> str:
    """The phone without spaces and dashes, or `DomainError` on `phone` if the policy refuses it."""
    phone = (phone or "").strip().replace(" ", "").replace("-", "")
    if not policy.phone_pattern.match(phone):
        raise DomainError(policy.phone_message, field="phone")
    return phone


def _hash(challenge: OneTimeCode, code: str) -> str:
    at = challenge.created_at.astimezone(UTC).isoformat(timespec="microseconds")
    key = f"{challenge.purpose}:{challenge.phone}:{at}:{code}"
    return salted_hmac("qinqing.core.otp", key, algorithm="sha256").hexdigest()


def code_send(
    *,
    policy: Policy,
    phone: str,
    ip: str | None = None,
    subject_id: int | None = None,
    sms_subject: str = "",
    sms_body: str | None = None,
) -> OneTimeCode:
    """Create a code for `phone` and send it by SMS: `sms_body` with `{code}` in it, or no SMS
    when `sms_body` is None (a phone the caller will not say is unknown gets a row all the
    same, so it counts against the limits). Raises `DomainError` on `phone` for a number the
    policy refuses and `ThrottledError` beyond the limits. The caller audits, in its own
    transaction if it wants the row, the message and its audit entry to commit together."""
    phone = phone_clean(policy=policy, phone=phone)
    now = timezone.now()
    recent = OneTimeCode.objects.filter(purpose=policy.purpose, created_at__gte=now - policy.window)
    if recent.filter(phone=phone).count() >= policy.per_phone or (
        ip and recent.filter(ip=ip).count() >= policy.per_ip
    ):
        raise ThrottledError(policy.throttled_message, code="throttled")
    code = f"{secrets.randbelow(10**6):06d}"
    challenge = OneTimeCode(
        purpose=policy.purpose,
        phone=phone,
        subject_id=subject_id,
        ip=ip or None,
        created_at=now,
        expires_at=now + policy.ttl,
    )
    challenge.code_hash = _hash(challenge, code)
    with transaction.atomic():
        challenge.save(force_insert=True)
        if sms_body is not None:
            notification_send(
                actor=None,
                channel="sms",
                address=phone,
                subject=sms_subject,
                body=sms_body.replace("{code}", code),
                sensitive=True,
            )
    return challenge


def code_find(
    *, policy: Policy, pk: int | None, subject_id: int | None = None, unused: bool = False
) -> OneTimeCode | None:
    """The code of this purpose by id (as a page kept it), only for `subject_id` when given
    and only if not used yet when `unused`; None if there is none."""
    if pk is None:
        return None
    found = OneTimeCode.objects.filter(pk=pk, purpose=policy.purpose)
    if subject_id is not None:
        found = found.filter(subject_id=subject_id)
    if unused:
        found = found.filter(used_at=None)
    return found.first()


def code_lock(*, policy: Policy, pk: int) -> OneTimeCode:
    """The code, locked for the caller's transaction; `DomainError` on `code` if it is used,
    expired or unknown (`expired`) or its wrong attempts are used up (`locked`)."""
    challenge = (
        OneTimeCode.objects.select_for_update().filter(pk=pk, purpose=policy.purpose).first()
    )
    if challenge is None or challenge.used_at is not None or challenge.expires_at < timezone.now():
        raise DomainError(EXPIRED_MESSAGE, field="code", code="expired")
    if challenge.attempts >= policy.max_attempts:
        raise DomainError(policy.locked_message, field="code", code="locked")
    return challenge


def code_matches(challenge: OneTimeCode, code: str | None) -> bool:
    """Whether `code` (as typed) is the challenge's code, compared in constant time."""
    return constant_time_compare(challenge.code_hash, _hash(challenge, (code or "").strip()))


def code_fail(challenge: OneTimeCode) -> None:
    """Count one wrong attempt on a locked challenge."""
    challenge.attempts += 1
    challenge.save(update_fields=["attempts"])


def code_use(*, policy: Policy, challenge: OneTimeCode) -> OneTimeCode:
    """Mark the code used, in the caller's transaction (locks the row); `DomainError`
    (`expired`) if it was used meanwhile."""
    with transaction.atomic():
        locked = OneTimeCode.objects.select_for_update().get(
            pk=challenge.pk, purpose=policy.purpose
        )
        if locked.used_at is not None:
            raise DomainError(USED_MESSAGE, field="code", code="expired")
        locked.used_at = timezone.now()
        locked.save(update_fields=["used_at"])
    return locked


def code_check(
    *, policy: Policy, challenge: OneTimeCode, code: str | None, use: bool = True
) -> OneTimeCode:
    """Check the typed `code`: a wrong one counts an attempt (kept) and raises `DomainError`
    (`wrong_code`); a right one marks the challenge used, unless `use` is False (the caller
    then calls `code_use` in the transaction of what the code allows)."""
    with transaction.atomic():
        locked = code_lock(policy=policy, pk=challenge.pk)
        correct = code_matches(locked, code)
        if not correct:
            code_fail(locked)
        elif use:
            locked.used_at = timezone.now()
            locked.save(update_fields=["used_at"])
    if not correct:
        raise DomainError(WRONG_MESSAGE, field="code", code="wrong_code")
    return locked
