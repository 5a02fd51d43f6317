"""Writes of the core: organisations, role grants, sign-in, API tokens and the holiday calendar."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from qinqing.core import calendar, calendar_rules
from qinqing.core.audit import audit_log
from qinqing.core.calendar_rules import HOLIDAY, WORKDAY, NoticeError, SpecialDay
from qinqing.core.errors import CredentialsError, DomainError, ThrottledError
from qinqing.core.models import (
    ApiToken,
    CalendarDay,
    HolidayNotice,
    LoginFailure,
    Organisation,
    RoleGrant,
)
from qinqing.core.net import client_ip
from qinqing.core.permissions import can
from qinqing.core.roles import Role
from qinqing.core.rules import uscc_is_valid, uscc_normalise

User = get_user_model()


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


def _recent_failures(username: str, ip: str | None) -> int:
    since = timezone.now() - timedelta(seconds=settings.QINQING_LOGIN_WINDOW_SECONDS)
    by_user = LoginFailure.objects.filter(username=username, at__gte=since).count()
    by_ip = LoginFailure.objects.filter(ip=ip, at__gte=since).count() if ip else 0
    # An address may mistype several accounts; allow it a little more than one account gets.
    return max(by_user, by_ip // 3)


def user_authenticate(*, request, username: str, password: str):
    """Check a password with throttling; audit success and failure; return the user."""
    ip = client_ip(request)
    if _recent_failures(username, ip) >= settings.QINQING_LOGIN_MAX_FAILURES:
        raise ThrottledError("登录失败次数过多，请 15 分钟后再试", code="throttled")
    user = authenticate(request, username=username, password=password)
    if user is None:
        with transaction.atomic():
            LoginFailure.objects.create(username=username[:150], ip=ip)
            audit_log(
                actor=None,
                action="auth.login_failed",
                detail={"username": username[:150], "ip": ip},
            )
        raise CredentialsError("用户名或密码错误", code="bad_credentials")
    with transaction.atomic():
        LoginFailure.objects.filter(username=username).delete()
        audit_log(actor=user, action="auth.login", obj=user, detail={"ip": ip})
    return user


def api_token_issue(*, actor) -> tuple[str, ApiToken]:
    """A new bearer token for `actor`; the clear value is returned once and never stored."""
    clear = "qq_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=actor,
            key_hash=hashlib.sha256(clear.encode()).hexdigest(),
            expires_at=timezone.now() + timedelta(days=settings.QINQING_API_TOKEN_DAYS),
        )
        audit_log(actor=actor, action="api_token.issue", obj=token)
    return clear, token


def api_token_user(clear: str):
    """The active user behind a bearer token, or None. Marks the token used (at most hourly)."""
    digest = hashlib.sha256(clear.encode()).hexdigest()
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=digest, expires_at__gt=timezone.now(), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(hours=1):
        token.last_used_at = now
        token.save(update_fields=["last_used_at"])
    return token.user


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
