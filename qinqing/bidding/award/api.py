"""From the report to the award (/api/v1/bidding/…): the public candidates' publications, a
section's award status (publication, objections, complaints, notices — a bidder sees its own
only), the publication, objections and answers, complaints and their handling, the award
notices. Same permissions as the pages."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from ninja import Path, Router, Schema, Status
from pydantic import BaseModel, Field

from qinqing.bidding.award import rules, selectors, services, signing
from qinqing.bidding.award.models import (
    AwardNotice,
    Complaint,
    Contract,
    Publication,
    ResultObjection,
)
from qinqing.core.api_errors import responds
from qinqing.core.permissions import can

router = Router()
MAX_ID = 2**63 - 1


class PublishIn(BaseModel):
    period_days: int = rules.MIN_PUBLICATION_DAYS
    received_on: date | None = None
    note: str = Field("", max_length=rules.MAX_TEXT)


class ObjectionTextIn(BaseModel):
    text: str


class ObjectionAnswerIn(BaseModel):
    answer: str


class ComplaintIn(BaseModel):
    objection_id: int = Field(..., ge=1, le=MAX_ID)
    knew_on: date
    text: str


class AcceptIn(BaseModel):
    suspend: bool = False


class RefuseIn(BaseModel):
    reason: str


class DecideIn(BaseModel):
    outcome: str
    decision: str


class AwardContractIn(BaseModel):
    number: str = Field(..., max_length=rules.MAX_CONTRACT_NUMBER)
    signed_on: date
    amount: Decimal = Field(..., max_digits=18, decimal_places=2)


class CandidateOut(Schema):
    rank: int
    bidder: str
    uscc: str
    total: Decimal | None
    evaluated_price: Decimal | None
    bid_price: Decimal | None


class PublicationOut(Schema):
    id: int
    section_id: int
    project_code: str
    project_name: str
    section_name: str
    published_at: datetime
    ends_at: datetime
    period_days: int
    running: bool
    late: bool
    candidates: list[CandidateOut]


class AwardObjectionOut(Schema):
    id: int
    bidder: str
    text: str
    raised_at: datetime
    answer_due: datetime
    overdue: bool
    answer: str
    answered_at: datetime | None


class ComplaintOut(Schema):
    id: int
    bidder: str
    objection_id: int | None
    text: str
    knew_on: date
    lodged_at: datetime
    status: str
    accept_due: date
    decision_due: date | None
    suspended: bool
    refusal_reason: str
    outcome: str
    decision: str


class SignatureOut(Schema):
    signer: str
    reason: str
    signed_at: datetime | None
    serial: str
    intact: bool | None
    valid: bool | None
    trusted: bool | None


class NoticeOut(Schema):
    id: int
    kind: str
    bidder: str
    number: str
    price: Decimal | None
    issued_at: datetime
    pdf_sha256: str
    pdf_url: str


class NoticeDetailOut(NoticeOut):
    signatures: list[SignatureOut]


class AwardContractOut(Schema):
    number: str
    signed_on: date
    amount: Decimal
    deadline: date
    late: bool
    recorded_at: datetime


class AwardOut(Schema):
    section_id: int
    role: str
    publication: PublicationOut | None
    candidates: list[CandidateOut]
    objections: list[AwardObjectionOut]
    complaints: list[ComplaintOut]
    notices: list[NoticeOut]
    contract: AwardContractOut | None = None
    problems: list[str]


def _contract(c) -> dict:
    return {
        "number": c.number,
        "signed_on": c.signed_on,
        "amount": c.amount,
        "deadline": rules.contract_deadline(timezone.localdate(c.notice.issued_at)),
        "late": c.late,
        "recorded_at": c.recorded_at,
    }


def _candidate(c: rules.Candidate) -> dict:
    return {
        "rank": c.rank,
        "bidder": c.bidder,
        "uscc": c.uscc,
        "total": c.total,
        "evaluated_price": c.evaluated_price,
        "bid_price": c.bid_price,
    }


def _publication(p: Publication) -> dict:
    section = p.section
    return {
        "id": p.pk,
        "section_id": section.pk,
        "project_code": section.project.code,
        "project_name": section.project.name,
        "section_name": section.name,
        "published_at": p.published_at,
        "ends_at": p.ends_at,
        "period_days": p.period_days,
        "running": selectors.is_running(p),
        "late": p.late,
        "candidates": [_candidate(c) for c in services.stored_candidates(p)],
    }


def _objection(o: ResultObjection) -> dict:
    return {
        "id": o.pk,
        "bidder": o.bidder.name,
        "text": o.text,
        "raised_at": o.raised_at,
        "answer_due": o.answer_due,
        "overdue": rules.answer_overdue(
            now=timezone.now(), due=o.answer_due, answered=o.answered_at is not None
        ),
        "answer": o.answer,
        "answered_at": o.answered_at,
    }


def _complaint(c: Complaint) -> dict:
    return {
        "id": c.pk,
        "bidder": c.bidder.name,
        "objection_id": c.objection_id,
        "text": c.text,
        "knew_on": c.knew_on,
        "lodged_at": c.lodged_at,
        "status": c.status,
        "accept_due": c.accept_due,
        "decision_due": c.decision_due,
        "suspended": c.suspended,
        "refusal_reason": c.refusal_reason,
        "outcome": c.outcome,
        "decision": c.decision,
    }


def _notice(n: AwardNotice) -> dict:
    return {
        "id": n.pk,
        "kind": n.kind,
        "bidder": n.bidder.name,
        "number": n.number,
        "price": n.price,
        "issued_at": n.issued_at,
        "pdf_sha256": n.pdf_sha256,
        "pdf_url": f"/bidding/award/notices/{n.pk}/pdf/",
    }


def _award(request, section_id: int) -> dict:
    section, role = selectors.section_for(user=request.user, pk=section_id)
    publication = selectors.publication_of(section)
    if publication is None:
        return {
            "section_id": section.pk,
            "role": role,
            "publication": None,
            "candidates": [_candidate(c) for c in services.candidates_of(section.session.report)],
            "objections": [],
            "complaints": [],
            "notices": [],
            "problems": ["中标候选人尚未公示"],
        }
    user = request.user
    contract = (
        Contract.objects.filter(notice__publication=publication).select_related("notice").first()
    )
    return {
        "section_id": section.pk,
        "role": role,
        "publication": _publication(publication),
        "contract": _contract(contract) if contract is not None else None,
        "candidates": [_candidate(c) for c in services.stored_candidates(publication)],
        "objections": [
            _objection(o)
            for o in selectors.objections(user=user, publication=publication, role=role)
        ],
        "complaints": [
            _complaint(c) for c in selectors.complaints(user=user, section=section, role=role)
        ],
        "notices": [
            _notice(n) for n in selectors.notices(user=user, publication=publication, role=role)
        ],
        "problems": rules.award_problems(services.blockers(publication)),
    }


def _managed(request, section_id: int):
    section, _role = selectors.section_for(user=request.user, pk=section_id)
    if not can(request.user, "bidding.manage_award"):
        raise PermissionDenied
    if not can(request.user, "bidding.manage_award", section):
        raise Http404
    return section


def _as_bidder(request, section_id: int):
    section, role = selectors.section_for(user=request.user, pk=section_id)
    if role != selectors.BIDDER:
        raise PermissionDenied
    publication = selectors.publication_of(section)
    bidder = selectors.own_registration(user=request.user, section=section)
    if publication is None or bidder is None:
        raise Http404("中标候选人尚未公示")
    return section, publication, bidder


@router.get(
    "/candidates",
    response=list[PublicationOut],
    auth=None,
    summary="中标候选人公示（当前和以往，公开）",
    operation_id="qinqing_bidding_api_award_publications",
)
def publications(request):
    return [_publication(p) for p in selectors.public_publications()[:200]]


@router.get(
    "/candidates/{publication_id}",
    response=PublicationOut,
    auth=None,
    summary="一次中标候选人公示（公开）",
    operation_id="qinqing_bidding_api_award_publication",
)
@responds(404)
def publication(request, publication_id: int = Path(..., ge=1, le=MAX_ID)):
    return _publication(selectors.public_publication(pk=publication_id))


@router.get(
    "/sections/{section_id}/award",
    response=AwardOut,
    summary="标段的定标进程（公示、异议、投诉、通知书；投标人只见本单位的）",
    operation_id="qinqing_bidding_api_award_status",
)
def award_status(request, section_id: int = Path(..., ge=1, le=MAX_ID)):
    return _award(request, section_id)


@router.post(
    "/sections/{section_id}/award/publish",
    response={201: AwardOut},
    summary="公示中标候选人（收到评标报告之日起 3 日内，公示期不少于 3 日）",
    operation_id="qinqing_bidding_api_award_publish",
)
def award_publish(request, payload: PublishIn, section_id: int = Path(..., ge=1, le=MAX_ID)):
    section = _managed(request, section_id)
    services.publication_publish(
        actor=request.user,
        section=section,
        period_days=payload.period_days,
        received_on=payload.received_on,
        note=payload.note,
    )
    return Status(201, _award(request, section_id))


@router.post(
    "/sections/{section_id}/award/objections",
    response={201: AwardObjectionOut},
    summary="投标人在公示期间对评标结果提出异议（实施条例第五十四条）",
    operation_id="qinqing_bidding_api_award_object",
)
def award_object(request, payload: ObjectionTextIn, section_id: int = Path(..., ge=1, le=MAX_ID)):
    _section, publication, bidder = _as_bidder(request, section_id)
    o = services.objection_raise(
        actor=request.user, publication=publication, bidder=bidder, text=payload.text
    )
    return Status(201, _objection(o))


@router.post(
    "/award/objections/{objection_id}/answer",
    response=AwardObjectionOut,
    summary="招标人书面答复评标结果异议（收到之日起 3 日内）",
    operation_id="qinqing_bidding_api_award_answer",
)
def award_answer(
    request, payload: ObjectionAnswerIn, objection_id: int = Path(..., ge=1, le=MAX_ID)
):
    objection = selectors.objection_for_answer(user=request.user, pk=objection_id)
    return _objection(
        services.objection_answer(actor=request.user, objection=objection, answer=payload.answer)
    )


@router.post(
    "/sections/{section_id}/award/complaints",
    response={201: ComplaintOut},
    summary="投标人向行政监督部门投诉（先异议，10 日内；实施条例第六十条）",
    operation_id="qinqing_bidding_api_award_complain",
)
def award_complain(request, payload: ComplaintIn, section_id: int = Path(..., ge=1, le=MAX_ID)):
    section, publication, bidder = _as_bidder(request, section_id)
    own = selectors.objections(user=request.user, publication=publication, role=selectors.BIDDER)
    objection = next((o for o in own if o.pk == payload.objection_id), None)
    if objection is None:
        raise Http404("没有这件异议")
    c = services.complaint_lodge(
        actor=request.user,
        section=section,
        bidder=bidder,
        objection=objection,
        text=payload.text,
        knew_on=payload.knew_on,
    )
    return Status(201, _complaint(c))


@router.post(
    "/award/complaints/{complaint_id}/accept",
    response=ComplaintOut,
    summary="受理投诉（可责令暂停招标投标活动；实施条例第六十一、六十二条）",
    operation_id="qinqing_bidding_api_award_complaint_accept",
)
def complaint_accept(request, payload: AcceptIn, complaint_id: int = Path(..., ge=1, le=MAX_ID)):
    complaint = selectors.complaint_for_handling(user=request.user, pk=complaint_id)
    return _complaint(
        services.complaint_accept(actor=request.user, complaint=complaint, suspend=payload.suspend)
    )


@router.post(
    "/award/complaints/{complaint_id}/refuse",
    response=ComplaintOut,
    summary="不予受理投诉（书面理由）",
    operation_id="qinqing_bidding_api_award_complaint_refuse",
)
def complaint_refuse(request, payload: RefuseIn, complaint_id: int = Path(..., ge=1, le=MAX_ID)):
    complaint = selectors.complaint_for_handling(user=request.user, pk=complaint_id)
    return _complaint(
        services.complaint_refuse(actor=request.user, complaint=complaint, reason=payload.reason)
    )


@router.post(
    "/award/complaints/{complaint_id}/decide",
    response=ComplaintOut,
    summary="作出投诉处理决定（受理后 30 个工作日内；暂停随之解除）",
    operation_id="qinqing_bidding_api_award_complaint_decide",
)
def complaint_decide(request, payload: DecideIn, complaint_id: int = Path(..., ge=1, le=MAX_ID)):
    complaint = selectors.complaint_for_handling(user=request.user, pk=complaint_id)
    return _complaint(
        services.complaint_decide(
            actor=request.user,
            complaint=complaint,
            outcome=payload.outcome,
            decision=payload.decision,
        )
    )


@router.post(
    "/sections/{section_id}/award/issue",
    response={201: list[NoticeOut]},
    summary="发出中标通知书和中标结果通知书（公示期满、异议已答复、未被暂停）",
    operation_id="qinqing_bidding_api_award_issue",
)
def award_issue(request, section_id: int = Path(..., ge=1, le=MAX_ID)):
    section = _managed(request, section_id)
    return Status(
        201, [_notice(n) for n in services.award_issue(actor=request.user, section=section)]
    )


@router.post(
    "/sections/{section_id}/award/contract",
    response={201: AwardContractOut},
    summary="登记与中标人签订的书面合同（中标通知书发出后 30 日内；金额与中标价一致）",
    operation_id="qinqing_bidding_api_award_contract",
)
def award_contract(request, payload: AwardContractIn, section_id: int = Path(..., ge=1, le=MAX_ID)):
    section = _managed(request, section_id)
    contract = services.contract_record(
        actor=request.user,
        section=section,
        number=payload.number,
        signed_on=payload.signed_on,
        amount=payload.amount,
    )
    return Status(201, _contract(contract))


@router.get(
    "/award/notices/{notice_id}",
    response=NoticeDetailOut,
    summary="中标（结果）通知书及其电子签章（中标人只见本单位的）",
    operation_id="qinqing_bidding_api_award_notice",
)
def award_notice(request, notice_id: int = Path(..., ge=1, le=MAX_ID)):
    n = selectors.notice_for(user=request.user, pk=notice_id)
    return {
        **_notice(n),
        "signatures": [
            {
                "signer": s.signer,
                "reason": s.reason,
                "signed_at": s.signed_at,
                "serial": s.serial,
                "intact": s.intact,
                "valid": s.valid,
                "trusted": s.trusted,
            }
            for s in signing.pdf_signatures(n)
        ],
    }
