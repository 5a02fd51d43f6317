"""Who may do what with needs (registered from NeedsConfig.ready)."""

from __future__ import annotations

from django.db.models import Q

from qinqing.core.permissions import register_policy
from qinqing.core.roles import Role

R = Role
OVERSEERS = {R.PLATFORM_ADMIN, R.DISPATCHER, R.EDITOR}
GOVERNMENT = {R.PLATFORM_ADMIN, R.DISPATCHER, R.EDITOR, R.STAFF, R.INSTRUCTOR}


def _need_scope(grants, qs):
    """Dispatchers, editors and admins: every order; a department's staff: its orders (lead or
    assisting); an instructor: orders of the firms assigned to them or entered by them; a firm's
    user: its own orders."""
    if grants.has(*OVERSEERS):
        return qs
    cond = Q(pk__in=[])
    if grants.has(R.STAFF):
        depts = grants.org_ids(R.STAFF)
        cond |= Q(department_id__in=depts) | Q(category__assisting__in=depts)
    if grants.has(R.INSTRUCTOR):
        cond |= Q(firm__assignments__instructor=grants.user) | Q(entered_by=grants.user)
    if grants.has(R.ENTERPRISE, R.VOLUNTEER):
        cond |= Q(firm_org_id__in=grants.org_ids(R.ENTERPRISE, R.VOLUNTEER))
    return qs.filter(cond).distinct()


def _department_scope(grants, qs):
    if grants.has(R.PLATFORM_ADMIN):
        return qs
    return qs.filter(department_id__in=grants.org_ids(R.STAFF))


def _rectification_scope(grants, qs):
    if grants.has(*OVERSEERS):
        return qs
    return qs.filter(department_id__in=grants.org_ids(R.STAFF))


register_policy(
    "needs.view_need",
    roles=GOVERNMENT | {R.ENTERPRISE, R.VOLUNTEER},
    scope=_need_scope,
    description="诉求工单：派单员/编辑看全部；部门看本部门承办或协办的；企业看自己的",
)
register_policy(
    "needs.enter_need",
    roles={R.PLATFORM_ADMIN, R.DISPATCHER, R.STAFF, R.INSTRUCTOR},
    org_field=None,
    description="代录诉求（走访、热线）",
)
register_policy(
    "needs.dispatch",
    roles={R.PLATFORM_ADMIN, R.DISPATCHER},
    org_field=None,
    description="派单、审批延期、回访、办结、重办",
)
register_policy(
    "needs.handle",
    roles={R.PLATFORM_ADMIN, R.STAFF},
    scope=_department_scope,
    description="签收、退单、申请延期、答复：承办部门",
)
register_policy(
    "needs.manage_qr",
    roles={R.PLATFORM_ADMIN, R.DISPATCHER, R.STAFF, R.INSTRUCTOR},
    org_field=None,
    description="问需二维码",
)
register_policy(
    "needs.view_dashboard",
    roles=GOVERNMENT,
    org_field=None,
    description="诉求与活动看板、导出",
)
register_policy(
    "needs.refresh_common",
    roles=GOVERNMENT,
    org_field=None,
    description="共性需求：要求立即重新计算",
)
register_policy(
    "needs.view_rectification",
    roles={R.PLATFORM_ADMIN, R.DISPATCHER, R.EDITOR, R.STAFF},
    scope=_rectification_scope,
    description="整改单：部门看本部门的",
)
register_policy(
    "needs.decide_appeal",
    roles={R.PLATFORM_ADMIN, R.DISPATCHER},
    org_field=None,
    description="差评申诉审核",
)
register_policy(
    "needs.submit_own",
    roles={R.ENTERPRISE, R.VOLUNTEER},
    org_field=None,
    description="企业用户登录后以本企业名义提交诉求",
)
