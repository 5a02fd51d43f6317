"""Filing without an account: a verified phone (SMS one-time code)."""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import transaction

from qinqing.bankruptcy import selectors
from qinqing.bankruptcy.models import Case, Claim, Creditor
from qinqing.bankruptcy.services.claims import claim_file
from qinqing.bankruptcy.services.common import _audit
from qinqing.core import otp
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import OneTimeCode

PHONE = otp.Policy(
    purpose="bankruptcy.phone",  # subject: the Case
    ttl=timedelta(minutes=10),
    max_attempts=5,
    window=timedelta(hours=1),
    per_phone=5,
    per_ip=20,
    throttled_message="验证码发送过于频繁，请一小时后再试",
    locked_message="尝试次数过多，请重新获取验证码",
    phone_pattern=re.compile(r"^1[3-9]\d{9}$"),
    phone_message="请填写 11 位中国大陆手机号",
)
MAX_ATTEMPTS = PHONE.max_attempts
MAX_SENDS_PER_PHONE_HOUR = PHONE.per_phone


# What the SMS code is for (its text names it); filing is refused once an agreement is in
# force, a look-up is allowed in a closed case too.
FILING = "申报债权"
MEETING = "参加债权人会议"
LOOKUP = "查询本人债权"


def phone_challenge_send(
    *, case: Case, phone: str, ip: str | None = None, purpose: str = FILING
) -> OneTimeCode:
    """Send a 6-digit code by SMS to prove the phone (the declaration itself is Art.49)."""
    phone = otp.phone_clean(policy=PHONE, phone=phone)
    if purpose == FILING and (bar := selectors.filing_bar(case)) is not None:
        raise ConflictError(bar, code="agreement_approved")
    # A creditor may look up its own claims and payments after the case is closed, too.
    if case.announcement_date is None or (case.closed_date is not None and purpose != LOOKUP):
        raise ConflictError("该案件当前不接受债权申报")
    with transaction.atomic():
        challenge = otp.code_send(
            policy=PHONE,
            phone=phone,
            ip=ip,
            subject_id=case.pk,
            sms_subject=f"{purpose}验证码",
            sms_body=f"您正在{purpose}（{case.number}），验证码 {{code}}，10 分钟内有效。",
        )
        _audit(None, "claim.phone_challenge", challenge, case, phone=str(challenge))
    return challenge


def phone_challenge_verify(*, challenge: OneTimeCode, code: str) -> OneTimeCode:
    """Check the code; a wrong code counts an attempt (kept), too many lock the challenge.
    Does not consume it: ``claim_file_by_phone`` does, together with the claim."""
    return otp.code_check(policy=PHONE, challenge=challenge, code=code, use=False)


def claim_file_by_phone(*, challenge: OneTimeCode, code: str, creditor_name: str, **claim) -> Claim:
    """A creditor without an account files with a verified phone. The code is consumed in the
    same transaction as the claim, so a claim the rules reject leaves the code usable."""
    challenge = phone_challenge_verify(challenge=challenge, code=code)
    case = Case.objects.get(pk=challenge.subject_id)
    taken = Creditor.objects.filter(case=case, name=(creditor_name or "").strip())
    # a phone joins only a creditor row of its own (no account, no organisation, same phone)
    if taken.exclude(organisation=None, user=None, phone=challenge.phone).exists():
        raise DomainError(
            "该债权人已由其他账号或手机号申报，请登录账号或联系管理人", field="creditor_name"
        )
    with transaction.atomic():
        otp.code_use(policy=PHONE, challenge=challenge)
        return claim_file(
            actor=None,
            case=case,
            creditor_name=creditor_name,
            phone=challenge.phone,
            **claim,
        )


def phone_creditors(
    *, challenge: OneTimeCode, code: str, audit_action: str = "meeting.phone_identify"
) -> list[Creditor]:
    """Identify the account-less creditors of a case by a verified phone, for online sign-in
    and voting (SPC Interp. III Art.11) or for their own claims and payments (`audit_action`
    "claim.phone_lookup"). Consumes the code; audited."""
    challenge = phone_challenge_verify(challenge=challenge, code=code)
    case = Case.objects.select_related("court").get(pk=challenge.subject_id)
    with transaction.atomic():
        otp.code_use(policy=PHONE, challenge=challenge)
        creditors = list(
            Creditor.objects.filter(case=case, phone=challenge.phone, organisation=None, user=None)
        )
        if not creditors:
            raise DomainError("该手机号在本案没有申报记录", field="phone", code="no_creditor")
        _audit(
            None,
            audit_action,
            challenge,
            case,
            phone=str(challenge),
            creditors=[c.name for c in creditors],
        )
    return creditors
