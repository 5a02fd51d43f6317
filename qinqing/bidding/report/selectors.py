"""Reads of the report: the committee whose positions it needs, the signature board, the fee
standard in force and a session's fees."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from qinqing.bidding.models import EvaluationSession, Fee, FeeStandard, Report, ScoreSheet, Seat
from qinqing.bidding.seating import selectors as seating_selectors
from qinqing.core.models import Organisation


def members(session: EvaluationSession) -> list[Seat]:
    """The committee whose positions the report needs: `seating.selectors.committee_seats`
    without the members whose sheets were voided (实施条例 Art.48); host-centre members first."""
    void = ScoreSheet.objects.filter(session=session, status=ScoreSheet.Status.VOID).values(
        "seat_id"
    )
    seats = (
        seating_selectors.committee_seats(session)
        .exclude(pk__in=void)
        .select_related(
            "workstation__room",
            "seating__centre",
            "verified_by",
            "outcome__expert",
            "outcome__representative",
        )
    )
    return sorted(
        seats, key=lambda s: (s.seating.centre_id != session.host_centre_id, s.workstation.code)
    )


def standard_in_force(centre: Organisation, day: date) -> FeeStandard | None:
    return (
        FeeStandard.objects.filter(centre=centre, valid_from__lte=day)
        .order_by("-valid_from")
        .first()
    )


def signature_board(report: Report) -> list[dict]:
    """Every member with their position (or none yet), in the report's member order."""
    signatures = {
        s.seat_id: s for s in report.signatures.select_related("recorded_by", "seat__workstation")
    }
    board = []
    for seat in members(report.session):
        signature = signatures.get(seat.pk)
        board.append({"seat": seat, "signature": signature})
    return board


def fees_of(session: EvaluationSession) -> QuerySet:
    return Fee.objects.filter(session=session).select_related(
        "centre", "seat__workstation", "seat__outcome__expert", "seat__outcome__representative"
    )
