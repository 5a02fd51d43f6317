"""Reads from the report to the award, restricted to what the user may see: the project's
parties follow the whole award; a registered bidder sees the publication, its own objections,
complaints and notice only; anyone sees the published candidates (public page)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from qinqing.bidding.award import rules
from qinqing.bidding.award.models import AwardNotice, Complaint, Publication, ResultObjection
from qinqing.bidding.bids.permissions import firm_usccs
from qinqing.bidding.projects.models import Section
from qinqing.bidding.report.models import Report
from qinqing.core.permissions import can, grants_of, visible

PARTY, BIDDER = "party", "bidder"


def _sealed(qs: QuerySet) -> QuerySet:
    return qs.filter(session__report__status=Report.Status.SEALED)


def section_for(*, user, pk: int) -> tuple[Section, str]:
    """The section whose award the user may follow and how: as a party or as a registered
    bidder. Neither role: 403; the role but not this section (or no sealed report): 404."""
    as_party, as_bidder = can(user, "bidding.view_award"), can(user, "bidding.object_result")
    if not (as_party or as_bidder):
        raise PermissionDenied
    sections = _sealed(Section.objects.select_related("project", "session"))
    if as_party and visible(user, "bidding.view_award", sections).filter(pk=pk).exists():
        return sections.get(pk=pk), PARTY
    if as_bidder and visible(user, "bidding.object_result", sections).filter(pk=pk).exists():
        return sections.get(pk=pk), BIDDER
    raise Http404


def sections(*, user) -> QuerySet:
    """Sections with a sealed report whose award the user may follow, newest report first."""
    qs = _sealed(Section.objects.select_related("project", "session__report", "publication"))
    if can(user, "bidding.view_award"):
        qs = visible(user, "bidding.view_award", qs)
    elif can(user, "bidding.object_result"):
        qs = visible(user, "bidding.object_result", qs)
    else:
        raise PermissionDenied
    return qs.order_by("-session__report__sealed_at", "-pk")


def publication_of(section: Section) -> Publication | None:
    return Publication.objects.filter(section=section).select_related("report").first()


def own_registration(*, user, section: Section):
    return section.bidders.filter(uscc__in=firm_usccs(grants_of(user))).order_by("pk").first()


def objections(*, user, publication: Publication, role: str) -> list[ResultObjection]:
    """All objections for a party; a bidder's own firm's only."""
    qs = publication.objections.select_related("bidder").order_by("raised_at", "pk")
    if role == BIDDER:
        qs = qs.filter(bidder__uscc__in=firm_usccs(grants_of(user)))
    return list(qs)


def complaints(*, user, section: Section, role: str) -> list[Complaint]:
    qs = Complaint.objects.filter(section=section).select_related("bidder", "objection")
    if role == BIDDER:
        qs = qs.filter(bidder__uscc__in=firm_usccs(grants_of(user)))
    return list(qs.order_by("lodged_at", "pk"))


def notices(*, user, publication: Publication, role: str) -> list[AwardNotice]:
    """Every notice for a party; a bidder sees its own firm's notice only."""
    qs = publication.notices.select_related("bidder")
    if role == BIDDER:
        qs = qs.filter(bidder__uscc__in=firm_usccs(grants_of(user)))
    # the notices in force first, then those superseded (实施条例 Art.55)
    return list(qs.order_by(F("superseded_at").desc(nulls_first=True), "kind", "pk"))


def notice_for(*, user, pk: int) -> AwardNotice:
    """A notice: the section's parties, or the bidder it is addressed to; anyone else 404."""
    notice = get_object_or_404(
        AwardNotice.objects.select_related("publication__section__project", "bidder"), pk=pk
    )
    section = notice.publication.section
    if can(user, "bidding.view_award", section):
        return notice
    if notice.bidder.uscc in set(firm_usccs(grants_of(user)).values_list("uscc", flat=True)):
        return notice
    if not (can(user, "bidding.view_award") or can(user, "bidding.object_result")):
        raise PermissionDenied
    raise Http404


def objection_for_answer(*, user, pk: int) -> ResultObjection:
    objection = get_object_or_404(
        ResultObjection.objects.select_related("publication__section__project"), pk=pk
    )
    if not can(user, "bidding.manage_award"):
        raise PermissionDenied
    if not can(user, "bidding.manage_award", objection.publication.section):
        raise Http404
    return objection


def complaint_for_handling(*, user, pk: int) -> Complaint:
    complaint = get_object_or_404(Complaint.objects.select_related("section__project"), pk=pk)
    if not can(user, "bidding.handle_complaint"):
        raise PermissionDenied
    if not can(user, "bidding.handle_complaint", complaint.section):
        raise Http404
    return complaint


def public_publications() -> QuerySet:
    """Every publication, current and past, newest first (public)."""
    return Publication.objects.select_related("section__project").order_by("-published_at")


def public_publication(*, pk: int) -> Publication:
    return get_object_or_404(
        Publication.objects.select_related(
            "section__project__tenderer", "section__project__agency"
        ),
        pk=pk,
    )


def is_running(publication: Publication) -> bool:
    return rules.publication_running(now=timezone.now(), ends_at=publication.ends_at)
