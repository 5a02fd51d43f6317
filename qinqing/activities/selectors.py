"""Reads of activities."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from qinqing.activities.models import Event


def events_for_firm(firm) -> QuerySet:
    """Planned events whose audience matches the firm: named directly, by its cluster, by one of
    its tags, or open to all (no cluster, tag or firm named)."""
    open_to_all = Q(audience_clusters=None, audience_tags=None, audience_firms=None)
    match = Q(audience_firms=firm) | Q(audience_tags__in=firm.tags.all()) | open_to_all
    if firm.cluster_id:
        match |= Q(audience_clusters=firm.cluster_id)
    return (
        Event.objects.filter(state=Event.State.PLANNED, starts_at__gte=timezone.now())
        .filter(match)
        .distinct()
        .order_by("starts_at")
    )


def upcoming_public_events():
    """Planned events still to start, open to any firm: not visits (made to one firm) and not
    addressed to named firms only."""
    return (
        Event.objects.filter(state=Event.State.PLANNED, starts_at__gte=timezone.now())
        .exclude(kind=Event.Kind.VISIT)
        .filter(audience_firms=None)
        .only("title", "kind", "starts_at", "ends_at", "place", "reg_key", "lead_department")
        .order_by("starts_at", "pk")
    )
