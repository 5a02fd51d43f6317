"""Writes of projects: a project with its section and bidders, its evaluation session, and the
bid prices read at the opening."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from qinqing.bidding.common import require_kind
from qinqing.bidding.models import (
    Bidder,
    BidderSize,
    EvaluationSession,
    ProcurementCategory,
    Project,
    RuleSet,
    Section,
)
from qinqing.core.audit import audit_log
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import Organisation
from qinqing.core.rules import is_ascii_digits, uscc_is_valid, uscc_normalise

K = Organisation.Kind


@dataclass(frozen=True)
class BidderIn:
    uscc: str
    name: str


def bid_prices_record(*, actor, section: Section, prices: dict[int, Decimal]) -> int:
    """Record the bid prices read out at a room opening (开标记录), before the evaluation
    starts. A section with sealed electronic bids takes its prices from the schedules
    decrypted at the remote opening (opening/services.opening_decrypt), never from typing."""
    if prices and section.bids.exists():
        raise ConflictError(
            "本标段为电子密封投标，投标报价取自开标时解密的开标一览表，不能手工录入",
            field="prices",
            code="sealed_bids",
        )
    session = getattr(section, "session", None)
    if session is not None and session.status in (
        EvaluationSession.Status.IN_PROGRESS,
        EvaluationSession.Status.CLOSED,
    ):
        raise ConflictError("评标已开始，开标记录不能再修改")
    bidders = {b.pk: b for b in section.bidders.all()}
    for bidder_id, price in prices.items():
        bidder = bidders.get(bidder_id)
        if bidder is None:
            raise DomainError("投标人不属于本标段", field="prices")
        if not isinstance(price, Decimal) or not price.is_finite() or price <= 0:
            raise DomainError(
                f"{bidder.name}的投标报价须为大于零的金额", field=f"price_{bidder_id}"
            )
        if price.as_tuple().exponent < -2:
            raise DomainError(
                f"{bidder.name}的投标报价最多保留两位小数", field=f"price_{bidder_id}"
            )
    with transaction.atomic():
        changed = []
        for bidder_id, price in prices.items():
            bidder = bidders[bidder_id]
            if bidder.bid_price != price:
                bidder.bid_price = price
                bidder.save(update_fields=["bid_price"])
                changed.append({"uscc": bidder.uscc, "price": str(price)})
        audit_log(
            actor=actor,
            action="bids.record_prices",
            obj=section,
            organisation=section.project.host_centre,
            detail={"changed": changed},
        )
    return len(changed)


def bidder_sizes_record(*, actor, section: Section, sizes: dict[int, str]) -> int:
    """Record each bidder's declared size (中小企业声明函), before the evaluation starts: the
    SME price deduction of a procurement (财库〔2020〕46号 Art.9) follows the declaration; blank
    means no declaration (no deduction)."""
    session = getattr(section, "session", None)
    if session is not None and session.status in (
        EvaluationSession.Status.IN_PROGRESS,
        EvaluationSession.Status.CLOSED,
    ):
        raise ConflictError("评标已开始，企业规模声明不能再修改")
    bidders = {b.pk: b for b in section.bidders.all()}
    for bidder_id, size in sizes.items():
        if bidder_id not in bidders:
            raise DomainError("投标人不属于本标段", field="sizes")
        if size and size not in BidderSize.values:
            raise DomainError(f"{bidders[bidder_id].name}的企业规模无效", field=f"size_{bidder_id}")
    with transaction.atomic():
        changed = []
        for bidder_id, size in sizes.items():
            bidder = Bidder.objects.select_for_update().get(pk=bidder_id)
            if bidder.size != size:
                bidder.size = size
                bidder.save(update_fields=["size"])
                changed.append({"uscc": bidder.uscc, "size": size})
        if changed:
            audit_log(
                actor=actor,
                action="bids.record_sizes",
                obj=section,
                organisation=section.project.host_centre,
                detail={"changed": changed},
            )
    return len(changed)


def project_register(
    *,
    actor,
    code: str,
    name: str,
    tenderer: Organisation,
    agency: Organisation | None,
    supervising_department: Organisation,
    host_centre: Organisation,
    region_code: str,
    method: str,
    rule_set: RuleSet,
    budget: Decimal | None,
    section_code: str,
    section_name: str,
    bidders: list[BidderIn],
    procurement_category: str = "",
    complex_or_significant: bool = False,
) -> Section:
    """Register a project with one section and its bidders (a tender's data as the agent
    submits it at the host centre)."""
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise DomainError("项目编号和项目名称不能为空", field="code" if not code else "name")
    if Project.objects.filter(code=code).exists():
        raise DomainError("项目编号已存在", field="code")
    require_kind(host_centre, K.TRADING_CENTRE, "host_centre", "主场")
    if method not in Project.Method.values:
        raise DomainError("未知的评标办法", field="method")
    if not (len(region_code) == 6 and is_ascii_digits(region_code)):
        raise DomainError("地区代码应为6位数字行政区划代码", field="region_code")
    if budget is not None and budget < 0:
        raise DomainError("预算金额不能为负数", field="budget")
    procurement = rule_set.kind == RuleSet.Kind.PROCUREMENT
    if procurement_category and procurement_category not in ProcurementCategory.values:
        raise DomainError("未知的采购项目类别", field="procurement_category")
    if not procurement and (procurement_category or complex_or_significant):
        raise DomainError(
            "采购项目类别和“技术复杂或社会影响较大”仅适用于政府采购项目",
            field="procurement_category" if procurement_category else "complex_or_significant",
        )
    seen: set[str] = set()
    cleaned: list[BidderIn] = []
    for row, bidder in enumerate(bidders, start=1):
        uscc = uscc_normalise(bidder.uscc)
        if not uscc_is_valid(uscc):
            raise DomainError(f"第 {row} 个投标人的统一社会信用代码不正确", field="bidders")
        if uscc in seen:
            raise DomainError(f"第 {row} 个投标人重复", field="bidders")
        if not bidder.name.strip():
            raise DomainError(f"第 {row} 个投标人缺少名称", field="bidders")
        seen.add(uscc)
        cleaned.append(BidderIn(uscc, bidder.name.strip()))
    with transaction.atomic():
        project = Project.objects.create(
            code=code,
            name=name,
            tenderer=tenderer,
            agency=agency,
            supervising_department=supervising_department,
            host_centre=host_centre,
            region_code=region_code,
            method=method,
            rule_set=rule_set,
            budget=budget,
            procurement_category=procurement_category,
            complex_or_significant=complex_or_significant,
        )
        section = Section.objects.create(project=project, code=section_code, name=section_name)
        Bidder.objects.bulk_create(
            [Bidder(section=section, uscc=b.uscc, name=b.name) for b in cleaned]
        )
        audit_log(
            actor=actor,
            action="project.register",
            obj=project,
            organisation=host_centre,
            detail={
                "code": code,
                "section": section_code,
                "bidders": len(cleaned),
                "procurement_category": procurement_category,
                "complex_or_significant": complex_or_significant,
            },
        )
    return section


def session_schedule(
    *,
    actor,
    section: Section,
    starts_at: datetime,
    ends_at: datetime,
    guest_centres: list[Organisation],
) -> EvaluationSession:
    project = section.project
    if ends_at <= starts_at:
        raise DomainError("评标结束时间必须晚于开始时间", field="ends_at")
    if starts_at <= timezone.now():
        raise DomainError("评标开始时间必须晚于当前时间", field="starts_at")
    if EvaluationSession.objects.filter(section=section).exists():
        raise ConflictError("该标段已安排评标场次")
    for centre in guest_centres:
        require_kind(centre, K.TRADING_CENTRE, "guest_centres", "客场")
        if centre.pk == project.host_centre_id:
            raise DomainError("客场不能与主场相同", field="guest_centres")
    with transaction.atomic():
        session = EvaluationSession.objects.create(
            section=section, host_centre=project.host_centre, starts_at=starts_at, ends_at=ends_at
        )
        session.guest_centres.set(guest_centres)
        audit_log(
            actor=actor,
            action="session.schedule",
            obj=session,
            organisation=project.host_centre,
            detail={
                "starts_at": starts_at,
                "ends_at": ends_at,
                "guests": [c.code for c in guest_centres],
            },
        )
    return session
