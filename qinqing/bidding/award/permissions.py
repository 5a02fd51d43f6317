"""Who may do what from the report to the award (imported by qinqing/bidding/permissions.py).
Every action is on a `Section`.

- The tenderer's side (招标人, its agency, or the host centre's administrators acting for it —
  who hold the report and run the platform): publishes the candidates, answers objections,
  issues the award and result notices (实施条例 Art.54; 招标投标法 Art.45).
- The project's parties (host and guest centres, the supervising department, the tenderer, the
  agency) follow the award page.
- A bidder registered for the section (its own firm's account) raises objections, lodges
  complaints and sees only its own objections, complaints and notice.
- The project's supervising department (行政监督部门, 实施条例 Art.60-62) handles complaints.
- The public page of the candidates needs no permission: `selectors.public_publications`."""

from __future__ import annotations

from django.db.models import Q

from qinqing.bidding.bids.permissions import _parties, _registered_sections
from qinqing.core.permissions import Grants, register_policy
from qinqing.core.roles import Role as R


def _tenderer_side(grants: Grants, qs):
    return qs.filter(
        Q(project__tenderer__in=grants.org_ids(R.TENDERER))
        | Q(project__agency__in=grants.org_ids(R.TENDER_AGENT))
        | Q(project__host_centre__in=grants.org_ids(R.CENTRE_ADMIN))
    ).distinct()


register_policy(
    "bidding.manage_award",
    roles={R.TENDERER, R.TENDER_AGENT, R.CENTRE_ADMIN},
    scope=_tenderer_side,
    description="公示中标候选人、答复评标结果异议、发出中标（结果）通知书：招标人、招标代理机构、主场交易中心管理员",
)
register_policy(
    "bidding.view_award",
    roles={R.CENTRE_ADMIN, R.SUPERVISOR, R.TENDERER, R.TENDER_AGENT},
    scope=_parties,
    description="定标进程（公示、异议、投诉、通知书）：主客场中心、监督部门、招标人、代理机构",
)
register_policy(
    "bidding.object_result",
    roles={R.BIDDER},
    scope=_registered_sections,
    description="对评标结果提出异议、投诉，查看本单位的通知书：已报名该标段的投标企业",
)
register_policy(
    "bidding.handle_complaint",
    roles={R.SUPERVISOR},
    org_field="project__supervising_department",
    description="受理和处理投诉、责令暂停招标投标活动：项目的行政监督部门",
)
