"""Writes on reconciliation agreements: drafts, consents, approval, priority claims, instalments,
payments, completion, termination and voidance."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import F

from qinqing.bankruptcy import rules, selectors
from qinqing.bankruptcy.models import (
    AgendaItem,
    Agreement,
    AgreementTerm,
    Case,
    Claim,
    Creditor,
    Installment,
    Payment,
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
    money,
)
from qinqing.core.errors import ConflictError, DomainError


def agreement_draft(
    *,
    actor,
    case: Case,
    offers: Sequence[tuple[Creditor, object, str]],
    summary: str = "",
    kind: str = Agreement.Kind.COURT,
) -> Agreement:
    """A draft agreement (Art.95) with each creditor's agreed amount against its confirmed
    unsecured claim (computed from the claims table)."""

    _require_open(case)
    if kind not in Agreement.Kind.values:
        raise DomainError("未知的协议类型", field="kind")
    if not offers:
        raise DomainError("请为每个债权人列明清偿额", field="offers")
    rows = []
    for creditor, amount, tier in offers:
        if creditor.case_id != case.pk:
            raise DomainError("债权人不属于本案", field="offers")
        confirmed = selectors.agreement_claim(creditor)
        agreed = money(amount, "offers")
        if agreed > confirmed:
            raise DomainError(
                f"{creditor.name} 的清偿额 {agreed} 超过其确认的无财产担保债权 {confirmed}",
                field="offers",
            )
        priority = selectors.priority_amount(creditor) if case.priority_claims == "inside" else ZERO
        if agreed < priority:
            raise DomainError(
                f"{creditor.name} 的职工债权和税款 {priority} 元须全额列入协议", field="offers"
            )
        rows.append((creditor, confirmed, agreed, tier, priority))
    with transaction.atomic():
        _locked(case)  # one agreement in force at a time
        if case.agreements.exclude(status__in=Agreement.ENDED).exists():
            raise ConflictError("本案已有和解协议")
        agreement = Agreement.objects.create(case=case, kind=kind, summary=summary)
        for creditor, confirmed, agreed, tier, priority in rows:
            AgreementTerm.objects.create(
                agreement=agreement,
                creditor=creditor,
                confirmed_amount=confirmed,
                agreed_amount=agreed,
                priority_amount=priority,
                tier=tier,
            )
        _audit(
            actor,
            "agreement.draft",
            agreement,
            case,
            kind=kind,
            confirmed=sum((r[1] for r in rows), ZERO),
            agreed=sum((r[2] for r in rows), ZERO),
        )
    return agreement


def agreement_draft_by_plan(
    *,
    actor,
    case: Case,
    plan: rules.OfferPlan,
    summary: str = "",
    kind: str = Agreement.Kind.COURT,
) -> Agreement:
    """A draft whose offers follow `plan` (`rules.draft_offers`: one rate, or a small-claims
    tier paid in full) over every creditor's confirmed unsecured claim. A self-settlement
    needs every creditor's consent (Art.105), so there a creditor with nothing unsecured gets
    a term of zero to consent to."""
    creditors = {str(c.pk): c for c in case.creditors.prefetch_related("claims")}
    claims = {key: selectors.unsecured_confirmed(c) for key, c in creditors.items()}
    offers = _rule(rules.draft_offers, claims, plan, field="rate")
    rows = [(creditors[key], offer.amount, offer.tier) for key, offer in offers.items()]
    if case.priority_claims == "inside":  # employee and tax claims paid in full in the agreement
        priority = {key: selectors.priority_amount(c) for key, c in creditors.items()}
        rows = [
            (
                c,
                amount + priority[str(c.pk)],
                tier + ("；职工债权、税款全额" if priority[str(c.pk)] else ""),
            )
            for c, amount, tier in rows
        ]
        rows += [
            (creditors[key], amount, "职工债权、税款全额清偿")
            for key, amount in priority.items()
            if amount and key not in offers
        ]
    if kind == Agreement.Kind.SELF_SETTLEMENT:
        covered = {str(c.pk) for c, _amount, _tier in rows}
        rows += [
            (c, ZERO, "无无财产担保债权") for key, c in creditors.items() if key not in covered
        ]
    return agreement_draft(actor=actor, case=case, offers=rows, summary=summary, kind=kind)


def term_consent(*, actor, term: AgreementTerm, on: date | None = None) -> AgreementTerm:
    """A creditor consents to an out-of-court settlement (Art.105)."""
    if term.agreement.kind != Agreement.Kind.SELF_SETTLEMENT:
        raise ConflictError("只有自行和解需要逐一同意")
    with transaction.atomic():
        if _locked(term.agreement).status != Agreement.Status.DRAFT:
            raise ConflictError("协议已生效")
        term.consented_on = on or _today()
        term.save(update_fields=["consented_on"])
        _audit(actor, "agreement.consent", term, term.agreement.case, creditor=term.creditor.name)
    return term


def agreement_approve(*, actor, agreement: Agreement, on: date) -> Agreement:
    """Art.98: the court approves an adopted agreement (Art.97 tally passed); Art.105: a
    self-settlement needs every creditor's consent."""
    case = agreement.case
    if on < case.acceptance_date:
        raise DomainError("裁定日不能早于受理日", field="on")
    with transaction.atomic():
        _locked(case)
        _locked(agreement)  # the consents (`term_consent`) are counted under this lock
        _require_open(case)
        if agreement.status != Agreement.Status.DRAFT:
            raise ConflictError("协议不在草案状态")
        if agreement.kind == Agreement.Kind.COURT:
            adopted = AgendaItem.objects.filter(
                meeting__case=case, kind=AgendaItem.Kind.RECONCILIATION, passed=True
            ).exists()
            if not adopted:
                raise ConflictError(
                    "和解协议尚未经债权人会议表决通过（第97条）", code="not_adopted"
                )
        else:
            all_ids = [str(pk) for pk in case.creditors.values_list("pk", flat=True)]
            consenting = [
                str(pk)
                for pk in agreement.terms.exclude(consented_on=None).values_list(
                    "creditor_id", flat=True
                )
            ]
            if not _rule(rules.self_settlement_valid, all_ids, consenting):
                raise ConflictError("自行和解须经全体债权人同意（第105条）", code="not_unanimous")
        _check_priority_claims(case, agreement)
        agreement.status, agreement.approved_on = Agreement.Status.APPROVED, on
        agreement.save(update_fields=["status", "approved_on"])
        case.status, case.approval_date = Case.Status.EXECUTING, on
        case.save(update_fields=["status", "approval_date"])
        _audit(actor, "agreement.approve", agreement, case, on=on, kind=agreement.kind)
    return agreement


