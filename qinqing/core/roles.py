"""The roles of the design README; one account may hold several, each scoped to an organisation."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PLATFORM_ADMIN = "platform_admin", _("平台管理员")
    EDITOR = "editor", _("简报编辑")
    STAFF = "staff", _("部门联络专员")
    INSTRUCTOR = "instructor", _("党建指导员")
    DISPATCHER = "dispatcher", _("派单员")
    CENTRE_ADMIN = "centre_admin", _("交易中心管理员")
    SUPERVISOR = "supervisor", _("行政监督")
    TENDER_AGENT = "tender_agent", _("招标代理")
    TENDERER = "tenderer", _("招标人")
    BIDDER = "bidder", _("投标人")
    EXPERT = "expert", _("评标专家")
    JUDGE = "judge", _("法官/书记员")
    ADMINISTRATOR = "administrator", _("破产管理人")
    CREDITOR = "creditor", _("债权人")
    ENTERPRISE = "enterprise", _("企业用户")
    VOLUNTEER = "volunteer", _("志愿监督员")


# Roles held by public servants (government departments, centres, the court).
GOVERNMENT_ROLES = frozenset(
    {
        Role.PLATFORM_ADMIN,
        Role.EDITOR,
        Role.STAFF,
        Role.INSTRUCTOR,
        Role.DISPATCHER,
        Role.CENTRE_ADMIN,
        Role.SUPERVISOR,
        Role.JUDGE,
    }
)
