"""The report's endpoints: the report of a session, and signing it at the workstation."""

from __future__ import annotations

from ninja import Router, Schema

from qinqing.bidding.evaluation.api import workstation_router
from qinqing.bidding.models import Seat
from qinqing.bidding.report import services as reports

router = Router()


class SignIn(Schema):
    agree: bool
    dissent_reason: str = ""


@workstation_router.post(
    "/report/sign",
    summary="签署评标报告：同意，或书面说明不同意见和理由（实施条例第五十三条）",
    operation_id="qinqing_bidding_workstation_api_report_sign",
)
def report_sign(request, payload: SignIn):
    seat: Seat = request.auth
    signature = reports.report_sign(
        actor=seat.outcome.expert.user,
        seat=seat,
        agree=payload.agree,
        dissent_reason=payload.dissent_reason,
    )
    return {"position": signature.position, "at": signature.at}