def _check_priority_claims(case: Case, agreement: Agreement) -> None:
    """Employee and tax claims are not reconciliation claims (Art.100 binds the unsecured
    creditors only) and come before them (Art.113 para.1): under the case's setting they are
    paid in full before the court approves the agreement ("outside", the default), or the
    agreement pays each of them in full ("inside"). A director's, supervisor's or senior
    manager's wage is due in full only up to the firm's average wage; the rest is an ordinary
    claim in the agreement (Art.113 para.3, ``selectors.priority_parts``)."""
    due = [(claim, part) for claim, part in selectors.priority_parts(case) if part > 0]
    if case.priority_claims == "inside":
        terms = {t.creditor_id: t for t in agreement.terms.all()}
        owed: dict[int, Decimal] = {}
        for claim, part in due:
            owed[claim.creditor_id] = owed.get(claim.creditor_id, ZERO) + part
        short = [
            claim.creditor.name
            for claim, _part in due
            if claim.creditor_id not in terms
            or terms[claim.creditor_id].priority_amount < owed[claim.creditor_id]
        ]
        if short:
            raise ConflictError(
                "本案职工债权和税款债权列入和解协议，须全额清偿，协议未全额列明："
                + "、".join(dict.fromkeys(short)),
                code="priority_not_in_agreement",
            )
        return
    unpaid = [(c, part) for c, part in due if c.paid_in_full_on is None]
    if unpaid:
        total = sum((part for _c, part in unpaid), ZERO)
        raise ConflictError(
            f"本案职工债权和税款债权在协议外全额清偿，认可和解协议前须付清：尚有 {len(unpaid)} 笔"
            f"未清偿，合计 {total} 元（"
            + "、".join(dict.fromkeys(c.creditor.name for c, _part in unpaid))
            + "）",
            code="priority_unpaid",
        )


