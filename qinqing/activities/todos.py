"""What waits on a user in events, visits and volunteer supervision (registered from
ActivitiesConfig.ready).

- department staff and instructors: events of their department that are over but not closed
  with a summary, follow-ups still open, their own planned visits;
- a firm's user (enterprise, volunteer): upcoming events addressed to the firm;
- volunteer supervisor: the problems its reports found that are still being rectified. The
  data model sets no schedule for supervision reports (they are filed when a supervisor
  visits), so no report is ever "due".
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qinqing.activities import selectors
from qinqing.activities.models import Event, FollowUp, Visit
from qinqing.core.permissions import grants_of, visible
from qinqing.core.roles import Role
from qinqing.core.todos import EntryPoint, TodoItem, register, register_entry, tally
from qinqing.enterprises.models import Firm
from qinqing.needs.models import Rectification


def _event_url(pk: int | None) -> str:
    if pk is None:
        return reverse("activities:event_list")
    return reverse("activities:event_detail", args=[pk])


@register
def organiser(user):
    grants = grants_of(user)
    if not grants.has(Role.STAFF, Role.INSTRUCTOR):
        return []
    now = timezone.now()
    events = visible(user, "activities.manage_event", Event.objects.all())
    ended = tally(
        Event.objects.filter(
            pk__in=events.values("pk"), state=Event.State.PLANNED, ends_at__lt=now
        ),
        oldest="ends_at",
    )
    follow_qs = FollowUp.objects.filter(event__in=events.values("pk"), done_at=None)
    follow = tally(follow_qs, due="due_date")
    follow_events = list(follow_qs.order_by().values_list("event_id", flat=True).distinct()[:2])
    visits = tally(Visit.objects.filter(visitor=user, state=Visit.State.PLANNED), due="visited_on")
    return [
        TodoItem(
            _("已结束、待登记小结的活动"),
            ended.count,
            _event_url(ended.first_pk),
            oldest=ended.oldest,
            order=60,
        ),
        TodoItem(
            _("活动待办的跟进事项"),
            follow.count,
            _event_url(follow_events[0] if len(follow_events) == 1 else None),
            due=follow.due,
            order=65,
        ),
        TodoItem(
            _("计划中的走访"),
            visits.count,
            reverse("activities:visit_list"),
            due=visits.due,
            note=_("走访后登记走访情况和企业诉求"),
            order=70,
        ),
    ]


@register
def firm(user):
    grants = grants_of(user)
    if not grants.has(Role.ENTERPRISE, Role.VOLUNTEER):
        return []
    ids = grants.direct_org_ids(Role.ENTERPRISE, Role.VOLUNTEER)
    own = Firm.objects.filter(organisation_id__in=ids).order_by("pk").first()
    if own is None:
        return []
    upcoming = list(selectors.events_for_firm(own).values_list("starts_at", flat=True)[:100])
    note = ""
    if upcoming:
        note = gettext("最近一场 %(when)s") % {
            "when": date_format(timezone.localtime(min(upcoming)), "n月j日 H:i")
        }
    return [
        TodoItem(
            _("面向本企业的近期活动"),
            len(upcoming),
            reverse("activities:events_for_me"),
            note=note,
            order=40,
        )
    ]


@register
def volunteer(user):
    if not grants_of(user).has(Role.VOLUNTEER):
        return []
    rectifying = tally(
        Rectification.objects.filter(
            finding__report__appointment__user=user, state=Rectification.State.OPEN
        ),
        oldest="opened_at",
        due="due_date",
    )
    return [
        TodoItem(
            _("我反映的问题整改中"),
            rectifying.count,
            reverse("activities:supervisor_list"),
            oldest=rectifying.oldest,
            due=rectifying.due,
            note=_("整改期限由聘任部门跟踪"),
            order=50,
        )
    ]


register_entry(EntryPoint(Role.ENTERPRISE, _("面向本企业的活动"), "activities:events_for_me", 20))
register_entry(EntryPoint(Role.VOLUNTEER, _("提交监督体验报告"), "activities:supervisor_list", 15))
