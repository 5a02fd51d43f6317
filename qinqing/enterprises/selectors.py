"""Reads of the firm register."""

from __future__ import annotations

from django.db.models import QuerySet

from qinqing.core.permissions import visible
from qinqing.enterprises.models import Cluster, Firm, InstructorProfile


def firms(*, user, q: str = "", cluster: str = "") -> QuerySet:
    qs = Firm.objects.select_related("organisation", "cluster", "industry").prefetch_related("tags")
    if q:
        qs = qs.filter(organisation__name__icontains=q) | qs.filter(organisation__uscc=q.upper())
    if cluster:
        qs = qs.filter(cluster__code=cluster)
    return visible(user, "enterprises.view_firm", qs.order_by("organisation__name"))


def public_cards(cluster: Cluster) -> list[dict]:
    """Public contact cards for a cluster: instructors with a commitment there or a firm there."""
    profiles = (
        InstructorProfile.objects.filter(is_public=True)
        .filter(commitments__cluster=cluster)
        .distinct()
        .select_related("department")
    )
    return [
        {
            "profile": p,
            "commitments": [c.text for c in p.commitments.filter(cluster=cluster)],
        }
        for p in profiles
    ]