def claim_priority_paid(*, actor, claim: Claim, on: date | None = None) -> Claim:
    """The administrator records that an employee or tax claim was paid in full outside the
    agreement (the case's default setting; checked at approval). For a director's,
    supervisor's or senior manager's wage "in full" is the part up to the firm's average wage
    (Art.113 para.3, ``selectors.priority_part``, the amount audited); the rest is an ordinary
    claim paid at the agreement's rate."""
    on = on or _today()
    if on > _today():
        raise DomainError("清偿日不能晚于今天", field="on")
    with transaction.atomic():
        _locked(claim)
        _require_open(claim.case)
        if claim.rank not in selectors.PRIORITY_RANKS or claim.status not in REVIEWED_STATUSES:
            raise ConflictError("只有已审查的职工债权和社会保险费用、税款债权可登记协议外清偿")
        if claim.paid_in_full_on is not None:
            raise ConflictError("已登记全额清偿", code="paid")
        part = selectors.priority_part(claim, selectors.latest_assessment(claim.case))
        claim.paid_in_full_on = on
        claim.save(update_fields=["paid_in_full_on"])
        _audit(
            actor,
            "claim.priority_paid",
            claim,
            claim.case,
            creditor=claim.creditor.name,
            amount=part,
            ordinary_part=(claim.admitted_amount or ZERO) - part,
            on=on,
        )
    return claim


def installments_set(
    *, actor, term: AgreementTerm, schedule: Sequence[tuple[date, object]]
) -> list[Installment]:
    """The creditor's payment schedule; it must add up to the agreed amount. It replaces the
    term's schedule under the term's row lock (two at once would leave both)."""
    rows = [(due, money(amount, "schedule", allow_zero=False)) for due, amount in schedule]
    if sum((a for _, a in rows), ZERO) != term.agreed_amount:
        raise DomainError("还款计划合计须等于协议清偿额", field="schedule")
    with transaction.atomic():
        if _locked(term.agreement).status not in (
            Agreement.Status.DRAFT,
            Agreement.Status.APPROVED,
        ):
            raise ConflictError("协议已结束")
        _locked(term)
        term.installments.all().delete()
        created = [
            Installment.objects.create(term=term, due_date=due, amount=amount)
            for due, amount in sorted(rows)
        ]
        _audit(
            actor,
            "agreement.schedule",
            term,
            term.agreement.case,
            creditor=term.creditor.name,
            schedule=[[d.isoformat(), str(a)] for d, a in sorted(rows)],
        )
    return created


def agreement_schedule_equal(
    *, actor, agreement: Agreement, first: date, count: int, interval: int
) -> int:
    """Equal instalments for every term with an agreed amount: ``count`` payments every
    ``interval`` months from ``first`` (the agreed amount split pro rata, cents exact);
    all terms or none. Returns the number of terms scheduled."""
    if not 1 <= count <= 60:
        raise DomainError("期数应为 1 至 60", field="count")
    if not 1 <= interval <= 24:
        raise DomainError("间隔月数应为 1 至 24", field="interval")
    scheduled = 0
    with transaction.atomic():
        for term in agreement.terms.all():
            if term.agreed_amount <= 0:
                continue
            parts = rules.pro_rata(
                {str(i): term.agreed_amount for i in range(count)}, term.agreed_amount
            )
            schedule = [
                (rules.add_months(first, i * interval), parts[str(i)])
                for i in range(count)
                if parts[str(i)] > 0
            ]
            installments_set(actor=actor, term=term, schedule=schedule)
            scheduled += 1
    return scheduled


