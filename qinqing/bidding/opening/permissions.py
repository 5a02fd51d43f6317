"""Who may do what at the remote opening (imported by qinqing/bidding/permissions.py).

The host (主持开标): the tenderer's agency, or the host centre's administrators — those who
record the section's bid deadline (bids/permissions.py `bidding.set_bid_deadline`). They start
the opening, answer objections on the spot and close it. The project's parties watch the hall.
A bidder attends the hall of a section its firm is registered for: it decrypts its own bid,
sees the read-out once it starts, and raises objections. The opening record is public once the
opening is over (no permission: `selectors.public_record`)."""

from __future__ import annotations

from django.db.models import Q

from qinqing.bidding.bids.permissions import _parties, firm_usccs
from qinqing.core.permissions import Grants, register_policy
from qinqing.core.roles import Role as R


def _hosts(grants: Grants, qs):
    return qs.filter(
        Q(project__host_centre__in=grants.org_ids(R.CENTRE_ADMIN))
        | Q(project__agency__in=grants.org_ids(R.TENDER_AGENT))
    )


register_policy(
    "bidding.host_opening",
    roles={R.CENTRE_ADMIN, R.TENDER_AGENT},
    scope=_hosts,
    description="主持开标（启动开标、当场答复异议、结束开标）：招标代理机构、主场交易中心管理员",
)
register_policy(
    "bidding.view_opening",
    roles={R.CENTRE_ADMIN, R.SUPERVISOR, R.TENDERER, R.TENDER_AGENT},
    scope=_parties,
    description="观看开标大厅（解密进度、唱标、异议）：主客场中心、监督部门、招标人、代理机构",
)
register_policy(
    "bidding.attend_opening",
    roles={R.BIDDER},
    scope=lambda grants, qs: qs.filter(bidders__uscc__in=firm_usccs(grants)).distinct(),
    description="参加开标（解密本单位投标文件、听取唱标、当场提出异议）：已报名该标段的投标企业",
)
