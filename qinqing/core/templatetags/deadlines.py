"""`{{ due|deadline }}`: a deadline computed in working days, marked when it is an estimate."""

from datetime import date

from django import template
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from qinqing.core import calendar

register = template.Library()


@register.filter
def deadline(day: date | None, estimated: bool | None = None) -> str:
    """Y-m-d, followed by "按周一至周五估算" when the year it falls in has no known notice.
    `estimated` overrides the check where the caller already knows (a computed Deadline)."""
    if not day:
        return "—"
    text = date_format(day, "Y-m-d")
    if estimated is None:
        estimated = calendar.is_estimated(day)
    if not estimated:
        return text
    return format_html(
        '{} <a class="tag estimate" href="{}" title="{}">{}</a>',
        text,
        reverse("calendar_year", args=[day.year]),
        _("该年度的国务院节假日安排尚未录入平台，期限暂按周一至周五计算，录入后将自动重算"),
        _("按周一至周五估算"),
    )