def payment_record(
    *, actor, term: AgreementTerm, amount, paid_on: date, reference: str = ""
) -> Payment:
    """The administrator records a payment made under the agreement. The agreement and the
    term are locked, so concurrent payments never add up to more than the agreed amount (and
    the term's paid total, kept here, is bounded by a database constraint)."""
    if term.agreement.status != Agreement.Status.APPROVED:
        raise ConflictError("协议未在执行中")
    value = money(amount, "amount", allow_zero=False)
    today = _today()
    if paid_on > today:
        raise DomainError(f"支付日不能晚于今天（{today}），请登记已经支付的款项", field="paid_on")
    with transaction.atomic():
        agreement = _locked(term.agreement)
        if agreement.status != Agreement.Status.APPROVED:
            raise ConflictError("协议未在执行中")
        _locked(term)
        if term.paid_amount + value > term.agreed_amount:
            raise DomainError(
                f"累计清偿额将超过协议清偿额 {term.agreed_amount}（已清偿 {term.paid_amount}）",
                field="amount",
            )
        if agreement.approved_on and paid_on < agreement.approved_on:
            raise DomainError("支付日不能早于协议认可日", field="paid_on")
        AgreementTerm.objects.filter(pk=term.pk).update(paid_amount=F("paid_amount") + value)
        term.paid_amount += value
        payment = Payment.objects.create(
            term=term,
            amount=value,
            paid_on=paid_on,
            reference=reference[:100],
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        _audit(
            actor,
            "payment.record",
            payment,
            term.agreement.case,
            creditor=term.creditor.name,
            amount=value,
        )
        _notify_creditor(
            actor,
            term.creditor,
            f"{term.agreement.case.number} 和解协议清偿款",
            f"管理人登记向您支付 {value} 元（{paid_on}），请在“我的债权”中确认收款。",
        )
    return payment


def payment_confirm_receipt(
    *, actor, payment: Payment, on: date | None = None, via: str = ""
) -> Payment:
    """The creditor confirms it received a payment; `via` records how an account-less
    creditor was identified (a masked phone). One conditional update: of concurrent or
    repeated confirmations exactly one is applied and audited, the others are refused."""
    on = on or _today()
    with transaction.atomic():
        confirmed = Payment.objects.filter(pk=payment.pk, receipt_confirmed_on=None).update(
            receipt_confirmed_on=on
        )
        if not confirmed:
            payment.refresh_from_db(fields=["receipt_confirmed_on"])
            raise ConflictError("已确认收款", code="confirmed")
        payment.receipt_confirmed_on = on
        detail = {"via": via} if via else {}
        _audit(actor, "payment.confirm_receipt", payment, payment.term.agreement.case, **detail)
    return payment


def agreement_complete(*, actor, agreement: Agreement, on: date) -> Agreement:
    """Every term paid in full: execution ends, the reduced debts are discharged (Art.106)."""
    case = agreement.case
    with transaction.atomic():
        _locked(case)
        _locked(agreement)  # payments (`payment_record`) wait, or have been counted
        if agreement.status != Agreement.Status.APPROVED:
            raise ConflictError("协议未在执行中")
        for term in agreement.terms.all():
            if term.paid_amount != term.agreed_amount:
                raise ConflictError(
                    f"{term.creditor.name} 尚未足额清偿"
                    f"（已付 {term.paid_amount}，应付 {term.agreed_amount}）"
                )
        agreement.status, agreement.completed_on = Agreement.Status.COMPLETED, on
        agreement.save(update_fields=["status", "completed_on"])
        case.status = (
            Case.Status.SETTLED
            if agreement.kind == Agreement.Kind.SELF_SETTLEMENT
            else Case.Status.COMPLETED
        )
        case.closed_date = on
        case.save(update_fields=["status", "closed_date"])
        _audit(actor, "agreement.complete", agreement, case, on=on)
    return agreement


def _terms_and_payments(agreement: Agreement):
    """(terms, creditor id → confirmed claim, creditor id → paid so far) of an agreement, for
    the Art.103 and Art.104 settlements (creditors without a confirmed claim left out)."""
    terms = list(agreement.terms.select_related("creditor"))
    claims = {str(t.creditor_id): t.confirmed_amount for t in terms if t.confirmed_amount > 0}
    received = {str(t.creditor_id): t.paid_amount for t in terms if str(t.creditor_id) in claims}
    return terms, claims, received


def agreement_terminate(
    *,
    actor,
    agreement: Agreement,
    on: date,
    reason: str,
    requested_by: Creditor | None = None,
    distributable=0,
) -> dict[str, Decimal]:
    """Art.104: on default the court, at the request of a reconciliation creditor
    (``requested_by``: one with a term in the agreement, recorded), terminates the agreement and
    declares bankruptcy; the concessions lapse, payments received stay, and the further
    distribution of ``distributable`` (the estate after secured claims, costs and common-benefit
    debts) goes class by class in the Art.113 order, equalising within each class the
    reconciliation creditors' receipts with the other creditors of the class
    (``selectors.art104_claims``, ``rules.art104_distribution``; per class in the audit
    detail). Returns creditor name → share of ``distributable``."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请写明终止原因", field="reason")
    if requested_by is None:
        raise DomainError(
            "请选择请求终止和解协议执行的和解债权人（第104条：经和解债权人请求）",
            field="requested_by",
        )
    if not agreement.terms.filter(creditor=requested_by, confirmed_amount__gt=0).exists():
        raise DomainError("请求人不是本和解协议的和解债权人", field="requested_by")
    available = money(distributable, "distributable")
    case = agreement.case
    with transaction.atomic():
        _locked(case)
        _locked(agreement)  # the payments counted are all there are
        if agreement.status != Agreement.Status.APPROVED:
            raise ConflictError("协议未在执行中")
        rows, names = selectors.art104_claims(agreement)
        result = _rule(rules.art104_distribution, rows, available, field="distributable")
        shares = {key: result.shares.get(key, ZERO) for key in names}
        received = {
            key: sum((r.received for r in rows if r.creditor == key), ZERO) for key in names
        }
        agreement.status, agreement.terminated_on = Agreement.Status.TERMINATED, on
        agreement.termination_reason = reason
        agreement.termination_requested_by = requested_by
        agreement.save(
            update_fields=[
                "status",
                "terminated_on",
                "termination_reason",
                "termination_requested_by",
            ]
        )
        case.status, case.procedure = Case.Status.TERMINATED, Case.Procedure.LIQUIDATION
        case.save(update_fields=["status", "procedure"])
        _audit(
            actor,
            "agreement.terminate",
            agreement,
            case,
            on=on,
            reason=reason,
            requested_by=requested_by.name,
            distributable=available,
            art104_shares={names[k]: v for k, v in shares.items()},
            art104_classes={
                rank: {names[k]: v for k, v in part.items()}
                for rank, part in result.by_class.items()
            },
            art104_levels=result.levels,
            left_over=result.left_over,
            received={names[k]: v for k, v in received.items()},
        )
    return {names[k]: v for k, v in shares.items()}


def agreement_void(
    *, actor, agreement: Agreement, on: date, reason: str, distributable=0
) -> rules.Art103Settlement:
    """Art.103: an agreement reached by the debtor's fraud or another unlawful act is ruled
    void, during its execution or after it, and the debtor is declared bankrupt. Creditors
    keep what they received only up to the common percentage (``rules.art103_settlement``):
    the excess is returned to the estate, the others are topped up from ``distributable``.
    Returns the settlement (keyed by creditor name)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请写明欺诈或其他违法行为的事实", field="reason")
    available = money(distributable, "distributable")
    case = agreement.case
    with transaction.atomic():
        _locked(case)
        _locked(agreement)
        if agreement.status not in (Agreement.Status.APPROVED, Agreement.Status.COMPLETED):
            raise ConflictError("只有已认可（执行中或执行完毕）的和解协议可以裁定无效")
        terms, claims, received = _terms_and_payments(agreement)
        settled = _rule(rules.art103_settlement, claims, received, available, field="distributable")
        names = {str(t.creditor_id): t.creditor.name for t in terms}
        by_name = rules.Art103Settlement(
            level=settled.level,
            to_pay={names[k]: v for k, v in settled.to_pay.items()},
            to_return={names[k]: v for k, v in settled.to_return.items()},
        )
        was = agreement.status
        agreement.status, agreement.terminated_on = Agreement.Status.VOID, on
        agreement.termination_reason = reason
        agreement.save(update_fields=["status", "terminated_on", "termination_reason"])
        case.status, case.procedure = Case.Status.TERMINATED, Case.Procedure.LIQUIDATION
        case.closed_date = None  # a completed agreement had closed the case: bankruptcy reopens it
        case.save(update_fields=["status", "procedure", "closed_date"])
        _audit(
            actor,
            "agreement.void",
            agreement,
            case,
            on=on,
            reason=reason,
            previous_status=was,
            distributable=available,
            art103_level=settled.level,
            art103_to_pay=by_name.to_pay,
            art103_to_return={k: v for k, v in by_name.to_return.items() if v},
            received={names[k]: v for k, v in received.items()},
        )
    return by_name
