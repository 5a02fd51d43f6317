"""Who may do what in the bidding module (registered with the core policy)."""

from django.db.models import Q

from qinqing.bidding.projects.models import EvaluationSession
from qinqing.core.permissions import Grants, can, register_policy
from qinqing.core.roles import Role

R = Role


def _session_q(grants: Grants, prefix: str = "") -> Q:
    """Sessions a user takes part in: centre admins of the host or a guest centre, the
    supervising department's supervisors, the tenderer and its agency."""
    centres = grants.org_ids(R.CENTRE_ADMIN)
    project = f"{prefix}section__project__"
    return (
        Q(**{f"{prefix}host_centre__in": centres})
        | Q(**{f"{prefix}guest_centres__in": centres})
        | Q(**{f"{project}supervising_department__in": grants.org_ids(R.SUPERVISOR)})
        | Q(**{f"{project}tenderer__in": grants.org_ids(R.TENDERER)})
        | Q(**{f"{project}agency__in": grants.org_ids(R.TENDER_AGENT)})
    )


SESSION_ROLES = {R.CENTRE_ADMIN, R.SUPERVISOR, R.TENDERER, R.TENDER_AGENT}

register_policy(
    "bidding.manage_experts",
    roles={R.CENTRE_ADMIN},
    org_field="database",
    description="专家库：交易中心管理员管理本中心专家库",
)
register_policy(
    "bidding.register_project",
    roles={R.CENTRE_ADMIN},
    org_field="host_centre",
    description="项目登记：主场交易中心管理员",
)
register_policy(
    "bidding.view_session",
    roles=SESSION_ROLES,
    scope=lambda grants, qs: qs.filter(_session_q(grants)).distinct(),
    description="评标场次：主客场中心管理员、监督部门、招标人和代理机构",
)
register_policy(
    "bidding.manage_session",
    roles={R.CENTRE_ADMIN},
    org_field="host_centre",
    description="安排场次、设置抽取需求、结束场次：主场中心管理员",
)
register_policy(
    "bidding.set_quota",
    roles={R.CENTRE_ADMIN},
    org_field="pk",  # on the centre itself
    description="设置抽取需求：各中心管理员只为本中心设置（主场、客场各自从本中心专家库抽取）",
)
register_policy(
    "bidding.view_draw",
    roles=SESSION_ROLES,
    scope=lambda grants, qs: qs.filter(_session_q(grants, "quota__session__")).distinct(),
    description="抽取过程（不含专家姓名）：场次参与方",
)
register_policy(
    "bidding.commit_draw",
    roles={R.CENTRE_ADMIN},
    org_field="centre",
    description="冻结候选池并承诺：本中心管理员（各中心从本中心专家库抽取）",
)
register_policy(
    "bidding.witness_draw",
    roles={R.SUPERVISOR},
    org_field="quota__session__section__project__supervising_department",
    description="见证抽取、人工排除：项目的行政监督部门",
)
register_policy(
    "bidding.exclude_expert",
    roles={R.SUPERVISOR},
    org_field="session__section__project__supervising_department",
    description="人工排除专家（书面理由）：项目的行政监督部门",
)
register_policy(
    "bidding.reveal_names",
    roles={R.CENTRE_ADMIN},
    org_field="quota__centre",
    description="查看抽中专家姓名（每次查看均记入审计）：抽取中心管理员",
)
register_policy(
    "bidding.record_answer",
    roles={R.CENTRE_ADMIN},
    org_field="draw__quota__centre",
    description="记录专家电话答复：抽取中心管理员",
)
register_policy(
    "bidding.manage_rooms",
    roles={R.CENTRE_ADMIN},
    org_field="centre",
    description="评标室与工位：交易中心管理员管理本中心的评标室和工位",
)
register_policy(
    "bidding.view_room_catalogue",
    roles={R.CENTRE_ADMIN, R.SUPERVISOR},
    org_field=None,
    description="评标室与工位目录（各中心，只读）：交易中心管理员和行政监督",
)
register_policy(
    "bidding.seat_experts",
    roles={R.CENTRE_ADMIN},
    org_field="centre",
    description="分配工位、人工核验签到：本中心管理员",
)
register_policy(
    "bidding.verify_signin",
    roles={R.CENTRE_ADMIN},
    org_field="seating__centre",
    description="人工核验专家身份并签到（记录原因）：专家所在中心管理员",
)
register_policy(
    "bidding.appoint_chair",
    roles={R.TENDERER},
    org_field="section__project__tenderer",
    description="确定评标委员会负责人（代替推举）：项目招标人",
)


