"""The chair: reopening a sheet, closing a stage, the review record and the low bids flagged."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from qinqing.bidding.evaluation import rules
from qinqing.bidding.evaluation.scoring.common import (
    _mark_closed,
    _open_stage,
    check_member,
    stage_open,
)
from qinqing.bidding.evaluation.scoring.sheets import live_sheets
from qinqing.bidding.evaluation.scoring.summary import _summary_open
from qinqing.bidding.evaluation.selectors import is_paused, scored_bidders, stage_criteria
from qinqing.bidding.models import (
    SHEET_STAGES,
    BidResult,
    DeviationNote,
    EvaluationSession,
    EvaluationStage,
    LowBidFlag,
    Project,
    ScoreEntry,
    ScoreSheet,
    ScoringPlan,
    Seat,
    Stage,
)
from qinqing.core.audit import audit_log
from qinqing.core.errors import ConflictError, DomainError

# --- the chair ------------------------------------------------------------------------------


def _require_chair(seat: Seat) -> EvaluationSession:
    session = check_member(seat)
    if session.chair_id != seat.pk:
        raise ConflictError("仅评标委员会负责人可以执行此操作")
    return session


def sheet_reopen(*, actor, seat: Seat, sheet: ScoreSheet, reason: str) -> ScoreSheet:
    """The chair returns a submitted sheet to its expert, with a reason (audited)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请写明退回修改的理由", field="reason")
    session = _require_chair(seat)
    if sheet.session_id != session.pk:
        raise DomainError("该评分表不属于本场评标", field="sheet")
    _open_stage(session, sheet.stage)
    with transaction.atomic():
        sheet = ScoreSheet.objects.select_for_update().get(pk=sheet.pk)
        if sheet.status != ScoreSheet.Status.SUBMITTED:
            raise ConflictError("只有已提交的评分表可以退回")
        sheet.status = ScoreSheet.Status.DRAFT
        sheet.submitted_at = None
        sheet.reopen_count += 1
        sheet.save(update_fields=["status", "submitted_at", "reopen_count"])
        audit_log(
            actor=actor,
            action="sheet.reopen",
            obj=sheet,
            organisation=session.host_centre,
            detail={
                "stage": sheet.stage,
                "reason": reason,
                "chair": seat.workstation.code,
                "workstation": sheet.seat.workstation.code,
            },
        )
    return sheet


def close_problems(session: EvaluationSession, stage: str) -> list[str]:
    problems = []
    pending = live_sheets(session, stage).exclude(status=ScoreSheet.Status.SUBMITTED)
    if pending.exists():
        codes = "、".join(pending.values_list("seat__workstation__code", flat=True))
        problems.append(f"尚有评分表未提交：{codes}")
    unexplained = DeviationNote.objects.filter(
        sheet__session=session, sheet__stage=stage, explained_at__isnull=True
    ).exclude(sheet__status=ScoreSheet.Status.VOID)
    if unexplained.exists():
        codes = "、".join(
            sorted(set(unexplained.values_list("sheet__seat__workstation__code", flat=True)))
        )
        problems.append(f"评分偏离尚未书面说明：{codes}")
    if is_paused(session):
        problems.append("评标处于暂停状态")
    return problems


def stage_close(*, actor, seat: Seat, stage: str) -> EvaluationStage:
    """The chair closes a stage: sheets become visible to the committee, the next stage opens
    (or the results are computed)."""
    session = _require_chair(seat)
    with transaction.atomic():
        session = EvaluationSession.objects.select_for_update().get(pk=session.pk)
        state = _open_stage(session, stage)
        if stage not in SHEET_STAGES:
            raise ConflictError("该阶段由系统计算，无需手动结束")
        problems = close_problems(session, stage)
        if problems:
            raise ConflictError("不能结束本阶段：" + "；".join(problems))
        _mark_closed(state)
        audit_log(
            actor=actor,
            action="stage.close",
            obj=session,
            organisation=session.host_centre,
            detail={"stage": stage, "chair": seat.workstation.code},
        )
        members = [s.seat for s in live_sheets(session, stage).select_related("seat")]
        if stage == Stage.REVIEW:
            passing = _review_record(session)
            detailed = stage_criteria(session, Stage.DETAILED).exists()
            if (
                detailed
                and passing
                and session.section.project.method == Project.Method.COMPREHENSIVE
            ):
                stage_open(session, Stage.DETAILED, members)
                return state
        summary_when_ready(session)
    return state


