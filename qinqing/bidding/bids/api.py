"""Sealed bids' endpoints (/api/v1/bidding/bids…): upload (multipart: the QQ-SEAL-2 or QQ-SEAL-1
manifest and the ciphertexts, in the manifest's order; or chunked: /bids/uploads, then each
file's pieces in order, then finish with the manifest), the receipts, withdrawal, the firm's bids and the
sections it may bid for. A bidder sees only its own firm's bids; another firm's is a 404."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from qinqing.bidding.bids import selectors, services
from qinqing.bidding.bids.models import Bid
from qinqing.core.api_errors import responds
from qinqing.core.errors import DomainError
from qinqing.core.net import client_ip
from qinqing.core.permissions import require

router = Router()


class ReceiptFileOut(Schema):
    role: str
    name: str
    size: int
    sha256: str
    ciphertext_sha256: str


class ReceiptOut(Schema):
    id: int
    number: str
    kind: str
    issued_at: datetime
    bid_id: int
    project_code: str
    project_name: str
    section_code: str
    section_name: str
    bidder_name: str
    bidder_uscc: str
    files: list[ReceiptFileOut]
    manifest_sha256: str
    audit_seq: int | None
    audit_hash: str


class ReceiptBrief(Schema):
    id: int
    number: str
    kind: str
    issued_at: datetime


class BidOut(Schema):
    id: int
    section_id: int
    project_code: str
    project_name: str
    section_name: str
    bid_deadline: datetime | None
    status: str
    submitted_at: datetime
    closed_at: datetime | None
    receipts: list[ReceiptBrief]


class SectionOut(Schema):
    id: int
    project_code: str
    project_name: str
    section_code: str
    section_name: str
    bid_deadline: datetime | None
    live_bid_id: int | None


def _receipt(r) -> dict:
    return {
        "id": r.pk,
        "number": r.number,
        "kind": r.kind,
        "issued_at": r.issued_at,
        "bid_id": r.bid_id,
        "project_code": r.project_code,
        "project_name": r.project_name,
        "section_code": r.section_code,
        "section_name": r.section_name,
        "bidder_name": r.bidder_name,
        "bidder_uscc": r.bidder_uscc,
        "files": r.files,
        "manifest_sha256": r.manifest_sha256,
        "audit_seq": r.audit_seq,
        "audit_hash": r.audit_hash,
    }


def _registered_section(request, pk: int):
    """The section the account's firm may submit a bid to: another party's is a 404, one the
    firm has not registered for a 403 naming it."""
    require(request.user, "bidding.submit_bid")
    found, registered = selectors.section_for_bid(user=request.user, pk=pk)
    if not registered:
        raise services.NotRegistered(
            f"贵单位未报名“{found.project.name}”{found.name}，不能递交投标文件",
            field="section",
            code="not_registered",
        )
    return found


@router.get(
    "/bids/sections",
    response=list[SectionOut],
    summary="本单位已报名、可递交投标文件的标段",
    operation_id="qinqing_bidding_api_bid_sections",
)
def bid_sections(request):
    require(request.user, "bidding.submit_bid")
    return [
        {
            "id": s.pk,
            "project_code": s.project.code,
            "project_name": s.project.name,
            "section_code": s.code,
            "section_name": s.name,
            "bid_deadline": s.bid_deadline,
            "live_bid_id": s.live_bids[0].pk if s.live_bids else None,
        }
        for s in selectors.my_sections(user=request.user)[:500]
    ]


@router.post(
    "/bids",
    response={201: ReceiptOut},
    summary="递交密封投标文件（QQ-SEAL-2 或 QQ-SEAL-1：manifest 为密封清单 JSON，files 为各文件密文，顺序同清单）",
    operation_id="qinqing_bidding_api_bid_upload",
)
@responds(404)
def bid_upload(
    request,
    section: Form[int],
    manifest: Form[str],
    files: File[list[UploadedFile]],
):
    found = _registered_section(request, section)
    # the sealing page uploads with the browser's session; a program with a bearer token
    source = Bid.Source.API if "Authorization" in request.headers else Bid.Source.BROWSER
    receipt = services.bid_submit(
        actor=request.user,
        section=found,
        manifest=manifest,
        files=files,
        source=source,
        client_ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
    )
    return Status(201, _receipt(receipt))


class BidUploadIn(Schema):
    section: int
    sizes: list[int]


class BidUploadOut(Schema):
    id: UUID
    section_id: int
    sizes: list[int]
    received: list[list[int]]
    piece_max: int
    expires_at: datetime


class BidUploadFinishIn(Schema):
    manifest: dict


def _upload(u) -> dict:
    return {
        "id": u.pk,
        "section_id": u.section_id,
        "sizes": u.sizes,
        "received": u.received,
        "piece_max": services.UPLOAD_PIECE_MAX,
        "expires_at": u.expires_at,
    }


@router.post(
    "/bids/uploads",
    response={201: BidUploadOut},
    summary="开始分块上传密封投标文件（sizes 为各文件密文的字节数，顺序同清单）",
    operation_id="qinqing_bidding_api_bid_upload_start",
)
@responds(404)
def bid_upload_start(request, payload: BidUploadIn):
    found = _registered_section(request, payload.section)
    upload = services.upload_start(actor=request.user, section=found, sizes=payload.sizes)
    return Status(201, _upload(upload))


@router.put(
    "/bids/uploads/{upload_id}/files/{index}/chunks/{chunk}",
    response=BidUploadOut,
    summary="上传一个文件的一块密文（请求体为原始字节，按 0、1、2… 顺序）",
    operation_id="qinqing_bidding_api_bid_upload_chunk",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
@responds(404, 413)
def bid_upload_chunk(request, upload_id: UUID, index: int, chunk: int):
    require(request.user, "bidding.submit_bid")
    data = request.read(services.UPLOAD_PIECE_MAX + 1)
    if len(data) > services.UPLOAD_PIECE_MAX:
        raise DomainError(
            f"每块最多 {services.UPLOAD_PIECE_MAX} 字节", field="chunk", code="too_large"
        )
    upload = services.upload_piece(
        actor=request.user, upload_id=upload_id, index=index, chunk=chunk, data=data
    )
    return _upload(upload)


@router.post(
    "/bids/uploads/{upload_id}/finish",
    response={201: ReceiptOut},
    summary="完成分块上传：提交密封清单，核对后递交并出具回执",
    operation_id="qinqing_bidding_api_bid_upload_finish",
)
@responds(404)
def bid_upload_finish(request, upload_id: UUID, payload: BidUploadFinishIn):
    require(request.user, "bidding.submit_bid")
    source = Bid.Source.API if "Authorization" in request.headers else Bid.Source.BROWSER
    receipt = services.upload_finish(
        actor=request.user,
        upload_id=upload_id,
        manifest=payload.manifest,
        source=source,
        client_ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
    )
    return Status(201, _receipt(receipt))


@router.get(
    "/bids",
    response=list[BidOut],
    summary="本单位的投标文件（含已替换、已撤回的）及回执",
    operation_id="qinqing_bidding_api_bid_list",
)
def bid_list(request):
    require(request.user, "bidding.view_own_bid")
    return [
        {
            "id": b.pk,
            "section_id": b.section_id,
            "project_code": b.section.project.code,
            "project_name": b.section.project.name,
            "section_name": b.section.name,
            "bid_deadline": b.section.bid_deadline,
            "status": b.status,
            "submitted_at": b.submitted_at,
            "closed_at": b.closed_at,
            "receipts": [
                {"id": r.pk, "number": r.number, "kind": r.kind, "issued_at": r.issued_at}
                for r in b.receipts.all()
            ],
        }
        for b in selectors.my_bids(user=request.user)[:500]
    ]


@router.get(
    "/bids/receipts/{receipt_id}",
    response=ReceiptOut,
    summary="投标回执",
    operation_id="qinqing_bidding_api_bid_receipt",
)
def bid_receipt(request, receipt_id: int):
    return _receipt(selectors.my_receipt(user=request.user, pk=receipt_id))


@router.post(
    "/bids/{bid_id}/withdraw",
    response=ReceiptOut,
    summary="撤回投标文件（投标截止时间前）",
    operation_id="qinqing_bidding_api_bid_withdraw",
)
def bid_withdraw(request, bid_id: int):
    bid = selectors.my_bid(user=request.user, pk=bid_id)
    return _receipt(services.bid_withdraw(actor=request.user, bid=bid))