def _report_q(grants: Grants, *roles: str) -> Q:
    """Sessions whose report the user reaches through one of `roles` (no agency)."""
    q = Q(pk__in=[])
    if R.CENTRE_ADMIN in roles:
        centres = grants.org_ids(R.CENTRE_ADMIN)
        q |= Q(host_centre__in=centres) | Q(guest_centres__in=centres)
    if R.SUPERVISOR in roles:
        q |= Q(section__project__supervising_department__in=grants.org_ids(R.SUPERVISOR))
    if R.TENDERER in roles:
        q |= Q(section__project__tenderer__in=grants.org_ids(R.TENDERER))
    return q


def _report_policy(action: str, roles: set[str], description: str) -> None:
    register_policy(
        action,
        roles=roles,
        scope=lambda grants, qs: qs.filter(_report_q(grants, *roles)).distinct(),
        description=description,
    )


_report_policy(
    "bidding.view_report",
    {R.CENTRE_ADMIN, R.SUPERVISOR, R.TENDERER},
    "封存的评标报告 PDF：主客场中心管理员、行政监督部门、招标人",
)
_report_policy(
    "bidding.preview_report",
    {R.CENTRE_ADMIN, R.SUPERVISOR},
    "评标报告草稿（封存前，带“草稿”水印）：主客场中心管理员、行政监督部门",
)
_report_policy(
    "bidding.rate_experts",
    {R.SUPERVISOR, R.TENDERER},
    "评价专家履职（报告封存后）：行政监督部门、招标人",
)
_report_policy(
    "bidding.view_fees",
    {R.CENTRE_ADMIN},
    "专家评审费清单：主客场中心管理员",
)
register_policy(
    "bidding.set_fee_standard",
    roles={R.CENTRE_ADMIN},
    org_field="pk",  # the object is the trading centre itself
    description="专家评审费标准：交易中心管理员设置本中心标准",
)


# --- clarifications, live supervision, incidents (supervision.py, clarifications.py) -------


def _live_q(grants: Grants) -> Q:
    centres = grants.org_ids(R.CENTRE_ADMIN)
    return (
        Q(host_centre__in=centres)
        | Q(guest_centres__in=centres)
        | Q(section__project__supervising_department__in=grants.org_ids(R.SUPERVISOR))
    )


def _bidder_scope(grants: Grants, qs):
    """Clarifications addressed to a bidder whose USCC is that of an organisation where the
    user holds the bidder role (the bidder's own requests only)."""
    from qinqing.core.models import Organisation

    usccs = (
        Organisation.objects.filter(pk__in=grants.org_ids(R.BIDDER), uscc__isnull=False)
        .exclude(uscc="")
        .values("uscc")
    )
    return qs.filter(bidder__uscc__in=usccs)


register_policy(
    "bidding.identify_committee",
    roles={R.CENTRE_ADMIN, R.SUPERVISOR},
    scope=lambda grants, qs: qs.filter(_live_q(grants)).distinct(),
    description="结果确定前识别评标委员会成员（专家编号、姓名）及查看按专家列出的回避与排除报告："
    "主客场中心管理员、行政监督部门",
)


def result_is_final(session) -> bool:
    """The result of `session` is final: the session is closed and its secrecy lifted. An
    evaluated session gets there only in the transaction that seals its report — every member
    has taken a position (实施条例 Art.53) and the award release with the candidates is public
    (OCDS) from then on; a session that never started, when the host centre closes it."""
    return (
        session.secrecy_lifted_at is not None and session.status == EvaluationSession.Status.CLOSED
    )


def committee_identifiable(user, session) -> bool:
    """May `user` learn which experts sit on (or were drawn for) `session` — code, name, phone,
    ID tail? The host and guest centres' admins and the supervising department always; anyone
    else (tenderer, agency, bidders, the public) only once the result is final. An expert learns
    their own seat at the workstation, not through this (they have no account there)."""
    return result_is_final(session) or can(user, "bidding.identify_committee", session)


