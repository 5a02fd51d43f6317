"""Who may see and re-run the collusion screening (imported by qinqing/bidding/permissions.py).

The screening report is for the committee, which decides on it (暂行规定 Art.20): the host
centre's staff (who run the evaluation's site) and the supervising department see it, and the
members of the section's committee read it at their signed-in workstations (no permission: the
seat, `selectors.for_seat`). Bidders, the tenderer and its agency do not (a bidder gets 404). The
host centre's staff re-run it."""

from __future__ import annotations

from django.db.models import Q

from qinqing.core.permissions import Grants, register_policy
from qinqing.core.roles import Role as R


def _viewers(grants: Grants, qs):
    return qs.filter(
        Q(project__host_centre__in=grants.org_ids(R.CENTRE_ADMIN))
        | Q(project__supervising_department__in=grants.org_ids(R.SUPERVISOR))
    ).distinct()


register_policy(
    "bidding.view_screening",
    roles={R.CENTRE_ADMIN, R.SUPERVISOR},
    scope=_viewers,
    description="查看清标报告（串通投标迹象及证据）：主场交易中心、行政监督部门（评标委员会成员在评标工位查看）",
)
register_policy(
    "bidding.run_screening",
    roles={R.CENTRE_ADMIN},
    scope=lambda grants, qs: qs.filter(project__host_centre__in=grants.org_ids(R.CENTRE_ADMIN)),
    description="重新运行清标：主场交易中心管理员",
)
