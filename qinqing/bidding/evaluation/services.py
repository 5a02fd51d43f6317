"""Writes that open and staff the evaluation: the scoring plan, the start (the committee and
the plan checked, the criteria copied, the preliminary review opened), and members who leave
or join while it runs (实施条例 Art.48)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from qinqing.bidding.draw import services as draw_services
from qinqing.bidding.evaluation import rules
from qinqing.bidding.evaluation.scoring import (
    check_member,
    decimal_or_none,
    deviations_compute,
    live_sheets,
    stage_open,
)
from qinqing.bidding.models import (
    SHEET_STAGES,
    CoefficientDraw,
    CriteriaTemplate,
    Criterion,
    DeviationNote,
    DrawOutcome,
    EvaluationSession,
    EvaluationStage,
    LowBidBasis,
    PriceFormula,
    Project,
    RuleSet,
    ScoreSheet,
    ScoringPlan,
    Seat,
    Section,
    Stage,
    TieMethod,
)
from qinqing.bidding.projects import rules as project_rules
from qinqing.bidding.seating.selectors import committee_seats
from qinqing.core.audit import audit_log
from qinqing.core.errors import ConflictError, DomainError


def plan_set(
    *,
    actor,
    session: EvaluationSession,
    template: CriteriaTemplate,
    price_formula: str = PriceFormula.LOW_PRICE,
    price_weight: Decimal | None = None,
    k: Decimal | None = None,
    deduct_above: Decimal | None = None,
    deduct_below: Decimal | None = None,
    drop_price_extremes_from: int | None = None,
    drop_score_extremes: bool = False,
    deviation_basis: str = ScoringPlan.DeviationBasis.ITEM,
    deviation_mean_of: str = ScoringPlan.MeanOf.OTHERS,
    deviation_threshold: Decimal | None = None,
    candidate_count: int = rules.MAX_CANDIDATES,
    k_min: Decimal | None = None,
    k_max: Decimal | None = None,
    k_step: Decimal | None = None,
    low_bid_share: Decimal | None = rules.DEFAULT_LOW_BID_SHARE,
    low_bid_basis: str = LowBidBasis.OTHERS,
    low_bid_cost_line: Decimal | None = None,
    sme_deduction: Decimal | None = None,
    tie_method: str = TieMethod.TECHNICAL,
) -> ScoringPlan:
    """Set (or replace, until the start) how the session is evaluated: the tender documents'
    criteria, price formula and its parameters, the abnormally-low-bid rule (暂行规定 Art.21,
    87号令 Art.60), in procurement the SME deduction rate (财库〔2020〕46号 Art.9) and the tie
    method (87号令 Art.68). Once K is drawn at the opening, the formula and range are fixed."""
    if session.status in (EvaluationSession.Status.IN_PROGRESS, EvaluationSession.Status.CLOSED):
        raise ConflictError("评标已开始，评标方案不能再修改")
    project = session.section.project
    if template.method != project.method:
        raise DomainError(
            f"评审标准模板适用于“{template.get_method_display()}”，"
            f"与项目的评标办法“{project.get_method_display()}”不一致",
            field="template",
        )
    items = list(template.items.all())
    if not any(item.stage == Stage.REVIEW for item in items):
        raise DomainError("评审标准模板缺少初步评审项", field="template")
    if price_formula not in PriceFormula.values:
        raise DomainError("未知的价格分计算方法", field="price_formula")
    weight = decimal_or_none(price_weight, "price_weight", "价格分权重")
    weight = template.price_weight if weight is None else weight
    comprehensive = project.method == Project.Method.COMPREHENSIVE
    if comprehensive:
        detailed = sum((i.max_score or 0 for i in items if i.stage == Stage.DETAILED), Decimal(0))
        if weight < 0 or detailed + weight != 100:
            raise DomainError(
                f"详细评审满分（{detailed}）与价格分（{weight}）合计须为 100 分",
                field="price_weight",
            )
    k = decimal_or_none(k, "k", "K 值")
    deduct_above = decimal_or_none(deduct_above, "deduct_above", "高于基准价扣分")
    deduct_below = decimal_or_none(deduct_below, "deduct_below", "低于基准价扣分")
    if price_formula == PriceFormula.K_FACTOR and comprehensive:
        if k is None or not Decimal("0.8") <= k <= Decimal("1.2"):
            raise DomainError("K 值须在 0.80 至 1.20 之间", field="k")
        if deduct_above is None or deduct_below is None or deduct_above < 0 or deduct_below < 0:
            raise DomainError(
                "请填写高于、低于基准价每 1% 的扣分（不小于 0）", field="deduct_above"
            )
        if drop_price_extremes_from is not None and drop_price_extremes_from < 3:
            raise DomainError(
                "去掉最高最低报价的最少投标数不能少于 3", field="drop_price_extremes_from"
            )
    k_min = decimal_or_none(k_min, "k_min", "K 值区间下限")
    k_max = decimal_or_none(k_max, "k_max", "K 值区间上限")
    k_step = decimal_or_none(k_step, "k_step", "K 值步长")
    if price_formula == PriceFormula.K_DRAWN and comprehensive:
        if k_min is None or k_max is None or k_step is None:
            raise DomainError("请填写招标文件公布的 K 值区间（下限、上限）和步长", field="k_min")
        if not Decimal("0.8") <= k_min <= k_max <= Decimal("1.2"):
            raise DomainError("K 值区间须在 0.80 至 1.20 之间，且下限不大于上限", field="k_min")
        try:
            rules.k_values(k_min, k_max, k_step)
        except rules.RuleError as exc:
            raise DomainError(str(exc), field="k_step") from None
        if deduct_above is None or deduct_below is None or deduct_above < 0 or deduct_below < 0:
            raise DomainError(
                "请填写高于、低于基准价每 1% 的扣分（不小于 0）", field="deduct_above"
            )
    share = decimal_or_none(low_bid_share, "low_bid_share", "异常低价比例")
    if share is not None and not Decimal(0) < share <= Decimal(1):
        raise DomainError("异常低价比例须大于 0 且不大于 1（如 0.80）", field="low_bid_share")
    cost_line = decimal_or_none(low_bid_cost_line, "low_bid_cost_line", "成本警戒线")
    if cost_line is not None and cost_line <= 0:
        raise DomainError("成本警戒线须为大于零的金额", field="low_bid_cost_line")
    if low_bid_basis not in LowBidBasis.values:
        raise DomainError("未知的异常低价平均价口径", field="low_bid_basis")
    procurement = project.rule_set.kind == RuleSet.Kind.PROCUREMENT
    sme = decimal_or_none(sme_deduction, "sme_deduction", "小微企业价格扣除比例")
    if sme is not None:
        if not procurement:
            raise DomainError(
                "小微企业价格扣除仅适用于政府采购项目（财库〔2020〕46号）", field="sme_deduction"
            )
        if not project.procurement_category:
            raise DomainError("请先登记采购项目类别（货物、服务或工程）", field="sme_deduction")
        problems = rules.sme_rate_problems(
            sme, project.procurement_category, sme_deduction_ranges()
        )
        if problems:
            raise DomainError(problems[0], field="sme_deduction")
    if tie_method not in TieMethod.values:
        raise DomainError("未知的并列处理方式", field="tie_method")
    threshold = decimal_or_none(deviation_threshold, "deviation_threshold", "偏离阈值")
    if threshold is None:
        threshold = project.rule_set.deviation_threshold
    if not Decimal(0) < threshold < Decimal(1):
        raise DomainError("偏离阈值须大于 0 且小于 1（如 0.30）", field="deviation_threshold")
    if deviation_basis not in ScoringPlan.DeviationBasis.values:
        raise DomainError("未知的偏离计算口径", field="deviation_basis")
    if deviation_mean_of not in ScoringPlan.MeanOf.values:
        raise DomainError("未知的偏离参照平均分", field="deviation_mean_of")
    if not 1 <= candidate_count <= rules.MAX_CANDIDATES:
        raise DomainError("中标候选人应为 1 至 3 个（实施条例第五十三条）", field="candidate_count")
    values = {
        "template": template,
        "price_formula": price_formula,
        "price_weight": weight,
        "k": k,
        "deduct_above": deduct_above,
        "deduct_below": deduct_below,
        "drop_price_extremes_from": drop_price_extremes_from,
        "drop_score_extremes": drop_score_extremes,
        "deviation_basis": deviation_basis,
        "deviation_mean_of": deviation_mean_of,
        "deviation_threshold": threshold,
        "candidate_count": candidate_count,
        "k_min": k_min,
        "k_max": k_max,
        "k_step": k_step,
        "low_bid_share": share,
        "low_bid_basis": low_bid_basis,
        "low_bid_cost_line": cost_line,
        "sme_deduction": sme,
        "tie_method": tie_method,
    }
    with transaction.atomic():
        drawn = CoefficientDraw.objects.select_for_update().filter(session=session).first()
        if drawn is not None and (
            price_formula != PriceFormula.K_DRAWN
            or (k_min, k_max, k_step) != (drawn.k_min, drawn.k_max, drawn.k_step)
        ):
            raise ConflictError("K 值已在开标时抽取，价格分计算方法和 K 值区间不能再修改")
        plan, created = ScoringPlan.objects.update_or_create(session=session, defaults=values)
        audit_log(
            actor=actor,
            action="plan.set" if created else "plan.update",
            obj=plan,
            organisation=session.host_centre,
            detail={
                k: str(v) if not isinstance(v, CriteriaTemplate) else v.name
                for k, v in values.items()
            },
        )
    return plan


def sme_deduction_ranges() -> dict[str, tuple[Decimal, Decimal]]:
    """The SME deduction ranges per procurement category: settings.QINQING_SME_DEDUCTION, by
    default those of 财库〔2020〕46号 Art.9 as amended by 财库〔2022〕19号."""
    configured = getattr(settings, "QINQING_SME_DEDUCTION", None)
    if not configured:
        return dict(rules.SME_DEDUCTION_RANGES)
    return {k: (Decimal(str(lo)), Decimal(str(hi))) for k, (lo, hi) in configured.items()}


def start_problems(session: EvaluationSession) -> list[str]:
    """What the scoring needs before the start: a plan, every bid price, and K drawn at the
    opening when the plan's formula draws it."""
    problems = []
    plan = ScoringPlan.objects.filter(session=session).first()
    if plan is None:
        problems.append("尚未设置评标方案（评审标准与价格分计算方法）")
    elif (
        plan.price_formula == PriceFormula.K_DRAWN
        and session.section.project.method == Project.Method.COMPREHENSIVE
        and not CoefficientDraw.objects.filter(session=session, witnessed_at__isnull=False).exists()
    ):
        problems.append("K 值尚未在开标时抽取并经行政监督部门见证")
    # A section opened online (不见面开标) is evaluated once its opening is over.
    if (
        Section.objects.filter(pk=session.section_id, opening__isnull=False)
        .exclude(opening__status="closed")
        .exists()
    ):
        problems.append("开标尚未结束：解密、唱标和异议答复完成后才能评标")
    missing = session.section.bidders.in_evaluation().filter(bid_price__isnull=True).count()
    if missing:
        problems.append(f"{missing} 个投标人缺少开标记录的投标报价")
    return problems


