"""Writes of the core: organisations, role grants, sign-in, API tokens and the holiday calendar."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django_otp.plugins.otp_totp.models import TOTPDevice

from qinqing.core import calendar, calendar_rules, otp, rules
from qinqing.core.audit import audit_log
from qinqing.core.calendar_rules import HOLIDAY, WORKDAY, NoticeError, SpecialDay
from qinqing.core.errors import ConflictError, CredentialsError, DomainError, ThrottledError
from qinqing.core.models import (
    AccountPhone,
    ApiToken,
    CalendarDay,
    HolidayNotice,
    LoginFailure,
    OneTimeCode,
    Organisation,
    RoleGrant,
)
from qinqing.core.net import client_ip
from qinqing.core.permissions import can
from qinqing.core.roles import Role
from qinqing.core.rules import uscc_is_valid, uscc_normalise

User = get_user_model()
logger = logging.getLogger("qinqing.auth")


def organisation_create(
    *,
    actor,
    kind: str,
    name: str,
    code: str,
    parent: Organisation | None = None,
    uscc: str | None = None,
    short_name: str = "",
) -> Organisation:
    if kind not in Organisation.Kind.values:
        raise DomainError("未知的机构类型", field="kind")
    name = name.strip()
    if not name:
        raise DomainError("机构名称不能为空", field="name")
    if uscc:
        uscc = uscc_normalise(uscc)
        if not uscc_is_valid(uscc):
            raise DomainError("统一社会信用代码格式或校验位不正确", field="uscc")
        if Organisation.objects.filter(uscc=uscc).exists():
            raise DomainError("该统一社会信用代码已登记", field="uscc")
    elif kind in Organisation.USCC_REQUIRED:
        raise DomainError("此类机构必须填写统一社会信用代码", field="uscc")
    if Organisation.objects.filter(code=code).exists():
        raise DomainError("机构代码已被使用", field="code")
    with transaction.atomic():
        org = Organisation.objects.create(
            kind=kind,
            name=name,
            code=code,
            parent=parent,
            uscc=uscc or None,
            short_name=short_name,
        )
        audit_log(
            actor=actor,
            action="organisation.create",
            obj=org,
            organisation=org,
            detail={"kind": kind, "name": name, "parent": parent.pk if parent else None},
        )
    return org


def role_grant_add(*, actor, user, role: str, organisation: Organisation) -> RoleGrant:
    if role not in Role.values:
        raise DomainError("未知的角色", field="role")
    with transaction.atomic():
        grant, created = RoleGrant.objects.get_or_create(
            user=user, role=role, organisation=organisation
        )
        if created:
            audit_log(
                actor=actor,
                action="role_grant.add",
                obj=grant,
                organisation=organisation,
                detail={"user": user.get_username(), "role": role},
            )
    return grant


def role_grant_revoke(*, actor, grant: RoleGrant) -> None:
    with transaction.atomic():
        audit_log(
            actor=actor,
            action="role_grant.revoke",
            obj=grant,
            organisation=grant.organisation,
            detail={"user": grant.user.get_username(), "role": grant.role},
        )
        grant.delete()


# --- sign-in: throttled by account and by address, never locked ---------------------------

LOGIN_CODE = otp.Policy(
    purpose="auth.login",
    ttl=timedelta(minutes=10),
    max_attempts=5,
    window=timedelta(hours=1),
    per_phone=5,
    per_ip=20,
    throttled_message="登录验证码发送过于频繁，请稍后再试",
    locked_message="验证码错误次数过多，请重新获取",
)
LOGIN_CODE_SMS = (
    "您的亲清平台登录验证码为 {code}，10 分钟内有效。"
    "如非本人登录，说明有人在尝试您的密码，请尽快修改密码。"
)


@dataclass(frozen=True)
class LoginState:
    """Recent failures of an account and of an address, and the seconds still to wait."""

    account_failures: int
    address_failures: int
    retry_after: int


def login_state(*, username: str, ip: str | None, now=None) -> LoginState:
    """Failures of the last window for `username` and for `ip`, and how long the next attempt
    must wait after the latest of them (`rules.login_retry_after`, per account and per address;
    the longer wait applies)."""
    now = now or timezone.now()
    since = now - timedelta(seconds=settings.QINQING_LOGIN_WINDOW_SECONDS)
    by_user, by_ip = Q(username=username), Q(ip=ip) if ip else Q(pk__in=[])
    row = (
        LoginFailure.objects.filter(at__gte=since)
        .filter(by_user | by_ip)
        .aggregate(
            account=Count("pk", filter=by_user),
            account_last=Max("at", filter=by_user),
            address=Count("pk", filter=by_ip),
            address_last=Max("at", filter=by_ip),
        )
    )
    cap = settings.QINQING_LOGIN_MAX_DELAY_SECONDS
    wait = 0
    for failures, last, free in (
        (row["account"], row["account_last"], rules.LOGIN_FREE_FAILURES_ACCOUNT),
        (row["address"], row["address_last"], rules.LOGIN_FREE_FAILURES_ADDRESS),
    ):
        if failures:
            since_last = (now - last).total_seconds()
            wait = max(wait, rules.login_retry_after(failures, since_last, free=free, cap=cap))
    return LoginState(row["account"], row["address"], wait)


def _login_wait(state: LoginState, ip: str | None) -> int:
    """Seconds the attempt after one more failure will wait."""
    cap = settings.QINQING_LOGIN_MAX_DELAY_SECONDS
    wait = rules.login_delay(
        state.account_failures + 1, free=rules.LOGIN_FREE_FAILURES_ACCOUNT, cap=cap
    )
    if ip:
        address = state.address_failures + 1
        wait = max(
            wait, rules.login_delay(address, free=rules.LOGIN_FREE_FAILURES_ADDRESS, cap=cap)
        )
    return wait


def login_wait_message(seconds: int) -> str:
    return f"登录尝试过于频繁，请 {seconds} 秒后再试"


def account_phone(user) -> str:
    """The phone a login code of `user` goes to ('' when the account has none)."""
    return AccountPhone.objects.filter(user=user).values_list("phone", flat=True).first() or ""


def _pending_login_code(account, now) -> OneTimeCode | None:
    return (
        OneTimeCode.objects.filter(
            purpose=LOGIN_CODE.purpose,
            subject_id=account.pk,
            used_at=None,
            expires_at__gt=now,
            attempts__lt=LOGIN_CODE.max_attempts,
        )
        .order_by("-created_at")
        .first()
    )


def _login_code_send(*, account, phone: str, ip: str | None) -> None:
    otp.code_send(
        policy=LOGIN_CODE,
        phone=phone,
        ip=ip,
        subject_id=account.pk,
        sms_subject="登录验证码",
        sms_body=LOGIN_CODE_SMS,
    )
    audit_log(actor=None, action="auth.login_code_sent", obj=account, detail={"ip": ip})


def totp_device(user) -> TOTPDevice | None:
    """The user's confirmed authenticator (django-otp TOTP), if the second factor is on."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def totp_start(*, actor) -> TOTPDevice:
    """An unconfirmed authenticator for `actor` to scan (the one already begun, if any)."""
    with transaction.atomic():
        if TOTPDevice.objects.filter(user=actor, confirmed=True).exists():
            raise ConflictError("动态口令已启用", code="enabled")
        device = TOTPDevice.objects.filter(user=actor, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=actor, name="default", confirmed=False)
            audit_log(actor=actor, action="auth.totp_start", obj=actor)
    return device


