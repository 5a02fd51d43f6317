"""The report's endpoints: the report of a session, and signing it at the workstation."""

from __future__ import annotations

from datetime import datetime

from django.http import Http404
from ninja import Router, Schema

from qinqing.bidding.evaluation.api import workstation_router
from qinqing.bidding.models import EvaluationSession, Report, Seat
from qinqing.bidding.permissions import committee_identifiable
from qinqing.bidding.report import selectors
from qinqing.bidding.report import services as reports
from qinqing.core.permissions import get_visible_or_404

router = Router()


class SignIn(Schema):
    agree: bool
    dissent_reason: str = ""


class SignedOut(Schema):
    position: str
    at: datetime


class SignatureRowOut(Schema):
    workstation: str
    expert_code: str | None  # only once the committee may be identified
    position: str | None
    dissent_reason: str
    at: datetime | None


class ReportOut(Schema):
    session: int
    status: str
    built_at: datetime | None
    sealed_at: datetime | None
    content_sha256: str
    pdf_sha256: str | None
    signatures: list[SignatureRowOut]


@workstation_router.post(
    "/report/sign",
    response=SignedOut,
    summary="签署评标报告：同意，或书面说明不同意见和理由（实施条例第五十三条）",
    operation_id="qinqing_bidding_workstation_api_report_sign",
)
def report_sign(request, payload: SignIn):
    seat: Seat = request.auth
    signature = reports.report_sign(
        actor=seat.member.user,
        seat=seat,
        agree=payload.agree,
        dissent_reason=payload.dissent_reason,
    )
    return {"position": signature.position, "at": signature.at}


@router.get(
    "/sessions/{session_id}/report",
    response=ReportOut,
    summary="评标报告：状态、内容摘要与每位成员的签署意见（实施条例第五十三条）",
    operation_id="qinqing_bidding_api_session_report",
)
def session_report(request, session_id: int):
    session = get_visible_or_404(
        request.user, "bidding.view_report", EvaluationSession.objects.all(), pk=session_id
    )
    report = Report.objects.filter(session=session).first()
    if report is None:
        raise Http404
    identify = committee_identifiable(request.user, session)
    return {
        "session": session.pk,
        "status": report.status,
        "built_at": report.built_at,
        "sealed_at": report.sealed_at,
        "content_sha256": report.content_sha256,
        "pdf_sha256": report.pdf_sha256 or None,
        "signatures": [
            {
                "workstation": row["seat"].workstation.code,
                "expert_code": row["seat"].member.code if identify else None,
                "position": row["signature"].position if row["signature"] else None,
                "dissent_reason": row["signature"].dissent_reason if row["signature"] else "",
                "at": row["signature"].at if row["signature"] else None,
            }
            for row in selectors.signature_board(report)
        ],
    }
