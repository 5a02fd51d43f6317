"""What waits on a user in bankruptcy cases (registered from BankruptcyConfig.ready).

- judge: draft agreements ready for the court's approval (Art.98 / Art.105), claims tables to
  confirm (Art.58), first meetings not yet called (Art.62: watched; the administrator calls);
- administrator: claims to review, first meetings to call (Art.62), meetings to hold,
  instalments overdue;
- creditor: items open for its vote, payments to confirm, meetings to attend;
- the creditors' committee (Art.67–69): the judge approves memberships and receives Art.69
  reports while no committee is in office; a creditor member acknowledges the reports to the
  committee and signs the minutes of its decisions.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qinqing.bankruptcy import rules, selectors
from qinqing.bankruptcy.models import (
    AgendaItem,
    Agreement,
    AgreementTerm,
    Art69Report,
    Ballot,
    Case,
    Claim,
    Committee,
    CommitteeMember,
    CommitteeVote,
    Installment,
    Meeting,
    Payment,
)
from qinqing.core import calendar
from qinqing.core.permissions import grants_of, visible
from qinqing.core.roles import Role
from qinqing.core.todos import (
    EntryPoint,
    TodoItem,
    as_date,
    register,
    register_entry,
    tally,
)

MEETINGS_AHEAD_DAYS = 7


def _case_url(case_pk: int | None, name: str = "bankruptcy:case_detail") -> str:
    if case_pk is None:
        return reverse("bankruptcy:case_list")
    return reverse(name, args=[case_pk])


def _first_meetings_to_call(cases) -> tuple[int, object, int | None]:
    """Open cases whose declaration period is set and that have no first meeting: how many,
    the earliest Art.62 due date, the one case's pk when there is one."""
    rows = list(
        cases.filter(closed_date=None)
        .exclude(declaration_end=None)
        .exclude(meetings__kind=Meeting.Kind.FIRST)
        .values_list("pk", "declaration_end")
    )
    if not rows:
        return 0, None, None
    nwd = calendar.current().next_working_day
    due = min(rules.first_meeting_due(end, next_working_day=nwd) for _pk, end in rows)
    return len(rows), due, rows[0][0] if len(rows) == 1 else None


@register
def judge(user):
    if not grants_of(user).has(Role.JUDGE):
        return []
    cases = visible(user, "bankruptcy.manage_case", Case.objects.all())
    open_cases = cases.filter(closed_date=None)
    adopted = AgendaItem.objects.filter(
        meeting__case=OuterRef("case"), kind=AgendaItem.Kind.RECONCILIATION, passed=True
    )
    terms = AgreementTerm.objects.filter(agreement=OuterRef("pk"))
    drafts = (
        Agreement.objects.filter(case__in=open_cases, status=Agreement.Status.DRAFT)
        .annotate(
            adopted=Exists(adopted),
            has_terms=Exists(terms),
            unconsented=Exists(terms.filter(consented_on=None)),
        )
        .filter(
            Q(kind=Agreement.Kind.COURT, adopted=True)
            | Q(kind=Agreement.Kind.SELF_SETTLEMENT, has_terms=True, unconsented=False)
        )
    )
    approving = tally(drafts)
    confirming = tally(
        open_cases.exclude(claims_table_published_on=None).filter(
            Exists(Claim.objects.filter(case=OuterRef("pk"), status=Claim.Status.ADMITTED))
        ),
        oldest="claims_table_published_on",
    )
    calling, calling_due, calling_pk = _first_meetings_to_call(cases)
    return [
        TodoItem(
            _("待裁定认可的和解协议"),
            approving.count,
            (
                reverse("bankruptcy:agreement_detail", args=[approving.first_pk])
                if approving.first_pk
                else reverse("bankruptcy:case_list")
            ),
            note=_("债权人会议已表决通过（第98条）或全体债权人同意（第105条）"),
            order=10,
        ),
        TodoItem(
            _("待裁定确认的债权表"),
            confirming.count,
            _case_url(confirming.first_pk, "bankruptcy:claims"),
            oldest=confirming.oldest,
            note=_("第58条"),
            order=20,
        ),
        TodoItem(
            _("尚未召开第一次债权人会议的案件"),
            calling,
            _case_url(calling_pk),
            due=calling_due,
            note=_("第62条：由管理人在平台上安排会议"),
            order=30,
        ),
    ]


