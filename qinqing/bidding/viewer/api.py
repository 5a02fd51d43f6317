"""The bid documents at the workstation in the API (/api/v1/bidding/workstation/documents):
the list a committee member may read and each file's bytes, with the pages' permissions — a
signed-in workstation (SeatCookie, else 401), a member of the committee of a session in
progress (else 404)."""

from __future__ import annotations

from django.http import Http404
from ninja import Router, Schema

from qinqing.bidding.evaluation import supervision
from qinqing.bidding.seating.workstation import SeatCookie
from qinqing.bidding.viewer import selectors, services
from qinqing.bidding.viewer.views import pdf_response
from qinqing.core.api_errors import responds

router = Router(auth=SeatCookie())


class FileOut(Schema):
    id: int
    role: str
    name: str
    size: int
    sha256: str
    url: str
    pages: list[dict]


class BidderDocumentsOut(Schema):
    bidder: str
    uscc: str
    files: list[FileOut]


def _reader(request):
    seat = request.auth
    if not selectors.is_reader(seat):
        raise Http404("本工位不在评标中，或您不是本评标委员会成员")
    supervision.seat_seen(seat)
    return seat


@router.get(
    "/documents",
    response=list[BidderDocumentsOut],
    summary="本工位可查阅的投标文件（开标时解密的各投标人文件；含响应表指向的页码）",
    operation_id="qinqing_bidding_workstation_api_documents",
)
@responds(404)
def documents(request):
    seat = _reader(request)
    out = []
    for group in selectors.by_bidder(selectors.readable_files(seat)):
        responses = group["opening_bid"].responses or []
        out.append(
            {
                "bidder": group["bidder"].name,
                "uscc": group["bidder"].uscc,
                "files": [
                    {
                        "id": f.pk,
                        "role": f.bid_file.role,
                        "name": f.bid_file.name,
                        "size": f.size,
                        "sha256": f.sha256,
                        "url": f"/api/v1/bidding/workstation/documents/{f.pk}",
                        "pages": [
                            {"criterion": r["criterion"], "page": r["page"]}
                            for r in responses
                            if isinstance(r, dict) and r.get("file") == f.bid_file.name
                        ],
                    }
                    for f in group["files"]
                ],
            }
        )
    return out


@router.get(
    "/documents/{file_id}",
    summary="一个投标文件的 PDF（inline，不缓存；首次打开记入审计链）",
    operation_id="qinqing_bidding_workstation_api_document_pdf",
    openapi_extra={
        "responses": {
            200: {
                "description": "PDF（Content-Disposition: inline；Cache-Control: no-store）",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def document_pdf(request, file_id: int):
    seat = _reader(request)
    opened = selectors.readable_file(seat, file_id)
    services.document_open(actor=seat.member.user, seat=seat, opened_file=opened)
    return pdf_response(opened)
