"""The bankruptcy module's public door: announced cases and claim filing."""

from __future__ import annotations

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qinqing.core.frontdoor import PublicDoor, PublicLink

SHOWN = 3


def door(request) -> PublicDoor:
    from qinqing.bankruptcy.models import Case

    cases = (
        Case.objects.exclude(announcement_date=None)
        .filter(closed_date=None)
        .select_related("debtor")
        .only("pk", "number", "debtor__name", "declaration_end", "announcement_date")
        .order_by("-announcement_date", "-pk")[:SHOWN]
    )
    links = tuple(
        PublicLink(
            label=f"{case.debtor.name}",
            url=reverse("bankruptcy:public_file", args=[case.pk]),
            note=(
                gettext("申报截止 %(day)s") % {"day": date_format(case.declaration_end, "Y-m-d")}
                if case.declaration_end
                else case.number
            ),
        )
        for case in cases
    )
    return PublicDoor(
        title=_("破产和解公告与债权申报"),
        text=_("法院受理的和解案件公告；债权人可在线申报债权、查看自己的申报和债权人会议。"),
        url=reverse("bankruptcy:public_cases"),
        action=_("查看公告、申报债权"),
        order=30,
        icon="破",
        links=links,
    )