def _overdue_terms(terms) -> tuple[int, object]:
    """Terms of agreements in force whose instalments due by today exceed what was paid: how
    many, and the day of the earliest instalment left unpaid."""
    today = timezone.localdate()
    rows = list(
        Installment.objects.filter(
            term__in=terms.filter(agreement__status=Agreement.Status.APPROVED),
            due_date__lte=today,
        )
        .order_by("term_id", "due_date", "pk")
        .values_list("term_id", "due_date", "amount", "term__paid_amount")
    )
    owed: dict[int, Decimal] = defaultdict(Decimal)
    first_unpaid = {}
    for term_id, due_date, amount, paid in rows:
        owed[term_id] += amount
        if owed[term_id] > paid and term_id not in first_unpaid:
            first_unpaid[term_id] = due_date
    if not first_unpaid:
        return 0, None
    return len(first_unpaid), min(first_unpaid.values())


@register
def administrator(user):
    if not grants_of(user).has(Role.ADMINISTRATOR):
        return []
    today = timezone.localdate()
    cases = visible(user, "bankruptcy.administer_case", Case.objects.all())
    filed = Claim.objects.filter(case__in=cases, status=Claim.Status.FILED)
    reviewing = tally(filed, oldest="filed_on")
    filed_cases = list(filed.order_by().values_list("case_id", flat=True).distinct()[:2])
    calling, calling_due, calling_pk = _first_meetings_to_call(cases)
    meetings = Meeting.objects.filter(case__in=cases)
    holding = tally(
        meetings.filter(
            status=Meeting.Status.SCHEDULED,
            date__lte=today + timedelta(days=MEETINGS_AHEAD_DAYS),
        ),
        due="date",
    )
    open_meetings = tally(meetings.filter(status=Meeting.Status.OPEN), oldest="date")
    late, late_since = _overdue_terms(
        AgreementTerm.objects.filter(agreement__case__in=cases.filter(closed_date=None))
    )
    return [
        TodoItem(
            _("待审查的债权申报"),
            reviewing.count,
            _case_url(filed_cases[0] if len(filed_cases) == 1 else None, "bankruptcy:claims"),
            oldest=reviewing.oldest,
            order=10,
        ),
        TodoItem(
            _("待召集第一次债权人会议"),
            calling,
            _case_url(calling_pk) + ("#m-kind" if calling_pk else ""),  # the form on the case
            due=calling_due,
            note=_("债权申报期限届满后十五日内召开（第62条）"),
            order=20,
        ),
        TodoItem(
            _("近期召开的债权人会议"),
            holding.count,
            (
                reverse("bankruptcy:meeting_detail", args=[holding.first_pk])
                if holding.first_pk
                else reverse("bankruptcy:case_list")
            ),
            due=holding.due,
            note=_("会议当日开启签到和表决"),
            order=30,
        ),
        TodoItem(
            _("进行中的债权人会议"),
            open_meetings.count,
            (
                reverse("bankruptcy:meeting_detail", args=[open_meetings.first_pk])
                if open_meetings.first_pk
                else reverse("bankruptcy:case_list")
            ),
            oldest=open_meetings.oldest,
            note=_("表决结束后计票并结束会议"),
            order=35,
        ),
        TodoItem(
            _("逾期未足额清偿的债权人"),
            late,
            reverse("bankruptcy:case_list"),
            due=late_since,
            note=_("按和解协议还款计划"),
            order=40,
        ),
    ]


