"""The remote opening's endpoints (/api/v1/bidding/openings…): the hall's status, the start, a
bidder's decryption with the content key its browser unwrapped (never the passphrase), a
failed unwrap reported, the read-out (唱标), the objections and their answers, the close, and
the public opening record. Same permissions as the pages: a bidder sees only its own bid until
the schedules are read out to everyone."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.http import Http404
from ninja import Path, Router, Schema, Status
from pydantic import BaseModel

from qinqing.bidding.opening import selectors, services
from qinqing.bidding.opening.models import Opening, OpeningBid
from qinqing.core.api_errors import responds
from qinqing.core.permissions import require

router = Router()


class StartIn(BaseModel):
    window_minutes: int = 30
    late_treatment: str = Opening.LateTreatment.WITHDRAWN


class KeyIn(BaseModel):
    content_key: str


class TextIn(BaseModel):
    text: str


class AnswerIn(BaseModel):
    answer: str


class DeclaredOut(Schema):
    name: str
    value: str


class ReadOutOut(Schema):
    position: int
    bidder: str
    uscc: str
    price: Decimal
    duration_days: int
    quality: str
    project_manager: str
    declared_items: list[DeclaredOut]


class OwnBidOut(Schema):
    id: int
    bid_id: int
    bidder: str
    status: str
    failed_attempts: int
    reason: str
    decrypted_at: datetime | None
    price: Decimal | None
    kdf_salt: str
    kdf_iterations: int
    wrapped_key: str


class RollOut(Schema):
    position: int
    bidder: str
    status: str
    reason: str


class ObjectionOut(Schema):
    id: int
    bidder: str
    text: str
    raised_at: datetime
    answer: str
    answered_at: datetime | None


class StatusOut(Schema):
    section_id: int
    project_code: str
    section_name: str
    bid_deadline: datetime | None
    status: str
    started_at: datetime | None
    window_minutes: int | None
    decrypt_until: datetime | None
    failure_reason: str
    bids_total: int
    bids_decrypted: int
    bids_pending: int
    own_bid: OwnBidOut | None
    roll: list[RollOut] | None
    read_out: list[ReadOutOut]
    objections: list[ObjectionOut]


class FailuresOut(Schema):
    failed_attempts: int


class RecordBidOut(Schema):
    position: int
    bidder: str
    uscc: str
    status: str
    status_label: str
    reason: str
    price: str | None
    duration_days: int | None
    quality: str
    project_manager: str


class RecordOut(Schema):
    project_code: str
    project_name: str
    section_code: str
    section_name: str
    status: str
    status_label: str
    started_at: str | None
    closed_at: str | None
    failure_reason: str
    bids: list[RecordBidOut]
    objections: list[dict]
    record_sha256: str


def _hall(request, section_id: int):
    section, role = selectors.hall(user=request.user, pk=section_id)
    opening = selectors.opening_of(section)
    if opening is not None:
        opening = services.opening_refresh(opening=opening)
    return section, role, opening


def _opened(request, section_id: int):
    section, role, opening = _hall(request, section_id)
    if opening is None:
        raise Http404("本标段尚未开标")
    return section, role, opening


def _own(ob: OpeningBid | None) -> dict | None:
    if ob is None:
        return None
    manifest = ob.bid.manifest
    return {
        "id": ob.pk,
        "bid_id": ob.bid_id,
        "bidder": ob.bidder.name,
        "status": ob.status,
        "failed_attempts": ob.failed_attempts,
        "reason": ob.reason,
        "decrypted_at": ob.decrypted_at,
        "price": ob.price,
        "kdf_salt": manifest["kdf"]["salt"],
        "kdf_iterations": manifest["kdf"]["iterations"],
        "wrapped_key": manifest["key_wrap"]["wrapped_key"],
    }


def _read_out(opening: Opening) -> list[dict]:
    return [
        {
            "position": b.position,
            "bidder": b.bidder.name,
            "uscc": b.bidder.uscc,
            "price": b.price,
            "duration_days": b.duration_days,
            "quality": b.quality,
            "project_manager": b.project_manager,
            "declared_items": b.declared_items,
        }
        for b in selectors.read_out(opening)
    ]


def _objection(o) -> dict:
    return {
        "id": o.pk,
        "bidder": o.bidder.name,
        "text": o.text,
        "raised_at": o.raised_at,
        "answer": o.answer,
        "answered_at": o.answered_at,
    }


def _objections(opening: Opening) -> list[dict]:
    return [_objection(o) for o in selectors.objections(opening)]


def _status(request, section, role, opening) -> dict:
    base = {
        "section_id": section.pk,
        "project_code": section.project.code,
        "section_name": section.name,
        "bid_deadline": section.bid_deadline,
        "status": "not_started",
        "started_at": None,
        "window_minutes": None,
        "decrypt_until": None,
        "failure_reason": "",
        "bids_total": 0,
        "bids_decrypted": 0,
        "bids_pending": 0,
        "own_bid": None,
        "roll": None,
        "read_out": [],
        "objections": [],
    }
    if opening is None:
        return base
    rows = selectors.bid_rows(opening)
    own = (
        selectors.own_bid(user=request.user, opening=opening) if role == selectors.BIDDER else None
    )
    return {
        **base,
        "status": opening.status,
        "started_at": opening.started_at,
        "window_minutes": opening.window_minutes,
        "decrypt_until": opening.decrypt_until,
        "failure_reason": opening.failure_reason,
        "bids_total": len(rows),
        "bids_decrypted": sum(r.status == OpeningBid.Status.DECRYPTED for r in rows),
        "bids_pending": sum(r.status == OpeningBid.Status.PENDING for r in rows),
        "own_bid": _own(own),
        "roll": None
        if role == selectors.BIDDER
        else [
            {
                "position": r.position,
                "bidder": r.bidder.name,
                "status": r.status,
                "reason": r.reason,
            }
            for r in rows
        ],
        "read_out": _read_out(opening),
        "objections": _objections(opening),
    }


@router.get(
    "/openings/{section_id}",
    response=StatusOut,
    summary="开标大厅状态（解密进度、本单位投标文件、唱标、异议）",
    operation_id="qinqing_bidding_api_opening_status",
)
def opening_status(request, section_id: int):
    section, role, opening = _hall(request, section_id)
    return _status(request, section, role, opening)


@router.post(
    "/openings/{section_id}/start",
    response={201: StatusOut},
    summary="开标（投标截止时间到达后；有效投标不足三个的不予开标）",
    operation_id="qinqing_bidding_api_opening_start",
)
def opening_start(request, section_id: int, payload: StartIn):
    section, role, _opening = _hall(request, section_id)
    require(request.user, "bidding.host_opening")
    if not selectors.may_host(request.user, section):
        raise Http404
    opening = services.opening_start(
        actor=request.user,
        section=section,
        window_minutes=payload.window_minutes,
        late_treatment=payload.late_treatment,
    )
    return Status(201, _status(request, section, role, opening))


def _own_or_404(request, opening) -> OpeningBid:
    own = selectors.own_bid(user=request.user, opening=opening)
    if own is None:
        raise Http404("本单位在本标段没有参加开标的投标文件")
    return own


@router.post(
    "/openings/{section_id}/decrypt",
    response=OwnBidOut,
    summary="解密本单位投标文件：提交浏览器用口令解出的内容密钥（Base64，32 字节），不提交口令",
    operation_id="qinqing_bidding_api_opening_decrypt",
)
def opening_decrypt(request, section_id: int, payload: KeyIn):
    _section, _role, opening = _opened(request, section_id)
    require(request.user, "bidding.attend_opening")
    own = services.opening_decrypt(
        actor=request.user,
        opening_bid=_own_or_404(request, opening),
        content_key=payload.content_key,
    )
    own.refresh_from_db()
    return _own(own)


@router.post(
    "/openings/{section_id}/decrypt/failures",
    response=FailuresOut,
    summary="报告浏览器解开内容密钥失败（口令错误）：计数并记入审计",
    operation_id="qinqing_bidding_api_opening_unwrap_failed",
)
def opening_unwrap_failed(request, section_id: int):
    _section, _role, opening = _opened(request, section_id)
    require(request.user, "bidding.attend_opening")
    attempts = services.opening_unwrap_failed(
        actor=request.user, opening_bid=_own_or_404(request, opening)
    )
    return {"failed_attempts": attempts}


@router.get(
    "/openings/{section_id}/read-out",
    response=list[ReadOutOut],
    summary="唱标：各投标人开标一览表（唱标开始后）",
    operation_id="qinqing_bidding_api_opening_read_out",
)
def opening_read_out(request, section_id: int):
    _section, _role, opening = _opened(request, section_id)
    return _read_out(opening)


@router.get(
    "/openings/{section_id}/objections",
    response=list[ObjectionOut],
    summary="开标现场的异议及答复",
    operation_id="qinqing_bidding_api_opening_objections",
)
def opening_objections(request, section_id: int):
    _section, _role, opening = _opened(request, section_id)
    return _objections(opening)


@router.post(
    "/openings/{section_id}/objections",
    response={201: ObjectionOut},
    summary="投标人在开标现场提出异议（招标投标法实施条例第四十四条）",
    operation_id="qinqing_bidding_api_opening_object",
)
def opening_object(request, section_id: int, payload: TextIn):
    section, _role, opening = _opened(request, section_id)
    require(request.user, "bidding.attend_opening")
    bidder = selectors.own_registration(user=request.user, section=section)
    if bidder is None:
        raise Http404
    o = services.objection_raise(
        actor=request.user, opening=opening, bidder=bidder, text=payload.text
    )
    return Status(201, _objection(o))


@router.post(
    "/openings/objections/{objection_id}/answer",
    response=ObjectionOut,
    summary="当场答复开标异议",
    operation_id="qinqing_bidding_api_opening_answer",
)
def opening_answer(request, objection_id: int, payload: AnswerIn):
    objection = selectors.objection_for_host(user=request.user, pk=objection_id)
    o = services.objection_answer(actor=request.user, objection=objection, answer=payload.answer)
    return _objection(o)


@router.post(
    "/openings/{section_id}/close",
    response=StatusOut,
    summary="结束开标，形成开标记录",
    operation_id="qinqing_bidding_api_opening_close",
)
def opening_close(request, section_id: int):
    section, role, opening = _opened(request, section_id)
    require(request.user, "bidding.host_opening")
    if not selectors.may_host(request.user, section):
        raise Http404
    opening = services.opening_close(actor=request.user, opening=opening)
    return _status(request, section, role, opening)


@router.get(
    "/openings/{section_id}/record",
    response=RecordOut,
    auth=None,
    summary="开标记录（开标结束或不予开标后公开）",
    operation_id="qinqing_bidding_api_opening_record",
)
@responds(404)
def opening_record(request, section_id: int = Path(..., ge=1, le=2**63 - 1)):
    # Public, so no sign-in answers first: an id beyond the database's integer is a 422 here,
    # not a query SQLite cannot bind.
    opening = selectors.public_record(pk=section_id)
    r = opening.record or {}
    return {
        **{k: r.get(k) for k in ("project_code", "project_name", "section_code", "section_name")},
        "status": opening.status,
        "status_label": str(opening.get_status_display()),
        "started_at": r.get("started_at"),
        "closed_at": r.get("closed_at"),
        "failure_reason": opening.failure_reason,
        "bids": [
            {
                k: b.get(k)
                for k in (
                    "position",
                    "bidder",
                    "uscc",
                    "status",
                    "status_label",
                    "reason",
                    "price",
                    "duration_days",
                    "quality",
                    "project_manager",
                )
            }
            for b in r.get("bids", [])
        ],
        "objections": r.get("objections", []),
        "record_sha256": opening.record_sha256,
    }
