"""Reads of the screening report, restricted to who may see it: the host centre's staff and the
supervising department (`bidding.view_screening`), and the members of the section's committee
at their signed-in workstations. Anyone else, bidders included, gets 404: the report's very
existence is not theirs to learn."""

from __future__ import annotations

from django.http import Http404

from qinqing.bidding.projects.models import Section
from qinqing.bidding.screening.models import Screening
from qinqing.bidding.seating import selectors as seating_selectors
from qinqing.core.permissions import can, visible


def section_for(*, user, pk: int) -> Section:
    """The section whose report the user may see (404 otherwise, whatever the reason)."""
    if not can(user, "bidding.view_screening"):
        raise Http404
    sections = Section.objects.select_related("project")
    section = visible(user, "bidding.view_screening", sections).filter(pk=pk).first()
    if section is None:
        raise Http404
    return section


def may_view(user, section: Section) -> bool:
    return can(user, "bidding.view_screening", section)


def may_run(user, section: Section) -> bool:
    return can(user, "bidding.run_screening", section)


def section_for_seat(seat) -> Section | None:
    """The section of a committee member's session (signed in, confirmed, declared)."""
    session = seat.outcome.session
    if not seating_selectors.committee_seats(session).filter(pk=seat.pk).exists():
        return None
    return Section.objects.select_related("project").get(pk=session.section_id)


def screening_of(section: Section) -> Screening | None:
    return Screening.objects.filter(section=section).first()


def report(section: Section) -> dict:
    """The last report of the section for display: its state, each signal with its bidders'
    names and evidence, and the files as read (the unreadable ones with their reason)."""
    screening = screening_of(section)
    if screening is None:
        return {"screening": None, "signals": [], "files": [], "unreadable": []}
    names = {}
    files = list(screening.files.all())
    for f in files:
        names[f.bidder_uscc] = f.bidder_name
    signals = []
    for s in screening.signals.all():
        for b in s.bidders:
            names.setdefault(b["uscc"], b["name"])
        signals.append(s)
    return {
        "screening": screening,
        "signals": signals,
        "files": files,
        "unreadable": [f for f in files if not f.readable],
        "names": names,
    }


def report_json(section: Section) -> dict:
    data = report(section)
    screening = data["screening"]
    if screening is None:
        return {"section_id": section.pk, "state": "none", "signals": [], "files": []}
    return {
        "section_id": section.pk,
        "state": screening.state,
        "progress": screening.progress,
        "requested_at": screening.requested_at,
        "finished_at": screening.finished_at,
        "seconds": screening.seconds,
        "bids_screened": screening.bids_screened,
        "files_screened": screening.files_screened,
        "pages_screened": screening.pages_screened,
        "signals": [
            {
                "kind": s.kind,
                "label": str(s.get_kind_display()),
                "article": s.article,
                "bidders": s.bidders,
                "evidence": s.evidence,
                "found_at": s.found_at,
            }
            for s in data["signals"]
        ],
        "files": [
            {
                "bidder": f.bidder_name,
                "uscc": f.bidder_uscc,
                "name": f.name,
                "readable": f.readable,
                "reason": f.reason,
                "pages": f.pages,
                "author": f.author,
                "creator": f.creator,
                "producer": f.producer,
                "created": f.created,
            }
            for f in data["files"]
        ],
    }
