"""Reads of the bankruptcy module: what a user may see, and the computed deadlines, tallies and
reports (all computed from recorded facts with ``rules``)."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.bankruptcy import rules
from qinqing.bankruptcy.models import (
    AgendaItem,
    Agreement,
    AgreementTerm,
    Art69Report,
    Assessment,
    Attendance,
    Ballot,
    Case,
    Claim,
    Committee,
    CommitteeVote,
    Creditor,
    Meeting,
    Payment,
)
from qinqing.core import calendar
from qinqing.core.calendar_rules import WorkCalendar
from qinqing.core.permissions import can, get_visible_or_404, grants_of, visible
from qinqing.core.roles import Role

ZERO = Decimal("0.00")
ALERT_DAYS = 7
REVIEWED = (Claim.Status.ADMITTED, Claim.Status.CONFIRMED, Claim.Status.DISPUTED)
# Claims paid after the ordinary ones (法〔2018〕53号 §28): no vote, no term in the agreement.
SUBORDINATED_NATURES = (Claim.Nature.PENALTY, Claim.Nature.COURT_SUBORDINATED)


# --------------------------------------------------------------------------------------------
# Lists for a user
# --------------------------------------------------------------------------------------------


def cases(*, user) -> QuerySet:
    qs = Case.objects.select_related(
        "court", "debtor", "administrator", "judge", "fast_track_profile"
    ).prefetch_related("meetings")
    return visible(user, "bankruptcy.view_case", qs)


def announced_cases() -> QuerySet:
    """Cases whose acceptance has been announced (Art.14), closed ones included: their
    creditors may look up their own claims and payments (`views.public_mine`)."""
    return Case.objects.exclude(announcement_date=None).select_related("debtor", "court")


def public_cases() -> QuerySet:
    """Cases whose acceptance has been announced (Art.14) and that are not closed: public, and
    open to claims (late ones flagged, Art.56) unless `filing_bar` says otherwise."""
    return (
        Case.objects.exclude(announcement_date=None)
        .filter(closed_date=None)
        .select_related("court", "debtor", "administrator")
        .prefetch_related("meetings", "agreements")
        .order_by("-announcement_date")
    )


def filing_bar(case: Case) -> str | None:
    """Why `case` takes no more claims because of its agreement (`rules.claims_closed_by`:
    Art.98, Art.100(3), Art.105), or None. Reads `case.agreements.all()`, so a prefetch
    serves a list."""
    kind = rules.claims_closed_by((a.kind, a.status) for a in case.agreements.all())
    if kind is None:
        return None
    if kind == Agreement.Kind.SELF_SETTLEMENT:
        return _(
            "法院已裁定认可自行和解协议并终结破产程序（企业破产法第105条），本案不再受理债权申报"
        )
    return _(
        "法院已裁定认可和解协议并终止和解程序（企业破产法第98条），本案不再受理债权申报。"
        "未申报债权的和解债权人在和解协议执行期间不得行使权利；"
        "和解协议执行完毕后，可以按照和解协议规定的清偿条件向债务人行使权利"
        "（第100条第3款）"
    )


def accepting_claims(cases: QuerySet) -> QuerySet:
    """`cases` narrowed to those open to claims: not closed, and without an agreement that
    ended the filing (`rules.claims_closed_by`)."""
    return cases.filter(closed_date=None).exclude(agreements__status__in=rules.AGREEMENT_IN_FORCE)


def own_creditors(*, user) -> QuerySet:
    """The creditor rows the user speaks for (its organisation's, or filed by it)."""
    return visible(user, "bankruptcy.vote", Creditor.objects.select_related("case__debtor"))


def is_case_staff(user, case: Case) -> bool:
    grants = grants_of(user)
    return case.court_id in grants.org_ids(Role.JUDGE) or (
        case.administrator_id is not None
        and case.administrator_id in grants.org_ids(Role.ADMINISTRATOR)
    )


def claims_for(*, user, case: Case) -> QuerySet:
    qs = case.claims.select_related("creditor").prefetch_related("evidence").order_by("pk")
    return visible(user, "bankruptcy.view_claim", qs)


# --------------------------------------------------------------------------------------------
# Deadlines and alerts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    label: str
    article: str
    due: date
    done_on: date | None
    state: str  # "ok" done in time, "bad" overdue or done late, "warn" due soon, "" pending
    estimated: bool = False  # counted in a year whose holiday notice is not known

    @property
    def css(self) -> str:
        return self.state


def _deadline(label, article, due, done_on, today, estimated=False) -> Deadline:
    if done_on is not None:
        state = "ok" if done_on <= due else "bad"
    elif due < today:
        state = "bad"
    elif (due - today).days <= ALERT_DAYS:
        state = "warn"
    else:
        state = ""
    return Deadline(label, article, due, done_on, state, estimated)


def case_deadlines(
    case: Case, today: date | None = None, *, cal: WorkCalendar | None = None
) -> list[Deadline]:
    """Statutory deadlines of the case, computed (never typed) with the working-day calendar
    (`cal`, the one in force by default); those a shifted last day puts in a year whose
    notice is not known are marked as estimates."""
    today = today or timezone.localdate()
    cal = cal or calendar.current()
    nwd = cal.next_working_day
    meetings = sorted(case.meetings.all(), key=lambda m: (m.date, m.pk))  # prefetched in lists
    rows = []

    def computed(label, article, due, done_on):
        rows.append(_deadline(label, article, due, done_on, today, cal.is_estimated(due)))

    if case.petitioner == Case.Petitioner.DEBTOR:
        due = rules.acceptance_ruling_due_debtor_petition(case.petition_date, next_working_day=nwd)
    else:
        due = rules.acceptance_ruling_due_creditor_petition(
            rules.objection_period_end(
                rules.debtor_notice_due(case.petition_date, next_working_day=nwd),
                next_working_day=nwd,
            ),
            next_working_day=nwd,
        )
    computed(_("裁定受理"), _("第10条"), due, case.acceptance_date)
    computed(
        _("通知已知债权人并公告"),
        _("第14条"),
        rules.creditor_notification_due(case.acceptance_date, next_working_day=nwd),
        case.announcement_date,
    )
    if case.declaration_end:
        rows.append(
            _deadline(
                _("债权申报期限届满"),
                _("第45条"),
                case.declaration_end,
                case.declaration_end if today > case.declaration_end else None,
                today,
            )
        )
        first = next((m for m in meetings if m.kind == Meeting.Kind.FIRST), None)
        computed(
            _("召开第一次债权人会议"),
            _("第62条"),
            rules.first_meeting_due(case.declaration_end, next_working_day=nwd),
            first.date if first and first.date <= today else None,
        )
    for meeting in meetings:
        rows.append(
            _deadline(
                _("通知债权人（%(date)s会议）") % {"date": meeting.date},
                _("第63条"),
                rules.latest_meeting_notice_date(meeting.date),
                meeting.notice_date,
                today,
            )
        )
        if meeting.status == Meeting.Status.CLOSED:
            computed(
                _("告知表决结果（%(date)s会议）") % {"date": meeting.date},
                _("破产法解释三第11条"),
                rules.results_due(meeting.date, next_working_day=nwd),
                meeting.results_sent_on,
            )
            challenge = rules.resolution_challenge_due(meeting.date, next_working_day=nwd)
            if challenge >= today:
                computed(_("申请撤销债权人会议决议"), _("第64条"), challenge, None)
    if case.fast_track and case.fast_track_profile:
        adopted = (
            AgendaItem.objects.filter(
                meeting__case=case, kind=AgendaItem.Kind.RECONCILIATION, passed=True
            )
            .order_by("closed_on")
            .first()
        )
        if adopted is not None and adopted.closed_on:
            computed(
                _("快审：裁定认可和解协议"),
                _("快审配置（条件具备后工作日）"),
                rules.fast_track_ruling_due(
                    case.fast_track_profile.as_rule(), adopted.closed_on, next_working_day=nwd
                ),
                case.approval_date,
            )
        computed(
            _("快审审理期限"),
            _("快审配置"),
            rules.fast_track_deadline(
                case.fast_track_profile.as_rule(), case.acceptance_date, next_working_day=nwd
            ),
            case.approval_date or case.closed_date,
        )
    return rows


def case_alerts(case: Case, today: date | None = None) -> list[Deadline]:
    if case.closed_date:
        return []
    return [d for d in case_deadlines(case, today) if d.state in ("warn", "bad") and not d.done_on]


# --------------------------------------------------------------------------------------------
# Claims, voters and tallies
# --------------------------------------------------------------------------------------------


def claim_basis(claim: Claim) -> Decimal | None:
    """The amount a claim counts for in reports: reviewed amount, else declared; rejected none."""
    if claim.status in REVIEWED:
        return claim.admitted_amount
    if claim.status == Claim.Status.FILED:
        return claim.declared_amount
    return None


def unsecured_confirmed(creditor: Creditor) -> Decimal:
    """A creditor's reviewed unsecured ordinary claim (secured, not waived: the shortfall),
    with the part of a director's, supervisor's or senior manager's wage above the firm's
    average (an ordinary claim, Art.113 para.3: it votes and is offered the agreement's rate)."""
    total = ZERO
    assessment = _senior_assessment(creditor)
    for claim in creditor.claims.all():  # .all(): a prefetch of the claims serves a list
        if claim.rank == Claim.Rank.EMPLOYEE and claim.status in REVIEWED:
            total += senior_excess(claim, assessment)
            continue
        if claim.rank != Claim.Rank.ORDINARY or claim.status not in REVIEWED:
            continue
        if claim.nature in SUBORDINATED_NATURES:
            continue
        amount = claim.admitted_amount or ZERO
        if claim.secured and not claim.waived_priority:
            amount = max(ZERO, amount - claim.collateral_value)
        total += amount
    return total


PRIORITY_RANKS = (Claim.Rank.EMPLOYEE, Claim.Rank.TAX_SOCIAL)


def priority_claims(case: Case) -> QuerySet:
    """The case's reviewed employee claims and social insurance and tax claims (Art.113 para.1
    items 1-2; a tax late fee is ordinary): not reconciliation claims, paid in full outside the
    agreement or inside it (the case's ``priority_claims`` setting)."""
    return (
        case.claims.filter(rank__in=PRIORITY_RANKS, status__in=REVIEWED)
        .exclude(nature=Claim.Nature.TAX_LATE_FEE)
        .exclude(admitted_amount=None)
        .exclude(admitted_amount=0)
        .select_related("creditor")
        .order_by("creditor__name", "pk")
    )


def priority_part(claim: Claim, assessment: Assessment | None) -> Decimal:
    """The part of a reviewed employee or tax claim that is in the priority classes (Art.113
    para.1 items 1-2): the whole admitted amount, except a director's, supervisor's or senior
    manager's wage, of which only the wage at the firm's average is (Art.113 para.3; the rest
    is an ordinary claim, ``senior_excess``)."""
    amount = claim.admitted_amount or ZERO
    split = _senior_split(claim, amount, assessment)
    return amount if split is None else split[0]


def senior_excess(claim: Claim, assessment: Assessment | None, amount: Decimal | None = None):
    """The ordinary part of a director's, supervisor's or senior manager's wage claim (Art.113
    para.3): what ``amount`` (the admitted amount by default) exceeds the firm's average wage
    for the months owed; 0 for any other claim or while the average or months are missing."""
    if amount is None:
        amount = claim.admitted_amount or ZERO
    split = _senior_split(claim, amount, assessment)
    return ZERO if split is None else split[1]


def with_senior_splits(case: Case, claims: Iterable[Claim]) -> list[Claim]:
    """``claims`` as a list, each director's, supervisor's or senior manager's wage claim with
    ``art113_split`` = (employee class, ordinary) of its reviewed amount (Art.113 para.3), for
    the claims register to show; None where it does not apply or the figures are missing."""
    rows = list(claims)
    assessment = None
    if any(c.senior_manager for c in rows):
        assessment = latest_assessment(case)
    for claim in rows:
        amount = claim_basis(claim)
        claim.art113_split = (
            _senior_split(claim, amount, assessment) if amount is not None else None
        )
    return rows


def senior_excess_by_creditor(case: Case) -> dict[int, Decimal]:
    """Creditor id → the ordinary part of its reviewed senior manager's wage claims (Art.113
    para.3), for the creditors that have one: the agreement page says it is in the term."""
    claims = list(
        case.claims.filter(rank=Claim.Rank.EMPLOYEE, senior_manager=True, status__in=REVIEWED)
    )
    if not claims:
        return {}
    assessment = latest_assessment(case)
    out: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for claim in claims:
        excess = senior_excess(claim, assessment)
        if excess:
            out[claim.creditor_id] += excess
    return dict(out)


def priority_parts(case: Case) -> list[tuple[Claim, Decimal]]:
    """Each of ``priority_claims(case)`` with its part in the priority classes (``priority_part``):
    what must be paid in full outside the agreement, or inside it, before approval."""
    assessment = latest_assessment(case)
    return [(claim, priority_part(claim, assessment)) for claim in priority_claims(case)]


def _senior_assessment(creditor: Creditor) -> Assessment | None:
    """The case's latest assessment when the creditor has a senior manager's wage claim (only
    then is it needed: one query saved per creditor otherwise)."""
    if any(c.senior_manager and c.rank == Claim.Rank.EMPLOYEE for c in creditor.claims.all()):
        return latest_assessment(creditor.case)
    return None


def priority_amount(creditor: Creditor) -> Decimal:
    """A creditor's reviewed employee and tax claims in their priority classes (see
    ``priority_claims``; a senior manager's wage only up to the average, ``priority_part``)."""
    assessment = _senior_assessment(creditor)
    return sum(
        (
            priority_part(c, assessment)
            for c in creditor.claims.all()
            if c.rank in PRIORITY_RANKS
            and c.status in REVIEWED
            and c.nature != Claim.Nature.TAX_LATE_FEE
        ),
        ZERO,
    )


def agreement_claim(creditor: Creditor) -> Decimal:
    """What a creditor's term in the agreement is measured against: its reviewed unsecured
    claim, plus its employee and tax claims when the case includes them in the agreement."""
    amount = unsecured_confirmed(creditor)
    if creditor.case.priority_claims == "inside":
        amount += priority_amount(creditor)
    return amount


class _ClaimRow(NamedTuple):
    status: str
    secured: bool
    waived_priority: bool
    admitted_amount: Decimal | None
    provisional_amount: Decimal | None
    declared: Decimal
    collateral_value: Decimal


_CLAIM_ROW_FIELDS = (
    "status",
    "secured",
    "waived_priority",
    "admitted_amount",
    "provisional_amount",
    "principal",
    "interest",
    "other",
    "collateral_value",
)


def _claim_row(values: tuple) -> _ClaimRow:
    status, secured, waived, admitted, provisional, principal, interest, other, collateral = values
    return _ClaimRow(
        status, secured, waived, admitted, provisional, principal + interest + other, collateral
    )


def _uncovered(claim: _ClaimRow, amount: Decimal) -> Decimal:
    """The part of ``amount`` that is unsecured: all of it, or for a secured claim whose
    priority is not waived what the collateral will not cover (Art.110)."""
    if claim.secured and not claim.waived_priority:
        return max(ZERO, amount - claim.collateral_value)
    return amount


def _voter(
    creditor_id: int, claims: list[_ClaimRow], *, present: bool, vote: str | None
) -> rules.Voter | None:
    """One creditor's ``Voter`` from its ordinary-rank claims (pure; see ``voter_for``)."""
    claims = [
        c for c in claims if c.status != Claim.Status.REJECTED or c.provisional_amount is not None
    ]
    if not claims:
        return None
    confirmed = [c for c in claims if c.status == Claim.Status.CONFIRMED]
    provisional = [
        c for c in claims if c.status != Claim.Status.CONFIRMED and c.provisional_amount is not None
    ]
    amount = sum((c.admitted_amount or ZERO for c in confirmed), ZERO) + sum(
        (c.provisional_amount for c in provisional), ZERO
    )
    unsecured_part = sum((_uncovered(c, c.admitted_amount or ZERO) for c in confirmed), ZERO) + sum(
        (_uncovered(c, c.provisional_amount) for c in provisional), ZERO
    )
    if not confirmed and not provisional:  # no vote (Art.59); the amount is informative only
        amount = sum(
            ((c.admitted_amount if c.status in REVIEWED else c.declared) or ZERO for c in claims),
            ZERO,
        )
        unsecured_part = ZERO
    secured = [c for c in claims if c.secured]
    is_confirmed = not provisional and bool(confirmed)
    return rules.Voter(
        creditor_id=str(creditor_id),
        amount=amount,
        secured=bool(secured),
        waived_priority=bool(secured) and all(c.waived_priority for c in secured),
        confirmed=is_confirmed,
        provisional_amount=None if is_confirmed or not provisional else amount,
        present=present,
        vote=vote if present else None,
        unsecured_part=unsecured_part,
    )


def voter_for(creditor: Creditor, *, present: bool, vote: str | None) -> rules.Voter | None:
    """The creditor's ``Voter`` (ordinary-rank claims; employee and tax claims are not
    reconciliation claims). Confirmed claims vote with their amount, unconfirmed ones with the
    court's provisional amount (Art.59); ``None`` when it has no ordinary claim."""
    rows = (
        Claim.objects.filter(_VOTING_CLAIMS, creditor=creditor)
        .exclude(nature__in=SUBORDINATED_NATURES)
        .values_list("rank", "wage_months", *_CLAIM_ROW_FIELDS)
    )
    assessment = _Lazy(
        lambda: (
            Assessment.objects.filter(case_id=creditor.case_id)
            .order_by("-assessed_on", "-pk")
            .first()
        )
    )
    claims = [row for r in rows if (row := _voting_row(r, assessment)) is not None]
    return _voter(creditor.pk, claims, present=present, vote=vote)


# The claims that vote: ordinary-rank claims, and directors', supervisors' and senior
# managers' wage claims for their part above the firm's average wage (Art.113 para.3).
_VOTING_CLAIMS = Q(rank=Claim.Rank.ORDINARY) | Q(rank=Claim.Rank.EMPLOYEE, senior_manager=True)


class _Lazy:
    """A value computed at most once, when first asked for (the assessment, only when a
    senior manager's claim needs it)."""

    def __init__(self, compute):
        self._compute, self._done, self._value = compute, False, None

    def __call__(self):
        if not self._done:
            self._value, self._done = self._compute(), True
        return self._value


def _voting_row(values: tuple, assessment: _Lazy) -> _ClaimRow | None:
    """A claim as the vote sees it, from ``("rank", "wage_months", *_CLAIM_ROW_FIELDS)``: an
    ordinary claim as it is; a senior manager's wage claim as its part above the average
    (admitted, provisional and declared amounts each split, Art.113 para.3), or None when
    nothing is above it (or the average or the months are not recorded)."""
    rank, months, *rest = values
    row = _claim_row(tuple(rest))
    if rank == Claim.Rank.ORDINARY:
        return row
    average = getattr(assessment(), "average_monthly_wage", None)
    if not months or not average or average <= 0:
        return None

    def excess(amount: Decimal | None) -> Decimal | None:
        if amount is None:
            return None
        return rules.senior_manager_wage_split(amount, average, months)[1]

    part = row._replace(
        secured=False,
        waived_priority=False,
        admitted_amount=excess(row.admitted_amount),
        provisional_amount=excess(row.provisional_amount),
        declared=excess(row.declared),
        collateral_value=ZERO,
    )
    basis = part.admitted_amount if row.status in REVIEWED else part.declared
    if not basis and not part.provisional_amount:
        return None
    return part


def _shortfall_votes(item: AgendaItem) -> bool:
    """The case's setting: does the uncovered part of a secured claim vote (Art.110 reading)?"""
    return item.meeting.case.secured_shortfall_votes


def item_voters(item: AgendaItem) -> tuple[list[rules.Voter], Decimal]:
    """Every creditor of the case as a ``Voter`` on ``item``, and U, the unsecured total
    (``rules.voting_bases``, under the case's setting for secured creditors)."""
    voters = _item_voters(item)
    bases = rules.voting_bases(item.kind, voters, secured_votes_shortfall=_shortfall_votes(item))
    return voters, bases.unsecured_total


def _item_voters(item: AgendaItem) -> list[rules.Voter]:
    """Three queries whatever the number of creditors (claims as plain rows, attendances,
    ballots), a fourth (the assessment's average wage) only when a senior manager's wage
    claim is listed."""
    case_id = item.meeting.case_id
    assessment = _Lazy(
        lambda: Assessment.objects.filter(case_id=case_id).order_by("-assessed_on", "-pk").first()
    )
    claims: dict[int, list[_ClaimRow]] = defaultdict(list)
    for creditor_id, *values in (
        Claim.objects.filter(_VOTING_CLAIMS, case_id=case_id)
        .exclude(nature__in=SUBORDINATED_NATURES)
        .order_by("creditor_id", "pk")
        .values_list("creditor_id", "rank", "wage_months", *_CLAIM_ROW_FIELDS)
    ):
        row = _voting_row(tuple(values), assessment)
        if row is not None:
            claims[creditor_id].append(row)
    present = set(
        Attendance.objects.filter(meeting=item.meeting).values_list("creditor_id", flat=True)
    )
    votes = dict(Ballot.objects.filter(item=item).values_list("creditor_id", "vote"))
    voters = []
    for creditor_id, rows in claims.items():
        voter = _voter(
            creditor_id, rows, present=creditor_id in present, vote=votes.get(creditor_id)
        )
        if voter is not None:
            voters.append(voter)
    return voters


def item_tally(item: AgendaItem) -> rules.Tally:
    """The live tally of ``item`` (Art.64 or Art.97) under the case's settings; its
    ``bases`` are the ones every page shows (see ``case_bases``)."""
    return rules.tally(
        item.kind, _item_voters(item), secured_votes_shortfall=_shortfall_votes(item)
    )


def bases_as_dict(b: rules.VotingBases | None) -> dict | None:
    if b is None:
        return None
    return {
        "item": b.item,
        "unsecured_total": str(b.unsecured_total),
        "confirmed_part": str(b.confirmed_part),
        "provisional_part": str(b.provisional_part),
        "present_total": str(b.present_total),
        "secured_shortfall_part": str(b.secured_shortfall_part),
        "secured_covered_excluded": str(b.secured_covered_excluded),
        "unconfirmed_excluded": str(b.unconfirmed_excluded),
        "voters_with_vote": b.voters_with_vote,
        "voters_present": b.voters_present,
    }


def tally_as_dict(t: rules.Tally) -> dict:
    return {
        "item": t.item,
        "passed": t.passed,
        "present_voters": t.present_voters,
        "yes_voters": t.yes_voters,
        "heads_required": t.heads_required,
        "heads_margin": t.heads_margin,
        "heads_passed": t.heads_passed,
        "yes_amount": str(t.yes_amount),
        "unsecured_total": str(t.unsecured_total),
        "required_share": f"{t.required_share.numerator}/{t.required_share.denominator}",
        "required_amount_display": str(t.required_amount_display),
        "amount_margin_display": str(t.amount_margin_display),
        "amount_passed": t.amount_passed,
        "excluded": [list(e) for e in t.excluded],
        "yes_share": f"{t.yes_share.numerator}/{t.yes_share.denominator}",
        "bases": bases_as_dict(t.bases),
    }


def item_result(item: AgendaItem) -> dict:
    """The tally of ``item`` as every page and the API show it: the stored result once the
    vote is closed, the live one while it is open (``tally_as_dict``, with its ``bases``)."""
    if item.is_open or not item.result:
        return tally_as_dict(item_tally(item))
    return item.result


# --------------------------------------------------------------------------------------------
# The bases: one place that says what each total counts (issue 22, "totals that disagree")
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BasisLine:
    key: str
    label: str
    amount: Decimal
    note: str = ""


@dataclass(frozen=True)
class CaseBases:
    """Every total a page of the case shows, each labelled with what it counts.

    ``lines``: totals of the claims register (``case_bases``); ``items``: per agenda item of the
    case's meetings, the vote's bases (``rules.VotingBases`` as a dict, from ``item_result``).
    """

    lines: tuple[BasisLine, ...]
    items: tuple[tuple[AgendaItem, dict], ...]

    def amount(self, key: str) -> Decimal:
        return next(line.amount for line in self.lines if line.key == key)

    def item(self, item: AgendaItem) -> dict | None:
        return next((b for i, b in self.items if i.pk == item.pk), None)


def _register_totals(case: Case) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    assessment = latest_assessment(case)
    for db_claim in case.claims.filter(rank=Claim.Rank.EMPLOYEE, status__in=REVIEWED):
        amount = db_claim.admitted_amount or ZERO
        split = _senior_split(db_claim, amount, assessment)
        employee, excess = split if split is not None else (amount, ZERO)
        totals["employee"] += employee
        # the part above the average is an ordinary, unsecured claim (Art.113 para.3): it is
        # counted with the other unsecured claims of its status, and shown on its own line
        totals["senior_excess"] += excess
        totals[db_claim.status] += excess
        if db_claim.status != Claim.Status.CONFIRMED and db_claim.provisional_amount is not None:
            totals["provisional"] += senior_excess(
                db_claim, assessment, db_claim.provisional_amount
            )
    for row in case.claims.values_list("rank", "nature", *_CLAIM_ROW_FIELDS):
        rank, nature, values = row[0], row[1], row[2:]
        claim = _claim_row(tuple(values))
        if rank == Claim.Rank.EMPLOYEE:
            continue
        if rank == Claim.Rank.TAX_SOCIAL and nature != Claim.Nature.TAX_LATE_FEE:
            if claim.status in REVIEWED:
                totals["tax"] += claim.admitted_amount or ZERO
            continue
        if nature in SUBORDINATED_NATURES:
            if claim.status in REVIEWED:
                totals["subordinated"] += claim.admitted_amount or ZERO
            elif claim.status == Claim.Status.FILED:
                totals["subordinated"] += claim.declared
            continue
        if claim.status == Claim.Status.FILED:
            totals["filed"] += _uncovered(claim, claim.declared)
            continue
        if claim.status == Claim.Status.REJECTED:
            if claim.provisional_amount is not None:
                totals["provisional"] += _uncovered(claim, claim.provisional_amount)
            continue
        admitted = claim.admitted_amount or ZERO
        totals[claim.status] += _uncovered(claim, admitted)
        if claim.secured and not claim.waived_priority:
            totals["secured"] += admitted
            totals["secured_covered"] += admitted - _uncovered(claim, admitted)
        if claim.status != Claim.Status.CONFIRMED and claim.provisional_amount is not None:
            totals["provisional"] += _uncovered(claim, claim.provisional_amount)
    return totals


def case_bases(case: Case) -> CaseBases:
    """The one source of the totals shown on the tally (meeting) page, the agreement page, the
    assessment and the API (Art.57-59, 64, 97, 100, 110, 113): the claims register's totals,
    each labelled, and the bases of each agenda item's vote (``item_result``).

    The agreement's basis (what the terms pay a rate on) and the vote's U differ where a claim
    is disputed: the agreement counts the administrator's reviewed amount (the creditor is paid
    on it once the suit confirms it), the vote counts the court's provisional amount (Art.59
    para.2). Both are listed so a reader sees why.
    """
    t = _register_totals(case)
    confirmed, admitted, disputed = (
        t[Claim.Status.CONFIRMED],
        t[Claim.Status.ADMITTED],
        t[Claim.Status.DISPUTED],
    )
    inside = case.priority_claims == "inside"
    priority_total = t["employee"] + t["tax"] if inside else ZERO
    agreement_basis = confirmed + admitted + disputed + priority_total
    lines = (
        BasisLine("confirmed", _("法院裁定确认的无财产担保债权"), confirmed),
        BasisLine("admitted", _("管理人审查确认、尚待法院裁定的无财产担保债权"), admitted),
        BasisLine(
            "disputed",
            _("有异议的债权（管理人审查额，待诉讼确定）"),
            disputed,
            _("表决时按法院临时确定的表决额计（第59条第2款）"),
        ),
        BasisLine(
            "senior_excess",
            _("其中：董事、监事和高级管理人员工资超出职工平均工资的部分"),
            t["senior_excess"],
            _("普通债权（第113条第3款）：已计入上列无财产担保债权，参加表决，按协议清偿率受偿"),
        ),
        BasisLine(
            "priority_in_agreement",
            _("列入和解协议全额清偿的职工债权和税款债权"),
            priority_total,
            _("本案设置：列入和解协议") if inside else _("本案设置：协议外全额清偿，认可前须付清"),
        ),
        BasisLine(
            "agreement_basis",
            _("和解协议清偿基数（前三项与列入协议的职工债权、税款之和）"),
            agreement_basis,
            _("协议条款的“确认债权”之和；名义清偿率的分母"),
        ),
        BasisLine("provisional", _("法院临时确定的表决额（未确认债权）"), t["provisional"]),
        BasisLine("filed", _("已申报、尚未审查的无财产担保债权（按申报额）"), t["filed"]),
        BasisLine(
            "liquidation_ordinary",
            _("模拟清算中的普通债权"),
            agreement_basis - priority_total + t["filed"],
            _("和解协议清偿基数（不含职工债权和税款）与尚未审查的申报额之和（第113条第1款第3项）"),
        ),
        BasisLine(
            "secured",
            _("有财产担保、未放弃优先受偿权的债权（审查额）"),
            t["secured"],
            _("其不足清偿部分已计入上列无财产担保债权（第110条）"),
        ),
        BasisLine(
            "secured_covered",
            _("其中担保物可清偿部分（不计入无财产担保债权总额）"),
            t["secured_covered"],
        ),
        BasisLine(
            "employee", _("职工债权（不参加和解协议表决；第113条第1款第1项）"), t["employee"]
        ),
        BasisLine("tax", _("社会保险费用和税款（不参加和解协议表决）"), t["tax"]),
        BasisLine(
            "subordinated",
            _("劣后债权（罚款、罚金等，普通债权之后清偿）"),
            t["subordinated"],
        ),
    )
    items = tuple(
        (item, item_result(item).get("bases") or {})
        for item in AgendaItem.objects.filter(meeting__case=case)
        .select_related("meeting__case")
        .order_by("meeting__date", "pk")
    )
    return CaseBases(lines=lines, items=items)


# --------------------------------------------------------------------------------------------
# Fast track and the economic-impact assessment report
# --------------------------------------------------------------------------------------------


def latest_assessment(case: Case) -> Assessment | None:
    return case.assessments.order_by("-assessed_on", "-pk").first()


def fast_track_result(case: Case) -> rules.FastTrackResult | None:
    assessment = latest_assessment(case)
    if assessment is None or case.fast_track_profile is None:
        return None
    claims = [c for c in case.claims.all() if claim_basis(c) is not None]
    return rules.fast_track_assessment(
        case.fast_track_profile.as_rule(),
        rules.FastTrackFacts(
            acceptance_date=case.acceptance_date,
            creditor_count=len({c.creditor_id for c in claims}),
            claims_total=sum((claim_basis(c) for c in claims), ZERO),
            assets_total=assessment.assets_appraised,
            pending_proceedings=case.pending_proceedings,
            books_taken_over=case.books_taken_over,
            assets_liquidation=assessment.assets_liquidation,
            costs_estimate=assessment.costs_estimate,
            enforcement_transfer=case.enforcement_transfer,
            licence_revoked=case.licence_revoked,
            forced_liquidation_done=case.forced_liquidation_done,
            parties_agree=case.parties_agree,
            assets_hard_to_realise=case.assets_hard_to_realise,
            special_debtor=case.special_debtor,
            stability_risk=case.stability_risk,
        ),
        next_working_day=calendar.next_working_day,
    )


@dataclass(frozen=True)
class AssessmentReport:
    assessment: Assessment
    fast_track: rules.FastTrackResult | None
    liquidation: rules.Liquidation
    names: dict[str, str]
    comparison: tuple[rules.ComparisonRow, ...]
    agreement: Agreement | None
    bases: CaseBases
    split_notes: tuple[str, ...] = ()
    liquidation_fee: rules.AdministratorFee | None = None
    reconciliation_fee: rules.AdministratorFee | None = None
    fee_notes: tuple[str, ...] = ()


def _senior_split(claim, amount: Decimal, assessment: Assessment | None):
    """(employee class, ordinary) of a director's, supervisor's or senior manager's wage claim
    (Art.113 para.3, ``rules.senior_manager_wage_split``), or None when it does not apply or
    the months owed or the average wage are not recorded."""
    if claim.rank != Claim.Rank.EMPLOYEE or not claim.senior_manager or not claim.wage_months:
        return None
    if assessment is None or assessment.average_monthly_wage <= 0:
        return None
    return rules.senior_manager_wage_split(
        amount, assessment.average_monthly_wage, claim.wage_months
    )


def assessment_report(case: Case) -> AssessmentReport | None:
    """Fast-track eligibility with reasons, the Art.113 simulated liquidation, and each
    creditor's outcome under the draft agreement against liquidation ("better off?")."""
    assessment = latest_assessment(case)
    if assessment is None:
        return None
    names: dict[str, str] = {"costs": "破产费用（预计）", "common": "共益债务（预计）"}
    secured: list[rules.SecuredClaim] = []
    classes: dict[str, dict[str, Decimal]] = defaultdict(dict)
    split_notes: list[str] = []
    for claim in case.claims.select_related("creditor"):
        amount = claim_basis(claim)
        if amount is None or amount == 0:
            continue
        key = str(claim.creditor_id)
        names[key] = claim.creditor.name
        if claim.secured and not claim.waived_priority:
            secured.append(rules.SecuredClaim(key, amount, claim.collateral_value))
            continue
        target = rules.liquidation_class(claim.rank, claim.nature)
        parts = [(target, amount)]
        split = _senior_split(claim, amount, assessment)
        if split is not None:
            employee, excess = split
            parts = [(rules.EMPLOYEE, employee), (rules.ORDINARY_CLAIMS, excess)]
            if excess:
                split_notes.append(
                    _(
                        "%(name)s：按职工月平均工资计入职工债权 %(employee)s 元，其余 %(excess)s 元"
                        "列为普通债权（第113条第3款）"
                    )
                    % {"name": claim.creditor.name, "employee": employee, "excess": excess}
                )
        elif claim.rank == Claim.Rank.EMPLOYEE and claim.senior_manager:
            split_notes.append(
                _(
                    "%(name)s：董事、监事或高级管理人员的工资，尚缺欠薪月数或职工月平均工资，暂全额列入职工债权"
                )
                % {"name": claim.creditor.name}
            )
        for target, part in parts:
            if part:
                classes[target][key] = classes[target].get(key, ZERO) + part
    costs = {"costs": assessment.costs_estimate} if assessment.costs_estimate else {}
    common = (
        {"common": assessment.common_benefit_estimate} if assessment.common_benefit_estimate else {}
    )
    data = rules.LiquidationInput(
        free_assets=assessment.assets_liquidation,
        secured=secured,
        costs=costs,
        common_benefit_debts=common,
        employee_claims=classes[rules.EMPLOYEE],
        social_insurance_and_taxes=classes[rules.SOCIAL_INSURANCE_TAX],
        ordinary_claims=classes[rules.ORDINARY_CLAIMS],
        subordinated_claims=classes[rules.SUBORDINATED],
    )
    # The administrator's fee is a bankruptcy cost of the liquidation (Art.41(3)), on the value
    # the estate distributes (collateral paid to its secured creditor left out, SPC 管理人报酬
    # 规定 Art.2 para.2); in reconciliation it is on what the debtor pays its creditors.
    fee_notes: list[str] = []
    liquidation_fee = _fee(
        rules.simulate_liquidation(data).estate, case.administrator_fee_rate, fee_notes
    )
    if liquidation_fee.fee:
        names["administrator_fee"] = "管理人报酬（预计）"
        data = dataclasses.replace(data, costs={**costs, "administrator_fee": liquidation_fee.fee})
    liquidation = rules.simulate_liquidation(data)
    agreement = case.agreements.exclude(status__in=Agreement.ENDED).first()
    reconciliation_fee = None
    if agreement is not None:
        paid = sum((t.agreed_amount for t in agreement.terms.all()), ZERO)
        priority = sum(classes[rules.EMPLOYEE].values(), ZERO) + sum(
            classes[rules.SOCIAL_INSURANCE_TAX].values(), ZERO
        )
        reconciliation_fee = _fee(paid + priority, case.administrator_fee_rate, fee_notes)
    comparison: tuple[rules.ComparisonRow, ...] = ()
    if agreement is not None:
        # employee and tax claims paid in full outside the agreement (the case's default
        # setting, checked at approval) are part of what the reconciliation path pays
        outside: dict[str, Decimal] = defaultdict(lambda: ZERO)
        if case.priority_claims != "inside":
            for claim, part in priority_parts(case):  # a senior manager: up to the average
                outside[str(claim.creditor_id)] += part
        offers = {}
        for term in agreement.terms.all():
            key = str(term.creditor_id)
            if key in liquidation.creditors:
                # under the agreement a secured creditor also keeps its collateral recovery
                offers[key] = min(
                    term.agreed_amount
                    + liquidation.creditors[key].from_collateral
                    + outside.pop(key, ZERO),
                    liquidation.creditors[key].claim,
                )
        for key, amount in outside.items():  # employees and the tax office without a term
            if key in liquidation.creditors:
                offers[key] = min(amount, liquidation.creditors[key].claim)
        try:
            comparison = rules.compare_with_agreement(liquidation, offers)
        except rules.RuleError:
            comparison = ()
    return AssessmentReport(
        assessment=assessment,
        fast_track=fast_track_result(case),
        liquidation=liquidation,
        names=names,
        comparison=comparison,
        agreement=agreement,
        bases=case_bases(case),
        split_notes=tuple(split_notes),
        liquidation_fee=liquidation_fee,
        reconciliation_fee=reconciliation_fee,
        fee_notes=tuple(dict.fromkeys(fee_notes)),
    )


def _fee(base: Decimal, court_rate: Decimal | None, notes: list[str]) -> rules.AdministratorFee:
    """The administrator's fee on ``base`` at the court's rate, or at the upper limits when the
    rate is not set or above them (with a note saying so)."""
    try:
        return rules.administrator_fee(base, court_rate)
    except rules.RuleError as exc:
        notes.append(_("法院确定的报酬比例不适用：%(why)s；按上限计") % {"why": exc})
        return rules.administrator_fee(base)


# --------------------------------------------------------------------------------------------
# Agreements and payments
# --------------------------------------------------------------------------------------------


def term_paid(term: AgreementTerm) -> Decimal:
    return (term.payments.aggregate(s=Sum("amount"))["s"] or ZERO).quantize(ZERO)


def term_position(term: AgreementTerm, today: date | None = None) -> dict:
    today = today or timezone.localdate()
    installments = list(term.installments.all())
    paid = term_paid(term)

    def due_by(day: date) -> Decimal:
        return sum((i.amount for i in installments if i.due_date <= day), ZERO)

    due_now = due_by(today)
    return {
        "paid": paid,
        "due_now": due_now,
        "overdue": max(ZERO, due_now - paid),
        "remaining": term.agreed_amount - paid,
        "due_cumulative_by": due_by,
    }


def agreement_rates(agreement: Agreement) -> rules.RepaymentRates:
    return rules.repayment_rates(
        rules.RepaymentLine(
            creditor_id=str(t.creditor_id),
            confirmed_unsecured=t.confirmed_amount,
            agreed=t.agreed_amount,
            paid=term_paid(t),
            tier=t.tier or None,
        )
        for t in agreement.terms.all()
    )


def terms_for(*, user, agreement: Agreement) -> QuerySet:
    qs = agreement.terms.select_related("creditor").prefetch_related("installments", "payments")
    return visible(user, "bankruptcy.view_term", qs)


def creditor_overview(*, user) -> list[dict]:
    """The creditor's own page: per case its claims, ballots, terms and payments."""
    return [
        creditor_row(creditor)
        for creditor in own_creditors(user=user).order_by("-case__acceptance_date")
    ]


def creditor_row(creditor: Creditor) -> dict:
    """One creditor's claims, ballots, agreement terms (with instalments and payments) and the
    items open for voting in its case; the caller has established whose it is (an account, or
    a verified phone for `phone_creditors`)."""
    return {
        "creditor": creditor,
        "case": creditor.case,
        "claims": list(creditor.claims.prefetch_related("evidence")),
        "ballots": list(creditor.ballots.select_related("item__meeting")),
        "terms": list(
            creditor.terms.select_related("agreement").prefetch_related("installments", "payments")
        ),
        "open_items": list(
            AgendaItem.objects.filter(
                meeting__case=creditor.case,
                meeting__status=Meeting.Status.OPEN,
                is_open=True,
            ).select_related("meeting")
        ),
    }


def payments_for(*, user) -> QuerySet:
    qs = Payment.objects.select_related("term__creditor", "term__agreement__case")
    return visible(user, "bankruptcy.view_payment", qs)


# --------------------------------------------------------------------------------------------
# Figures (definitions in figures.py)
# --------------------------------------------------------------------------------------------


def rescued_agreements(start: date, end: date, organisation=None) -> QuerySet:
    """Agreements (Art.97 or Art.105) approved by the court within [start, end] and not
    terminated since (挽救企业)."""
    qs = Agreement.objects.filter(
        approved_on__gte=start,
        approved_on__lte=end,
        status__in=(Agreement.Status.APPROVED, Agreement.Status.COMPLETED),
    )
    if organisation is not None:
        qs = qs.filter(
            Q(case__court=organisation)
            | Q(case__administrator=organisation)
            | Q(case__debtor=organisation)
        )
    return qs


# --------------------------------------------------------------------------------------------
# What a creditor sees at a meeting
# --------------------------------------------------------------------------------------------


def agreement_under_vote(case: Case) -> Agreement | None:
    """The draft agreement the creditors vote on (Art.97): the newest draft of the case."""
    return case.agreements.filter(status=Agreement.Status.DRAFT).order_by("-pk").first()


def ballot_sheets(meeting: Meeting, creditors: list[Creditor]) -> list[dict]:
    """For each of `creditors` (the reader's own): signed in or not, and per agenda item its
    ballot (vote, time, the vote it replaced); with the Art.97 vote, the draft agreement and the
    creditor's own term in it (confirmed amount, offer, rate, schedule) to read before voting."""
    items = list(meeting.items.all())
    signed = set(
        meeting.attendances.filter(creditor__in=creditors).values_list("creditor_id", flat=True)
    )
    ballots = {
        (b.item_id, b.creditor_id): b
        for b in Ballot.objects.filter(item__meeting=meeting, creditor__in=creditors)
    }
    agreement = None
    terms: dict[int, AgreementTerm] = {}
    if any(item.kind == AgendaItem.Kind.RECONCILIATION for item in items):
        agreement = agreement_under_vote(meeting.case)
        if agreement is not None:
            terms = {
                t.creditor_id: t
                for t in agreement.terms.filter(creditor__in=creditors).prefetch_related(
                    "installments"
                )
            }
    sheets = []
    for creditor in creditors:
        term = terms.get(creditor.pk)
        sheets.append(
            {
                "creditor": creditor,
                "signed": creditor.pk in signed,
                "items": [
                    {
                        "item": item,
                        "ballot": ballots.get((item.pk, creditor.pk)),
                        "agreement": agreement
                        if item.kind == AgendaItem.Kind.RECONCILIATION
                        else None,
                    }
                    for item in items
                ],
                "agreement": agreement,
                "term": term,
                "rate": term.agreed_amount / term.confirmed_amount
                if term is not None and term.confirmed_amount
                else None,
            }
        )
    return sheets


# --------------------------------------------------------------------------------------------
# Creditors' committee (Art.67–69)
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Art.104: the liquidation after a terminated agreement
# --------------------------------------------------------------------------------------------


def art104_claims(agreement: Agreement) -> tuple[list[rules.Art104Claim], dict[str, str]]:
    """The claims that share the distribution after ``agreement`` is terminated (Art.104), by
    Art.113 class, with what each creditor received under the agreement, and creditor id →
    name.

    - Reconciliation creditors: their original confirmed unsecured claim (the term's, the
      concessions lapsed, Art.104 para.2) in the ordinary class; received = what they were paid
      beyond the employee and tax claims the term paid in full (those are paid first).
    - Employee and tax claims: in their classes; received = the term's payments up to them
      (employee first), or the whole claim when recorded paid in full outside the agreement.
    - Every other reviewed claim of the case — creditors without a term, claims filed late in
      the liquidation (Art.56; a reconciliation creditor's too, added to its claim of the
      class), subordinated claims — with nothing received: the new creditors the Art.104
      para.3 equalisation waits for.
    Secured claims not waived count only for the part their collateral will not cover.
    """
    case = agreement.case
    assessment = latest_assessment(case)
    terms = {t.creditor_id: t for t in agreement.terms.all()}
    amounts: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    received: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    names: dict[str, str] = {}
    claims = case.claims.filter(status__in=REVIEWED).select_related("creditor").order_by("pk")
    for claim in claims:
        amount = claim.admitted_amount or ZERO
        if claim.secured and not claim.waived_priority:
            amount = max(ZERO, amount - claim.collateral_value)
        if amount == 0:
            continue
        key = str(claim.creditor_id)
        names[key] = claim.creditor.name
        target = rules.liquidation_class(claim.rank, claim.nature)
        split = _senior_split(claim, amount, assessment)
        parts = (
            [(target, amount)]
            if split is None
            else [
                (rules.EMPLOYEE, split[0]),
                (rules.ORDINARY_CLAIMS, split[1]),
            ]
        )
        after = agreement.terminated_on is not None and claim.filed_on >= agreement.terminated_on
        for rank, part in parts:
            if rank == rules.ORDINARY_CLAIMS and claim.creditor_id in terms and not after:
                continue  # the term's confirmed amount stands for the reconciliation claim
            amounts[(key, rank)] += part
            if claim.paid_in_full_on is not None and rank in (
                rules.EMPLOYEE,
                rules.SOCIAL_INSURANCE_TAX,
            ):
                received[(key, rank)] += part
    for creditor_id, term in terms.items():
        key = str(creditor_id)
        names[key] = term.creditor.name
        ordinary = term.confirmed_amount - term.priority_amount
        if ordinary > 0:
            amounts[(key, rules.ORDINARY_CLAIMS)] += ordinary
        # A term's payments go to its employee and tax claims first (employees first), then to
        # the reconciliation claim (as in the court's figures).
        towards_priority = min(term.paid_amount, term.priority_amount)
        for rank in (rules.EMPLOYEE, rules.SOCIAL_INSURANCE_TAX):
            room = amounts.get((key, rank), ZERO) - received[(key, rank)]
            take = max(ZERO, min(towards_priority, room))
            received[(key, rank)] += take
            towards_priority -= take
        if ordinary > 0:
            beyond = max(ZERO, term.paid_amount - term.priority_amount)
            received[(key, rules.ORDINARY_CLAIMS)] += min(beyond, ordinary)
    rows = [
        rules.Art104Claim(creditor=key, rank=rank, amount=amount, received=received[(key, rank)])
        for (key, rank), amount in sorted(amounts.items())
        if amount > 0
    ]
    return rows, names


ART104_CLASS_LABELS = {
    rules.EMPLOYEE: _("职工债权"),
    rules.SOCIAL_INSURANCE_TAX: _("社会保险费用和税款"),
    rules.ORDINARY_CLAIMS: _("普通债权"),
    rules.SUBORDINATED: _("劣后债权"),
}


@dataclass(frozen=True)
class Art104Line:
    label: str
    creditor: str
    amount: Decimal
    received: Decimal
    share: Decimal
    new_creditor: bool


@dataclass(frozen=True)
class Art104Preview:
    distributable: Decimal
    lines: tuple[Art104Line, ...]
    levels: tuple[tuple[str, Decimal], ...]
    left_over: Decimal


def art104_preview(agreement: Agreement, distributable: Decimal) -> Art104Preview:
    """The Art.104 distribution of ``distributable`` over the claims as they stand now (the
    liquidation's late-filed claims included), class by class; raises ``rules.RuleError``."""
    rows, names = art104_claims(agreement)
    result = rules.art104_distribution(rows, distributable)
    in_agreement = {str(pk) for pk in agreement.terms.values_list("creditor_id", flat=True)}
    lines = tuple(
        Art104Line(
            label=ART104_CLASS_LABELS[row.rank],
            creditor=names[row.creditor],
            amount=row.amount,
            received=row.received,
            share=result.by_class[row.rank][row.creditor],
            new_creditor=row.creditor not in in_agreement,
        )
        for rank in rules.ART104_CLASSES
        for row in rows
        if row.rank == rank
    )
    return Art104Preview(
        distributable=distributable,
        lines=lines,
        levels=tuple((ART104_CLASS_LABELS[k], v) for k, v in result.levels.items()),
        left_over=result.left_over,
    )
