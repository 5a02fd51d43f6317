"""Who sees and does what in bankruptcy cases (registered once, used by views and the API).

- judge / clerk (role ``judge``): the cases of their court;
- administrator: the cases it is appointed to;
- creditor: the cases where it is a creditor (the public part: case facts, meetings, results),
  and only its own claims, ballots and payments.
Another organisation's case is a 404 (``get_visible_or_404``).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from qinqing.core.permissions import Grants, register_policy
from qinqing.core.roles import Role

STAFF_ROLES = {Role.JUDGE, Role.ADMINISTRATOR}
ALL_ROLES = {Role.JUDGE, Role.ADMINISTRATOR, Role.CREDITOR}


def _case_q(grants: Grants, prefix: str = "", *, creditors: bool = True) -> Q:
    q = Q(**{f"{prefix}court_id__in": grants.org_ids(Role.JUDGE)}) | Q(
        **{f"{prefix}administrator_id__in": grants.org_ids(Role.ADMINISTRATOR)}
    )
    if creditors and grants.has(Role.CREDITOR):
        q |= (
            Q(**{f"{prefix}creditors__organisation_id__in": grants.org_ids(Role.CREDITOR)})
            | Q(**{f"{prefix}creditors__user": grants.user})
            | Q(**{f"{prefix}creditors__proxies__user": grants.user})
        )
    return q


def _own_creditor_q(grants: Grants, prefix: str) -> Q:
    if not grants.has(Role.CREDITOR):
        return Q(pk__in=[])
    return Q(**{f"{prefix}organisation_id__in": grants.org_ids(Role.CREDITOR)}) | Q(
        **{f"{prefix}user": grants.user}
    )


def _by_pk(qs: QuerySet, q: Q) -> QuerySet:
    """Filter through a subquery so joins over creditors never duplicate rows."""
    return qs.filter(pk__in=qs.model._default_manager.filter(q).values("pk"))


def _case_scope(grants: Grants, qs: QuerySet) -> QuerySet:
    return _by_pk(qs, _case_q(grants))


def _staff_case_scope(prefix: str):
    return lambda grants, qs: _by_pk(qs, _case_q(grants, prefix, creditors=False))


def _judge_scope(prefix: str):
    return lambda grants, qs: qs.filter(**{f"{prefix}court_id__in": grants.org_ids(Role.JUDGE)})


def _admin_scope(prefix: str):
    return lambda grants, qs: qs.filter(
        **{f"{prefix}administrator_id__in": grants.org_ids(Role.ADMINISTRATOR)}
    )


def _own_or_staff(case_prefix: str, creditor_prefix: str):
    def scope(grants: Grants, qs: QuerySet) -> QuerySet:
        q = _case_q(grants, case_prefix, creditors=False) | _own_creditor_q(grants, creditor_prefix)
        return _by_pk(qs, q)

    return scope


register_policy(
    "bankruptcy.view_case",
    roles=ALL_ROLES,
    scope=_case_scope,
    description="破产案件：法官看本院案件，管理人看被指定的案件，债权人看自己申报的案件（公开部分）",
)
register_policy(
    "bankruptcy.manage_case",
    roles={Role.JUDGE},
    scope=_judge_scope(""),
    description="立案、公告、裁定、快审决定、确认债权：本院法官/书记员",
)
register_policy(
    "bankruptcy.administer_case",
    roles={Role.ADMINISTRATOR},
    scope=_admin_scope(""),
    description="审查债权、导入、召集会议、登记清偿：被指定的管理人",
)
register_policy(
    "bankruptcy.assess_case",
    roles=STAFF_ROLES,
    scope=_staff_case_scope(""),
    description="涉企经济影响评估：本院法官与被指定的管理人",
)
register_policy(
    "bankruptcy.file_claim",
    roles={Role.CREDITOR},
    scope=lambda grants, qs: qs.exclude(announcement_date=None).filter(closed_date=None),
    description="申报债权：已公告、尚未结案的案件均可申报（逾期申报按第56条标注）",
)
register_policy(
    "bankruptcy.view_claim",
    roles=ALL_ROLES,
    scope=_own_or_staff("case__", "creditor__"),
    description="债权：债权人只看自己的，法官和管理人看本案全部",
)
register_policy(
    "bankruptcy.view_meeting",
    roles=ALL_ROLES,
    scope=lambda grants, qs: _by_pk(qs, _case_q(grants, "case__")),
    description="债权人会议及表决结果：本案各方（表决结果依法告知参与表决的债权人）",
)
register_policy(
    "bankruptcy.vote",
    roles={Role.CREDITOR},
    scope=lambda grants, qs: _by_pk(qs, _own_creditor_q(grants, "") | Q(proxies__user=grants.user)),
    description="签到和表决：只能以自己的债权人身份，或作为登记的委托代理人",
)
register_policy(
    "bankruptcy.view_agreement",
    roles=ALL_ROLES,
    scope=lambda grants, qs: _by_pk(qs, _case_q(grants, "case__")),
    description="和解协议：本案各方（债权人只看到自己的条款和清偿款）",
)
register_policy(
    "bankruptcy.view_term",
    roles=ALL_ROLES,
    scope=_own_or_staff("agreement__case__", "creditor__"),
    description="协议条款、还款计划与清偿款：债权人只看自己的",
)
register_policy(
    "bankruptcy.view_payment",
    roles=ALL_ROLES,
    scope=_own_or_staff("term__agreement__case__", "term__creditor__"),
    description="清偿款：债权人只看自己的，法官和管理人看本案全部",
)
register_policy(
    "bankruptcy.view_dashboard",
    roles={Role.JUDGE, Role.EDITOR, Role.PLATFORM_ADMIN},
    org_field=None,
    description="破产和解统计看板：法院与简报编辑（汇总数字）",
)
register_policy(
    "bankruptcy.creditor_home",
    roles={Role.CREDITOR},
    org_field=None,
    description="债权人本人页面：自己的债权、表决和清偿款",
)


def _member_q(grants: Grants, prefix: str) -> Q:
    """Cases (through ``prefix``) where one of the user's creditors holds a committee seat
    (a member removed or replaced no longer does)."""
    return Q(**{f"{prefix}committee__members__removed_on__isnull": True}) & _own_creditor_q(
        grants, f"{prefix}committee__members__creditor__"
    )


register_policy(
    "bankruptcy.view_committee",
    roles=ALL_ROLES,
    scope=lambda grants, qs: _by_pk(qs, _case_q(grants, creditors=False) | _member_q(grants, "")),
    description="债权人委员会（第67–69条）：本院法官、被指定的管理人、委员会中的债权人代表",
)
register_policy(
    "bankruptcy.committee_member",
    roles={Role.CREDITOR},
    scope=lambda grants, qs: _by_pk(qs, _member_q(grants, "")),
    description="委员会成员：查收第69条报告、在决议记录上签名（以其所代表的债权人身份）",
)
register_policy(
    "bankruptcy.sign_committee_vote",
    roles={Role.CREDITOR},
    scope=lambda grants, qs: _by_pk(
        qs, Q(member__removed_on__isnull=True) & _own_creditor_q(grants, "member__creditor__")
    ),
    description="在本人参加表决的委员会决议记录上签名",
)
