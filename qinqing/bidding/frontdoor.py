"""The bidding module's public door: the proofs of the expert draws."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from qinqing.core.frontdoor import PublicDoor


def door(request) -> PublicDoor:
    return PublicDoor(
        title=_("评标专家抽取公开"),
        text=_(
            "远程异地评标的专家抽取先承诺、后见证，抽取证明向社会公开；"
            "评标结果确定后公开完整证明，任何人都可复核抽取是否公正。"
        ),
        url=reverse("bidding:proof_list"),
        action=_("查看抽取证明"),
        order=60,
        icon="证",
    )
