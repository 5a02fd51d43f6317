"""Helpers shared by the bankruptcy services: money parsing, the audit entry, row locks and the
creditor's notification."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from qinqing.bankruptcy import rules
from qinqing.bankruptcy.models import Case, Claim, Creditor
from qinqing.core.audit import audit_log
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import RoleGrant
from qinqing.core.notifier import notification_send
from qinqing.core.roles import Role

ZERO = Decimal("0.00")
REVIEWED_STATUSES = (Claim.Status.ADMITTED, Claim.Status.CONFIRMED, Claim.Status.DISPUTED)
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES = {"application/pdf", "image/jpeg", "image/png"}


def _today() -> date:
    return timezone.localdate()


# What a money column holds (`models.money_field`: 18 digits, 2 of them after the point).
MONEY_LIMIT = Decimal(10) ** 16


def money(value, field: str, *, allow_zero: bool = True) -> Decimal:
    """Parse a money amount (yuan, at most two decimals, below `MONEY_LIMIT`) or raise
    ``DomainError`` on ``field``."""
    try:
        amount = Decimal(str(value).strip().replace(",", "")) if value not in (None, "") else None
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite():
        raise DomainError("金额格式不正确", field=field)
    if abs(amount) >= MONEY_LIMIT:  # also keeps the quantize below within decimal's precision
        raise DomainError("金额超出可登记的范围", field=field)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise DomainError("金额必须大于零" if not allow_zero else "金额不能为负数", field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError("金额最多精确到分", field=field)
    return amount.quantize(Decimal("0.01"))


def _rule(fn, *args, field: str | None = None, **kwargs):
    try:
        return fn(*args, **kwargs)
    except rules.RuleError as exc:
        raise DomainError(str(exc), field=field) from None


def _audit(actor, action: str, obj, case: Case, **detail) -> None:
    audit_log(actor=actor, action=action, obj=obj, organisation=case.court, detail=detail)


def _locked(obj):
    """Re-read ``obj`` in place under a row lock held until the transaction ends (call it
    inside ``transaction.atomic()``): what a service checks (a state, a sum, a limit) is then
    what it changes. Returns ``obj``."""
    obj.refresh_from_db(from_queryset=type(obj).objects.select_for_update())
    return obj


def _require_open(case: Case) -> None:
    if case.closed_date is not None:
        raise ConflictError("案件已结案，不能再变更", code="closed")


def creditor_users(creditor: Creditor) -> list:
    """The accounts that speak for a creditor: its filing account and its organisation's creditors."""
    users = {}
    if creditor.user_id:
        users[creditor.user_id] = creditor.user
    if creditor.organisation_id:
        for grant in RoleGrant.objects.filter(
            organisation_id=creditor.organisation_id, role=Role.CREDITOR
        ).select_related("user"):
            users[grant.user_id] = grant.user
    return list(users.values())


def _notify_creditor(actor, creditor: Creditor, subject: str, body: str) -> int:
    sent = 0
    for user in creditor_users(creditor):
        notification_send(actor=actor, channel="in_app", subject=subject, body=body, recipient=user)
        sent += 1
    if not sent and creditor.phone:
        notification_send(
            actor=actor, channel="sms", subject=subject, body=body, address=creditor.phone
        )
        sent += 1
    return sent
