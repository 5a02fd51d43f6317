"""The needs module's public door: submit a need on the web, follow one by number and phone."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from qinqing.core.frontdoor import PublicDoor


def door(request) -> PublicDoor:
    return PublicDoor(
        title=_("企业诉求"),
        text=_(
            "经营中遇到的政策、审批、融资、用工、用地等问题，在线提交后由区优化营商环境办派单，"
            "承办部门按工作日时限办理答复。凭工单编号和联系电话可随时查询进度。"
        ),
        url=reverse("needs:public_web"),
        action=_("在线提交诉求"),
        order=10,
        icon="诉",
        form_template="needs/_track_door.html",
    )
