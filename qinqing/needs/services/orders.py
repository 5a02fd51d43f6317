"""The work order's state machine: dispatch, signing, returning, extensions, the reply, the
callback, closing and reopening."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from qinqing.core.audit import audit_log
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import Organisation
from qinqing.core.notifier import notification_send_many
from qinqing.core.roles import Role
from qinqing.needs import rules
from qinqing.needs.models import Category, Need, RoutingExample
from qinqing.needs.services.common import (
    _audit,
    _check,
    _dept_label,
    _dispatch_note,
    _local_date,
    _new_order_message,
    _notify_after_commit,
    _set_due,
    _step,
    progress_url,
)


def _staff_of(department: Organisation) -> list:
    return list(
        get_user_model().objects.filter(
            role_grants__organisation=department, role_grants__role=Role.STAFF, is_active=True
        )
    )


def need_dispatch(
    *,
    actor,
    need: Need,
    category: Category,
    department: Organisation | None = None,
    kind: str | None = None,
    at: datetime | None = None,
    routed_by: str = "dispatcher",
) -> Need:
    _check(actor, "needs.dispatch")
    now = at or timezone.now()
    with transaction.atomic():
        need = Need.objects.select_for_update().get(pk=need.pk)
        before = need.state
        try:
            need.state = rules.next_state(before, "dispatch")
        except rules.RuleError as exc:
            raise ConflictError(str(exc), code="state") from None
        if kind:
            if kind not in Need.Kind.values:
                raise DomainError("未知的诉求性质", field="kind")
            need.kind = kind
        need.category = category
        need.department = department or category.lead_department
        need.dispatched_at = now
        need.signed_at = None
        _set_due(need, _local_date(now), rules.SLA_DAYS[need.kind])
        need.routed_by = routed_by
        need.reminded = False
        need.escalation_level = 0
        need.save(
            update_fields=[
                "state",
                "kind",
                "category",
                "department",
                "dispatched_at",
                "signed_at",
                "due_date",
                "due_from",
                "due_days",
                "routed_by",
                "reminded",
                "escalation_level",
            ]
        )
        if routed_by == "dispatcher" and need.routed_category != category.code:
            RoutingExample.objects.update_or_create(
                need=need,
                defaults={
                    "text": need.text,
                    "predicted": need.routed_category,
                    "label": category.code,
                },
            )
        by = "系统自动派单" if routed_by == "rules" else "区营商办"
        _step(need, "dispatch", before, now, by, _dispatch_note(need))
        notification_send_many(
            actor=actor,
            messages=[_new_order_message(need, user) for user in _staff_of(need.department)],
        )
        _audit(
            actor,
            need,
            "dispatch",
            {"category": category.code, "department": need.department_id, "by": routed_by},
        )
    return need


def _transition(actor, need: Need, action: str, policy: str) -> tuple[Need, str]:
    _check(actor, policy, need)
    need = Need.objects.select_for_update().get(pk=need.pk)
    before = need.state
    try:
        need.state = rules.next_state(before, action)
    except rules.RuleError as exc:
        raise ConflictError(str(exc), code="state") from None
    return need, before


def need_sign(*, actor, need: Need, at: datetime | None = None) -> Need:
    now = at or timezone.now()
    with transaction.atomic():
        need, before = _transition(actor, need, "sign", "needs.handle")
        need.signed_at = now
        need.save(update_fields=["state", "signed_at"])
        _step(need, "sign", before, now, _dept_label(need.department))
        _audit(actor, need, "sign")
    return need


def need_return(*, actor, need: Need, reason: str, at: datetime | None = None) -> Need:
    """退单: back to the dispatcher with the reason (e.g. the legal basis of another remit)."""
    if len((reason or "").strip()) < 4:
        raise DomainError("退单须说明理由（如职责依据）", field="reason")
    now = at or timezone.now()
    with transaction.atomic():
        need, before = _transition(actor, need, "return", "needs.handle")
        dept = need.department
        need.department, need.signed_at = None, None
        need.due_date, need.due_from, need.due_days = None, None, 0
        need.save(
            update_fields=["state", "department", "due_date", "due_from", "due_days", "signed_at"]
        )
        _step(need, "return", before, now, _dept_label(dept), reason.strip())
        audit_log(
            actor=actor,
            action="need.return",
            obj=need,
            organisation=dept,
            detail={"number": need.number, "reason": reason.strip()},
        )
    return need


def need_request_extension(
    *, actor, need: Need, days: int, reason: str, at: datetime | None = None
) -> Need:
    if not 1 <= days <= rules.MAX_EXTENSION_DAYS:
        raise DomainError(f"延期应为 1 至 {rules.MAX_EXTENSION_DAYS} 个工作日", field="days")
    if len((reason or "").strip()) < 4:
        raise DomainError("请说明延期理由", field="reason")
    now = at or timezone.now()
    with transaction.atomic():
        need, before = _transition(actor, need, "request_extension", "needs.handle")
        if need.extension_state == Need.Extension.REQUESTED:
            raise ConflictError("已有待审批的延期申请", code="state")
        need.extension_state = Need.Extension.REQUESTED
        need.extension_days, need.extension_reason = days, reason.strip()
        need.save(update_fields=["extension_state", "extension_days", "extension_reason"])
        _step(need, "request_extension", before, now, _dept_label(need.department), reason.strip())
        _audit(actor, need, "request_extension", {"days": days})
    return need


def need_decide_extension(*, actor, need: Need, approve: bool, at: datetime | None = None) -> Need:
    now = at or timezone.now()
    with transaction.atomic():
        need, before = _transition(actor, need, "decide_extension", "needs.dispatch")
        if need.extension_state != Need.Extension.REQUESTED:
            raise ConflictError("没有待审批的延期申请", code="state")
        fields = ["extension_state"]
        if approve:
            need.extension_state = Need.Extension.APPROVED
            if need.due_from is None:  # a deadline older than its recorded basis
                need.due_from, need.due_days = need.due_date, 0
            _set_due(need, need.due_from, need.due_days + need.extension_days)
            need.reminded, need.escalation_level = False, 0
            fields += ["due_date", "due_from", "due_days", "reminded", "escalation_level"]
            note = f"同意延期 {need.extension_days} 个工作日，新时限 {need.due_date:%Y-%m-%d}"
        else:
            need.extension_state = Need.Extension.REJECTED
            note = "不同意延期"
        need.save(update_fields=fields)
        _step(need, "decide_extension", before, now, "区营商办", note)
        _audit(actor, need, "decide_extension", {"approve": approve})
    return need


def need_reply(*, actor, need: Need, reply: str, at: datetime | None = None) -> Need:
    if len((reply or "").strip()) < 4:
        raise DomainError("答复内容不能少于 4 个字", field="reply")
    now = at or timezone.now()
    with transaction.atomic():
        need, before = _transition(actor, need, "reply", "needs.handle")
        need.reply, need.replied_at = reply.strip(), now
        need.on_time = rules.is_on_time(_local_date(now), need.due_date)
        need.save(update_fields=["state", "reply", "replied_at", "on_time"])
        _step(need, "reply", before, now, _dept_label(need.department), need.reply)
        _audit(actor, need, "reply", {"on_time": need.on_time})
        _notify_after_commit(
            actor=actor,
            channel="sms",
            address=need.contact_phone,
            subject=f"您的诉求 {need.number} 已答复",
            body=f"{_dept_label(need.department)}已答复您的诉求，查看并评价：{progress_url(need)}",
        )
    return need


def need_callback(*, actor, need: Need, note: str, at: datetime | None = None) -> Need:
    if len((note or "").strip()) < 2:
        raise DomainError("请填写回访记录", field="note")
    now = at or timezone.now()
    with transaction.atomic():
        need, before = _transition(actor, need, "callback", "needs.dispatch")
        need.callback_at, need.callback_note = now, note.strip()
        need.save(update_fields=["callback_at", "callback_note"])
        _step(need, "callback", before, now, "区营商办", need.callback_note)
        _audit(actor, need, "callback")
    return need


def need_close(*, actor, need: Need, at: datetime | None = None) -> Need:
    now = at or timezone.now()
    with transaction.atomic():
        need, before = _transition(actor, need, "close", "needs.dispatch")
        if need.callback_at is None:
            raise ConflictError("办结前须完成回访", code="callback_required")
        need.closed_at = now
        need.save(update_fields=["state", "closed_at"])
        _step(need, "close", before, now, "区营商办")
        _audit(actor, need, "close", {"on_time": need.on_time})
    return need


def need_reopen(*, actor, need: Need, reason: str, at: datetime | None = None) -> Need:
    """重办: back to the same department with a fresh deadline (after a bad rating, say)."""
    if len((reason or "").strip()) < 4:
        raise DomainError("请说明重办理由", field="reason")
    now = at or timezone.now()
    with transaction.atomic():
        need, before = _transition(actor, need, "reopen", "needs.dispatch")
        need.reopen_count += 1
        need.closed_at = None
        need.replied_at = None
        need.callback_at = None
        need.on_time = None
        _set_due(need, _local_date(now), rules.SLA_DAYS[need.kind])
        need.reminded, need.escalation_level = False, 0
        need.save(
            update_fields=[
                "state",
                "reopen_count",
                "closed_at",
                "replied_at",
                "callback_at",
                "on_time",
                "due_date",
                "due_from",
                "due_days",
                "reminded",
                "escalation_level",
            ]
        )
        _step(need, "reopen", before, now, "区营商办", reason.strip())
        _audit(actor, need, "reopen", {"reason": reason.strip()})
    return need
