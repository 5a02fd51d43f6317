"""Figures of events, visits and volunteer supervisors: each a query over recorded facts."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from qinqing.activities.models import (
    Appointment,
    Event,
    MaterialHandout,
    Question,
    Registration,
    Visit,
)
from qinqing.core import figures
from qinqing.needs.figures import org_ids, period


def _events(start, end, organisation, **filters):
    lo, hi = period(start, end)
    qs = Event.objects.filter(
        state=Event.State.DONE, starts_at__gte=lo, starts_at__lt=hi, **filters
    )
    ids = org_ids(organisation)
    return qs if ids is None else qs.filter(host_departments__in=ids).distinct()


@figures.register(
    name="firms_visited",
    label=_("走访企业"),
    unit=_("家"),
    definition=_("统计区间内有已完成走访记录的不同企业数（同一企业多次走访计一家）。"),
)
def firms_visited(start: date, end: date, organisation=None) -> int:
    qs = Visit.objects.filter(state=Visit.State.DONE, visited_on__range=(start, end))
    ids = org_ids(organisation)
    if ids is not None:
        qs = qs.filter(department_id__in=ids)
    return qs.values("firm_id").distinct().count()


@figures.register(
    name="joint_study_events",
    label=_("联学共建活动"),
    unit=_("次"),
    definition=_("开始时间在统计区间内、已举办的“联学共建”类活动数。"),
)
def joint_study_events(start: date, end: date, organisation=None) -> int:
    return _events(start, end, organisation, kind=Event.Kind.JOINT_STUDY).count()


@figures.register(
    name="warning_education_attendees",
    label=_("参加警示教育人员"),
    unit=_("人次"),
    definition=_("统计区间内已举办的“警示教育”类活动中已签到（扫码或补签）的报名人次。"),
)
def warning_education_attendees(start: date, end: date, organisation=None) -> int:
    events = _events(start, end, organisation, kind=Event.Kind.WARNING_EDUCATION)
    return Registration.objects.filter(
        event__in=events.values("pk"), checked_in_at__isnull=False
    ).count()


@figures.register(
    name="training_sessions",
    label=_("专项培训"),
    unit=_("场"),
    definition=_("开始时间在统计区间内、已举办的“专项培训”类活动场次。"),
)
def training_sessions(start: date, end: date, organisation=None) -> int:
    return _events(start, end, organisation, kind=Event.Kind.TRAINING).count()


@figures.register(
    name="materials_handed_out",
    label=_("发放宣传资料"),
    unit=_("份"),
    definition=_("统计区间内已举办活动登记的资料发放份数之和（宣传手册、宣传单、课件等）。"),
)
def materials_handed_out(start: date, end: date, organisation=None) -> int:
    events = _events(start, end, organisation)
    total = MaterialHandout.objects.filter(event__in=events.values("pk")).aggregate(n=Sum("count"))[
        "n"
    ]
    return int(total or 0)


@figures.register(
    name="questions_answered",
    label=_("解答个性问题"),
    unit=_("个"),
    definition=_("统计区间内已举办活动现场答疑记录中已给出解答的问题数。"),
)
def questions_answered(start: date, end: date, organisation=None) -> int:
    events = _events(start, end, organisation)
    return Question.objects.filter(event__in=events.values("pk")).exclude(answer="").count()


@figures.register(
    name="supervisors_engaged",
    label=_("参与活动的志愿监督员"),
    unit=_("名"),
    definition=_(
        "统计区间内提交过监督体验报告或参加过已举办活动的税务体验师、近邻监督员、"
        "税收志愿者人数（按聘任记录去重）。"
    ),
)
def supervisors_engaged(start: date, end: date, organisation=None) -> int:
    events = _events(start, end, organisation)
    qs = Appointment.objects.filter(
        Q(reports__visited_on__range=(start, end)) | Q(events__in=events.values("pk"))
    )
    ids = org_ids(organisation)
    if ids is not None:
        qs = qs.filter(department_id__in=ids)
    return qs.values("pk").distinct().count()


@figures.register(
    name="events_held",
    label=_("举办惠企活动"),
    unit=_("场"),
    definition=_(
        "开始时间在统计区间内、已举办的各类活动场次（走访、联学共建、培训、组团服务等）。"
    ),
)
def events_held(start: date, end: date, organisation=None) -> int:
    return _events(start, end, organisation).count()


@figures.register(
    name="participants_checked_in",
    label=_("活动签到人次"),
    unit=_("人次"),
    definition=_("统计区间内已举办的各类活动中已签到（扫码或补签）的报名人次。"),
)
def participants_checked_in(start: date, end: date, organisation=None) -> int:
    events = _events(start, end, organisation)
    return Registration.objects.filter(
        event__in=events.values("pk"), checked_in_at__isnull=False
    ).count()
