"""Writes on the claims register: filing (with evidence), employee claims, objections, review,
publication, provisional amounts and confirmation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction

from qinqing.bankruptcy import rules, selectors
from qinqing.bankruptcy.models import Agreement, Case, Claim, ClaimEvidence, Creditor
from qinqing.bankruptcy.services.common import (
    EVIDENCE_TYPES,
    MAX_EVIDENCE_BYTES,
    ZERO,
    _audit,
    _locked,
    _notify_creditor,
    _require_open,
    _rule,
    _today,
    money,
)
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import Organisation
from qinqing.core.permissions import grants_of
from qinqing.core.roles import Role


def _creditor_for(case: Case, *, name: str, organisation=None, user=None, phone="") -> Creditor:
    """The case's creditor row for this filer: by organisation, else by exact name. A row
    recorded by name only (paper or Excel filing) is linked to the organisation whose official
    name it bears, so the organisation's creditor accounts then see it."""
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写债权人名称", field="creditor_name")
    creditor = None
    if organisation is not None:
        creditor = Creditor.objects.filter(case=case, organisation=organisation).first()
    if creditor is None:
        creditor = Creditor.objects.filter(case=case, name=name).first()
        if creditor is not None and organisation is not None:
            # the row may be this organisation's own, created by a concurrent filing after the
            # look-up by organisation above: only another organisation's row is a conflict
            if creditor.organisation_id not in (None, organisation.pk):
                raise DomainError("同名债权人已由其他机构申报", field="creditor_name")
            if creditor.organisation_id is None:
                creditor.organisation = organisation
                creditor.save(update_fields=["organisation"])
    if creditor is None:
        try:
            with transaction.atomic():
                creditor = Creditor.objects.create(
                    case=case, name=name, organisation=organisation, user=user, phone=phone
                )
        except IntegrityError:  # a concurrent filing created it first
            creditor = Creditor.objects.get(case=case, name=name)
    if user is not None and creditor.user_id is None:
        creditor.user = user
        creditor.save(update_fields=["user"])
    if phone and not creditor.phone:
        creditor.phone = phone
        creditor.save(update_fields=["phone"])
    return creditor


def _check_evidence(files: Iterable) -> list:
    """Evidence files within 10 MB whose content is what their name says (PDF, JPEG, PNG by
    their first bytes, ``rules.evidence_check``): a text file named ``.pdf`` is refused."""
    checked = []
    for upload in files or ():
        if upload.size > MAX_EVIDENCE_BYTES:
            raise DomainError("证据文件不能超过 10 MB", field="evidence")
        content_type = getattr(upload, "content_type", "") or ""
        if content_type and content_type not in EVIDENCE_TYPES:
            raise DomainError("证据文件只接受 PDF、JPG、PNG", field="evidence")
        upload.seek(0)
        head = upload.read(rules.EVIDENCE_HEAD_BYTES)
        upload.seek(0)
        _rule(rules.evidence_check, upload.name or "", head, field="evidence")
        checked.append(upload)
    return checked


def _refuse_duplicate(creditor: Creditor, claim: rules.FiledClaim) -> None:
    """Refuse a claim that repeats one of the creditor's claims still under review
    (``rules.duplicate_of``); the creditor row is locked, so two identical filings at once
    cannot both pass."""
    earlier = {
        c.pk: c
        for c in Claim.objects.filter(creditor=creditor, status=Claim.Status.FILED).order_by("pk")
    }
    filed = {
        pk: rules.FiledClaim(
            c.principal, c.interest, c.other, c.rank, c.nature, c.secured, pending=True
        )
        for pk, c in earlier.items()
    }
    repeated = rules.duplicate_of(claim, filed.values())
    if repeated is None:
        return
    first = earlier[next(pk for pk, f in filed.items() if f is repeated)]
    raise ConflictError(
        f"{creditor.name}已于{first.filed_on.year}年{first.filed_on.month}月{first.filed_on.day}日申报过金额相同的同一笔债权"
        f"（{first.declared_amount} 元），正在审查中，请勿重复申报。"
        "如需补充证据或更正金额，请联系管理人。",
        code="duplicate_claim",
    )


