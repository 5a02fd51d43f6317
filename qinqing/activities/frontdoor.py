"""The activities module's public door: the next events open to registration."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from qinqing.core.frontdoor import PublicDoor, PublicLink

SHOWN = 4


def door(request) -> PublicDoor:
    from qinqing.activities.selectors import upcoming_public_events

    events = list(upcoming_public_events()[:SHOWN])
    links = tuple(
        PublicLink(
            label=e.title,
            url=reverse("activities:register", args=[e.reg_key]),
            note=f"{date_format(timezone.localtime(e.starts_at), 'n月j日 H:i')} · {e.place}",
        )
        for e in events
    )
    return PublicDoor(
        title=_("近期惠企活动"),
        text=(
            _("政策宣讲、专项培训、政银企对接等活动，在线报名后凭二维码签到。")
            if events
            else _("政策宣讲、专项培训、政银企对接等活动将在这里发布报名。近期暂无可报名的活动。")
        ),
        url=reverse("activities:upcoming"),
        action=_("全部近期活动"),
        order=50,
        icon="活",
        links=links,
    )
