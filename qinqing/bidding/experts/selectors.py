"""Reads of the expert register, restricted to what the user may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from qinqing.bidding.models import Expert
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


def expert_own_profile(expert: Expert) -> dict:
    """What the expert's own page (专家自助) shows: their register entry, current and coming
    leave, history and declarations; no project and no session of anyone else (四不知)."""
    today = timezone.localdate()
    return {
        "expert": expert,
        "specialities": list(expert.specialities.order_by("code")),
        "leaves": list(expert.leaves.filter(end__gte=today).order_by("start")),
        "past_leaves": expert.leaves.filter(end__lt=today).count(),
        "relations": list(expert.relations.order_by("-start")),
        "declared": list(expert.declared_relations.order_by("org_name")),
    }
