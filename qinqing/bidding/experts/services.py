"""Writes of the expert register: an expert's status, employment history, declared relations
and leave (the facts the draw's eligibility rules read)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from qinqing.bidding.models import Expert, ExpertDeclaredRelation, ExpertLeave, ExpertRelation
from qinqing.core.audit import audit_log
from qinqing.core.errors import DomainError
from qinqing.core.rules import uscc_is_valid, uscc_normalise


def expert_status_set(*, actor, expert: Expert, status: str, ban_until=None, reason: str) -> Expert:
    if status not in Expert.Status.values:
        raise DomainError("未知的专家状态", field="status")
    if not reason.strip():
        raise DomainError("请说明变更原因", field="reason")
    with transaction.atomic():
        expert.status, expert.ban_until = status, ban_until
        expert.save(update_fields=["status", "ban_until"])
        audit_log(
            actor=actor,
            action="expert.set_status",
            obj=expert,
            organisation=expert.database,
            detail={"status": status, "ban_until": ban_until, "reason": reason.strip()},
        )
    return expert


def _organisation_named(org_uscc: str, org_name: str) -> tuple[str, str]:
    uscc = uscc_normalise(org_uscc or "")
    if not uscc_is_valid(uscc):
        raise DomainError("单位统一社会信用代码不正确", field="org_uscc")
    name = (org_name or "").strip()
    if not name:
        raise DomainError("请填写单位名称", field="org_name")
    if len(name) > 200:
        raise DomainError("单位名称不能超过 200 字", field="org_name")
    return uscc, name


def _expert_audit(actor, action: str, expert: Expert, source: str, **detail) -> None:
    """An audit entry on the expert's register entry; `source` names who wrote it when that
    is not a signed-in user (the expert's own page)."""
    if source:
        detail = {"source": source, "expert": expert.code, **detail}
    audit_log(actor=actor, action=action, obj=expert, organisation=expert.database, detail=detail)


def expert_relation_add(
    *,
    actor,
    expert: Expert,
    org_uscc: str,
    org_name: str,
    kind: str,
    start,
    end=None,
    source: str = "",
) -> ExpertRelation:
    """Employment, a directorship or a shareholding (read by EMPLOYER / PAST_EMPLOYER)."""
    org_uscc, org_name = _organisation_named(org_uscc, org_name)
    if kind not in ExpertRelation.Kind.values:
        raise DomainError("未知的关系类型", field="kind")
    if start > timezone.localdate():
        raise DomainError("起始日期不能晚于今天", field="start")
    if end is not None and end < start:
        raise DomainError("终止日期不能早于起始日期", field="end")
    with transaction.atomic():
        if ExpertRelation.objects.filter(
            expert=expert, org_uscc=org_uscc, kind=kind, start=start
        ).exists():
            raise DomainError("这条任职经历已登记", field="org_uscc")
        relation = ExpertRelation.objects.create(
            expert=expert, org_uscc=org_uscc, org_name=org_name, kind=kind, start=start, end=end
        )
        _expert_audit(
            actor,
            "expert.add_relation",
            expert,
            source,
            org_uscc=org_uscc,
            kind=kind,
            start=start,
            end=end,
        )
    return relation


def expert_declare(
    *, actor, expert: Expert, org_uscc: str, org_name: str, source: str = ""
) -> ExpertDeclaredRelation:
    """An organisation the expert declares as related (read by DECLARED_CONFLICT)."""
    org_uscc, org_name = _organisation_named(org_uscc, org_name)
    with transaction.atomic():
        if ExpertDeclaredRelation.objects.filter(expert=expert, org_uscc=org_uscc).exists():
            raise DomainError("该单位已申报", field="org_uscc")
        declared = ExpertDeclaredRelation.objects.create(
            expert=expert, org_uscc=org_uscc, org_name=org_name
        )
        _expert_audit(actor, "expert.declare_relation", expert, source, org_uscc=org_uscc)
    return declared


def expert_leave_add(
    *, actor, expert: Expert, start, end, reason: str = "", source: str = ""
) -> ExpertLeave:
    """Leave (read by UNAVAILABLE)."""
    if end < start:
        raise DomainError("请假结束日期不能早于开始日期", field="end")
    with transaction.atomic():
        leave = ExpertLeave.objects.create(expert=expert, start=start, end=end, reason=reason)
        _expert_audit(
            actor, "expert.add_leave", expert, source, start=start, end=end, leave=leave.pk
        )
    return leave
