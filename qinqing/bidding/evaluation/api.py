"""The evaluation's endpoints: a session's live supervision board (`router`), and the expert's
workstation API (`workstation_router`, /api/v1/bidding/workstation/…): own sheet, submit,
deviation explanations and, for the chair, closing a stage and returning a sheet (the report's
signing is added to it by report/api.py).

An expert has no account: the workstation's browser session carries the seat after sign-in
(``seating.workstation.SEAT_KEY``). Writes need the CSRF token like any cookie-authenticated
request. A sheet of another member is a 404 until its stage is closed (背靠背).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Body, Field, Router, Schema
from pydantic import BaseModel

from qinqing.bidding.evaluation import scoring, selectors, supervision
from qinqing.bidding.models import DeviationNote, EvaluationStage, ScoreSheet, Seat, Stage
from qinqing.bidding.seating.workstation import SeatCookie

router = Router()
workstation_router = Router(tags=["bidding-workstation"], auth=SeatCookie())


# Input-only bodies are plain pydantic models: ninja's Schema adds a validator that reads ORM
# objects, which costs more than the rest of the parsing for a sheet's worth of entries.
class EntryIO(BaseModel):
    bidder_id: int
    criterion: str
    score: Decimal | None = None
    passed: bool | None = None
    note: str = ""


class EntriesIn(BaseModel):
    entries: list[EntryIO]


def _entries_in(entries: list[EntryIO]) -> list[scoring.EntryIn]:
    return [scoring.EntryIn(e.bidder_id, e.criterion, e.score, e.passed, e.note) for e in entries]


class CriterionOut(Schema):
    code: str
    name: str
    group: str
    max_score: Decimal | None
    step: Decimal


class BidderOut(Schema):
    id: int
    name: str


class EntryOut(Schema):
    bidder_id: int
    criterion: str
    score: Decimal | None
    passed: bool | None
    note: str


class DeviationOut(Schema):
    id: int
    bidder_id: int
    criterion: str | None
    score: Decimal
    mean: Decimal
    ratio: Decimal | None
    explanation: str


class SheetOut(Schema):
    id: int
    stage: str
    status: str
    workstation: str
    updated_at: datetime
    submitted_at: datetime | None
    criteria: list[CriterionOut]
    bidders: list[BidderOut]
    entries: list[EntryOut]
    # Only on one's own sheet (the routes leave it out of others', exclude_unset).
    deviations: list[DeviationOut] = Field(None, description="评分偏离（仅本人的评分表）")


class SheetStateOut(Schema):
    id: int
    stage: str
    status: str
    updated_at: datetime
    submitted_at: datetime | None


class SheetHeaderOut(Schema):
    id: int
    stage: str
    status: str


class ProjectRefOut(Schema):
    code: str
    name: str


class WorkstationOut(Schema):
    workstation: str
    session: int
    project: ProjectRefOut
    status: str
    stage: str | None
    stage_status: str | None
    paused: bool
    is_chair: bool
    sheets: list[SheetHeaderOut]


class ExplainedOut(Schema):
    id: int
    explained: bool


class StageClosedOut(Schema):
    closed: str
    current: str | None
    current_status: str | None
    awaiting_lot: bool


class LiveSessionOut(Schema):
    id: int
    project_code: str
    project_name: str
    section: str
    status: str
    status_label: str
    starts_at: datetime
    ends_at: datetime
    overtime: bool
    started_at: datetime | None
    chair_workstation: str | None
    paused: bool


class LiveBoardOut(Schema):
    """The supervision board: progress and incidents, never a score or a verdict."""

    session: LiveSessionOut
    generated_at: datetime
    idle_minutes: int
    current_stage: str | None
    current_stage_label: str
    centres: list[dict[str, Any]]
    stages: list[dict[str, Any]]
    workstations: list[dict[str, Any]]
    incidents: list[dict[str, Any]]
    time_extension: dict[str, Any]


class ReasonIn(Schema):
    reason: str = ""


class ExplanationIn(Schema):
    explanation: str = ""


def _stage_value(stage: str) -> str:
    if stage not in Stage.values:
        raise Http404
    return stage


def sheet_out(sheet: ScoreSheet, *, own: bool) -> dict:
    session = sheet.session
    entries = list(
        sheet.entries.select_related("criterion").order_by("bidder_id", "criterion__order")
    )
    body = {
        "id": sheet.pk,
        "stage": sheet.stage,
        "status": sheet.status,
        "workstation": sheet.seat.workstation.code,
        "updated_at": sheet.updated_at,
        "submitted_at": sheet.submitted_at,
        "criteria": [
            {
                "code": c.code,
                "name": c.name,
                "group": c.group,
                "max_score": c.max_score,
                "step": c.step,
            }
            for c in selectors.stage_criteria(session, sheet.stage)
        ],
        "bidders": [
            {"id": b.pk, "name": b.name} for b in selectors.scored_bidders(session, sheet.stage)
        ],
        "entries": [
            {
                "bidder_id": e.bidder_id,
                "criterion": e.criterion.code,
                "score": e.score,
                "passed": e.passed,
                "note": e.note,
            }
            for e in entries
        ],
    }
    if own:
        body["deviations"] = [
            {
                "id": n.pk,
                "bidder_id": n.bidder_id,
                "criterion": n.criterion.code if n.criterion else None,
                "score": n.score,
                "mean": n.mean,
                "ratio": n.ratio,
                "explanation": n.explanation,
            }
            for n in sheet.deviations.select_related("criterion")
        ]
    return body


def _own_sheet(seat: Seat, stage: str) -> ScoreSheet:
    return get_object_or_404(
        ScoreSheet.objects.select_related("session", "seat__workstation"),
        seat=seat,
        stage=_stage_value(stage),
    )


@workstation_router.get(
    "",
    response=WorkstationOut,
    summary="本工位：评标项目、当前阶段、本人评分表",
    operation_id="qinqing_bidding_workstation_api_workstation",
)
def workstation(request):
    seat: Seat = request.auth
    supervision.seat_seen(seat)
    session = seat.outcome.session
    state = selectors.current_stage(session)
    return {
        "workstation": seat.workstation.code,
        "session": session.pk,
        "project": {"code": session.section.project.code, "name": session.section.project.name},
        "status": session.status,
        "stage": state.stage if state else None,
        "stage_status": state.status if state else None,
        "paused": selectors.is_paused(session),
        "is_chair": session.chair_id == seat.pk,
        "sheets": [
            {"id": s.pk, "stage": s.stage, "status": s.status}
            for s in ScoreSheet.objects.filter(seat=seat).order_by("pk")
        ],
    }


@workstation_router.get(
    "/sheets/{stage}",
    response=SheetOut,
    exclude_unset=True,
    summary="本人某阶段的评分表",
    operation_id="qinqing_bidding_workstation_api_sheet_get",
)
def sheet_get(request, stage: str):
    seat: Seat = request.auth
    return sheet_out(_own_sheet(seat, stage), own=True)


@workstation_router.put(
    "/sheets/{stage}",
    response=SheetStateOut,
    summary="保存本人评分（提交前可反复保存；返回评分表状态）",
    operation_id="qinqing_bidding_workstation_api_sheet_put",
)
def sheet_put(request, stage: str, payload: EntriesIn):
    seat: Seat = request.auth
    sheet = scoring.sheet_save(
        actor=seat.member.user,
        seat=seat,
        stage=_stage_value(stage),
        entries=_entries_in(payload.entries),
    )
    return _sheet_state(sheet)


def _sheet_state(sheet: ScoreSheet) -> dict:
    """The short answer to a write; GET /sheets/{stage} returns the whole sheet."""
    return {
        "id": sheet.pk,
        "stage": sheet.stage,
        "status": sheet.status,
        "updated_at": sheet.updated_at,
        "submitted_at": sheet.submitted_at,
    }


class SubmitIn(BaseModel):
    entries: list[EntryIO] | None = None


@workstation_router.post(
    "/sheets/{stage}/submit",
    response=SheetStateOut,
    summary="提交并锁定本人评分表（可同时提交最终评分：全部保存并提交，或全部不变）",
    operation_id="qinqing_bidding_workstation_api_sheet_submit",
)
def sheet_submit(request, stage: str, payload: Body[SubmitIn | None] = None):
    seat: Seat = request.auth
    entries = payload.entries if payload is not None else None
    sheet = scoring.sheet_submit(
        actor=seat.member.user,
        seat=seat,
        stage=_stage_value(stage),
        entries=None if entries is None else _entries_in(entries),
    )
    return _sheet_state(sheet)


@workstation_router.get(
    "/committee/sheets/{sheet_id}",
    response=SheetOut,
    exclude_unset=True,
    summary="评标委员会成员的评分表（阶段结束后可见）",
    operation_id="qinqing_bidding_workstation_api_committee_sheet",
)
def committee_sheet(request, sheet_id: int):
    seat: Seat = request.auth
    session = seat.outcome.session
    sheet = get_object_or_404(
        selectors.visible_sheets(seat=seat, session=session).select_related(
            "session", "seat__workstation"
        ),
        pk=sheet_id,
    )
    return sheet_out(sheet, own=sheet.seat_id == seat.pk)


@workstation_router.post(
    "/deviations/{note_id}/explain",
    response=ExplainedOut,
    summary="书面说明评分偏离",
    operation_id="qinqing_bidding_workstation_api_deviation_explain",
)
def deviation_explain(request, note_id: int, payload: ExplanationIn):
    seat: Seat = request.auth
    note = get_object_or_404(
        DeviationNote.objects.select_related("sheet"), pk=note_id, sheet__seat=seat
    )
    scoring.deviation_explain(
        actor=seat.member.user, seat=seat, note=note, explanation=payload.explanation
    )
    return {"id": note.pk, "explained": True}


@workstation_router.post(
    "/stages/{stage}/close",
    response=StageClosedOut,
    summary="负责人结束评审阶段",
    operation_id="qinqing_bidding_workstation_api_stage_close",
)
def stage_close(request, stage: str):
    seat: Seat = request.auth
    state = scoring.stage_close(actor=seat.member.user, seat=seat, stage=_stage_value(stage))
    session = seat.outcome.session
    current = selectors.current_stage(session)
    return {
        "closed": state.stage,
        "current": current.stage if current else None,
        "current_status": current.status if current else None,
        "awaiting_lot": current is not None
        and current.stage == Stage.SUMMARY
        and current.status == EvaluationStage.Status.OPEN,
    }


@workstation_router.post(
    "/sheets/{sheet_id}/reopen",
    response=SheetHeaderOut,
    summary="负责人退回某成员已提交的评分表",
    operation_id="qinqing_bidding_workstation_api_sheet_reopen",
)
def sheet_reopen(request, sheet_id: int, payload: ReasonIn):
    seat: Seat = request.auth
    sheet = get_object_or_404(ScoreSheet, pk=sheet_id, session=seat.outcome.session)
    sheet = scoring.sheet_reopen(
        actor=seat.member.user, seat=seat, sheet=sheet, reason=payload.reason
    )
    return {"id": sheet.pk, "status": sheet.status}


@router.get(
    "/sessions/{session_id}/live",
    response=LiveBoardOut,
    summary="评标现场监督：各中心工位签到与评审进度、异常情况（不含任何评分或评审结论）",
    operation_id="qinqing_bidding_api_session_live",
)
def session_live(request, session_id: int):
    session = supervision.live_session(user=request.user, pk=session_id)
    return supervision.live_board(session)