def session_start_problems(session: EvaluationSession) -> list[str]:
    project = session.section.project
    problems = project_rules.bidders_sufficient(session.section.bidders.in_evaluation().count())
    members = committee_seats(session).count()
    representatives = committee_seats(session).filter(outcome__draw__isnull=True).count()
    problems += project_rules.committee_is_valid(
        members,
        members - representatives,
        project.rule_set.to_rules(),
        project.budget,
        complex_project=project.complex_or_significant,
    )
    return problems + start_problems(session)


def session_start(*, actor, session: EvaluationSession) -> EvaluationSession:
    """Start the evaluation: refused with fewer than 3 bidders (实施条例 Art.44) or an invalid
    committee (招标投标法 Art.37 with the rule set's numbers; committee = the signed-in experts
    and tenderer's representatives, the experts at least two thirds)."""
    if session.status in (EvaluationSession.Status.IN_PROGRESS, EvaluationSession.Status.CLOSED):
        raise ConflictError("评标已开始或已结束")
    if session.quotas.filter(draws__outcomes__status=DrawOutcome.Status.NOTIFIED).exists():
        raise ConflictError("仍有递补专家未答复，不能开始评标")
    problems = session_start_problems(session)
    if problems:
        raise DomainError("不能开始评标：" + "；".join(problems), code="cannot_start")
    seats = list(committee_seats(session))
    members = sorted(str(seat.pk) for seat in seats)
    with transaction.atomic():
        session.status = EvaluationSession.Status.IN_PROGRESS
        session.started_at = timezone.now()
        session.chair_round = 1
        session.chair_candidates = members
        session.save(update_fields=["status", "started_at", "chair_round", "chair_candidates"])
        audit_log(
            actor=actor,
            action="session.start",
            obj=session,
            organisation=session.host_centre,
            detail={
                "members": len(members),
                "bidders": session.section.bidders.in_evaluation().count(),
            },
        )
        evaluation_open(session=session, members=seats)
    return session