def totp_confirm(*, actor, code: str) -> TOTPDevice:
    """Turn the second factor on: the code the authenticator shows proves it was set up."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=actor, confirmed=False).first()
        if device is None:
            raise ConflictError("请先设置动态口令", code="no_device")
        if not device.verify_token((code or "").strip()):
            raise DomainError(
                "动态口令不正确，请核对手机时间后重试", field="code", code="wrong_code"
            )
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=actor).exclude(pk=device.pk).delete()
        audit_log(actor=actor, action="auth.totp_enable", obj=actor)
    return device


def totp_disable(*, actor, password: str, code: str) -> None:
    """Turn one's second factor off, with the password and a current code (an administrator
    resets a lost one in the admin, audited there)."""
    with transaction.atomic():
        device = totp_device(actor)
        if device is None:
            raise ConflictError("动态口令未启用", code="not_enabled")
        right = actor.check_password(password or "")
        if not (right and device.verify_token((code or "").strip())):
            raise DomainError("密码或动态口令不正确", field="password", code="bad_credentials")
        TOTPDevice.objects.filter(user=actor).delete()
        audit_log(
            actor=actor,
            action="auth.totp_disable",
            obj=actor,
            detail={"user": actor.get_username()},
        )


def user_authenticate(*, request, username: str, password: str, code: str | None = None):
    """Check a password; audit success and failure; return the user.

    Throttled by account and by address: each failure of the window makes the next attempt
    wait longer (`login_state`; an attempt that comes early is refused with the seconds to
    wait, is not counted and does not check the password). From
    `QINQING_LOGIN_CODE_AFTER` failures an account with a phone also needs a one-time SMS
    code: the first attempt without one sends it (whether or not the password is right, so
    the answer says nothing about the password), and only the right password with the right
    code signs in. An account with the second factor on (`totp_device`) needs its
    authenticator's code at every login instead. A success clears the account's failures.
    Never a fixed lock-out."""
    ip = client_ip(request)
    username = (username or "")[:150]
    code = (code or "").strip()
    error: DomainError | None = None
    with transaction.atomic():
        # One account's attempts are serialised, so a burst of them sees its own failures.
        account = User.objects.select_for_update().filter(username=username).first()
        now = timezone.now()
        state = login_state(username=username, ip=ip, now=now)
        if state.retry_after:
            logger.warning("login throttled: username=%r ip=%s", username, ip)
            raise ThrottledError(
                login_wait_message(state.retry_after), retry_after=state.retry_after
            )
        device = totp_device(account) if account is not None else None
        phone = ""
        if (
            device is None
            and account is not None
            and state.account_failures >= settings.QINQING_LOGIN_CODE_AFTER
        ):
            phone = account_phone(account)
        challenge = _pending_login_code(account, now) if phone else None
        if device is not None and not code:
            message = "该账号已启用动态口令：请输入密码和身份验证器显示的 6 位动态口令"
            error = CredentialsError(message, field="code", code="code_required")
        elif phone and (challenge is None or not code):
            if challenge is None:
                _login_code_send(account=account, phone=phone, ip=ip)
            if code:
                message = "验证码已失效，新的验证码已发送到账号登记的手机，请输入密码和新验证码"
            elif challenge is None:
                message = (
                    "该账号近期多次登录失败，需要短信验证：验证码已发送到账号登记的手机，"
                    "请输入密码和验证码后登录"
                )
            else:
                message = "该账号近期多次登录失败，请输入密码和已发送到账号登记手机的短信验证码"
            error = CredentialsError(message, field="code", code="code_required")
        else:
            user = authenticate(request, username=username, password=password)
            code_ok = challenge is None or otp.code_matches(challenge, code)
            factor = "sms" if challenge is not None else None
            if device is not None:
                # Only a right password reaches the device (its replay guard is saved).
                code_ok, factor = user is not None and device.verify_token(code), "totp"
            if user is not None and code_ok:
                if challenge is not None:
                    otp.code_use(policy=LOGIN_CODE, challenge=challenge)
                LoginFailure.objects.filter(username=username).delete()
                audit_log(
                    actor=user,
                    action="auth.login",
                    obj=user,
                    detail={"ip": ip, "second_factor": factor},
                )
                return user
            if challenge is not None and not code_ok:
                otp.code_fail(challenge)
            LoginFailure.objects.create(username=username, ip=ip, at=now)
            audit_log(
                actor=None,
                action="auth.login_failed",
                detail={"username": username, "ip": ip, "second_factor": factor},
            )
            message = {
                "sms": "用户名、密码或验证码错误",
                "totp": "用户名、密码或动态口令错误",
            }.get(factor, "用户名或密码错误")
            if wait := _login_wait(state, ip):
                message += f"，请 {wait} 秒后再试"
            error = CredentialsError(message, code="bad_credentials")
    raise error


# --- API tokens: tied to the password they were issued under, revocable ---------------------


def _password_fingerprint(user, secret=None) -> str:
    return salted_hmac(
        "qinqing.core.api_token", user.password, secret=secret, algorithm="sha256"
    ).hexdigest()


def api_token_state(token: ApiToken, now=None) -> str:
    """`ApiToken.State` of a token (its user loaded): revoked, expired, its owner's password
    changed since it was issued (or a token issued before tokens were tied to it), or active."""
    now = now or timezone.now()
    if token.revoked_at is not None:
        return ApiToken.State.REVOKED
    if token.expires_at <= now:
        return ApiToken.State.EXPIRED
    secrets_ = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if not token.password_fingerprint or not any(
        constant_time_compare(token.password_fingerprint, _password_fingerprint(token.user, s))
        for s in secrets_
    ):
        return ApiToken.State.PASSWORD_CHANGED
    return ApiToken.State.ACTIVE


def api_token_issue(*, actor, ip: str | None = None) -> tuple[str, ApiToken]:
    """A new bearer token for `actor`; the clear value is returned once and never stored."""
    clear = "qq_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=actor,
            key_hash=hashlib.sha256(clear.encode()).hexdigest(),
            password_fingerprint=_password_fingerprint(actor),
            created_ip=ip,
            expires_at=timezone.now() + timedelta(days=settings.QINQING_API_TOKEN_DAYS),
        )
        audit_log(actor=actor, action="api_token.issue", obj=token, detail={"ip": ip})
    return clear, token


def api_token_find(clear: str) -> ApiToken | None:
    """The active token (with its active user) for a bearer value, or None. Marks the token
    used (at most hourly)."""
    digest = hashlib.sha256(clear.encode()).hexdigest()
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=digest, revoked_at=None, expires_at__gt=now, user__is_active=True)
        .first()
    )
    if token is None or api_token_state(token, now) != ApiToken.State.ACTIVE:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(hours=1):
        token.last_used_at = now
        token.save(update_fields=["last_used_at"])
    return token


def api_token_revoke(*, actor, token: ApiToken) -> ApiToken:
    """Revoke a token: its owner, or a platform administrator for anyone's. Audited."""
    if actor.pk != token.user_id and not can(actor, "core.manage_tokens"):
        raise PermissionDenied
    with transaction.atomic():
        token = (
            ApiToken.objects.select_for_update(of=("self",)).select_related("user").get(pk=token.pk)
        )
        if token.revoked_at is not None:
            raise ConflictError("该令牌已撤销", code="revoked")
        token.revoked_at, token.revoked_by = timezone.now(), actor
        token.save(update_fields=["revoked_at", "revoked_by"])
        audit_log(
            actor=actor,
            action="api_token.revoke",
            obj=token,
            detail={"user": token.user.get_username(), "by_owner": actor.pk == token.user_id},
        )
    return token


