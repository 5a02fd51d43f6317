"""Reads of the creditors' committee (Art.67–69)."""

from __future__ import annotations

from dataclasses import dataclass

from qinqing.bankruptcy import rules
from qinqing.bankruptcy.models import Art69Report, Case, Committee, CommitteeVote
from qinqing.core.permissions import can, get_visible_or_404, visible


@dataclass(frozen=True)
class CommitteeView:
    """What a user sees of a case's committee: the committee (or None), its members, its
    decisions with their votes, the Art.69 reports, the votes the user may sign and whether the
    user may acknowledge reports to the committee (a member) or to the court (the judge)."""

    case: Case
    committee: Committee | None
    members: tuple
    decisions: tuple
    reports: tuple
    former: tuple
    signable: frozenset[int]
    acknowledges: frozenset[str]
    problems: tuple[str, ...]


def committee_case(user, pk: int) -> Case:
    """The case, if the user may see its committee (another party's case: 404)."""
    return get_visible_or_404(
        user, "bankruptcy.view_committee", Case.objects.select_related("debtor"), pk=pk
    )


def committee_view(user, case: Case) -> CommitteeView:
    committee = Committee.objects.filter(case=case).first()
    members, decisions, former = (), (), ()
    if committee is not None:
        members = tuple(committee.members.in_office().select_related("creditor"))
        former = tuple(
            committee.members.exclude(removed_on=None)
            .select_related("creditor", "replacement")
            .order_by("-removed_on", "-pk")
        )
        decisions = tuple(
            committee.decisions.prefetch_related("votes__member").order_by("-decided_on", "-pk")
        )
    reports = tuple(Art69Report.objects.filter(case=case).order_by("-reported_on", "-pk"))
    signable = frozenset(
        visible(
            user,
            "bankruptcy.sign_committee_vote",
            CommitteeVote.objects.filter(decision__committee__case=case, signed_at=None),
        ).values_list("pk", flat=True)
    )
    acknowledges = set()
    if can(user, "bankruptcy.committee_member", case):
        acknowledges.add(rules.REPORT_TO_COMMITTEE)
    if can(user, "bankruptcy.manage_case", case):
        acknowledges.add(rules.REPORT_TO_COURT)
    problems = ()
    if committee is not None and not committee.in_office:
        problems = tuple(
            rules.committee_composition_problems([m.kind for m in members], complete=True)
        )
    return CommitteeView(
        case=case,
        committee=committee,
        members=members,
        decisions=decisions,
        reports=reports,
        former=former,
        signable=signable,
        acknowledges=frozenset(acknowledges),
        problems=problems,
    )
