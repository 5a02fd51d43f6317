"""Reads of sealed bids, restricted to what the user may see: a bidder its own firm's bids and
receipts; the project's parties, per section, the count of live bids and the receipt times."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from qinqing.bidding.bids.models import Bid, BidReceipt
from qinqing.bidding.bids.permissions import firm_usccs
from qinqing.bidding.projects.models import Section
from qinqing.core.permissions import get_visible_or_404, grants_of, require, visible


def my_sections(*, user) -> QuerySet:
    """The sections the user's firms are registered for, nearest deadline first, each with
    the firm's live bid (`live_bids`, at most one per registration)."""
    live = Bid.objects.filter(
        status=Bid.Status.SUBMITTED, bidder__uscc__in=firm_usccs(grants_of(user))
    )
    return (
        visible(user, "bidding.submit_bid", Section.objects.select_related("project"))
        .prefetch_related(Prefetch("bids", queryset=live, to_attr="live_bids"))
        .order_by("bid_deadline", "pk")
    )


def section_for_bid(*, user, pk: int) -> tuple[Section, bool]:
    """The section (404 if there is none) and whether one of the user's firms is registered
    for it: an unregistered firm is told so rather than shown a 404 (the section is public)."""
    require(user, "bidding.submit_bid")
    section = get_object_or_404(Section.objects.select_related("project"), pk=pk)
    registered = visible(user, "bidding.submit_bid", Section.objects.filter(pk=pk)).exists()
    return section, registered


def my_bids(*, user) -> QuerySet:
    return visible(
        user,
        "bidding.view_own_bid",
        Bid.objects.select_related("section__project", "bidder").prefetch_related("receipts"),
    ).order_by("-submitted_at")


def my_bid(*, user, pk: int) -> Bid:
    return get_visible_or_404(
        user,
        "bidding.view_own_bid",
        Bid.objects.select_related("section__project", "bidder"),
        pk=pk,
    )


def my_receipt(*, user, pk: int) -> BidReceipt:
    """One of the firm's receipts; another firm's is a 404."""
    require(user, "bidding.view_own_bid")
    bids = visible(user, "bidding.view_own_bid", Bid.objects.all())
    qs = BidReceipt.objects.select_related("bid__section__project")
    return get_object_or_404(qs, pk=pk, bid__in=bids.values("pk"))


def sections_received(*, user) -> QuerySet:
    """The sections the user is a party of, with the count of live sealed bids."""
    return (
        visible(user, "bidding.view_bids_received", Section.objects.select_related("project"))
        .annotate(received=Count("bids", filter=Q(bids__status=Bid.Status.SUBMITTED)))
        .order_by("-bid_deadline", "-pk")
    )


def section_received(*, user, pk: int) -> Section:
    return get_visible_or_404(
        user, "bidding.view_bids_received", Section.objects.select_related("project"), pk=pk
    )


def receipt_times(section: Section) -> list[dict]:
    """Only when each receipt was issued and of which kind, never the bidder nor the hashes:
    before the opening nobody learns who bid (招标投标法 Art.22)."""
    return list(
        BidReceipt.objects.filter(bid__section=section)
        .order_by("issued_at")
        .values("kind", "issued_at")
    )


def my_registration_uscc(*, user, section: Section) -> str:
    """The USCC under which the user's firm is registered for `section` (the first, should a
    user hold the bidder role at two registered firms)."""
    return (
        section.bidders.filter(uscc__in=firm_usccs(grants_of(user)))
        .order_by("pk")
        .values_list("uscc", flat=True)
        .first()
    )
