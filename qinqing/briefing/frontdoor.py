"""The briefing module's public door: the public series and their latest issues."""

from __future__ import annotations

from django.db.models import Max, Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qinqing.core.frontdoor import PublicDoor, PublicLink


def door(request) -> PublicDoor | None:
    from qinqing.briefing.models import Issue, Series

    published = Q(issues__status=Issue.Status.PUBLISHED)
    series = list(
        Series.objects.filter(is_public=True)
        .annotate(latest=Max("issues__number", filter=published))
        .exclude(latest=None)
        .order_by("name")[:5]
    )
    if not series:
        return None
    links = tuple(
        PublicLink(
            label=s.name,
            url=reverse("briefing:public_list", args=[s.code]),
            note=gettext("最新第 %(n)s 期") % {"n": s.latest},
        )
        for s in series
    )
    return PublicDoor(
        title=_("工作简报"),
        text=_("区优化营商环境工作简报，已发布各期全文公开，可在线阅读和下载。"),
        url=links[0].url,
        action=_("阅读简报"),
        order=40,
        icon="报",
        links=links,
    )
