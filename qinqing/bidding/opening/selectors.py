"""Reads of the opening, restricted to what the user may see: the host and the project's parties
watch the hall; a registered bidder attends it and sees its own bid, and everyone's schedule only
once it is read out; anybody reads the opening record once the opening is over."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from qinqing.bidding.bids.permissions import firm_usccs
from qinqing.bidding.opening.models import Objection, Opening, OpeningBid
from qinqing.bidding.projects.models import Section
from qinqing.core.permissions import can, grants_of, visible

PARTY, BIDDER = "party", "bidder"
PUBLIC_STATUSES = (Opening.Status.CLOSED, Opening.Status.FAILED)
READ_OUT_STATUSES = (Opening.Status.READING, Opening.Status.CLOSED)


def hall(*, user, pk: int) -> tuple[Section, str]:
    """The section whose hall the user may enter and how: as a party (host centre, guest
    centre, supervisor, tenderer, agency) or as a registered bidder. Neither role at all: 403;
    the role but not for this section: 404."""
    as_party, as_bidder = can(user, "bidding.view_opening"), can(user, "bidding.attend_opening")
    if not (as_party or as_bidder):
        raise PermissionDenied
    sections = Section.objects.select_related("project")
    if as_party and visible(user, "bidding.view_opening", sections).filter(pk=pk).exists():
        return sections.get(pk=pk), PARTY
    if as_bidder and visible(user, "bidding.attend_opening", sections).filter(pk=pk).exists():
        return sections.get(pk=pk), BIDDER
    raise Http404


def halls(*, user) -> QuerySet:
    """The sections with a bid deadline whose hall the user may enter, latest deadline first."""
    qs = Section.objects.select_related("project", "opening").filter(bid_deadline__isnull=False)
    if can(user, "bidding.view_opening"):
        return visible(user, "bidding.view_opening", qs).order_by("-bid_deadline", "-pk")
    return visible(user, "bidding.attend_opening", qs).order_by("-bid_deadline", "-pk")


def opening_of(section: Section) -> Opening | None:
    return Opening.objects.filter(section=section).first()


def may_host(user, section: Section) -> bool:
    return can(user, "bidding.host_opening", section)


def own_bid(*, user, opening: Opening) -> OpeningBid | None:
    """The user's firm's bid at this opening (one per registration)."""
    return (
        opening.bids.select_related("bid", "bidder")
        .filter(bidder__uscc__in=firm_usccs(grants_of(user)))
        .order_by("position")
        .first()
    )


def own_registration(*, user, section: Section):
    return section.bidders.filter(uscc__in=firm_usccs(grants_of(user))).order_by("pk").first()


def read_out(opening: Opening) -> list[OpeningBid]:
    """The decrypted bids' schedules in reading order, once the reading has started (before,
    nobody learns another's price: 电子招标投标办法 Art.26)."""
    if opening.status not in READ_OUT_STATUSES:
        return []
    return list(
        opening.bids.select_related("bidder")
        .filter(status=OpeningBid.Status.DECRYPTED)
        .order_by("position")
    )


def bid_rows(opening: Opening) -> list[OpeningBid]:
    """Every bid at the opening with its state (who decrypted, who did not and why): shown to
    the attendees like the roll call of a room opening."""
    return list(opening.bids.select_related("bidder").order_by("position"))


def objections(opening: Opening) -> list[Objection]:
    return list(opening.objections.select_related("bidder").order_by("raised_at", "pk"))


def objection_for_host(*, user, pk: int) -> Objection:
    objection = get_object_or_404(
        Objection.objects.select_related("opening__section__project"), pk=pk
    )
    if not can(user, "bidding.host_opening"):
        raise PermissionDenied
    if not may_host(user, objection.opening.section):
        raise Http404
    return objection


def public_record(*, pk: int) -> Opening:
    """The opening record of a section, public once the opening is closed or refused."""
    return get_object_or_404(
        Opening.objects.select_related("section__project"),
        section_id=pk,
        status__in=PUBLIC_STATUSES,
    )


def public_records() -> QuerySet:
    return (
        Opening.objects.select_related("section__project")
        .filter(status__in=PUBLIC_STATUSES)
        .order_by("-started_at")
    )
