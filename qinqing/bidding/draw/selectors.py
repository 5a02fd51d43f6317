"""Reads of the draw, restricted to what the user may see."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from qinqing.bidding.draw import rules
from qinqing.bidding.models import Draw, DrawOutcome, EvaluationSession
from qinqing.core.permissions import get_visible_or_404


def draw(*, user, draw_id: str) -> Draw:
    qs = Draw.objects.select_related("quota__centre", "quota__session__section__project")
    return get_visible_or_404(user, "bidding.view_draw", qs, draw_id=draw_id)


def exclusion_summary(excluded: list[dict]) -> list[tuple[str, int]]:
    """(reason code, experts excluded for it) over an exclusion report's entries, in
    `rules.EXCLUSION_CODES` order then any other code; an expert with several reasons counts
    under each. Reasons that excluded nobody are left out."""
    counts: dict[str, int] = {}
    for row in excluded:
        for code in row["reasons"]:
            counts[code] = counts.get(code, 0) + 1
    order = {code: i for i, code in enumerate(rules.EXCLUSION_CODES)}
    return sorted(counts.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


def outcome_board(draw: Draw) -> QuerySet:
    """The confirmation board: public codes and states (names are revealed separately)."""
    return draw.outcomes.select_related("expert").order_by("position")


def quota_progress(session: EvaluationSession) -> list[dict]:
    rows = []
    for quota in session.quotas.select_related("centre").annotate(
        confirmed=Count("draws__outcomes", filter=Q(draws__outcomes__status="confirmed")),
        notified=Count("draws__outcomes", filter=Q(draws__outcomes__status="notified")),
        waiting=Count("draws__outcomes", filter=Q(draws__outcomes__status="waiting")),
    ):
        holding = quota.confirmed + quota.notified
        rows.append(
            {
                "quota": quota,
                "draws": list(quota.draws.order_by("committed_at")),
                "confirmed": quota.confirmed,
                "notified": quota.notified,
                "shortfall": max(0, quota.count - holding),
                "needs_supplementary": holding < quota.count and quota.waiting == 0,
            }
        )
    return rows


def my_outcomes(*, user) -> QuerySet:
    return DrawOutcome.objects.filter(expert__user=user).select_related(
        "session", "draw__quota__centre"
    )


def public_draws() -> QuerySet:
    """Draws whose whole proof is public (`services.proof_is_public`): witnessed, in a session
    whose result is final (closed with its secrecy lifted). Anyone may list them."""
    return (
        Draw.objects.filter(
            status=Draw.Status.DRAWN,
            quota__session__status=EvaluationSession.Status.CLOSED,
            quota__session__secrecy_lifted_at__isnull=False,
        )
        .select_related("quota__centre", "quota__session__section__project")
        .defer("pool", "exclusion_report")
        .order_by("-witnessed_at", "-pk")
    )
