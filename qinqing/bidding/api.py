"""Bidding endpoints: sessions, the draw (commit, witness) and its public proof."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from qinqing.bidding import services
from qinqing.bidding.evaluation import api as evaluation_api
from qinqing.bidding.models import Draw, DrawQuota
from qinqing.bidding.opendata import api as opendata_api
from qinqing.bidding.projects import api as projects_api
from qinqing.bidding.report import api as report_api
from qinqing.core.permissions import get_visible_or_404

# Each capability has its own router, mounted here in the order of the paths in the OpenAPI
# document. Their endpoints keep the operationId the document gave them before the bidding module
# was split into capabilities (derived from the module path then): clients generated from the
# document use them, so each is pinned with `operation_id`.
router = Router(tags=["bidding"])
router.add_router("", projects_api.router)
router.add_router("", opendata_api.router)
router.add_router("", evaluation_api.router)
router.add_router("", report_api.router)

# The expert's workstation (/api/v1/bidding/workstation/…), with the report's signing on it.
workstation_router = evaluation_api.workstation_router


class DrawOut(Schema):
    draw_id: str
    status: str
    pool_size: int
    pool_digest: str
    commitment: str
    quota: int
    backups: int


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


@router.post("/quotas/{quota_id}/draws", response={201: DrawOut}, summary="冻结候选池并承诺")
def draw_commit(request, quota_id: int):
    quota = get_visible_or_404(
        request.user, "bidding.commit_draw", DrawQuota.objects.all(), pk=quota_id
    )
    return Status(201, _draw_out(services.draw_commit(actor=request.user, quota=quota)))


@router.post("/draws/{draw_id}/witness", response=DrawOut, summary="见证人输入随机数并抽取")
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
    summary="抽取证明（解密前只含抽取编号、候选池摘要、承诺值和人数）",
)
def draw_proof(request, draw_id: str):
    draw = get_object_or_404(Draw.objects.select_related("quota__session"), draw_id=draw_id)
    return services.proof(draw)
