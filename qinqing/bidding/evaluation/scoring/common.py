"""The stages of an evaluation and what the sheets share: the entry, opening and checking a
stage, the stage's items."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from qinqing.bidding.evaluation.selectors import scored_bidders, stage_criteria
from qinqing.bidding.models import (
    SHEET_STAGES,
    Bidder,
    Criterion,
    DrawOutcome,
    EvaluationSession,
    EvaluationStage,
    ScoreSheet,
    Seat,
)
from qinqing.core.audit import audit_log
from qinqing.core.errors import ConflictError, DomainError

TECHNICAL_GROUP = "technical"
ENTRY_FIELDS = ("score", "passed", "note")


@dataclass(frozen=True)
class EntryIn:
    """One judgement typed by an expert: a score (detailed review) or pass/fail (review)."""

    bidder_id: int
    criterion: str
    score: Decimal | None = None
    passed: bool | None = None
    note: str = ""


def decimal_or_none(value, field: str, label: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise DomainError(f"{label}须为数字", field=field) from None
    if not result.is_finite():
        raise DomainError(f"{label}须为数字", field=field)
    return result


def _mark_closed(state: EvaluationStage) -> None:
    state.status = EvaluationStage.Status.CLOSED
    state.closed_at = timezone.now()
    state.save(update_fields=["status", "closed_at"])


def stage_open(session: EvaluationSession, stage: str, members: Sequence[Seat]) -> None:
    now = timezone.now()
    EvaluationStage.objects.create(session=session, stage=stage, opened_at=now)
    if stage in SHEET_STAGES:
        ScoreSheet.objects.bulk_create(
            [ScoreSheet(session=session, seat=m, stage=stage, updated_at=now) for m in members]
        )
    audit_log(
        actor=None,
        action="stage.open",
        obj=session,
        organisation=session.host_centre,
        detail={"stage": stage, "members": len(members)},
    )


def check_member(seat: Seat) -> EvaluationSession:
    if seat.signed_in_at is None:
        raise ConflictError("请先签到")
    if seat.outcome.status != DrawOutcome.Status.CONFIRMED:
        raise ConflictError("您已回避或已不在本次评标名单中")
    session = seat.outcome.session
    if session.status != EvaluationSession.Status.IN_PROGRESS:
        raise ConflictError("评标尚未开始或已结束")
    return session


def _open_stage(session: EvaluationSession, stage: str) -> EvaluationStage:
    return _checked_open(
        EvaluationStage.objects.filter(session=session, stage=stage).order_by("pk").first()
    )


def _checked_open(state: EvaluationStage | None) -> EvaluationStage:
    if state is None:
        raise ConflictError("该评审阶段尚未开始")
    if state.status != EvaluationStage.Status.OPEN:
        raise ConflictError("该评审阶段已结束")
    return state


_STAGE_ITEMS: dict[tuple, tuple[dict[str, Criterion], dict[int, Bidder]]] = {}


def _stage_items(
    session: EvaluationSession, state: EvaluationStage
) -> tuple[dict[str, Criterion], dict[int, Bidder]]:
    """Criteria (by code) and bidders (by id) of an open stage. Neither can change while the
    stage is open (criteria are copied at the start, the detailed review's bids are fixed when
    the review closes), so each process keeps them, keyed by the stage row and its opening."""
    key = (state.pk, state.opened_at)
    items = _STAGE_ITEMS.get(key)
    if items is None:
        items = (
            {c.code: c for c in stage_criteria(session, state.stage)},
            {b.pk: b for b in scored_bidders(session, state.stage)},
        )
        if len(_STAGE_ITEMS) > 1024:
            _STAGE_ITEMS.clear()
        _STAGE_ITEMS[key] = items
    return items


def _rows_digest(stored) -> str:
    """A digest of a sheet's content for the audit log (the values stay out of the log)."""
    canonical = sorted((b, c, str(score), passed, note) for b, c, score, passed, note in stored)
    return hashlib.sha256(json.dumps(canonical, ensure_ascii=False).encode()).hexdigest()
