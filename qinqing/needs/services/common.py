"""Helpers shared by the needs services: permission checks, deadlines, steps, audit records and
notifications after the commit."""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from qinqing.core import calendar
from qinqing.core.audit import AuditRecord, audit_log_many
from qinqing.core.models import Organisation
from qinqing.core.notifier import Message, notification_send
from qinqing.core.permissions import can
from qinqing.needs import rules
from qinqing.needs.models import Need, NeedStep


def _check(actor, action: str, need: Need | None = None) -> None:
    """Services called by a person check the policy; `actor=None` is the system itself."""
    if actor is not None and not can(actor, action, need):
        raise PermissionDenied


def _local_date(at: datetime) -> date:
    return timezone.localtime(at).date()


def _set_due(need: Need, start: date, days: int) -> None:
    """The deadline `days` working days after `start`, with what it is computed from."""
    need.due_from, need.due_days = start, days
    need.due_date = rules.due_date(start, days, calendar.add_working_days)


def _step(need: Need, action: str, before: str, at: datetime, by: str, note: str = "") -> None:
    NeedStep.objects.create(
        need=need,
        at=at,
        action=action,
        from_state=before,
        to_state=need.state,
        by_label=by,
        note=note,
    )


def _audit_record(actor, need: Need, verb: str, detail: dict | None = None) -> AuditRecord:
    return AuditRecord(
        f"need.{verb}",
        actor,
        obj=need,
        organisation=need.department,
        detail={"number": need.number, "state": need.state, **(detail or {})},
    )


def _audit(actor, need: Need, verb: str, detail: dict | None = None) -> None:
    audit_log_many([_audit_record(actor, need, verb, detail)])


def _notify_after_commit(**message) -> None:
    """Send once the order is committed: no message for a rolled-back change, and the audit
    chain's head is not held while messages are written (each is its own short transaction)."""
    transaction.on_commit(lambda: notification_send(**message), robust=True)


def progress_url(need: Need) -> str:
    base = getattr(settings, "QINQING_PUBLIC_URL", "").rstrip("/")
    return f"{base}/needs/t/{need.token}/"


def _dept_label(org: Organisation | None) -> str:
    return (org.short_name or org.name) if org else "区营商办"


def _dispatch_note(need: Need) -> str:
    return (
        f"派往{_dept_label(need.department)}，办理时限 {need.due_date:%Y-%m-%d}"
        f"{calendar.estimate_note(need.due_date)}"
    )


def _new_order_message(need: Need, user) -> Message:
    return Message(
        "in_app",
        f"新工单 {need.number} 待签收",
        f"{need.category.name}：{need.text[:60]}（时限 {need.due_date:%Y-%m-%d}"
        f"{'，' + calendar.ESTIMATE_LABEL if calendar.is_estimated(need.due_date) else ''}）",
        recipient=user,
    )
