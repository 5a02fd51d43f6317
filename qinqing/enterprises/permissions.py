"""Who may see and manage the firm register."""

from __future__ import annotations

from qinqing.core.permissions import register_policy
from qinqing.core.roles import Role

R = Role
GOVERNMENT = {R.PLATFORM_ADMIN, R.DISPATCHER, R.EDITOR, R.STAFF, R.INSTRUCTOR}


def _firm_scope(grants, qs):
    """Government staff see every firm; a firm's own users see their firm only."""
    if grants.has(*GOVERNMENT):
        return qs
    return qs.filter(organisation_id__in=grants.org_ids(R.ENTERPRISE, R.VOLUNTEER))


register_policy(
    "enterprises.view_firm",
    roles=GOVERNMENT | {R.ENTERPRISE, R.VOLUNTEER},
    scope=_firm_scope,
    description="企业名录：政府工作人员看全部，企业用户看本企业",
)
register_policy(
    "enterprises.manage_firm",
    roles={R.PLATFORM_ADMIN, R.STAFF, R.INSTRUCTOR},
    org_field=None,
    description="登记、导入企业，指派党建指导员，维护服务承诺",
)
register_policy(
    "enterprises.edit_card",
    roles={R.INSTRUCTOR},
    org_field=None,
    description="党建指导员维护本人公开名片、服务承诺和联系企业",
)
