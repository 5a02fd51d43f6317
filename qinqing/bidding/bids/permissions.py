"""Who may do what with sealed bids (imported by qinqing/bidding/permissions.py).

A bidder is an account holding the bidder role at a firm (Organisation kind firm) whose USCC is
registered for the section (a `Bidder` row of the section: the 投标报名). It sees only its own
firm's bids and receipts. The project's parties (host and guest centres, the supervising
department, the tenderer and its agency) see per section how many sealed bids arrived and when,
never their contents (电子招标投标办法 Art.26)."""

from __future__ import annotations

from django.db.models import Q

from qinqing.core.models import Organisation
from qinqing.core.permissions import Grants, register_policy
from qinqing.core.roles import Role as R


def firm_usccs(grants: Grants):
    """The USCCs of the firms where the user holds the bidder role (a subquery)."""
    return (
        Organisation.objects.filter(
            pk__in=grants.org_ids(R.BIDDER), kind=Organisation.Kind.FIRM, uscc__isnull=False
        )
        .exclude(uscc="")
        .values("uscc")
    )


def _registered_sections(grants: Grants, qs):
    return qs.filter(bidders__uscc__in=firm_usccs(grants)).distinct()


def _parties(grants: Grants, qs):
    centres = grants.org_ids(R.CENTRE_ADMIN)
    return qs.filter(
        Q(project__host_centre__in=centres)
        | Q(session__guest_centres__in=centres)
        | Q(project__supervising_department__in=grants.org_ids(R.SUPERVISOR))
        | Q(project__tenderer__in=grants.org_ids(R.TENDERER))
        | Q(project__agency__in=grants.org_ids(R.TENDER_AGENT))
    ).distinct()


register_policy(
    "bidding.submit_bid",
    roles={R.BIDDER},
    scope=_registered_sections,
    description="密封递交、撤回投标文件：已报名该标段的投标企业",
)
register_policy(
    "bidding.view_own_bid",
    roles={R.BIDDER},
    scope=lambda grants, qs: qs.filter(organisation__in=grants.org_ids(R.BIDDER)),
    description="本单位的投标文件与回执：投标企业",
)
register_policy(
    "bidding.view_bids_received",
    roles={R.CENTRE_ADMIN, R.SUPERVISOR, R.TENDERER, R.TENDER_AGENT},
    scope=_parties,
    description="标段已收到的密封投标文件数量与回执时间（不含内容）：主客场中心、监督部门、招标人、代理机构",
)
register_policy(
    "bidding.set_bid_deadline",
    roles={R.CENTRE_ADMIN, R.TENDER_AGENT},
    scope=lambda grants, qs: qs.filter(
        Q(project__host_centre__in=grants.org_ids(R.CENTRE_ADMIN))
        | Q(project__agency__in=grants.org_ids(R.TENDER_AGENT))
    ),
    description="登记标段的投标截止时间（招标文件载明）：主场交易中心管理员、招标代理机构",
)
