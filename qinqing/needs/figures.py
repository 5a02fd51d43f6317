"""Figures of needs and ratings, each a query over recorded facts (registered in ready())."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qinqing.core import figures
from qinqing.core.models import Organisation
from qinqing.needs import rules
from qinqing.needs.models import Need, Rating


def period(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in Asia/Shanghai, as aware datetimes (index-friendly)."""
    tz = timezone.get_default_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), tz),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz),
    )


def org_ids(organisation: Organisation | None) -> set[int] | None:
    """The organisation and its descendants, or None for the whole district."""
    if organisation is None:
        return None
    found, frontier = {organisation.pk}, {organisation.pk}
    while frontier:
        frontier = (
            set(Organisation.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            - found
        )
        found |= frontier
    return found


def _needs(organisation):
    qs = Need.objects.all()
    ids = org_ids(organisation)
    return qs if ids is None else qs.filter(department_id__in=ids)


@figures.register(
    name="needs_received",
    label=_("收到企业诉求"),
    unit=_("件"),
    definition=_(
        "受理时间在统计区间内的诉求工单数（各渠道：问需二维码、走访、热线、活动答疑等）。"
    ),
)
def needs_received(start: date, end: date, organisation=None) -> int:
    lo, hi = period(start, end)
    return _needs(organisation).filter(received_at__gte=lo, received_at__lt=hi).count()


@figures.register(
    name="needs_closed",
    label=_("办结企业诉求"),
    unit=_("件"),
    definition=_("办结时间在统计区间内、当前状态为已办结的诉求工单数。"),
)
def needs_closed(start: date, end: date, organisation=None) -> int:
    lo, hi = period(start, end)
    return (
        _needs(organisation)
        .filter(state=Need.State.CLOSED, closed_at__gte=lo, closed_at__lt=hi)
        .count()
    )


@figures.register(
    name="on_time_rate",
    label=_("按时办结率"),
    unit=_("%"),
    definition=_(
        "统计区间内办结的工单中，答复日期不晚于办理时限（含批准的延期）的比例，保留一位小数；"
        "无办结工单时为空。"
    ),
)
def on_time_rate(start: date, end: date, organisation=None) -> Decimal | None:
    lo, hi = period(start, end)
    counts = (
        _needs(organisation)
        .filter(state=Need.State.CLOSED, closed_at__gte=lo, closed_at__lt=hi)
        .aggregate(closed=Count("closed_at"), on_time=Count("on_time", filter=Q(on_time=True)))
    )
    return rules.percent(counts["on_time"], counts["closed"])


@figures.register(
    name="satisfaction_rate",
    label=_("满意率"),
    unit=_("%"),
    definition=_(
        "统计区间内的好差评（诉求办结与活动评价）中“非常满意”与“满意”所占比例，保留一位小数；"
        "申诉成立的评价不计入；无评价时为空。"
    ),
)
def satisfaction_rate(start: date, end: date, organisation=None) -> Decimal | None:
    lo, hi = period(start, end)
    qs = Rating.objects.filter(rated_at__gte=lo, rated_at__lt=hi).exclude(
        appeal_state=Rating.Appeal.UPHELD
    )
    ids = org_ids(organisation)
    if ids is not None:
        qs = qs.filter(department_id__in=ids)
    counts = qs.aggregate(rated=Count("pk"), good=Count("pk", filter=Q(level__gte=4)))
    return rules.percent(counts["good"], counts["rated"])


@figures.register(
    name="bad_ratings",
    label=_("差评"),
    unit=_("条"),
    definition=_("统计区间内“不满意”“非常不满意”的评价条数（申诉成立的不计）。"),
)
def bad_ratings(start: date, end: date, organisation=None) -> int:
    lo, hi = period(start, end)
    qs = Rating.objects.filter(rated_at__gte=lo, rated_at__lt=hi, level__lte=2).exclude(
        Q(appeal_state=Rating.Appeal.UPHELD)
    )
    ids = org_ids(organisation)
    return (qs if ids is None else qs.filter(department_id__in=ids)).count()