def password_changed(*, actor, user) -> None:
    """Audit a password change made on the site (the new hash is saved by Django's form);
    the user's tokens stop working by their fingerprint, whatever path changed it."""
    with transaction.atomic():
        audit_log(
            actor=actor,
            action="auth.password_change",
            obj=user,
            detail={"user": user.get_username()},
        )


# --- the working-day calendar: a year's holiday notice ----------------------------------------


@dataclass(frozen=True)
class NoticeDraft:
    """A year's notice read and checked, not yet saved (what the preview shows)."""

    year: int
    title: str
    number: str
    published_on: date | None
    text: str
    days: tuple[SpecialDay, ...]
    warnings: tuple[str, ...]

    @property
    def holidays(self) -> int:
        return sum(s.kind == HOLIDAY for s in self.days)

    @property
    def workdays(self) -> int:
        return sum(s.kind == WORKDAY for s in self.days)


@dataclass(frozen=True)
class NoticeSaved:
    notice: HolidayNotice
    changed_days: tuple[date, ...]
    moved: dict[str, int]  # recomputer label → deadlines moved

    @property
    def moved_total(self) -> int:
        return sum(self.moved.values())


def _notice_error(exc: NoticeError) -> DomainError:
    where = f"第 {exc.line} 项：" if exc.line else ""
    return DomainError(f"{where}{exc}", field="text", code="notice")


