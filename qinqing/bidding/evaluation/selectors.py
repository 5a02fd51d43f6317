"""Reads of the evaluation's state, for its services, pages and API: the current stage, whether a
stage is closed or the session paused, the bids and criteria of a stage, the sheets a member
may read."""

from __future__ import annotations

from django.db.models import Q

from qinqing.bidding.evaluation import supervision
from qinqing.bidding.models import (
    Bidder,
    Criterion,
    EvaluationSession,
    EvaluationStage,
    ScoreSheet,
    Seat,
    Stage,
)


def current_stage(session: EvaluationSession) -> EvaluationStage | None:
    """The open stage, or the last one when all are closed."""
    stages = list(session.stages.all())
    open_stages = [s for s in stages if s.status == EvaluationStage.Status.OPEN]
    if open_stages:
        return open_stages[0]
    return max(stages, key=lambda s: (s.opened_at, s.pk)) if stages else None


def stage_is_closed(session: EvaluationSession, stage: str) -> bool:
    return EvaluationStage.objects.filter(
        session=session, stage=stage, status=EvaluationStage.Status.CLOSED
    ).exists()


def is_paused(session: EvaluationSession) -> bool:
    """Paused by an unresolved incident (supervision.py owns incidents)."""
    return supervision.session_paused(session)


def scored_bidders(session: EvaluationSession, stage: str):
    """The bids an expert judges in a stage: all in the review (of a section opened online,
    those decrypted at the opening), the passing ones after."""
    bidders = Bidder.objects.filter(section_id=session.section_id).in_evaluation().order_by("pk")
    if stage == Stage.REVIEW:
        return bidders
    return bidders.filter(result__passed_review=True)


def stage_criteria(session: EvaluationSession, stage: str):
    return Criterion.objects.filter(session=session, stage=stage).order_by("order", "code")


def visible_sheets(*, seat: Seat, session: EvaluationSession):
    """Sheets a member may read: their own, and everyone's in a closed stage (背靠背)."""
    closed = EvaluationStage.objects.filter(
        session=session, status=EvaluationStage.Status.CLOSED
    ).values("stage")
    return ScoreSheet.objects.filter(session=session).filter(Q(seat=seat) | Q(stage__in=closed))
