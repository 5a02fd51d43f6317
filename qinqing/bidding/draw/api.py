"""The draw's endpoints: commit a quota's draw, witness it, and its public proof."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from qinqing.bidding.draw import services
from qinqing.bidding.models import Draw, DrawQuota
from qinqing.core.permissions import get_visible_or_404

router = Router()


class DrawOut(Schema):
    draw_id: str
    status: str
    pool_size: int
    pool_digest: str
    commitment: str
    quota: int
    backups: int


class ProofOut(Schema):
    """Before the result is final only the first four fields (they identify nobody)."""

    draw_id: str
    pool_digest: str
    commitment: str
    pool_size: int | None = None
    algorithm: str | None = None
    pool: list[str] | None = None
    server_nonce: str | None = None
    witness_entropy: str | None = None
    quota: int | None = None
    backups: int | None = None
    drawn: list[str] | None = None


class WitnessIn(Schema):
    witness_entropy: str = ""


def _draw_out(draw: Draw) -> dict:
    return {
        "draw_id": draw.draw_id,
        "status": draw.status,
        "pool_size": draw.pool_size,
        "pool_digest": draw.pool_digest,
        "commitment": draw.commitment,
        "quota": draw.quota_count,
        "backups": draw.backups,
    }


@router.post(
    "/quotas/{quota_id}/draws",
    response={201: DrawOut},
    summary="冻结候选池并承诺",
    operation_id="qinqing_bidding_api_draw_commit",
)
def draw_commit(request, quota_id: int):
    quota = get_visible_or_404(
        request.user, "bidding.commit_draw", DrawQuota.objects.all(), pk=quota_id
    )
    return Status(201, _draw_out(services.draw_commit(actor=request.user, quota=quota)))


@router.post(
    "/draws/{draw_id}/witness",
    response=DrawOut,
    summary="见证人输入随机数并抽取",
    operation_id="qinqing_bidding_api_draw_witness",
)
def draw_witness(request, draw_id: str, payload: WitnessIn):
    draw = get_visible_or_404(
        request.user, "bidding.witness_draw", Draw.objects.all(), draw_id=draw_id
    )
    draw = services.draw_witness(
        actor=request.user, draw=draw, witness_entropy=payload.witness_entropy
    )
    return _draw_out(draw)


@router.get(
    "/draws/{draw_id}/proof",
    auth=None,
    response=ProofOut,
    exclude_unset=True,
    summary="抽取证明（解密前只含抽取编号、候选池摘要、承诺值和人数）",
    operation_id="qinqing_bidding_api_draw_proof",
)
def draw_proof(request, draw_id: str):
    draw = get_object_or_404(Draw.objects.select_related("quota__session"), draw_id=draw_id)
    return services.proof(draw)