def holiday_notice_draft(
    *,
    year: int,
    text: str = "",
    days: list[SpecialDay] | None = None,
    number: str = "",
    published_on: date | None = None,
) -> NoticeDraft:
    """Read a notice's items from its text (as the State Council prints them) or take its days
    as given (a file), and check them (`calendar_rules.check_notice`). Raises DomainError."""
    try:
        if days is None:
            items = calendar_rules.parse_notice(text, year)
        else:
            items = calendar_rules.notice_items(year, days)
            text = text or calendar_rules.notice_text(year, items)
        checked = calendar_rules.check_notice(year, items)
    except NoticeError as exc:
        raise _notice_error(exc) from None
    if days is not None and {(s.day, s.kind) for s in checked} != {(s.day, s.kind) for s in days}:
        raise DomainError("文件中的日期无法组成完整的放假安排", field="days")
    if published_on is not None and published_on.year not in (year - 1, year):
        raise DomainError(f"发布日期应在 {year - 1} 年或 {year} 年", field="published_on")
    return NoticeDraft(
        year=year,
        title=calendar_rules.notice_title(year),
        number=number.strip()[:60],
        published_on=published_on,
        text=text.strip(),
        days=tuple(checked),
        warnings=tuple(calendar_rules.notice_warnings(year, items)),
    )


