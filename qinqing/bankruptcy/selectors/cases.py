"""Reads of cases: the lists a user may see, the public lists, and the statutory deadlines and
alerts of a case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.bankruptcy import rules
from qinqing.bankruptcy.models import AgendaItem, Agreement, Case, Creditor, Meeting
from qinqing.bankruptcy.selectors.common import ALERT_DAYS
from qinqing.core import calendar
from qinqing.core.calendar_rules import WorkCalendar
from qinqing.core.permissions import grants_of, visible
from qinqing.core.roles import Role


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
