"""The evaluation time extended (招标投标法实施条例 Art.48 para.1: "超过三分之一的评标委员会成员
认为评标时间不够的，招标人应当适当延长").

1. A member declares at the workstation, with a reason, that the time is too short
   (``time_extension_request``); the declaration stands until an extension answers it.
2. Once strictly more than a third of the current members have declared it
   (``rules.time_extension_required``), the tenderer — a login holding the tenderer role for the
   project's tenderer, or the agency role for its agency — sets the new end, later than the
   current one, with its reason (``time_extension_decide``). The session's ``ends_at`` moves: the
   live board, the idle check, the seating's hold on the workstations and the eligibility of
   later draws all read it.

Both steps are audited (``time.request``, ``time.extend``) under the host centre.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from qinqing.bidding.evaluation import rules
from qinqing.bidding.models import (
    EvaluationSession,
    Seat,
    Seating,
    TimeExtension,
    TimeExtensionRequest,
)
from qinqing.bidding.seating.selectors import committee_seats
from qinqing.core.audit import audit_log
from qinqing.core.errors import ConflictError, DomainError

MAX_REASON = 500
# "适当延长": the statute sets no bound; one extension reaches at most a week past the current
# end [practice, not law], so a slip of the date field cannot hold workstations for months.
MAX_EXTENSION = timedelta(days=7)


def _reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请写明理由", field=field)
    if len(reason) > MAX_REASON:
        raise DomainError(f"理由不能超过 {MAX_REASON} 字", field=field)
    return reason


def pending(session: EvaluationSession) -> list[TimeExtensionRequest]:
    """The declarations not yet answered by an extension, from members still on the committee
    (a member who left no longer counts, Art.48 para.2)."""
    members = set(committee_seats(session).values_list("pk", flat=True))
    return [
        r
        for r in TimeExtensionRequest.objects.filter(session=session, extension__isnull=True)
        .select_related("seat__workstation")
        .order_by("requested_at", "pk")
        if r.seat_id in members
    ]


def status(session: EvaluationSession) -> dict:
    """What the tenderer, the staff and the members see: the pending declarations (workstation,
    reason, time — never a name), the count against the committee, whether the tenderer must
    extend now, and the extensions so far."""
    members = committee_seats(session).count()
    requests = pending(session)
    required = (
        session.status == EvaluationSession.Status.IN_PROGRESS
        and members > 0
        and rules.time_extension_required(len(requests), members)
    )
    return {
        "requests": requests,
        "count": len(requests),
        "members": members,
        "required": required,
        # the smallest number of members that is strictly more than a third
        "threshold": members // 3 + 1,
        "extensions": list(
            TimeExtension.objects.filter(session=session)
            .select_related("decided_by")
            .order_by("decided_at", "pk")
        ),
    }


def time_extension_request(*, actor, seat: Seat, reason: str) -> TimeExtensionRequest:
    """A member declares the evaluation time too short (once until an extension answers)."""
    reason = _reason(reason)
    if seat.signed_in_at is None:
        raise ConflictError("请先签到")
    session = seat.outcome.session
    with transaction.atomic():
        session = EvaluationSession.objects.select_for_update().get(pk=session.pk)
        if session.status != EvaluationSession.Status.IN_PROGRESS:
            raise ConflictError("评标尚未开始或已结束")
        if not committee_seats(session).filter(pk=seat.pk).exists():
            raise ConflictError("您已回避或已不在本次评标名单中")
        if TimeExtensionRequest.objects.filter(seat=seat, extension__isnull=True).exists():
            raise ConflictError("您已提出评标时间不够的意见，等待招标人决定延长")
        request = TimeExtensionRequest.objects.create(
            session=session, seat=seat, reason=reason, requested_at=timezone.now()
        )
        state = status(session)
        audit_log(
            actor=actor,
            action="time.request",
            obj=request,
            organisation=session.host_centre,
            detail={
                "workstation": seat.workstation.code,
                "reason": reason,
                "requests": state["count"],
                "members": state["members"],
                "required": state["required"],
            },
        )
    return request


def time_extension_decide(
    *, actor, session: EvaluationSession, new_ends_at: datetime, reason: str
) -> TimeExtension:
    """The tenderer (or its agency) extends the evaluation time: allowed, and owed, once more
    than a third of the members declared it too short (Art.48 para.1). The new end is later
    than the current end and than now, at most ``MAX_EXTENSION`` past the current end; the
    seatings that hold this session's workstations are held until the new end."""
    reason = _reason(reason)
    if new_ends_at is None or timezone.is_naive(new_ends_at):
        raise DomainError("请填写延长后的结束时间", field="new_ends_at")
    with transaction.atomic():
        session = EvaluationSession.objects.select_for_update().get(pk=session.pk)
        if session.status != EvaluationSession.Status.IN_PROGRESS:
            raise ConflictError("评标尚未开始或已结束，不能延长评标时间")
        requests = pending(session)
        members = committee_seats(session).count()
        if members == 0 or not rules.time_extension_required(len(requests), members):
            raise ConflictError(
                f"认为评标时间不够的成员为 {len(requests)}/{members} 人，未超过三分之一"
                "（招标投标法实施条例第四十八条第一款）"
            )
        old = session.ends_at
        if new_ends_at <= old:
            raise DomainError(
                f"延长后的结束时间应晚于当前结束时间（{timezone.localtime(old):%Y-%m-%d %H:%M}）",
                field="new_ends_at",
            )
        if new_ends_at <= timezone.now():
            raise DomainError("延长后的结束时间应晚于当前时间", field="new_ends_at")
        if new_ends_at - old > MAX_EXTENSION:
            raise DomainError("一次延长不能超过 7 天", field="new_ends_at")
        extension = TimeExtension.objects.create(
            session=session,
            old_ends_at=old,
            new_ends_at=new_ends_at,
            reason=reason,
            requests=len(requests),
            members=members,
            decided_by=actor,
            decided_at=timezone.now(),
        )
        TimeExtensionRequest.objects.filter(pk__in=[r.pk for r in requests]).update(
            extension=extension
        )
        session.ends_at = new_ends_at
        session.save(update_fields=["ends_at"])
        seating_ids = set(
            Seating.objects.filter(
                seats__outcome__session=session, slot_end__lt=new_ends_at
            ).values_list("pk", flat=True)
        )
        held = list(Seating.objects.select_for_update().filter(pk__in=seating_ids).order_by("pk"))
        for seating in held:
            seating.slot_end = new_ends_at
            seating.save(update_fields=["slot_end"])
        audit_log(
            actor=actor,
            action="time.extend",
            obj=extension,
            organisation=session.host_centre,
            detail={
                "old_ends_at": old.isoformat(),
                "new_ends_at": new_ends_at.isoformat(),
                "reason": reason,
                "requests": len(requests),
                "members": members,
                "workstations": [r.seat.workstation.code for r in requests],
                "seatings_held": [s.pk for s in held],
            },
        )
    return extension