@register
def creditor(user):
    if not grants_of(user).has(Role.CREDITOR):
        return []
    today = timezone.localdate()
    own = list(selectors.own_creditors(user=user).values_list("pk", "case_id"))
    if not own:
        return []
    creditor_ids = [pk for pk, _case in own]
    case_ids = {case for _pk, case in own}
    items = list(
        AgendaItem.objects.filter(
            is_open=True, meeting__status=Meeting.Status.OPEN, meeting__case_id__in=case_ids
        ).values_list("pk", "meeting_id", "meeting__case_id", "meeting__date")
    )
    voted = set(
        Ballot.objects.filter(
            item_id__in=[i[0] for i in items], creditor_id__in=creditor_ids
        ).values_list("item_id", "creditor_id")
    )
    to_vote = [
        item
        for item in items
        if any(case == item[2] and (item[0], pk) not in voted for pk, case in own)
    ]
    payments = tally(
        visible(user, "bankruptcy.view_payment", Payment.objects.all()).filter(
            term__creditor_id__in=creditor_ids, receipt_confirmed_on=None
        ),
        oldest="paid_on",
    )
    upcoming = tally(
        visible(user, "bankruptcy.view_meeting", Meeting.objects.all()).filter(
            case_id__in=case_ids, status=Meeting.Status.SCHEDULED, date__gte=today
        ),
        due="date",  # shown as the next meeting's day, not as a deadline
    )
    meetings_with_votes = {item[1] for item in to_vote}
    return [
        TodoItem(
            _("待表决的事项"),
            len(to_vote),
            (
                reverse("bankruptcy:meeting_detail", args=[next(iter(meetings_with_votes))])
                if len(meetings_with_votes) == 1
                else reverse("bankruptcy:creditor_home")
            ),
            due=as_date(min((i[3] for i in to_vote), default=None)),
            note=_("会议进行中，请签到后表决"),
            order=10,
        ),
        TodoItem(
            _("待确认收款的清偿款"),
            payments.count,
            reverse("bankruptcy:creditor_home"),
            oldest=payments.oldest,
            order=20,
        ),
        TodoItem(
            _("即将召开的债权人会议"),
            upcoming.count,
            (
                reverse("bankruptcy:meeting_detail", args=[upcoming.first_pk])
                if upcoming.first_pk
                else reverse("bankruptcy:creditor_home")
            ),
            note=_("最近一次：%(day)s") % {"day": upcoming.due} if upcoming.due else "",
            order=30,
        ),
    ]


def _one_case(qs, field: str = "case_id") -> int | None:
    """The case's pk when every row of ``qs`` is of one case, else None."""
    cases = list(qs.order_by().values_list(field, flat=True).distinct()[:2])
    return cases[0] if len(cases) == 1 else None


@register
def committee(user):
    grants = grants_of(user)
    found = []
    if grants.has(Role.JUDGE):
        cases = visible(user, "bankruptcy.manage_case", Case.objects.filter(closed_date=None))
        waiting = Committee.objects.filter(case__in=cases, approved_on=None).filter(
            Exists(CommitteeMember.objects.in_office().filter(committee=OuterRef("pk")))
        )
        approving = tally(waiting, oldest="chosen_on")
        reports = Art69Report.objects.filter(
            case__in=cases, reported_to=rules.REPORT_TO_COURT, acknowledged_on=None
        )
        received = tally(reports, oldest="reported_on")
        found += [
            TodoItem(
                _("待书面决定认可的债权人委员会成员"),
                approving.count,
                _case_url(_one_case(waiting), "bankruptcy:committee"),
                oldest=approving.oldest,
                note=_("第67条第2款"),
                order=40,
            ),
            TodoItem(
                _("管理人报告法院的第69条行为"),
                received.count,
                _case_url(_one_case(reports), "bankruptcy:committee"),
                oldest=received.oldest,
                note=_("未设立债权人委员会的，管理人报告人民法院（第69条第2款）"),
                order=45,
            ),
        ]
    if grants.has(Role.CREDITOR):
        seats = visible(user, "bankruptcy.committee_member", Case.objects.all())
        reports = Art69Report.objects.filter(
            case__in=seats, reported_to=rules.REPORT_TO_COMMITTEE, acknowledged_on=None
        )
        received = tally(reports, oldest="reported_on")
        unsigned = visible(
            user,
            "bankruptcy.sign_committee_vote",
            CommitteeVote.objects.filter(signed_at=None),
        )
        signing = tally(unsigned, oldest="decision__decided_on")
        found += [
            TodoItem(
                _("管理人报告债权人委员会的第69条行为"),
                received.count,
                _case_url(_one_case(reports), "bankruptcy:committee"),
                oldest=received.oldest,
                note=_("请查阅并确认收悉（第68、69条）"),
                order=40,
            ),
            TodoItem(
                _("待签名的债权人委员会决议记录"),
                signing.count,
                _case_url(
                    _one_case(unsigned, "decision__committee__case_id"), "bankruptcy:committee"
                ),
                oldest=signing.oldest,
                note=_("司法解释（三）第14条"),
                order=45,
            ),
        ]
    return found


register_entry(
    EntryPoint(Role.CREDITOR, _("我的债权、表决与清偿款"), "bankruptcy:creditor_home", 10)
)
