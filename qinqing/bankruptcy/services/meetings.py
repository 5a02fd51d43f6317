"""Writes on creditors' meetings: scheduling and requests, opening, proxies, sign-in, ballots,
closing items and meetings, sending the results."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from qinqing.bankruptcy import rules, selectors
from qinqing.bankruptcy.models import (
    AgendaItem,
    Attendance,
    Ballot,
    Case,
    Claim,
    Creditor,
    Meeting,
    Proxy,
)
from qinqing.bankruptcy.services.common import (
    REVIEWED_STATUSES,
    ZERO,
    _audit,
    _locked,
    _notify_creditor,
    _require_open,
    _rule,
    _today,
)
from qinqing.core.calendar import next_working_day
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import RoleGrant
from qinqing.core.notifier import notification_send
from qinqing.core.permissions import grants_of
from qinqing.core.roles import Role


def meeting_schedule(
    *,
    actor,
    case: Case,
    date: date,
    notice_date: date,
    items: Sequence[tuple[str, str]],
    kind: str = Meeting.Kind.FIRST,
    online: bool = True,
) -> Meeting:
    """Call a meeting with 15 days' notice (Art.63); the first within 15 days after the
    declaration period ends (Art.62). Known creditors are notified."""
    _require_open(case)
    if case.declaration_end is None:
        raise ConflictError("本案尚未公告债权申报期限")
    if not rules.meeting_notice_sufficient(notice_date, date):
        raise DomainError(
            f"应于会议召开十五日前通知债权人（最迟 {rules.latest_meeting_notice_date(date)}，第63条）",
            field="notice_date",
        )
    if kind == Meeting.Kind.FIRST:
        due = rules.first_meeting_due(case.declaration_end, next_working_day=next_working_day)
        if not case.declaration_end < date <= due:
            raise DomainError(
                f"第一次债权人会议应在债权申报期限届满后十五日内召开（{case.declaration_end} 之后、"
                f"{due} 之前，第62条）",
                field="date",
            )
    if not items:
        raise DomainError("请至少列出一项表决事项", field="items")
    for title, item_kind in items:
        if item_kind not in AgendaItem.Kind.values or not title.strip():
            raise DomainError("表决事项不完整或表决规则未知", field="items")
    with transaction.atomic():
        _locked(case)
        if kind == Meeting.Kind.FIRST and case.meetings.filter(kind=Meeting.Kind.FIRST).exists():
            raise ConflictError("第一次债权人会议已召集")
        meeting = Meeting.objects.create(
            case=case, kind=kind, date=date, notice_date=notice_date, online=online
        )
        for title, item_kind in items:
            AgendaItem.objects.create(meeting=meeting, title=title.strip(), kind=item_kind)
        case.status = Case.Status.MEETING
        case.save(update_fields=["status"])
        _audit(
            actor,
            "meeting.schedule",
            meeting,
            case,
            date=date,
            notice_date=notice_date,
            items=[title for title, _ in items],
        )
        for creditor in case.creditors.exclude(claims__rank=Claim.Rank.EMPLOYEE).distinct():
            _notify_creditor(
                actor,
                creditor,
                f"{case.number} 债权人会议通知",
                f"{meeting.get_kind_display()}定于 {date} 召开，"
                + ("可在线签到和表决。" if online else "请按时参会。"),
            )
    return meeting


def meeting_request(*, actor, case: Case, creditors: Sequence[Creditor]) -> Decimal:
    """Creditors holding at least 1/4 of all claims require a further meeting (Art.62 para.2).

    The total counts every reviewed claim, secured included. The request is audited and the
    administrator notified; returns the requesting creditors' claims.
    """

    _require_open(case)
    claims = [
        c for c in case.claims.filter(status__in=REVIEWED_STATUSES) if selectors.claim_basis(c)
    ]
    ids = {c.pk for c in creditors if c.case_id == case.pk}
    if not ids:
        raise DomainError("请指定提议的债权人", field="creditors")
    requesting = sum((selectors.claim_basis(c) for c in claims if c.creditor_id in ids), ZERO)
    total = sum((selectors.claim_basis(c) for c in claims), ZERO)
    if not _rule(rules.meeting_request_sufficient, requesting, total):
        raise DomainError(
            f"提议债权人的债权额 {requesting} 元不足债权总额 {total} 元的四分之一（第62条）",
            field="creditors",
        )
    with transaction.atomic():
        _audit(
            actor,
            "meeting.request",
            case,
            case,
            creditors=sorted(ids),
            requesting=requesting,
            total=total,
        )
        if case.administrator_id:
            for grant in RoleGrant.objects.filter(
                organisation_id=case.administrator_id, role=Role.ADMINISTRATOR
            ).select_related("user"):
                notification_send(
                    actor=actor,
                    channel="in_app",
                    recipient=grant.user,
                    subject=f"{case.number} 债权人提议召开债权人会议",
                    body=f"提议债权人合计债权 {requesting} 元，占债权总额 {total} 元的四分之一以上。",
                )
    return requesting


def meeting_open(*, actor, meeting: Meeting) -> Meeting:
    with transaction.atomic():
        _locked(meeting)
        if meeting.status != Meeting.Status.SCHEDULED:
            raise ConflictError("会议不在待召开状态")
        meeting.status = Meeting.Status.OPEN
        meeting.save(update_fields=["status"])
        meeting.items.update(is_open=True)
        _audit(actor, "meeting.open", meeting, meeting.case)
    return meeting


def proxy_register(
    *, actor, creditor: Creditor, user, name: str, authorised_on: date | None = None
) -> Proxy:
    """Register a creditor's agent (power of attorney received by the administrator). The
    agent's account needs the creditor role (at its own organisation, e.g. a law firm)."""
    _require_open(creditor.case)
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写代理人姓名", field="name")
    if user is None or not grants_of(user).has(Role.CREDITOR):
        raise DomainError("代理人须持有债权人角色的账号", field="username")
    with transaction.atomic():
        _locked(creditor)
        if Proxy.objects.filter(creditor=creditor, user=user).exists():
            raise ConflictError("该代理人已登记")
        proxy = Proxy.objects.create(
            creditor=creditor,
            user=user,
            name=name[:100],
            authorised_on=authorised_on or _today(),
            registered_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        _audit(
            actor,
            "proxy.register",
            proxy,
            creditor.case,
            creditor=creditor.name,
            proxy=proxy.name,
            username=user.get_username(),
        )
    return proxy


def attendance_sign_in(
    *,
    actor,
    meeting: Meeting,
    creditor: Creditor,
    proxy_name: str = "",
    online: bool = True,
    at=None,
    via: str = "",
) -> Attendance:
    """Sign in (in person or online, SPC Interp. III Art.11), optionally through a proxy.
    ``via`` records how an account-less creditor was identified (e.g. a masked phone).
    A repeated (or concurrent) sign-in returns the first: the meeting row is locked, so the
    check and the insert are one step, and the close waits for it."""
    if creditor.case_id != meeting.case_id:
        raise DomainError("该债权人不属于本案", field="creditor")
    proxy = (
        Proxy.objects.filter(creditor=creditor, user=actor).first()
        if getattr(actor, "is_authenticated", False)
        else None
    )
    if proxy is not None and not proxy_name:
        proxy_name = proxy.name
    with transaction.atomic():
        _locked(meeting)
        if meeting.status != Meeting.Status.OPEN:
            raise ConflictError("会议未开始或已结束，不能签到")
        existing = Attendance.objects.filter(meeting=meeting, creditor=creditor).first()
        if existing is not None:
            return existing
        attendance = Attendance.objects.create(
            meeting=meeting,
            creditor=creditor,
            signed_in_at=at or timezone.now(),
            online=online,
            proxy_name=(proxy_name or "").strip()[:100],
            signed_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        _audit(
            actor,
            "meeting.sign_in",
            attendance,
            meeting.case,
            creditor=creditor.name,
            proxy=attendance.proxy_name,
            online=online,
            via=via,
        )
    return attendance


def ballot_cast(
    *, actor, item: AgendaItem, creditor: Creditor, vote: str, at=None, via: str = ""
) -> Ballot:
    """A signed-in creditor with a vote on the item casts (or changes) its ballot. The item's
    row is locked while the ballot is checked and stored, and the close takes the same lock:
    a ballot is either in the stored result or refused, never accepted after the close."""

    if vote not in Ballot.Vote.values:
        raise DomainError("表决意见应为同意、不同意或弃权", field="vote")
    with transaction.atomic():
        # only the item's row: the close locks the meeting first, then its items
        item = (
            AgendaItem.objects.select_for_update(of=("self",))
            .select_related("meeting")
            .get(pk=item.pk)
        )
        meeting = item.meeting
        if meeting.status != Meeting.Status.OPEN or not item.is_open:
            raise ConflictError("该事项不在表决中", code="not_open")
        if creditor.case_id != meeting.case_id:
            raise DomainError("该债权人不属于本案", field="creditor")
        if not Attendance.objects.filter(meeting=meeting, creditor=creditor).exists():
            raise ConflictError("请先签到再表决", code="not_signed_in")
        voter = selectors.voter_for(creditor, present=True, vote=None)
        reason = (
            None
            if voter is None
            else rules.exclusion_reason(
                item.kind,
                voter,
                secured_votes_shortfall=meeting.case.secured_shortfall_votes,
            )
        )
        if voter is None or reason is not None:
            messages = {
                rules.SECURED_NOT_WAIVED: "有财产担保且未放弃优先受偿权的债权人对和解协议不享有表决权（第59条）",
                rules.SECURED_FULLY_COVERED: "担保物足以清偿您的有财产担保债权，没有不足清偿的部分可以对和解协议表决（第59条、第110条）",
                rules.UNCONFIRMED_NO_PROVISIONAL: "债权尚未确定且法院未临时确定债权额，不享有表决权（第59条）",
            }
            raise DomainError(messages.get(reason, "该债权人对本事项不享有表决权"), field="vote")
        cast_by = actor if getattr(actor, "is_authenticated", False) else None
        ballot = Ballot.objects.filter(item=item, creditor=creditor).first()
        previous = ballot.vote if ballot is not None else ""
        if previous == vote:  # the same vote again changes nothing
            return ballot
        if ballot is None:
            ballot = Ballot.objects.create(
                item=item,
                creditor=creditor,
                vote=vote,
                cast_at=at or timezone.now(),
                cast_by=cast_by,
            )
        else:
            ballot.previous_vote, ballot.vote = ballot.vote, vote
            ballot.changes += 1
            ballot.cast_at, ballot.cast_by = at or timezone.now(), cast_by
            ballot.save(update_fields=["previous_vote", "vote", "changes", "cast_at", "cast_by"])
        _audit(
            actor,
            "meeting.vote",
            ballot,
            meeting.case,
            item=item.pk,
            creditor=creditor.name,
            vote=vote,
            changed=bool(previous),
            previous=previous,
            via=via,
        )
    return ballot


def item_close(*, actor, item: AgendaItem, on: date | None = None) -> AgendaItem:
    """Close the vote and store the statutory tally (Art.97 or Art.64), counted under the
    item's row lock (see `ballot_cast`)."""

    with transaction.atomic():
        _locked(item)
        if not item.is_open:
            raise ConflictError("该事项已结束表决")
        result = selectors.item_tally(item)
        item.is_open = False
        item.passed = result.passed
        item.result = selectors.tally_as_dict(result)
        item.closed_on = on or item.meeting.date
        item.save(update_fields=["is_open", "passed", "result", "closed_on"])
        _audit(actor, "meeting.item_close", item, item.meeting.case, **item.result)
    return item


def meeting_close(*, actor, meeting: Meeting, on: date | None = None) -> Meeting:
    with transaction.atomic():
        _locked(meeting)  # waits for sign-ins in progress
        if meeting.status != Meeting.Status.OPEN:
            raise ConflictError("会议不在进行中")
        # Every open item is locked before the first audit entry (which locks the chain's
        # head): a ballot holding an item's lock then waits for nothing the close holds.
        items = list(meeting.items.select_for_update().filter(is_open=True).order_by("pk"))
        for item in items:
            item_close(actor=actor, item=item, on=on)
        meeting.status = Meeting.Status.CLOSED
        meeting.save(update_fields=["status"])
        _audit(actor, "meeting.close", meeting, meeting.case)
    return meeting


def meeting_results_send(*, actor, meeting: Meeting, on: date | None = None) -> int:
    """Tell every creditor that took part the results within 3 days (SPC Interp. III Art.11)."""
    on = on or _today()
    due = rules.results_due(meeting.date, next_working_day=next_working_day)
    with transaction.atomic():
        _locked(meeting)
        if meeting.status != Meeting.Status.CLOSED:
            raise ConflictError("会议结束后才能告知表决结果")
        if meeting.results_sent_on is not None:
            raise ConflictError("表决结果已告知")
        lines = []
        for item in meeting.items.all():
            result = item.result or {}
            lines.append(
                f"{item.title}：{'通过' if item.passed else '未通过'}（出席有表决权 "
                f"{result.get('present_voters', 0)} 人，同意 {result.get('yes_voters', 0)} 人；"
                f"同意债权额 {result.get('yes_amount', '0')} 元，应达 "
                f"{result.get('required_amount_display', '0')} 元）"
            )
        body = "\n".join(lines)
        creditors = Creditor.objects.filter(attendances__meeting=meeting).distinct()
        sent = sum(
            _notify_creditor(actor, c, f"{meeting.case.number} 表决结果", body) for c in creditors
        )
        meeting.results_sent_on = on
        meeting.save(update_fields=["results_sent_on"])
        _audit(
            actor,
            "meeting.results_send",
            meeting,
            meeting.case,
            on=on,
            due=due,
            late=on > due,
            sent=sent,
        )
    return sent
