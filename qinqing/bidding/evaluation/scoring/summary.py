"""The summary: price scores, totals, ranking and the verifiable lot for bids still tied."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from qinqing.bidding.draw import rules as draw_rules
from qinqing.bidding.evaluation import rules
from qinqing.bidding.evaluation.scoring.common import TECHNICAL_GROUP, _mark_closed
from qinqing.bidding.evaluation.scoring.sheets import live_sheets
from qinqing.bidding.models import (
    Bidder,
    BidResult,
    CoefficientDraw,
    EvaluationSession,
    EvaluationStage,
    LowBidFlag,
    PriceFormula,
    Project,
    RankingLot,
    RuleSet,
    ScoreEntry,
    ScoringPlan,
    Stage,
)
from qinqing.core import crypto
from qinqing.core.audit import audit_log
from qinqing.core.errors import ConflictError, DomainError

# --- the summary: price scores, totals, ranking ---------------------------------------------


def _price_scores(
    session: EvaluationSession, plan: ScoringPlan, prices: dict[int, Decimal]
) -> dict[int, Decimal]:
    if not prices:
        return {}
    if plan.price_formula in (PriceFormula.K_FACTOR, PriceFormula.K_DRAWN):
        return rules.k_factor_scores(
            prices,
            plan.price_weight,
            k=plan.k if plan.price_formula == PriceFormula.K_FACTOR else drawn_k(session),
            deduct_above=plan.deduct_above,
            deduct_below=plan.deduct_below,
            drop_extremes_from=plan.drop_price_extremes_from,
        )
    return rules.low_price_scores(prices, plan.price_weight)


def drawn_k(session: EvaluationSession) -> Decimal:
    draw = CoefficientDraw.objects.filter(session=session, witnessed_at__isnull=False).first()
    if draw is None or draw.k is None:
        raise ConflictError("K 值尚未在开标时抽取")
    return draw.k


def is_procurement(project: Project) -> bool:
    """The procedure type: government procurement (政府采购法, 87号令) or a tender under the
    招标投标法 (the project's rule set says which)."""
    return project.rule_set.kind == RuleSet.Kind.PROCUREMENT


def evaluated_prices(
    session: EvaluationSession, plan: ScoringPlan, bidders: dict[int, Bidder]
) -> dict[int, Decimal]:
    """The prices that enter scoring or ranking: in procurement with a deduction rate, a
    declared small or micro enterprise's price less the rate (财库〔2020〕46号 Art.9); the
    quoted price otherwise. Never the contract price."""
    prices = {pk: b.bid_price for pk, b in bidders.items()}
    if not prices or not is_procurement(session.section.project) or plan.sme_deduction is None:
        return prices
    return rules.sme_evaluated_prices(
        prices, {pk: b.size for pk, b in bidders.items()}, plan.sme_deduction
    )


def _summary_open(session: EvaluationSession) -> None:
    now = timezone.now()
    EvaluationStage.objects.create(session=session, stage=Stage.SUMMARY, opened_at=now)
    _summarise(session, lot=None)


def _summarise(session: EvaluationSession, lot: rules.Lot | None) -> bool:
    """Compute totals and the ranking into BidResult; returns False when a lot is needed."""
    plan = session.plan
    project = session.section.project
    results = {
        r.bidder_id: r for r in BidResult.objects.filter(session=session).select_related("bidder")
    }
    rejected = set(
        LowBidFlag.objects.filter(session=session, status=LowBidFlag.Status.REJECTED).values_list(
            "bidder_id", flat=True
        )
    )
    # A bid rejected as abnormally low is out: the prices are scored over the remaining bids.
    passing = {b: r for b, r in results.items() if r.passed_review and b not in rejected}
    prices = {b: r.bidder.bid_price for b, r in passing.items()}
    scored = evaluated_prices(session, plan, {b: r.bidder for b, r in passing.items()})
    procedure = "procurement" if is_procurement(project) else "construction"
    try:
        if project.method == Project.Method.COMPREHENSIVE:
            price_scores = _price_scores(session, plan, scored)
            sheets: dict[str, dict[int, Decimal]] = {}
            technical: dict[str, dict[int, Decimal]] = {}
            for sheet_id, bidder_id, score, group in ScoreEntry.objects.filter(
                sheet__in=live_sheets(session, Stage.DETAILED)
            ).values_list("sheet_id", "bidder_id", "score", "criterion__group"):
                if bidder_id not in passing:  # a bid rejected as abnormally low
                    continue
                key = str(sheet_id)
                sheets.setdefault(key, {}).setdefault(bidder_id, Decimal(0))
                sheets[key][bidder_id] += score
                technical.setdefault(key, {}).setdefault(bidder_id, Decimal(0))
                if group == TECHNICAL_GROUP:
                    technical[key][bidder_id] += score
            if passing and not sheets:  # no detailed items: price only
                sheets = {"-": dict.fromkeys(passing, Decimal(0))}
                technical = sheets
            totals = (
                rules.final_scores(sheets, price_scores, drop_extremes=plan.drop_score_extremes)
                if passing
                else {}
            )
            means = (
                rules.subjective_means(sheets, drop_extremes=plan.drop_score_extremes)
                if passing
                else {}
            )
            tech = (
                rules.subjective_means(technical, drop_extremes=plan.drop_score_extremes)
                if passing
                else {}
            )
            for bidder_id, result in passing.items():
                result.subjective = means[bidder_id]
                result.technical = tech[bidder_id]
                result.price_score = price_scores[bidder_id]
                result.total = totals[bidder_id]
                result.evaluated_price = rules.round_half_up(scored[bidder_id])
            # 87号令 Art.65 orders equal totals by the quoted price, not the deducted one.
            ranking = rules.rank_comprehensive(
                [rules.RankEntry(str(b), totals[b], prices[b], tech[b]) for b in passing],
                lot,
                procedure=procedure,
                tie_method=plan.tie_method,
            )
        else:
            for bidder_id, result in passing.items():
                result.evaluated_price = rules.round_half_up(scored[bidder_id])
            ranking = rules.rank_lowest_price(
                {str(b): scored[b] for b in passing},
                {str(b): passing[b].review for b in passing},
                lot,
            )
    except rules.TieError as tie:
        _lot_commit(session, tie.groups)
        BidResult.objects.bulk_update(
            list(results.values()),
            ["subjective", "technical", "price_score", "total", "evaluated_price"],
        )
        return False
    top = set(rules.candidates(ranking, plan.candidate_count)) if ranking else set()
    for position, bidder in enumerate(ranking, start=1):
        results[int(bidder)].rank = position
        results[int(bidder)].candidate = bidder in top
    BidResult.objects.bulk_update(
        list(results.values()),
        ["subjective", "technical", "price_score", "total", "evaluated_price", "rank", "candidate"],
    )
    _mark_closed(EvaluationStage.objects.get(session=session, stage=Stage.SUMMARY))
    audit_log(
        actor=None,
        action="results.rank",
        obj=session,
        organisation=session.host_centre,
        detail={
            "ranking": [results[int(b)].bidder.uscc for b in ranking],
            "candidates": [results[int(b)].bidder.uscc for b in ranking[: len(top)]],
            "lot": lot.draw_id if lot else None,
        },
    )
    return True


def _lot_commit(session: EvaluationSession, groups: list[list[str]]) -> RankingLot:
    nonce = secrets.token_bytes(draw_rules.NONCE_BYTES)
    lot = RankingLot.objects.create(
        session=session,
        draw_id=f"QQL-{timezone.localtime(session.starts_at):%Y%m%d}-{session.pk:05d}",
        tied=groups,
        server_nonce_cipher=crypto.encrypt(nonce.hex()),
        commitment=draw_rules.commitment(nonce),
        committed_at=timezone.now(),
    )
    audit_log(
        actor=None,
        action="lot.commit",
        obj=lot,
        organisation=session.host_centre,
        detail={"draw_id": lot.draw_id, "tied": groups, "commitment": lot.commitment},
    )
    return lot


def lot_witness(*, actor, lot: RankingLot, witness_entropy: str) -> RankingLot:
    """The supervisor witnesses the lot that orders tied bids (QQ-DRAW-1 over the bidder ids)."""
    witness_entropy = (witness_entropy or "").strip()
    if len(witness_entropy) > 200:
        raise DomainError("见证人输入不能超过200个字符", field="witness_entropy")
    with transaction.atomic():
        lot = RankingLot.objects.select_for_update().get(pk=lot.pk)
        if lot.witnessed_at is not None:
            raise ConflictError("该抽签已见证")
        lot.witness_entropy = witness_entropy
        lot.witnessed_by = actor
        lot.witnessed_at = timezone.now()
        lot.save(update_fields=["witness_entropy", "witnessed_by", "witnessed_at"])
        audit_log(
            actor=actor,
            action="lot.witness",
            obj=lot,
            organisation=lot.session.host_centre,
            detail={"draw_id": lot.draw_id, "witness_entropy": witness_entropy},
        )
        done = _summarise(
            lot.session,
            rules.Lot(
                draw_id=lot.draw_id,
                server_nonce=bytes.fromhex(crypto.decrypt(lot.server_nonce_cipher)),
                witness_entropy=witness_entropy,
            ),
        )
        assert done  # a witnessed lot orders every tie
    return lot


def lot_proof(lot: RankingLot) -> dict:
    """The lot's proof: public once the lot is witnessed (the bids, not people, are drawn)."""
    proof = {
        "algorithm": draw_rules.ALGORITHM,
        "draw_id": lot.draw_id,
        "tied": lot.tied,
        "commitment": lot.commitment,
    }
    if lot.witnessed_at is not None:
        proof["server_nonce"] = crypto.decrypt(lot.server_nonce_cipher)
        proof["witness_entropy"] = lot.witness_entropy
    return proof
