"""The evaluation time in the API (实施条例 Art.48 para.1), with the pages' permissions:

- at a signed-in workstation (SeatCookie, else 401; a seat not on the committee: 404):
  GET /api/v1/bidding/workstation/time (where the declarations stand) and POST (declare the
  time too short, with a reason);
- GET /api/v1/bidding/sessions/{id}/time for everyone who sees the session (another
  organisation's: 404), and POST /api/v1/bidding/sessions/{id}/time/extensions for the tenderer
  or its agency (403 for the others who see it) once more than a third declared.

Members appear by workstation, never by name."""

from __future__ import annotations

from datetime import datetime

from django.http import Http404
from django.utils import timezone
from ninja import Path, Router, Schema

from qinqing.bidding.evaluation import supervision, time_extension
from qinqing.bidding.models import EvaluationSession, Seat
from qinqing.bidding.projects import selectors as project_selectors
from qinqing.bidding.seating import selectors as seating_selectors
from qinqing.bidding.seating.workstation import SeatCookie
from qinqing.core.api_errors import responds
from qinqing.core.permissions import require

router = Router()
workstation_router = Router(auth=SeatCookie())

MAX_ID = 2**63 - 1


class TimeRequestOut(Schema):
    workstation: str
    reason: str
    requested_at: datetime


class TimeExtensionOut(Schema):
    old_ends_at: datetime
    new_ends_at: datetime
    reason: str
    requests: int
    members: int
    decided_at: datetime


class TimeStatusOut(Schema):
    session: int
    ends_at: datetime
    members: int
    count: int
    threshold: int
    required: bool
    requests: list[TimeRequestOut]
    extensions: list[TimeExtensionOut]


class WorkstationTimeOut(TimeStatusOut):
    mine: bool


class TimeReasonIn(Schema):
    reason: str = ""


class TimeExtensionIn(Schema):
    new_ends_at: datetime
    reason: str = ""


def _status(session: EvaluationSession, state: dict | None = None) -> dict:
    state = state or time_extension.status(session)
    return {
        "session": session.pk,
        "ends_at": session.ends_at,
        "members": state["members"],
        "count": state["count"],
        "threshold": state["threshold"],
        "required": state["required"],
        "requests": [
            {
                "workstation": r.seat.workstation.code,
                "reason": r.reason,
                "requested_at": r.requested_at,
            }
            for r in state["requests"]
        ],
        "extensions": [
            {
                "old_ends_at": e.old_ends_at,
                "new_ends_at": e.new_ends_at,
                "reason": e.reason,
                "requests": e.requests,
                "members": e.members,
                "decided_at": e.decided_at,
            }
            for e in state["extensions"]
        ],
    }


def _member(request) -> Seat:
    seat: Seat = request.auth
    session = seat.outcome.session
    if not seating_selectors.committee_seats(session).filter(pk=seat.pk).exists():
        raise Http404("您已回避或已不在本次评标名单中")
    supervision.seat_seen(seat)
    return seat


def _workstation_status(seat: Seat) -> dict:
    session = EvaluationSession.objects.get(pk=seat.outcome.session_id)  # the end read afresh
    state = time_extension.status(session)
    return {**_status(session, state), "mine": any(r.seat_id == seat.pk for r in state["requests"])}


@workstation_router.get(
    "/time",
    response=WorkstationTimeOut,
    summary="评标时间：本委员会认为时间不够的成员（按工位）与延长记录",
    operation_id="qinqing_bidding_workstation_api_time",
)
@responds(404)
def workstation_time(request):
    return _workstation_status(_member(request))


@workstation_router.post(
    "/time",
    response={201: WorkstationTimeOut},
    summary="本成员提出评标时间不够（写明理由；延长前只能提出一次）",
    operation_id="qinqing_bidding_workstation_api_time_request",
)
@responds(404)
def workstation_time_request(request, payload: TimeReasonIn):
    seat = _member(request)
    time_extension.time_extension_request(actor=seat.member.user, seat=seat, reason=payload.reason)
    return 201, _workstation_status(seat)


@router.get(
    "/sessions/{session_id}/time",
    response=TimeStatusOut,
    summary="评标时间：认为时间不够的成员（按工位）、是否须延长、延长记录",
    operation_id="qinqing_bidding_api_session_time",
)
def session_time(request, session_id: int = Path(..., ge=1, le=MAX_ID)):
    session = project_selectors.session(user=request.user, pk=session_id)
    return _status(session)


@router.post(
    "/sessions/{session_id}/time/extensions",
    response={201: TimeStatusOut},
    summary="招标人延长评标时间（超过三分之一的成员认为时间不够时）",
    operation_id="qinqing_bidding_api_session_time_extend",
)
def session_time_extend(
    request, payload: TimeExtensionIn, session_id: int = Path(..., ge=1, le=MAX_ID)
):
    session = project_selectors.session(user=request.user, pk=session_id)
    require(request.user, "bidding.extend_time", session)
    new_ends_at = payload.new_ends_at
    if timezone.is_naive(new_ends_at):  # a time without an offset is Beijing time
        new_ends_at = timezone.make_aware(new_ends_at)
    time_extension.time_extension_decide(
        actor=request.user,
        session=session,
        new_ends_at=new_ends_at,
        reason=payload.reason,
    )
    session.refresh_from_db(fields=["ends_at"])
    return 201, _status(session)