def exclusions_identifiable(user, session) -> bool:
    """May `user` read a draw's exclusion report expert by expert? Only the staff, even after
    the result: its reasons name experts of other sessions (seated elsewhere, drawn too often
    for this tenderer, already drawn), whose committees may still be secret."""
    return can(user, "bidding.identify_committee", session)


register_policy(
    "bidding.view_live",
    roles={R.SUPERVISOR, R.CENTRE_ADMIN},
    scope=lambda grants, qs: qs.filter(_live_q(grants)).distinct(),
    description="评标现场监督（工位状态，不含评分）与异常情况记录：行政监督部门、主客场中心管理员",
)
register_policy(
    "bidding.supervise_session",
    roles={R.SUPERVISOR},
    org_field="section__project__supervising_department",
    description="场次的澄清审核页：项目的行政监督部门",
)
register_policy(
    "bidding.review_clarification",
    roles={R.SUPERVISOR},
    org_field="session__section__project__supervising_department",
    description="审核澄清问题和投标人答复：项目的行政监督部门",
)
register_policy(
    "bidding.answer_clarification",
    roles={R.BIDDER},
    scope=_bidder_scope,
    description="书面答复澄清（只见本单位的澄清要求）：投标人",
)
register_policy(
    "bidding.manage_incident",
    roles={R.CENTRE_ADMIN},
    scope=lambda grants, qs: qs.filter(
        Q(centre__in=grants.org_ids(R.CENTRE_ADMIN))
        | Q(session__host_centre__in=grants.org_ids(R.CENTRE_ADMIN))
    ),
    description="登记和恢复异常情况：发生地交易中心或主场中心管理员",
)

register_policy(
    "bidding.draw_coefficient",
    roles={R.CENTRE_ADMIN},
    org_field="host_centre",
    description="开标时承诺 K 值抽取（招标文件公布的区间）：主场中心管理员",
)
register_policy(
    "bidding.witness_coefficient",
    roles={R.SUPERVISOR},
    org_field="section__project__supervising_department",
    description="见证 K 值抽取：项目的行政监督部门",
)
register_policy(
    "bidding.witness_lot",
    roles={R.SUPERVISOR},
    org_field="section__project__supervising_department",
    description="见证并列排名的抽签：项目的行政监督部门",
)


def _tenderer_q(grants: Grants) -> Q:
    """Sessions whose project's tenderer the user acts for: the tenderer role at the project's
    tenderer, or the agency role at the project's agency (招标代理机构 acts within the
    tenderer's mandate, 招标投标法 Art.15)."""
    return Q(section__project__tenderer__in=grants.org_ids(R.TENDERER)) | Q(
        section__project__agency__in=grants.org_ids(R.TENDER_AGENT)
    )


register_policy(
    "bidding.extend_time",
    roles={R.TENDERER, R.TENDER_AGENT},
    scope=lambda grants, qs: qs.filter(_tenderer_q(grants)).distinct(),
    description="延长评标时间（超过三分之一成员认为时间不够，实施条例第四十八条）：招标人或其代理机构",
)
register_policy(
    "bidding.name_representatives",
    roles={R.TENDERER, R.TENDER_AGENT},
    scope=lambda grants, qs: qs.filter(_tenderer_q(grants)).distinct(),
    description="指派招标人代表参加评标委员会（不超过成员总数的三分之一，招标投标法第三十七条）："
    "招标人或其代理机构",
)


# Sealed bids (QQ-SEAL-1), the remote opening (不见面开标) and the award (实施条例 Art.54-62):
# their policies live with each capability.
from qinqing.bidding.award import permissions as _award_permissions  # noqa: E402, F401
from qinqing.bidding.bids import permissions as _bids_permissions  # noqa: E402, F401
from qinqing.bidding.opening import permissions as _opening_permissions  # noqa: E402, F401

# Collusion screening (清标): its policies live with the capability.
from qinqing.bidding.screening import permissions as _screening_permissions  # noqa: E402, F401
