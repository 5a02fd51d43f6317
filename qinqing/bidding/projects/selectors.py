"""Reads of projects and sessions, restricted to what the user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from qinqing.bidding.models import (
    EvaluationSession,
)
from qinqing.core.permissions import get_visible_or_404, visible


def sessions(*, user) -> QuerySet:
    qs = EvaluationSession.objects.select_related(
        "section__project__tenderer", "host_centre"
    ).prefetch_related("guest_centres")
    return visible(user, "bidding.view_session", qs).order_by("-starts_at")


def session(*, user, pk: int) -> EvaluationSession:
    qs = EvaluationSession.objects.select_related(
        "section__project__tenderer",
        "section__project__agency",
        "section__project__supervising_department",
        "section__project__rule_set",
        "host_centre",
    )
    return get_visible_or_404(user, "bidding.view_session", qs, pk=pk)
