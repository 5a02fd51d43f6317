"""Reads of the workstation viewer: who may read the bid documents (a committee member at a
signed-in workstation of a session in progress), the decrypted files of the session's section,
and the read log for the supervisors."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from qinqing.bidding.models import DrawOutcome, EvaluationSession, Seat
from qinqing.bidding.opening.models import OpenedFile, OpeningBid
from qinqing.bidding.seating.workstation import my_seat
from qinqing.bidding.viewer import rules
from qinqing.bidding.viewer.models import PageRead


def is_reader(seat: Seat | None) -> bool:
    """A member of the committee at its signed-in workstation while the evaluation runs:
    confirmed, signed in, declared no ground for recusal (招标投标法 Art.37), the session in
    progress (招标投标法 Art.38: the evaluation is kept confidential — nobody reads the bids
    at a workstation before or after it)."""
    return (
        seat is not None
        and seat.signed_in_at is not None
        and seat.declared_at is not None
        and seat.outcome.status == DrawOutcome.Status.CONFIRMED
        and seat.outcome.session.status == EvaluationSession.Status.IN_PROGRESS
    )


def reader_seat(request: HttpRequest) -> Seat:
    """The signed-in seat of the request if it may read the bids, else 404."""
    seat = my_seat(request)
    if not is_reader(seat):
        raise Http404
    return seat


def readable_files(seat: Seat):
    """The decrypted files of every bid decrypted at the opening of the seat's section, by
    bidder (in the opening's order) then file."""
    return (
        OpenedFile.objects.filter(
            opening_bid__opening__section_id=seat.outcome.session.section_id,
            opening_bid__status=OpeningBid.Status.DECRYPTED,
        )
        .select_related("opening_bid__bidder", "bid_file")
        .order_by("opening_bid__position", "bid_file__position")
    )


def readable_file(seat: Seat, pk: int) -> OpenedFile:
    if not 1 <= pk <= 2**63 - 1:  # beyond the database's integer: not found, never a 500
        raise Http404
    found = readable_files(seat).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def by_bidder(files) -> list[dict]:
    groups: dict[int, dict] = {}
    for f in files:
        ob = f.opening_bid
        groups.setdefault(ob.pk, {"bidder": ob.bidder, "opening_bid": ob, "files": []})
        groups[ob.pk]["files"].append(f)
    return list(groups.values())


def response_links(seat: Seat, criteria, bidders) -> dict[tuple[int, str], list[dict]]:
    """For the score sheet: (bidder id, criterion code) → the pages its response table gives."""
    files = list(readable_files(seat).filter(opening_bid__bidder__in=[b.pk for b in bidders]))
    by_ob: dict[int, dict[str, int]] = {}
    responses: dict[int, list] = {}
    for f in files:
        by_ob.setdefault(f.opening_bid.bidder_id, {})[f.bid_file.name] = f.pk
        responses[f.opening_bid.bidder_id] = f.opening_bid.responses or []
    links: dict[tuple[int, str], list[dict]] = {}
    for bidder_id, table in responses.items():
        for c in criteria:
            pages = rules.response_pages(table, c.code, by_ob[bidder_id])
            if pages:
                links[(bidder_id, c.code)] = [
                    {"file": fid, "name": name, "page": page} for fid, name, page in pages
                ]
    return links


def read_rows(session: EvaluationSession, *, identify: bool) -> list[rules.PageRow]:
    """The session's read log as rows for `rules.read_summary`; the member is the workstation
    code, with the member's code only for those who may know who sits (`identify`)."""
    qs = (
        PageRead.objects.filter(access__seat__outcome__session=session)
        .select_related(
            "access__opened_file__bid_file",
            "access__opened_file__opening_bid__bidder",
            "access__seat__outcome__expert",
            "access__seat__outcome__representative",
        )
        .order_by("pk")
    )
    rows = []
    for r in qs:
        access = r.access
        label = access.workstation_code
        if identify:
            label = f"{label} · {access.seat.member.code}"
        rows.append(
            rules.PageRow(
                member=label,
                bidder=access.opened_file.opening_bid.bidder.name,
                file=access.opened_file.bid_file.name,
                page=r.page,
                seconds=r.seconds,
                page_count=access.page_count,
            )
        )
    return rows
