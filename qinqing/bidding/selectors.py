"""Reads of the bidding module, restricted to what the user may see."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from qinqing.bidding.models import Draw, DrawOutcome, EvaluationSession, Expert, Room, Seating
from qinqing.core.permissions import get_visible_or_404, visible


def experts(*, user, query: str = "", speciality: str = "", status: str = "") -> QuerySet:
    qs = visible(user, "bidding.manage_experts", Expert.objects.select_related("database"))
    if query:
        qs = qs.filter(
            Q(code__icontains=query) | Q(name__icontains=query) | Q(employer_name__icontains=query)
        )
    if speciality:
        qs = qs.filter(speciality_links__speciality__code__startswith=speciality).distinct()
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("code")


def expert(*, user, pk: int) -> Expert:
    return get_visible_or_404(user, "bidding.manage_experts", Expert.objects.all(), pk=pk)


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


def draw(*, user, draw_id: str) -> Draw:
    qs = Draw.objects.select_related("quota__centre", "quota__session__section__project")
    return get_visible_or_404(user, "bidding.view_draw", qs, draw_id=draw_id)


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


def my_rooms(*, user) -> QuerySet:
    return visible(user, "bidding.manage_rooms", Room.objects.select_related("centre"))


def room(*, user, pk: int) -> Room:
    return get_visible_or_404(user, "bidding.manage_rooms", Room.objects.all(), pk=pk)


def room_catalogue(*, user) -> list[dict]:
    """Every centre's rooms and workstation counts (read-only; no seat assignments)."""
    qs = visible(
        user,
        "bidding.view_room_catalogue",
        Room.objects.select_related("centre__workstation_numbering").annotate(
            total=Count("workstations"),
            in_service=Count("workstations", filter=Q(workstations__status="in_service")),
        ),
    ).order_by("centre__name", "number")
    centres: dict[int, dict] = {}
    for r in qs:
        entry = centres.setdefault(r.centre_id, {"centre": r.centre, "rooms": []})
        entry["rooms"].append(r)
    return list(centres.values())


def seatings(*, user) -> QuerySet:
    return visible(user, "bidding.seat_experts", Seating.objects.select_related("centre"))


def seating(*, user, pk: int) -> Seating:
    return get_visible_or_404(user, "bidding.seat_experts", Seating.objects.all(), pk=pk)


def seating_board(seating: Seating) -> QuerySet:
    return seating.seats.select_related(
        "workstation__room", "outcome__expert", "outcome__session__section__project"
    ).order_by("workstation__code")