def evaluation_open(*, session: EvaluationSession, members: Sequence[Seat]) -> None:
    """Called by ``session_start`` inside its transaction: copy the template into
    the session's criteria and open the preliminary review for the members."""
    plan = session.plan
    Criterion.objects.bulk_create(
        [
            Criterion(
                session=session,
                stage=item.stage,
                group=item.group,
                code=item.code,
                name=item.name,
                max_score=item.max_score,
                step=item.step,
                order=item.order,
            )
            for item in plan.template.items.all()
        ]
    )
    stage_open(session, Stage.REVIEW, members)


def member_withdraw(*, actor, seat: Seat, reason: str) -> Seat:
    """A member leaves or falls ill during the evaluation (实施条例 Art.48): everything they
    entered is void; the next backup of the same draw is called. Stages already closed keep
    the other members' conclusions."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请写明更换评标委员会成员的原因", field="reason")
    session = seat.outcome.session
    if session.status != EvaluationSession.Status.IN_PROGRESS:
        raise ConflictError("评标未在进行中")
    with transaction.atomic():
        outcome = DrawOutcome.objects.select_for_update().get(pk=seat.outcome_id)
        if outcome.status != DrawOutcome.Status.CONFIRMED:
            raise ConflictError("该专家已不在本次评标名单中")
        outcome.status = DrawOutcome.Status.RECUSED
        outcome.reason = reason
        outcome.save(update_fields=["status", "reason"])
        voided = ScoreSheet.objects.filter(seat=seat).exclude(status=ScoreSheet.Status.VOID)
        count = voided.update(status=ScoreSheet.Status.VOID, void_reason=reason)
        DeviationNote.objects.filter(sheet__seat=seat).delete()
        if session.chair_id == seat.pk:
            session.chair = None
            session.chair_method = ""
            session.chair_round += 1
            session.chair_candidates = [
                str(pk) for pk in committee_seats(session).values_list("pk", flat=True)
            ]
            session.save(update_fields=["chair", "chair_method", "chair_round", "chair_candidates"])
        audit_log(
            actor=actor,
            action="member.withdraw",
            obj=outcome,
            organisation=seat.seating.centre,
            detail={"reason": reason, "workstation": seat.workstation.code, "voided_sheets": count},
        )
        if outcome.draw_id is not None:  # a representative is replaced by the tenderer's naming
            draw_services.backups_call_next(actor=actor, draw=outcome.draw)
        # Deviation notes of an open stage are recomputed without the void sheet.
        state = EvaluationStage.objects.filter(
            session=session, status=EvaluationStage.Status.OPEN, stage__in=SHEET_STAGES
        ).first()
        if (
            state
            and not live_sheets(session, state.stage)
            .exclude(status=ScoreSheet.Status.SUBMITTED)
            .exists()
        ):
            deviations_compute(session, state.stage)
    return seat


def member_join(*, actor, seat: Seat) -> ScoreSheet | None:
    """A replacement member who signed in during the evaluation gets a sheet for the open stage."""
    session = check_member(seat)
    state = EvaluationStage.objects.filter(
        session=session, status=EvaluationStage.Status.OPEN, stage__in=SHEET_STAGES
    ).first()
    if state is None or ScoreSheet.objects.filter(seat=seat, stage=state.stage).exists():
        return None
    with transaction.atomic():
        sheet = ScoreSheet.objects.create(
            session=session, seat=seat, stage=state.stage, updated_at=timezone.now()
        )
        audit_log(
            actor=actor,
            action="member.join",
            obj=sheet,
            organisation=seat.seating.centre,
            detail={"stage": state.stage, "workstation": seat.workstation.code},
        )
    return sheet
