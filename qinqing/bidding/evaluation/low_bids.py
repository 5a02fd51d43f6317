"""Abnormally low bids (评标委员会和评标方法暂行规定 Art.21; 政府采购货物和服务招标投标管理办法
(87号令) Art.60).

When the preliminary review closes, the plan's rule (``rules.abnormally_low``) flags the
compliant bids whose price is abnormally low (``scoring._low_bids_flag``); no price is scored
while one waits. For each flagged bid:

1. the chair, for the committee, asks the bidder for a written explanation with supporting
   evidence, with a deadline (``low_bid_request``): a clarification through the existing
   channel (实施条例 Art.52: the supervising department approves the question and the answer);
2. once the answer is published to the committee, or the deadline passed without one, every
   member votes to accept or reject the explanation (``low_bid_vote``);
3. a strict majority of the members decides (``rules.low_bid_decision``): accepted, the bid is
   scored as any other; rejected, it is refused (暂行规定 Art.21: 否决投标; 87号令 Art.60:
   无效投标) and the prices are scored over the remaining bids.

When the last flag is decided and the scored stages are closed, the summary opens.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from qinqing.bidding.evaluation import rules
from qinqing.bidding.evaluation.clarifications import clarification_ask
from qinqing.bidding.evaluation.scoring import check_member, summary_when_ready
from qinqing.bidding.models import Clarification, EvaluationSession, LowBidFlag, LowBidVote, Seat
from qinqing.bidding.seating.selectors import committee_seats
from qinqing.core.audit import audit_log
from qinqing.core.errors import ConflictError, DomainError

F = LowBidFlag.Status
C = Clarification.Status

MIN_MINUTES = 10
MAX_MINUTES = 24 * 60


def explanation_question(flag: LowBidFlag) -> str:
    """The written request put to the bidder (names the statutes, never a member)."""
    figures = "；".join(trip_label(t) for t in flag.trips)
    return (
        f"贵单位投标报价 {_yuan(flag.price)}，{figures}，评标委员会认为可能低于其个别成本"
        "（评标委员会和评标方法暂行规定第二十一条；政府采购货物和服务招标投标管理办法"
        "第六十条）。请在答复期限内书面说明报价的合理性，并提供成本构成等相关证明材料；"
        "不能合理说明或者不能提供证明材料的，其投标将被否决。"
    )


def _yuan(amount) -> str:
    return f"{Decimal(amount):,.2f} 元"


def trip_label(trip: dict) -> str:
    """One tripped test in words, with its figures (as stored on the flag)."""
    if trip["test"] == "share":
        return f"低于警戒值 {_yuan(trip['threshold'])}（平均价 {_yuan(trip['mean'])} 的规定比例）"
    return f"低于招标文件规定的成本警戒线 {_yuan(trip['threshold'])}"


def _flag_for_update(flag: LowBidFlag) -> LowBidFlag:
    return (
        LowBidFlag.objects.select_for_update(of=("self",))
        .select_related("session", "bidder", "clarification")
        .get(pk=flag.pk)
    )


def low_bid_request(*, actor, seat: Seat, flag: LowBidFlag, minutes: int) -> LowBidFlag:
    """The chair asks the flagged bidder, in writing, to explain its price within ``minutes``
    (10 minutes to 24 hours: "在评标现场合理的时间内", 87号令 Art.60). Asked again only when the
    supervising department refused the previous question."""
    if not isinstance(minutes, int) or not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise DomainError(
            f"答复期限须为 {MIN_MINUTES} 至 {MAX_MINUTES} 分钟之间的整数", field="minutes"
        )
    session = check_member(seat)
    with transaction.atomic():
        # The session first, then the flag: the order `low_bid_vote` and
        # `clarification_ask` lock them in.
        session = EvaluationSession.objects.select_for_update().get(pk=session.pk)
        flag = _flag_for_update(flag)
        if flag.session_id != session.pk:
            raise DomainError("该投标不属于本场评标", field="flag")
        again = (
            flag.status == F.REQUESTED
            and flag.clarification is not None
            and flag.clarification.status == C.QUESTION_REJECTED
        )
        if flag.status != F.FLAGGED and not again:
            raise ConflictError("已要求该投标人书面说明")
        clarification = clarification_ask(
            actor=actor, seat=seat, bidder=flag.bidder, question=explanation_question(flag)
        )
        clarification.due_at = timezone.now() + timedelta(minutes=minutes)
        clarification.save(update_fields=["due_at"])
        flag.clarification = clarification
        flag.status = F.REQUESTED
        flag.save(update_fields=["clarification", "status"])
        audit_log(
            actor=actor,
            action="lowbid.request",
            obj=flag,
            organisation=session.host_centre,
            detail={
                "bidder": flag.bidder.uscc,
                "clarification": clarification.pk,
                "due_at": clarification.due_at.isoformat(),
                "workstation": seat.workstation.code,
            },
        )
    return flag


def can_vote(flag: LowBidFlag, now=None) -> bool:
    """The committee votes once the explanation was published to it, or once the deadline
    passed on an approved question without an answer (a bidder who does not explain in time
    has not explained; exactly at the deadline it is still in time). Not while the question
    waits for the supervising department (the bidder has not been asked yet) or a timely
    answer waits for its review."""
    c = flag.clarification
    if flag.status != F.REQUESTED or c is None:
        return False
    if c.status == C.PUBLISHED:
        return True
    if c.status not in (C.AWAITING_ANSWER, C.ANSWER_REJECTED):
        return False
    return c.due_at is not None and (now or timezone.now()) > c.due_at


def low_bid_vote(
    *, actor, seat: Seat, flag: LowBidFlag, accept: bool, note: str = ""
) -> LowBidFlag:
    """A member's vote on the explanation (once; a rejection states its reason). When a
    strict majority of the members agrees, the flag is decided: rejected, the bid is refused
    and the prices are scored over the remaining bids; the summary opens when nothing else
    waits."""
    note = (note or "").strip()
    if len(note) > 500:
        raise DomainError("理由不能超过 500 字", field="note")
    if not accept and not note:
        raise DomainError("不接受说明的，请写明理由", field="note")
    session = check_member(seat)
    with transaction.atomic():
        session = EvaluationSession.objects.select_for_update().get(pk=session.pk)
        flag = _flag_for_update(flag)
        if flag.session_id != session.pk:
            raise DomainError("该投标不属于本场评标", field="flag")
        if flag.status in (F.ACCEPTED, F.REJECTED):
            raise ConflictError("评标委员会已对该投标作出结论")
        if not can_vote(flag):
            raise ConflictError("投标人的书面说明尚未送达评标委员会，且答复期限未到")
        if LowBidVote.objects.filter(flag=flag, seat=seat).exists():
            raise ConflictError("您已表决")
        LowBidVote.objects.create(
            flag=flag, seat=seat, accept=bool(accept), note=note, cast_at=timezone.now()
        )
        members = {s.pk for s in committee_seats(session)}
        votes = {
            str(seat_id): value
            for seat_id, value in LowBidVote.objects.filter(flag=flag).values_list(
                "seat_id", "accept"
            )
            if seat_id in members
        }
        decision = rules.low_bid_decision(votes, len(members))
        audit_log(
            actor=actor,
            action="lowbid.vote",
            obj=flag,
            organisation=seat.seating.centre,
            detail={
                "bidder": flag.bidder.uscc,
                "accept": bool(accept),
                "note": note,
                "workstation": seat.workstation.code,
            },
        )
        if decision is not None:
            flag.status = F.ACCEPTED if decision else F.REJECTED
            flag.decided_at = timezone.now()
            flag.save(update_fields=["status", "decided_at"])
            audit_log(
                actor=None,
                action="lowbid.decide",
                obj=flag,
                organisation=session.host_centre,
                detail={
                    "bidder": flag.bidder.uscc,
                    "status": flag.status,
                    "accept": sum(votes.values()),
                    "reject": len(votes) - sum(votes.values()),
                    "members": len(members),
                },
            )
            summary_when_ready(session)
    return flag


def for_committee(session: EvaluationSession, seat: Seat) -> list[dict]:
    """The flagged bids as every member sees them, with the tally and the member's own vote."""
    members = {s.pk for s in committee_seats(session)}
    rows = []
    for flag in (
        LowBidFlag.objects.filter(session=session)
        .select_related("bidder", "clarification")
        .prefetch_related("votes")
    ):
        votes = [v for v in flag.votes.all() if v.seat_id in members]
        mine = next((v for v in flag.votes.all() if v.seat_id == seat.pk), None)
        c = flag.clarification
        rows.append(
            {
                "flag": flag,
                "trips": [trip_label(t) for t in flag.trips],
                "clarification": c,
                "answer": c.answer if c is not None and c.status == C.PUBLISHED else "",
                "can_vote": can_vote(flag) and mine is None,
                "can_request": flag.status == F.FLAGGED
                or (
                    flag.status == F.REQUESTED and c is not None and c.status == C.QUESTION_REJECTED
                ),
                "accept": sum(1 for v in votes if v.accept),
                "reject": sum(1 for v in votes if not v.accept),
                "members": len(members),
                "mine": mine,
            }
        )
    return rows