def holiday_notice_save(*, actor, draft: NoticeDraft, source: str) -> NoticeSaved:
    """Save a year's notice in place of what the table held for that year, then move every
    deadline computed from an event across a day whose status changed (each module's
    recomputer, audited, people told after the commit). One transaction."""
    if actor is not None and not can(actor, "core.manage_calendar"):
        raise PermissionDenied
    if source not in HolidayNotice.Source.values:
        raise DomainError("未知的来源", field="source")
    try:
        with transaction.atomic():
            notice = HolidayNotice.objects.select_for_update().filter(year=draft.year).first()
            old = calendar.load()
            touched = {draft.year} | {s.day.year for s in draft.days}
            if notice is None:
                notice = HolidayNotice(year=draft.year)
            else:
                touched |= {d.year for d in notice.days.values_list("date", flat=True)}
                notice.days.all().delete()
            taken = CalendarDay.objects.filter(date__in=[s.day for s in draft.days])
            taken_from = sorted({n for n in taken.values_list("notice__year", flat=True)})
            taken.delete()
            notice.title, notice.number = draft.title, draft.number
            notice.published_on, notice.text, notice.source = draft.published_on, draft.text, source
            notice.entered_by = actor if getattr(actor, "is_authenticated", False) else None
            notice.save()
            CalendarDay.objects.bulk_create(
                CalendarDay(notice=notice, date=s.day, kind=s.kind, name=s.name) for s in draft.days
            )
            calendar.invalidate()
            new = calendar.load()
            changed = tuple(calendar_rules.changed_days(old, new, touched))
            moved: dict[str, int] = {}
            if changed:
                change = calendar.CalendarChange(old, new, changed, actor, draft.title)
                for label, recompute in calendar.recomputers().values():
                    moved[str(label)] = recompute(change)
            audit_log(
                actor=actor,
                action="calendar.notice_save",
                obj=notice,
                detail={
                    "year": draft.year,
                    "number": draft.number,
                    "source": source,
                    "holidays": draft.holidays,
                    "workdays": draft.workdays,
                    "changed_days": [d.isoformat() for d in changed],
                    "taken_from_years": taken_from,
                    "deadlines_moved": moved,
                },
            )
            transaction.on_commit(calendar.invalidate)
    except BaseException:
        calendar.invalidate()
        raise
    return NoticeSaved(notice, changed, moved)