def claim_file(
    *,
    actor,
    case: Case,
    creditor_name: str,
    principal,
    interest=0,
    other=0,
    rank: str = Claim.Rank.ORDINARY,
    nature: str = Claim.Nature.GENERAL,
    secured: bool = False,
    collateral_value=0,
    waived_priority: bool = False,
    organisation: Organisation | None = None,
    phone: str = "",
    filed_on: date | None = None,
    evidence: Sequence = (),
) -> Claim:
    """Art.49 declaration (amount split, secured or not, evidence); late ones flagged (Art.56).
    None once the court has approved an agreement (Art.98, Art.100(3), Art.105:
    `selectors.filing_bar`). Refused: the same claim again while the first is under review,
    evidence whose content is not the PDF/JPEG/PNG its name says, a secured claim without a
    collateral value above zero. A tax late fee is filed as an ordinary claim
    (``rules.liquidation_class``)."""
    bar = selectors.filing_bar(case)
    if bar is not None:
        raise ConflictError(bar, code="agreement_approved")
    _require_open(case)
    if case.announcement_date is None:
        raise ConflictError("本案尚未公告，暂不能申报债权", code="not_announced")
    if rank not in Claim.Rank.values:
        raise DomainError("未知的债权性质", field="rank")
    if rank == Claim.Rank.EMPLOYEE:
        raise DomainError("职工债权无需申报，由管理人调查后列出（第48条）", field="rank")
    if nature not in Claim.Nature.values or nature == Claim.Nature.COURT_SUBORDINATED:
        raise DomainError("未知的债权细分（法院裁定劣后的债权由法院标注）", field="nature")
    if nature == Claim.Nature.TAX_LATE_FEE:
        rank = Claim.Rank.ORDINARY  # 法释〔2012〕9号: late fees are ordinary claims
    amounts = {
        "principal": money(principal, "principal"),
        "interest": money(interest, "interest"),
        "other": money(other, "other"),
    }
    if sum(amounts.values()) <= 0:
        raise DomainError("申报金额必须大于零", field="principal")
    collateral = ZERO
    if secured:
        if collateral_value in (None, "") or money(collateral_value, "collateral_value") <= 0:
            raise DomainError(
                "有财产担保的债权须填写担保物的价值（大于零）；没有担保物的请取消“有财产担保”",
                field="collateral_value",
            )
        collateral = money(collateral_value, "collateral_value")
    filed_on = filed_on or _today()
    if filed_on < case.announcement_date:
        raise DomainError("申报日不能早于公告日", field="filed_on")
    evidence = _check_evidence(evidence)
    user = actor if getattr(actor, "is_authenticated", False) else None
    # the filing account speaks for the creditor only when it is a creditor's own account
    speaker = user if user is not None and grants_of(user).has(Role.CREDITOR) else None
    late = bool(case.declaration_end and filed_on > case.declaration_end)
    with transaction.atomic():
        creditor = _locked(
            _creditor_for(
                case, name=creditor_name, organisation=organisation, user=speaker, phone=phone
            )
        )
        _refuse_duplicate(
            creditor,
            rules.FiledClaim(
                amounts["principal"],
                amounts["interest"],
                amounts["other"],
                rank,
                nature,
                bool(secured),
                pending=True,
            ),
        )
        claim = Claim.objects.create(
            case=case,
            creditor=creditor,
            rank=rank,
            nature=nature,
            secured=bool(secured),
            collateral_value=collateral,
            waived_priority=bool(secured and waived_priority),
            late=late,
            filed_on=filed_on,
            filed_by=user,
            **amounts,
        )
        for upload in evidence:
            ClaimEvidence.objects.create(claim=claim, file=upload, name=upload.name[:200])
        _audit(
            actor,
            "claim.file",
            claim,
            case,
            creditor=creditor.name,
            declared=claim.declared_amount,
            secured=claim.secured,
            late=late,
            evidence=len(evidence),
        )
    return claim


