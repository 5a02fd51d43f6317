"""Time-based work (run by the ``bankruptcy_tick`` management command) and deadlines moved by a
holiday notice."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from qinqing.bankruptcy import selectors
from qinqing.bankruptcy.models import Agreement, Case, Installment, Meeting
from qinqing.bankruptcy.services.common import _audit, _notify_creditor, _today
from qinqing.bankruptcy.services.meetings import meeting_results_send
from qinqing.core import calendar
from qinqing.core.models import Notification, RoleGrant
from qinqing.core.notifier import notification_send
from qinqing.core.roles import Role


def reminders_send(*, actor=None, today: date | None = None, days_ahead: int = 3) -> dict[str, int]:
    """Remind creditors and the administrator of instalments due soon or overdue (once per
    instalment per day), and send meeting results that fall due (3 days, Interp. III Art.11)."""

    today = today or _today()
    counts = {"due_soon": 0, "overdue": 0, "results": 0}
    installments = (
        Installment.objects.filter(term__agreement__status=Agreement.Status.APPROVED)
        .exclude(reminded_on=today)
        .select_related("term__creditor", "term__agreement__case")
    )
    for installment in installments:
        term = installment.term
        position = selectors.term_position(term, today)
        if position["paid"] >= position["due_cumulative_by"](installment.due_date):
            continue
        days = (installment.due_date - today).days
        if days < 0:
            kind, subject = "overdue", f"{term.agreement.case.number} 和解协议清偿逾期"
        elif days <= days_ahead:
            kind, subject = "due_soon", f"{term.agreement.case.number} 和解协议清偿即将到期"
        else:
            continue
        body = f"{term.creditor.name}：应于 {installment.due_date} 支付 {installment.amount} 元。"
        with transaction.atomic():
            _notify_creditor(actor, term.creditor, subject, body)
            case = term.agreement.case
            if case.administrator_id:
                for grant in RoleGrant.objects.filter(
                    organisation_id=case.administrator_id, role=Role.ADMINISTRATOR
                ).select_related("user"):
                    notification_send(
                        actor=actor,
                        channel="in_app",
                        subject=subject,
                        body=body,
                        recipient=grant.user,
                    )
            installment.reminded_on = today
            installment.save(update_fields=["reminded_on"])
            _audit(actor, f"agreement.reminder_{kind}", installment, case, due=installment.due_date)
        counts[kind] += 1
    for meeting in Meeting.objects.filter(status=Meeting.Status.CLOSED, results_sent_on=None):
        meeting_results_send(actor=actor, meeting=meeting, on=today)
        counts["results"] += 1
    counts["deadlines"] = deadline_alerts_send(actor=actor, today=today)
    return counts


def deadline_alerts_send(*, actor=None, today: date | None = None) -> int:
    """Tell the judge and the administrator of statutory deadlines due soon or missed, once a
    day per case and deadline (the case list shows the same alerts)."""

    today = today or _today()
    sent = 0
    for case in Case.objects.filter(closed_date=None).select_related("judge", "clerk"):
        alerts = selectors.case_alerts(case, today)
        if not alerts:
            continue
        recipients = _case_officers(case)
        for deadline in alerts:
            state = "已逾期" if deadline.state == "bad" else "即将到期"
            subject = f"{case.number} 期限{state}：{deadline.label}"
            estimate = f"（{calendar.ESTIMATE_LABEL}）" if deadline.estimated else ""
            for user in recipients:
                if Notification.objects.filter(
                    recipient=user, subject=subject, created_at__date=timezone.localdate()
                ).exists():
                    continue
                notification_send(
                    actor=actor,
                    channel="in_app",
                    recipient=user,
                    subject=subject,
                    body=f"{deadline.label}（{deadline.article}）期限：{deadline.due}{estimate}。",
                )
                sent += 1
    return sent


def _case_officers(case: Case) -> list:
    """Who answers for a case's statutory deadlines: its judge, its clerk, the administrator's
    people."""
    people = {case.judge_id: case.judge}
    if case.clerk_id:
        people[case.clerk_id] = case.clerk
    if case.administrator_id:
        for grant in RoleGrant.objects.filter(
            organisation_id=case.administrator_id, role=Role.ADMINISTRATOR
        ).select_related("user"):
            people[grant.user_id] = grant.user
    return list(people.values())


def case_deadlines_recompute(change: calendar.CalendarChange) -> int:
    """A holiday notice entered later moves the statutory deadlines of open cases whose last day
    it shifts (they are computed, never stored): each move not yet met is audited and the
    judge, the clerk and the administrator are told."""
    moved = 0
    for case in (
        Case.objects.filter(closed_date=None)
        .select_related("judge", "clerk", "fast_track_profile")
        .prefetch_related("meetings")
    ):
        before = {d.label: d for d in selectors.case_deadlines(case, cal=change.old)}
        for after in selectors.case_deadlines(case, cal=change.new):
            old = before.get(after.label)
            if old is None or old.due == after.due or after.done_on is not None:
                continue
            body = (
                f"依据{change.notice}，{after.label}（{after.article}）期限由 {old.due} "
                f"调整为 {after.due}。"
            )
            _audit(
                change.actor,
                "case.deadline_recompute",
                case,
                case,
                label=str(after.label),
                article=str(after.article),
                **{"from": old.due, "to": after.due},
            )
            for user in _case_officers(case):
                notification_send(
                    actor=change.actor,
                    channel="in_app",
                    recipient=user,
                    subject=f"{case.number} 期限调整：{after.label}",
                    body=body,
                )
            moved += 1
    return moved
