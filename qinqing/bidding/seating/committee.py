"""The committee forms at the workstations: an expert signs in (SMS code and ID digits, or a
staff member's check), declares no ground for recusal or recuses after seeing the bidders, and
the members elect their chair (or the tenderer appoints one)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from qinqing.bidding.draw import services as draw_services
from qinqing.bidding.evaluation import services as evaluation_services
from qinqing.bidding.models import ChairMethod, ChairVote, DrawOutcome, EvaluationSession, Seat
from qinqing.bidding.seating import rules
from qinqing.bidding.seating.selectors import committee_seats
from qinqing.core import otp
from qinqing.core.audit import audit_log
from qinqing.core.errors import ConflictError, DomainError

SIGNIN = otp.Policy(
    purpose="bidding.signin",  # subject: the Seat
    ttl=timedelta(minutes=10),
    max_attempts=5,
    window=timedelta(minutes=30),
    per_phone=3,
    per_ip=30,
    throttled_message="验证码发送过于频繁，请稍后再试或请工作人员核验身份",
    locked_message="错误次数过多，请重新获取验证码或请工作人员核验身份",
)
SIGNIN_OPENS_BEFORE = timedelta(hours=2)


@dataclass(frozen=True)
class SignInCode:
    """A sign-in code as the terminal holds it: the id of the core `OneTimeCode` and the seat
    it was sent for when sent (None: no SMS went out). `signin_verify` reads the seat again
    from the code itself."""

    pk: int
    seat: Seat | None = None


def _seat_for_phone(phone: str) -> Seat | None:
    """The seat of the phone's expert (or tenderer's representative) for a slot open for
    sign-in now (2 h before start to end)."""
    now = timezone.now()
    return (
        Seat.objects.filter(
            Q(outcome__expert__phone=phone) | Q(outcome__representative__phone=phone),
            outcome__status=DrawOutcome.Status.CONFIRMED,
            signed_in_at__isnull=True,
            seating__slot_start__lte=now + SIGNIN_OPENS_BEFORE,
            seating__slot_end__gt=now,
        )
        .order_by("seating__slot_start")
        .first()
    )


def signin_code_send(*, phone: str, ip: str | None = None) -> SignInCode:
    """Send a one-time sign-in code to an expert seated today (never stored in clear).

    The answer is the same whether or not the phone belongs to a seated expert, so the page
    does not reveal who evaluates today; sends are limited per phone and per address.
    """
    phone = otp.phone_clean(policy=SIGNIN, phone=phone)
    seat = _seat_for_phone(phone)
    with transaction.atomic():
        challenge = otp.code_send(
            policy=SIGNIN,
            phone=phone,
            ip=ip,
            subject_id=seat.pk if seat is not None else None,
            sms_subject="评标签到验证码",
            sms_body=None
            if seat is None
            else "您的评标签到验证码为 {code}，10 分钟内有效。请勿告诉他人。",
        )
        if seat is not None:
            audit_log(
                actor=None,
                action="seat.signin_code",
                obj=seat,
                organisation=seat.seating.centre,
                detail={"challenge": challenge.pk, "ip": ip},
            )
    return SignInCode(pk=challenge.pk, seat=seat)


def _mark_signed_in(seat: Seat, method: str, fields: dict) -> None:
    seat.signed_in_at = timezone.now()
    seat.sign_in_method = method
    for name, value in fields.items():
        setattr(seat, name, value)
    seat.save(update_fields=["signed_in_at", "sign_in_method", *fields])


def signin_verify(*, challenge: SignInCode, code: str, id_last4: str) -> Seat:
    """Sign in with the code and the last 4 characters of the ID number; a wrong pair counts
    an attempt, and after 5 the code is locked (a new code, or staff verification)."""
    code, id_last4 = (code or "").strip(), (id_last4 or "").strip().upper()
    with transaction.atomic():
        locked = otp.code_lock(policy=SIGNIN, pk=challenge.pk)
        seat = (
            # the seat row only: the expert and the representative are outer joins
            Seat.objects.select_for_update(of=("self",))
            .select_related("outcome__expert", "outcome__representative", "seating__centre")
            .filter(pk=locked.subject_id)
            .first()
            if locked.subject_id is not None
            else None
        )
        correct = (
            seat is not None
            and otp.code_matches(locked, code)
            and constant_time_compare(seat.member.id_last4.upper(), id_last4)
        )
        if not correct:
            otp.code_fail(locked)
        elif seat.signed_in_at is not None:
            correct = None
        else:
            otp.code_use(policy=SIGNIN, challenge=locked)
            _mark_signed_in(seat, Seat.Method.CODE, {})
            audit_log(
                actor=seat.member.user,
                action="seat.sign_in",
                obj=seat,
                organisation=seat.seating.centre,
                detail={"method": "code", "workstation": seat.workstation.code},
            )
    if correct is None:
        raise ConflictError("已签到")
    if not correct:
        raise DomainError("验证码或身份证号后四位不正确", field="code", code="wrong_code")
    return seat


def seat_signin_staff(*, actor, seat: Seat, reason: str) -> str:
    """Staff verified the expert's identity in person (fallback when the code fails): signs
    the seat in, logs who and why, and returns a one-time terminal code (shown once to the
    staff member, entered at the workstation; stored hashed)."""
    reason = reason.strip()
    if len(reason) < 4:
        raise DomainError("请写明人工核验的原因和核验方式（至少4个字）", field="reason")
    terminal_code = secrets.token_hex(5).upper()
    with transaction.atomic():
        seat = Seat.objects.select_for_update().select_related("outcome", "seating").get(pk=seat.pk)
        if seat.signed_in_at is not None:
            raise ConflictError("该专家已签到")
        if seat.outcome.status != DrawOutcome.Status.CONFIRMED:
            raise ConflictError("该专家已不在本次评标名单中")
        _mark_signed_in(
            seat,
            Seat.Method.STAFF,
            {
                "verified_by": actor,
                "verify_reason": reason,
                "terminal_code_hash": hashlib.sha256(terminal_code.encode()).hexdigest(),
            },
        )
        audit_log(
            actor=actor,
            action="seat.sign_in_staff",
            obj=seat,
            organisation=seat.seating.centre,
            detail={"reason": reason, "workstation": seat.workstation.code},
        )
    return terminal_code


def seat_terminal_claim(*, terminal_code: str) -> Seat | None:
    """The seat a staff member signed in, claimed once at the workstation by its code."""
    digest = hashlib.sha256((terminal_code or "").strip().upper().encode()).hexdigest()
    with transaction.atomic():
        seat = (
            Seat.objects.select_for_update()
            .filter(terminal_code_hash=digest, signed_in_at__isnull=False)
            .first()
        )
        if seat is None:
            return None
        seat.terminal_code_hash = ""
        seat.save(update_fields=["terminal_code_hash"])
    return seat


def _require_signed_in(seat: Seat) -> None:
    if seat.signed_in_at is None:
        raise ConflictError("请先签到")
    if seat.outcome.status != DrawOutcome.Status.CONFIRMED:
        raise ConflictError("您已回避或已不在本次评标名单中")


def seat_declare(*, actor, seat: Seat) -> Seat:
    """The expert, having seen the bidder list, declares no ground for recusal."""
    _require_signed_in(seat)
    if seat.declared_at is not None:
        raise ConflictError("已声明")
    with transaction.atomic():
        seat.declared_at = timezone.now()
        seat.save(update_fields=["declared_at"])
        audit_log(
            actor=actor,
            action="seat.declare_no_conflict",
            obj=seat,
            organisation=seat.seating.centre,
        )
        if EvaluationSession.objects.filter(
            pk=seat.outcome.session_id, status=EvaluationSession.Status.IN_PROGRESS
        ).exists():
            # A replacement (实施条例 Art.48) joining an evaluation under way gets a sheet.
            evaluation_services.member_join(actor=actor, seat=seat)
    return seat


def seat_recuse(*, actor, seat: Seat, reason: str) -> DrawOutcome:
    """Recusal at sign-in after seeing the bidder list (招标投标法实施条例 Art.46): the outcome
    becomes recused and the next backup of the same draw is called (backups_call_next).

    Art.48 voids whatever the recused expert entered; at sign-in no score sheet exists yet,
    so there is nothing to void (the scoring stages will have to void sheets there).
    """
    reason = reason.strip()
    if not reason:
        raise DomainError("请说明回避事由", field="reason")
    _require_signed_in(seat)
    session = seat.outcome.session
    if session.status == EvaluationSession.Status.IN_PROGRESS:
        raise ConflictError("评标已开始，回避须由评标委员会处理")
    with transaction.atomic():
        outcome = seat.outcome
        drawn = outcome.draw_id is not None  # a tenderer's representative is named, not drawn
        if drawn:
            draw_services.lock_database(outcome.draw.quota)
        outcome = DrawOutcome.objects.select_for_update().get(pk=outcome.pk)
        if outcome.status != DrawOutcome.Status.CONFIRMED:
            raise ConflictError("该专家已不在本次评标名单中")
        outcome.status = DrawOutcome.Status.RECUSED
        outcome.reason = reason
        outcome.save(update_fields=["status", "reason"])
        audit_log(
            actor=actor,
            action="outcome.recuse_at_signin",
            obj=outcome,
            organisation=outcome.draw.quota.centre if drawn else session.host_centre,
            detail={
                "reason": reason,
                "workstation": seat.workstation.code,
                "voided_entries": 0,  # Art.48: nothing entered before evaluation starts
            },
        )
        if drawn:  # a representative is replaced by the tenderer naming another
            draw_services.backups_call_next(actor=actor, draw=outcome.draw)
            draw_services.refresh_session_status(outcome.session)
    return outcome


def _chair_open(session: EvaluationSession) -> None:
    if session.status != EvaluationSession.Status.IN_PROGRESS:
        raise ConflictError("评标尚未开始")
    if session.chair_id is not None:
        raise ConflictError("评标委员会负责人已产生")


def chair_vote(*, actor, seat: Seat, candidate: Seat) -> EvaluationSession:
    """One member's vote for the chair; when every member has voted the round is tallied
    (rules.chair_tally): a single leader is elected, a tie starts a re-vote among the tied."""
    _require_signed_in(seat)
    with transaction.atomic():
        session = EvaluationSession.objects.select_for_update().get(pk=seat.outcome.session_id)
        _chair_open(session)
        members = set(committee_seats(session).values_list("pk", flat=True))
        if seat.pk not in members:
            raise ConflictError("您不是本评标委员会成员")
        if str(candidate.pk) not in session.chair_candidates:
            raise DomainError("被推举人不是本轮候选人", field="candidate")
        if ChairVote.objects.filter(
            session=session, round=session.chair_round, voter=seat
        ).exists():
            raise ConflictError("本轮已投票")
        ChairVote.objects.create(
            session=session,
            round=session.chair_round,
            voter=seat,
            candidate=candidate,
            at=timezone.now(),
        )
        audit_log(
            actor=actor,
            action="chair.vote",
            obj=session,
            organisation=session.host_centre,
            detail={"round": session.chair_round, "voter": seat.workstation.code},
        )
        votes = {
            str(voter): str(cand)
            for voter, cand in ChairVote.objects.filter(
                session=session, round=session.chair_round
            ).values_list("voter_id", "candidate_id")
        }
        if set(votes) >= {str(pk) for pk in members}:
            winner, tied = rules.chair_tally(votes, session.chair_candidates)
            if winner is not None:
                session.chair_id = int(winner)
                session.chair_method = ChairMethod.ELECTED
                session.save(update_fields=["chair", "chair_method"])
            else:
                session.chair_round += 1
                session.chair_candidates = tied
                session.save(update_fields=["chair_round", "chair_candidates"])
            audit_log(
                actor=None,
                action="chair.tally",
                obj=session,
                organisation=session.host_centre,
                detail={
                    "round": session.chair_round - (0 if winner else 1),
                    "elected": winner,
                    "tied": tied,
                },
            )
    return session


def chair_appoint(*, actor, session: EvaluationSession, seat: Seat) -> EvaluationSession:
    """The tenderer appoints the chair instead of an election (equal vote all the same)."""
    with transaction.atomic():
        session = EvaluationSession.objects.select_for_update().get(pk=session.pk)
        _chair_open(session)
        if not committee_seats(session).filter(pk=seat.pk).exists():
            raise DomainError("被指定人不是本评标委员会成员", field="seat")
        session.chair = seat
        session.chair_method = ChairMethod.APPOINTED
        session.save(update_fields=["chair", "chair_method"])
        audit_log(
            actor=actor,
            action="chair.appoint",
            obj=session,
            organisation=session.host_centre,
            detail={"workstation": seat.workstation.code},
        )
    return session
