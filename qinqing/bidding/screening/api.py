"""The screening report in the API: GET /api/v1/bidding/sections/{id}/screening for the host
centre's staff and the supervisors (404 for anyone else, bidders included), and
GET /api/v1/bidding/workstation/screening for a committee member at its signed-in workstation.
The report is read-only here; the host centre re-runs it from the page."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.http import Http404
from ninja import Path, Router, Schema

from qinqing.bidding.evaluation.api import workstation_router
from qinqing.bidding.screening import selectors
from qinqing.core.api_errors import responds

router = Router()


class ScreeningBidderOut(Schema):
    uscc: str
    name: str


class ScreeningSignalOut(Schema):
    kind: str
    label: str
    article: str
    bidders: list[ScreeningBidderOut]
    evidence: dict
    found_at: datetime


class ScreeningFileOut(Schema):
    bidder: str
    uscc: str
    name: str
    readable: bool
    reason: str
    pages: int
    author: str
    creator: str
    producer: str
    created: datetime | None


class ScreeningReportOut(Schema):
    section_id: int
    state: str
    progress: int | None = None
    requested_at: datetime | None = None
    finished_at: datetime | None = None
    seconds: Decimal | None = None
    bids_screened: int | None = None
    files_screened: int | None = None
    pages_screened: int | None = None
    signals: list[ScreeningSignalOut]
    files: list[ScreeningFileOut]


@router.get(
    "/sections/{section_id}/screening",
    response=ScreeningReportOut,
    summary="清标报告（串通投标迹象、证据与法律依据，供评标委员会判断）",
    operation_id="qinqing_bidding_api_screening_report",
)
def screening_report(request, section_id: int = Path(..., ge=1, le=2**63 - 1)):
    section = selectors.section_for(user=request.user, pk=section_id)
    return selectors.report_json(section)


@workstation_router.get(
    "/screening",
    response=ScreeningReportOut,
    summary="本工位所评标段的清标报告",
    operation_id="qinqing_bidding_workstation_api_screening",
)
@responds(404)
def workstation_screening(request):
    section = selectors.section_for_seat(request.auth)
    if section is None:
        raise Http404
    return selectors.report_json(section)
