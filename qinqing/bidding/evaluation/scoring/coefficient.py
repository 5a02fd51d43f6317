"""The K coefficient drawn at the opening."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from qinqing.bidding.draw import rules as draw_rules
from qinqing.bidding.evaluation import rules
from qinqing.bidding.models import CoefficientDraw, EvaluationSession, PriceFormula, ScoringPlan
from qinqing.core import crypto
from qinqing.core.audit import audit_log
from qinqing.core.errors import ConflictError, DomainError

# --- the K coefficient drawn at the opening ---------------------------------------------------


def coefficient_commit(*, actor, session: EvaluationSession) -> CoefficientDraw:
    """The host centre commits the draw of K from the plan's published range at the opening
    (a fresh nonce, its commitment shown before the witness; design: QQ-DRAW-1 steps 2–3).
    The range is then fixed: the plan's formula and range cannot change any more."""
    with transaction.atomic():
        session = EvaluationSession.objects.select_for_update().get(pk=session.pk)
        if session.status in (
            EvaluationSession.Status.IN_PROGRESS,
            EvaluationSession.Status.CLOSED,
        ):
            raise ConflictError("K 值须在评标开始前（开标时）抽取")
        plan = ScoringPlan.objects.filter(session=session).first()
        if plan is None or plan.price_formula != PriceFormula.K_DRAWN:
            raise ConflictError("评标方案的价格分计算方法不是“K 值开标抽取基准价法”")
        if CoefficientDraw.objects.filter(session=session).exists():
            raise ConflictError("K 值抽取已承诺，不能重复")
        try:
            rules.k_values(plan.k_min, plan.k_max, plan.k_step)
        except rules.RuleError as exc:
            raise DomainError(str(exc), field="k_min") from None
        nonce = secrets.token_bytes(draw_rules.NONCE_BYTES)
        draw = CoefficientDraw.objects.create(
            session=session,
            draw_id=f"QQK-{timezone.localtime(session.starts_at):%Y%m%d}-{session.pk:05d}",
            k_min=plan.k_min,
            k_max=plan.k_max,
            k_step=plan.k_step,
            server_nonce_cipher=crypto.encrypt(nonce.hex()),
            commitment=draw_rules.commitment(nonce),
            committed_at=timezone.now(),
        )
        audit_log(
            actor=actor,
            action="coefficient.commit",
            obj=draw,
            organisation=session.host_centre,
            detail={
                "draw_id": draw.draw_id,
                "range": [str(plan.k_min), str(plan.k_max), str(plan.k_step)],
                "commitment": draw.commitment,
            },
        )
    return draw


def coefficient_witness(*, actor, draw: CoefficientDraw, witness_entropy: str) -> CoefficientDraw:
    """The supervising department witnesses the K draw: K = QQ-DRAW-1 over the range's values
    (``rules.k_draw``), reproducible from the proof once witnessed."""
    witness_entropy = (witness_entropy or "").strip()
    if len(witness_entropy) > 200:
        raise DomainError("见证人输入不能超过200个字符", field="witness_entropy")
    with transaction.atomic():
        draw = CoefficientDraw.objects.select_for_update().get(pk=draw.pk)
        if draw.witnessed_at is not None:
            raise ConflictError("该 K 值抽取已见证")
        lot = rules.Lot(
            draw_id=draw.draw_id,
            server_nonce=bytes.fromhex(crypto.decrypt(draw.server_nonce_cipher)),
            witness_entropy=witness_entropy,
        )
        draw.k = rules.k_draw(draw.k_min, draw.k_max, draw.k_step, lot)
        draw.witness_entropy = witness_entropy
        draw.witnessed_by = actor
        draw.witnessed_at = timezone.now()
        draw.save(update_fields=["k", "witness_entropy", "witnessed_by", "witnessed_at"])
        audit_log(
            actor=actor,
            action="coefficient.witness",
            obj=draw,
            organisation=draw.session.host_centre,
            detail={"draw_id": draw.draw_id, "witness_entropy": witness_entropy, "k": str(draw.k)},
        )
    return draw


def coefficient_proof(draw: CoefficientDraw) -> dict:
    """What anyone needs to recompute K: public once witnessed (K is published at the opening)."""
    proof = {
        "algorithm": draw_rules.ALGORITHM,
        "draw_id": draw.draw_id,
        "pool": [str(v) for v in rules.k_values(draw.k_min, draw.k_max, draw.k_step)],
        "commitment": draw.commitment,
    }
    if draw.witnessed_at is not None:
        proof["server_nonce"] = crypto.decrypt(draw.server_nonce_cipher)
        proof["witness_entropy"] = draw.witness_entropy
        proof["k"] = str(draw.k)
    return proof
