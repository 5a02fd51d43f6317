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


def opening_records_door(request) -> PublicDoor:
    return PublicDoor(
        title=_("开标记录公开"),
        text=_(
            "不见面开标结束后，开标记录（投标人、报价、工期、解密情况、现场异议及答复）"
            "向社会公开，可下载 PDF。"
        ),
        url=reverse("bidding:opening_records"),
        action=_("查看开标记录"),
        order=61,
        icon="开",
    )


def candidates_door(request) -> PublicDoor:
    return PublicDoor(
        title=_("中标候选人公示"),
        text=_(
            "评标报告封存后，招标人公示排序的中标候选人及其报价、得分（不少于 3 日），"
            "投标人可在公示期间提出异议（招标投标法实施条例第五十四条）。"
        ),
        url=reverse("bidding:candidates"),
        action=_("查看公示"),
        order=62,
        icon="示",
    )