def claim_list_employee(
    *,
    actor,
    case: Case,
    employee_name: str,
    amount,
    listed_on: date | None = None,
    senior_manager: bool = False,
    wage_months=None,
) -> Claim:
    """Art.48: the administrator lists employee claims (no declaration); employees may object.
    A director's, supervisor's or senior manager's wages (``senior_manager``) are listed with
    the months owed: in liquidation only the wage at the firm's average counts as an employee
    claim, the rest is ordinary (Art.113 para.3, ``rules.senior_manager_wage_split``)."""
    _require_open(case)
    value = money(amount, "amount", allow_zero=False)
    months = None
    if senior_manager:
        try:
            months = Decimal(str(wage_months).strip()) if wage_months not in (None, "") else None
        except (InvalidOperation, ValueError):
            months = None
        if months is None or not months.is_finite() or not 0 < months <= 999:
            raise DomainError(
                "董事、监事和高级管理人员的工资须填写欠薪月数（大于零），"
                "以便按职工平均工资计算（第113条第3款）",
                field="wage_months",
            )
        if months != months.quantize(Decimal("0.1")):
            raise DomainError("欠薪月数最多保留一位小数", field="wage_months")
    with transaction.atomic():
        creditor = _creditor_for(case, name=employee_name)
        claim = Claim.objects.create(
            case=case,
            creditor=creditor,
            rank=Claim.Rank.EMPLOYEE,
            principal=value,
            status=Claim.Status.ADMITTED,
            admitted_amount=value,
            review_reason="管理人调查后列出（第48条）",
            senior_manager=bool(senior_manager),
            wage_months=months,
            filed_on=listed_on or _today(),
            filed_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        _audit(
            actor,
            "claim.list_employee",
            claim,
            case,
            employee=creditor.name,
            amount=value,
            senior_manager=bool(senior_manager),
            wage_months=months,
        )
    return claim


def claim_subordinate(*, actor, claim: Claim, reason: str) -> Claim:
    """The court orders an ordinary claim subordinated (劣后债权, 法〔2018〕53号 §28: e.g. a
    claim of a related party that abused its control): paid only after every ordinary claim,
    no vote on the agreement and no term in it."""
    _require_open(claim.case)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请写明裁定劣后清偿的理由", field="reason")
    with transaction.atomic():
        _locked(claim)
        if claim.rank != Claim.Rank.ORDINARY:
            raise ConflictError("只有普通债权可以裁定劣后清偿")
        if claim.nature == Claim.Nature.COURT_SUBORDINATED:
            raise ConflictError("该债权已裁定劣后清偿")
        if claim.case.agreements.exclude(status__in=Agreement.ENDED).exists():
            raise ConflictError("已有和解协议（草案），请先终止草案再裁定劣后清偿")
        previous = claim.nature
        claim.nature = Claim.Nature.COURT_SUBORDINATED
        claim.review_reason = (claim.review_reason + f"；法院裁定劣后清偿：{reason}").strip("；")
        claim.save(update_fields=["nature", "review_reason"])
        _audit(actor, "claim.subordinate", claim, claim.case, reason=reason, previous=previous)
    return claim


def claim_object(*, actor, claim: Claim, text: str, via: str = "") -> Claim:
    """An objection to a reviewed claim (Art.48 for employees, Art.58 for the claims table);
    `via` as for `payment_confirm_receipt`."""
    _require_open(claim.case)
    text = (text or "").strip()
    if not text:
        raise DomainError("请写明异议内容", field="objection")
    with transaction.atomic():
        _locked(claim)
        if claim.status not in (Claim.Status.ADMITTED, Claim.Status.REJECTED):
            raise ConflictError("只能对已审查的债权提出异议")
        claim.objection = text[:2000]
        claim.save(update_fields=["objection"])
        detail = {"via": via} if via else {}
        _audit(actor, "claim.object", claim, claim.case, objection=claim.objection, **detail)
    return claim


def claim_review(*, actor, claim: Claim, admitted_amount, reason: str) -> Claim:
    """Art.57: the administrator reviews a declared claim, with reasons (``None`` = rejected)."""
    _require_open(claim.case)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请写明审查理由", field="reason")
    if admitted_amount in (None, ""):
        status, amount = Claim.Status.REJECTED, None
    else:
        amount = money(admitted_amount, "admitted_amount")
        if amount > claim.declared_amount:
            raise DomainError("确认金额不能超过申报金额", field="admitted_amount")
        status = Claim.Status.ADMITTED if amount > 0 else Claim.Status.REJECTED
    with transaction.atomic():
        _locked(claim)  # the court's confirmation (`claims_confirm`) is not overwritten
        if claim.status not in (Claim.Status.FILED, Claim.Status.ADMITTED, Claim.Status.REJECTED):
            raise ConflictError("法院已裁定的债权不能再审查")
        claim.status, claim.admitted_amount, claim.review_reason = status, amount, reason
        claim.save(update_fields=["status", "admitted_amount", "review_reason"])
        _audit(
            actor, "claim.review", claim, claim.case, status=status, amount=amount, reason=reason
        )
        _notify_creditor(
            actor,
            claim.creditor,
            f"{claim.case.number} 债权审查结果",
            f"您申报的债权 {claim.declared_amount} 元："
            + (f"确认 {amount} 元" if status == Claim.Status.ADMITTED else "不予确认")
            + f"。理由：{reason}。如有异议，可向管理人提出（第58条）。",
        )
    return claim


def claims_table_publish(*, actor, case: Case, on: date | None = None) -> Case:
    """Art.57: the claims table is drawn up once every declared claim has been reviewed."""
    with transaction.atomic():
        _locked(case)
        _require_open(case)
        pending = case.claims.filter(status=Claim.Status.FILED).count()
        if pending:
            raise ConflictError(f"尚有 {pending} 笔债权未审查，不能编制债权表")
        case.claims_table_published_on = on or _today()
        case.save(update_fields=["claims_table_published_on"])
        _audit(actor, "case.claims_table", case, case, on=case.claims_table_published_on)
    return case


def claim_set_provisional(*, actor, claim: Claim, amount) -> Claim:
    """Art.59 para.2: the court fixes a provisional amount for voting on an unconfirmed claim."""
    _require_open(claim.case)
    value = None if amount in (None, "") else money(amount, "provisional_amount")
    with transaction.atomic():
        _locked(claim)
        if claim.status == Claim.Status.CONFIRMED:
            raise ConflictError("已确认的债权按确认金额表决，无需临时确定")
        claim.provisional_amount = value
        claim.save(update_fields=["provisional_amount"])
        _audit(actor, "claim.provisional", claim, claim.case, amount=value)
    return claim


def claims_confirm(*, actor, case: Case, on: date | None = None) -> dict[str, int]:
    """Art.58: the claims table checked at the first meeting; undisputed claims confirmed by the
    court, claims with an objection marked disputed (the objector may sue)."""
    admitted = case.claims.filter(status=Claim.Status.ADMITTED)
    with transaction.atomic():
        _locked(case)
        _require_open(case)
        if case.claims_table_published_on is None:
            raise ConflictError("尚未编制债权表")
        disputed = admitted.exclude(objection="").update(status=Claim.Status.DISPUTED)
        confirmed = admitted.filter(objection="").update(status=Claim.Status.CONFIRMED)
        _audit(
            actor,
            "case.claims_confirm",
            case,
            case,
            on=on or _today(),
            confirmed=confirmed,
            disputed=disputed,
        )
    return {"confirmed": confirmed, "disputed": disputed}