def _review_record(session: EvaluationSession) -> int:
    """Write each bid's preliminary-review outcome (a majority of experts failing an item
    fails it, 评标委员会和评标方法暂行规定 Art.20–23); returns how many bids passed."""
    criteria = {c.pk: c.code for c in stage_criteria(session, Stage.REVIEW)}
    votes: dict[int, dict[str, dict[str, bool]]] = {
        b.pk: {code: {} for code in criteria.values()}
        for b in scored_bidders(session, Stage.REVIEW)
    }
    for sheet_id, bidder_id, criterion_id, passed in ScoreEntry.objects.filter(
        sheet__in=live_sheets(session, Stage.REVIEW)
    ).values_list("sheet_id", "bidder_id", "criterion_id", "passed"):
        votes[bidder_id][criteria[criterion_id]][str(sheet_id)] = passed
    outcomes = rules.review_outcomes(votes)
    BidResult.objects.filter(session=session).delete()
    BidResult.objects.bulk_create(
        [
            BidResult(
                session=session,
                bidder_id=bidder_id,
                passed_review=all(items.values()),
                review=items,
            )
            for bidder_id, items in outcomes.items()
        ]
    )
    passing = sum(all(items.values()) for items in outcomes.values())
    audit_log(
        actor=None,
        action="review.record",
        obj=session,
        organisation=session.host_centre,
        detail={"bidders": len(outcomes), "passed": passing},
    )
    _low_bids_flag(session)
    return passing


def low_bid_rule(plan: ScoringPlan) -> rules.LowBidRule:
    """The plan's abnormally-low-bid rule (the tender documents' figures)."""
    return rules.LowBidRule(
        share=plan.low_bid_share, basis=plan.low_bid_basis, cost_line=plan.low_bid_cost_line
    )


def _low_bids_flag(session: EvaluationSession) -> int:
    """Flag the compliant bids the plan's rule finds abnormally low, before any price scoring
    (暂行规定 Art.21; 87号令 Art.60): the quoted prices of the bids that passed the review."""
    prices = {
        str(bidder_id): price
        for bidder_id, price in BidResult.objects.filter(
            session=session, passed_review=True
        ).values_list("bidder_id", "bidder__bid_price")
    }
    LowBidFlag.objects.filter(session=session).delete()
    if not prices:
        return 0
    flags = rules.abnormally_low(prices, rule=low_bid_rule(session.plan))
    now = timezone.now()
    LowBidFlag.objects.bulk_create(
        [
            LowBidFlag(
                session=session,
                bidder_id=int(flag.bidder),
                price=flag.price,
                trips=[
                    {
                        "test": trip.test,
                        "threshold": str(trip.threshold),
                        "mean": None if trip.mean is None else str(trip.mean),
                    }
                    for trip in flag.trips
                ],
                flagged_at=now,
            )
            for flag in flags
        ]
    )
    if flags:
        audit_log(
            actor=None,
            action="lowbid.flag",
            obj=session,
            organisation=session.host_centre,
            detail={
                "bidders": [flag.bidder for flag in flags],
                "trips": {f.bidder: [t.test for t in f.trips] for f in flags},
            },
        )
    return len(flags)


def low_bids_pending(session: EvaluationSession) -> bool:
    """Whether a flagged bid still waits for the committee's conclusion."""
    return LowBidFlag.objects.filter(
        session=session,
        status__in=(LowBidFlag.Status.FLAGGED, LowBidFlag.Status.REQUESTED),
    ).exists()


def summary_when_ready(session: EvaluationSession) -> bool:
    """Open the summary (price scores, totals, ranking) once the scored stages are closed and
    no flagged low bid waits for the committee's conclusion; returns whether it opened."""
    if EvaluationStage.objects.filter(session=session, stage=Stage.SUMMARY).exists():
        return False
    if EvaluationStage.objects.filter(
        session=session, stage__in=SHEET_STAGES, status=EvaluationStage.Status.OPEN
    ).exists():
        return False
    if low_bids_pending(session):
        audit_log(
            actor=None,
            action="summary.wait",
            obj=session,
            organisation=session.host_centre,
            detail={"reason": "low_bids"},
        )
        return False
    _summary_open(session)
    return True
