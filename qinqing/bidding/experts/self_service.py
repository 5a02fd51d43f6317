"""An expert's own page (专家自助): sign in with an SMS code and the last four characters of
the ID number, then declare leave, employment history and related organisations.

What an expert declares here is what the draw's rules read (UNAVAILABLE, EMPLOYER /
PAST_EMPLOYER, DECLARED_CONFLICT), so each write is checked as strictly as the centre admin's
and audited with the expert as its source. The page never shows a project: an expert learns
the project only after signing in at the workstation (四不知).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from qinqing.bidding.experts import services
from qinqing.bidding.models import (
    DrawOutcome,
    EvaluationSession,
    Expert,
    ExpertDeclaredRelation,
    ExpertLeave,
    ExpertRelation,
)
from qinqing.core import otp
from qinqing.core.audit import audit_log
from qinqing.core.errors import ConflictError, DomainError

POLICY = otp.Policy(
    purpose="bidding.expert_self",  # subject: the Expert
    ttl=timedelta(minutes=10),
    max_attempts=5,
    window=timedelta(hours=1),
    per_phone=5,
    per_ip=30,
    throttled_message="验证码发送过于频繁，请一小时后再试",
    locked_message="错误次数过多，请重新获取验证码",
    phone_pattern=re.compile(r"^1[3-9]\d{9}$"),
    phone_message="请填写 11 位中国大陆手机号",
)
SESSION_TTL = timedelta(minutes=30)
MAX_LEAVE_DAYS = 366
SOURCE = "expert_self_service"


@dataclass(frozen=True)
class SelfCode:
    """A code as the page keeps it: the id of the core `OneTimeCode`."""

    pk: int


def _expert_for_phone(phone: str) -> Expert | None:
    """The one expert in service with this phone; None when there is none or several (the
    centre must then sort the register out; the page says the same either way)."""
    found = list(
        Expert.objects.filter(phone=phone)
        .exclude(status=Expert.Status.REMOVED)
        .select_related("database")[:2]
    )
    return found[0] if len(found) == 1 else None


def self_code_send(*, phone: str, ip: str | None = None) -> SelfCode:
    """Send a sign-in code to an expert's phone. The answer is the same for a phone that is
    in no expert register (no SMS goes out, the attempt still counts against the limits), so
    the page does not reveal who is an expert."""
    phone = otp.phone_clean(policy=POLICY, phone=phone)
    expert = _expert_for_phone(phone)
    with transaction.atomic():
        challenge = otp.code_send(
            policy=POLICY,
            phone=phone,
            ip=ip,
            subject_id=expert.pk if expert is not None else None,
            sms_subject="专家自助验证码",
            sms_body=None
            if expert is None
            else "您正在登录评标专家自助服务，验证码 {code}，10 分钟内有效。请勿告诉他人。",
        )
        if expert is not None:
            audit_log(
                actor=None,
                action="expert.self_code",
                obj=expert,
                organisation=expert.database,
                detail={"challenge": challenge.pk, "ip": ip},
            )
    return SelfCode(pk=challenge.pk)


def self_sign_in(*, challenge: SelfCode, code: str, id_last4: str) -> Expert:
    """Check the code and the last four characters of the ID number (both must match; a
    wrong pair counts one attempt). Returns the expert; audited."""
    with transaction.atomic():
        locked = otp.code_lock(policy=POLICY, pk=challenge.pk)
        expert = (
            Expert.objects.select_related("database").filter(pk=locked.subject_id).first()
            if locked.subject_id is not None
            else None
        )
        correct = (
            otp.code_matches(locked, code)
            and expert is not None
            and expert.id_last4.upper() == (id_last4 or "").strip().upper()
        )
        if not correct:
            otp.code_fail(locked)
    if not correct:
        raise DomainError("验证码或身份证号后四位不正确", field="code", code="wrong_code")
    with transaction.atomic():
        otp.code_use(policy=POLICY, challenge=locked)
        audit_log(
            actor=None,
            action="expert.self_signin",
            obj=expert,
            organisation=expert.database,
            detail={"challenge": locked.pk},
        )
    return expert


# --- writes -------------------------------------------------------------------------------


def _held_sessions(expert: Expert, start: date, end: date) -> list[EvaluationSession]:
    """Sessions meeting on a day from `start` to `end` (local days) that the expert has been
    called to or has confirmed."""
    tz = timezone.get_current_timezone()
    first = timezone.make_aware(datetime.combine(start, time.min), tz)
    after = first + timedelta(days=(end - start).days + 1)
    outcomes = (
        DrawOutcome.objects.filter(
            expert=expert,
            status__in=DrawOutcome.HOLDING,
            session__starts_at__lt=after,
            session__ends_at__gt=first,
        )
        .exclude(session__status=EvaluationSession.Status.CLOSED)
        .select_related("session")
        .order_by("session__starts_at")
    )
    return [outcome.session for outcome in outcomes]


def self_leave_add(*, expert: Expert, start: date, end: date, reason: str = "") -> ExpertLeave:
    """Declare leave (the draw's UNAVAILABLE rule): from today on, at most a year, not over a
    session the expert has been called to or has confirmed (they answer that invitation, or
    call the centre, instead)."""
    today = timezone.localdate()
    reason = (reason or "").strip()
    if start < today:
        raise DomainError("请假开始日期不能早于今天", field="start")
    if end < start:
        raise DomainError("请假结束日期不能早于开始日期", field="end")
    if (end - start).days + 1 > MAX_LEAVE_DAYS:
        raise DomainError(f"一次请假不能超过 {MAX_LEAVE_DAYS} 天", field="end")
    if len(reason) > 200:
        raise DomainError("事由不能超过 200 字", field="reason")
    with transaction.atomic():
        Expert.objects.select_for_update().filter(pk=expert.pk).first()
        if held := _held_sessions(expert, start, end):
            when = timezone.localtime(held[0].starts_at).strftime("%Y-%m-%d %H:%M")
            raise ConflictError(
                f"该期间您已被抽取或已确认参加 {when} 的评标，请先答复邀请或联系交易中心"
            )
        leave = services.expert_leave_add(
            actor=None, expert=expert, start=start, end=end, reason=reason, source=SOURCE
        )
    return leave


def self_leave_cancel(*, expert: Expert, leave_id: int) -> None:
    """Withdraw leave that has not begun (leave already under way stays on record)."""
    with transaction.atomic():
        leave = ExpertLeave.objects.select_for_update().filter(pk=leave_id, expert=expert).first()
        if leave is None:
            raise DomainError("没有这条请假记录", field="leave")
        if leave.start <= timezone.localdate():
            raise ConflictError("已开始的请假不能撤销，如有变化请联系交易中心")
        audit_log(
            actor=None,
            action="expert.cancel_leave",
            obj=expert,
            organisation=expert.database,
            detail={
                "source": SOURCE,
                "expert": expert.code,
                "start": leave.start,
                "end": leave.end,
            },
        )
        leave.delete()


def self_relation_add(
    *, expert: Expert, org_uscc: str, org_name: str, kind: str, start: date, end: date | None
) -> ExpertRelation:
    """Declare employment, a directorship or a shareholding (`services.expert_relation_add`)."""
    return services.expert_relation_add(
        actor=None,
        expert=expert,
        org_uscc=org_uscc,
        org_name=org_name,
        kind=kind,
        start=start,
        end=end,
        source=SOURCE,
    )


def self_declare(*, expert: Expert, org_uscc: str, org_name: str) -> ExpertDeclaredRelation:
    """Declare a related organisation (`services.expert_declare`)."""
    return services.expert_declare(
        actor=None, expert=expert, org_uscc=org_uscc, org_name=org_name, source=SOURCE
    )
