"""Deadlines moved by a holiday notice entered later, and the periodic escalation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from qinqing.core import calendar
from qinqing.core.audit import AuditRecord, audit_log_many
from qinqing.core.notifier import Message, notification_send, notification_send_many
from qinqing.needs import rules
from qinqing.needs.models import Need, Rectification
from qinqing.needs.services.common import _audit, _audit_record, _local_date, _step
from qinqing.needs.services.orders import _staff_of

# --- deadlines moved by a holiday notice entered later -----------------------------------------

OPEN_STATES = (Need.State.PENDING_SIGN, Need.State.IN_PROGRESS)


def _deadlines_moved(model, change: calendar.CalendarChange):
    """The rows of `model` (`due_from`, `due_days`, `due_date`) whose deadline the change
    moves, locked, each with its old deadline (already replaced by the new one)."""
    rows = (
        model.objects.select_for_update(of=("self",))
        .select_related("department")
        .filter(due_date__gte=change.first, due_from__lt=change.last, due_days__gte=1)
        .order_by("pk")
    )
    for row in rows:
        new_due = change.new.add_working_days(row.due_from, row.due_days)
        if new_due != row.due_date:
            old_due, row.due_date = row.due_date, new_due
            yield row, old_due


def needs_deadlines_recompute(change: calendar.CalendarChange) -> int:
    """Move the deadlines of needs and rectifications that were counted across a day whose
    working status the notice changed (counted from their event: `due_from`, `due_days`); a
    reply already given is judged again against the new deadline. Each move is a step the
    firm sees, an audit entry, and a message to the department's staff while it is open."""
    now = timezone.now()
    records: list[AuditRecord] = []
    messages: list[Message] = []
    for need, old_due in _deadlines_moved(Need, change):
        fields = ["due_date"]
        if need.replied_at is not None:
            need.on_time = rules.is_on_time(_local_date(need.replied_at), need.due_date)
            fields.append("on_time")
        need.save(update_fields=fields)
        note = f"依据{change.notice}，办理时限由 {old_due:%Y-%m-%d} 调整为 {need.due_date:%Y-%m-%d}"
        _step(need, "recompute_due", need.state, now, "平台", note)
        detail = {"from": old_due, "to": need.due_date}
        records.append(_audit_record(change.actor, need, "recompute_due", detail))
        if need.state in OPEN_STATES and need.department is not None:
            messages += [
                Message("in_app", f"工单 {need.number} 办理时限调整", note, recipient=user)
                for user in _staff_of(need.department)
            ]
    for rect, old_due in _deadlines_moved(Rectification, change):
        rect.save(update_fields=["due_date"])
        note = f"依据{change.notice}，整改时限由 {old_due:%Y-%m-%d} 调整为 {rect.due_date:%Y-%m-%d}"
        detail = {"from": old_due, "to": rect.due_date}
        records.append(
            AuditRecord(
                "rectification.recompute_due",
                change.actor,
                obj=rect,
                organisation=rect.department,
                detail=detail,
            )
        )
        if rect.state == Rectification.State.OPEN:
            messages += [
                Message("in_app", "整改时限调整", f"{rect.description[:40]}：{note}", recipient=u)
                for u in _staff_of(rect.department)
            ]
    if messages:
        notification_send_many(actor=change.actor, messages=messages, on_commit=True)
    if records:
        audit_log_many(records)
    return len(records)


# --- escalation (periodic) ------------------------------------------------------------------


@dataclass
class EscalationReport:
    reminded: int = 0
    urged: int = 0
    supervised: int = 0


def needs_escalate(*, today: date | None = None) -> EscalationReport:
    """Reminders, 催办 and 督办 for open orders; run daily by `qinqing needs_escalate`."""
    today = today or timezone.localdate()
    report = EscalationReport()
    open_ids = list(
        Need.objects.filter(
            state__in=[Need.State.PENDING_SIGN, Need.State.IN_PROGRESS], due_date__isnull=False
        ).values_list("pk", flat=True)
    )
    labels = {"remind": "到期提醒", "urge": "催办", "supervise": "督办"}
    for pk in open_ids:
        with transaction.atomic():
            need = (
                Need.objects.select_for_update(of=("self",)).select_related("department").get(pk=pk)
            )
            step = rules.escalation_step(
                due=need.due_date,
                today=today,
                level=need.escalation_level,
                reminded=need.reminded,
                add_working_days=calendar.add_working_days,
                working_days_between=calendar.working_days_between,
            )
            if step is None:
                continue
            if step.action == "remind":
                need.reminded = True
                report.reminded += 1
            else:
                need.escalation_level = step.level
                if step.action == "urge":
                    report.urged += 1
                else:
                    report.supervised += 1
            need.save(update_fields=["reminded", "escalation_level"])
            label = labels[step.action]
            if step.action != "remind":
                _step(need, step.action, need.state, timezone.now(), "区营商办", label)
            _audit(None, need, step.action, {"due": need.due_date, "today": today})
            for user in _staff_of(need.department):
                notification_send(
                    actor=None,
                    channel="in_app",
                    recipient=user,
                    subject=f"【{label}】工单 {need.number}",
                    body=(
                        f"办理时限 {need.due_date:%Y-%m-%d}{calendar.estimate_note(need.due_date)}，"
                        "请及时办理。"
                    ),
                )
    return report
