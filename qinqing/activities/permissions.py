"""Who may do what with events, visits and volunteer supervisors."""

from __future__ import annotations

from qinqing.core.permissions import register_policy
from qinqing.core.roles import Role

R = Role
GOVERNMENT = {R.PLATFORM_ADMIN, R.DISPATCHER, R.EDITOR, R.STAFF, R.INSTRUCTOR}
ORGANISERS = {R.PLATFORM_ADMIN, R.STAFF, R.INSTRUCTOR}


def _hosted(grants, qs):
    """Admins every event; department staff and instructors the events their department hosts."""
    if grants.has(R.PLATFORM_ADMIN):
        return qs
    return qs.filter(host_departments__in=grants.org_ids(R.STAFF, R.INSTRUCTOR)).distinct()


def _own_department(grants, qs):
    if grants.has(R.PLATFORM_ADMIN, R.EDITOR, R.DISPATCHER):
        return qs
    return qs.filter(department_id__in=grants.org_ids(R.STAFF, R.INSTRUCTOR))


def _reports(grants, qs):
    if grants.has(R.PLATFORM_ADMIN, R.EDITOR):
        return qs
    depts = grants.org_ids(R.STAFF, R.INSTRUCTOR)
    from django.db.models import Q

    return qs.filter(
        Q(appointment__department_id__in=depts) | Q(appointment__user=grants.user)
    ).distinct()


register_policy(
    "activities.view_event",
    roles=GOVERNMENT,
    org_field=None,
    description="活动列表与详情：政府工作人员",
)
register_policy(
    "activities.manage_event",
    roles=ORGANISERS,
    scope=_hosted,
    description="创建活动、签到补签、资料、答疑、跟进：主办部门",
)
register_policy(
    "activities.create_event",
    roles=ORGANISERS,
    org_field=None,
    description="新建活动（牵头部门为本人所在部门）",
)
register_policy(
    "activities.view_visit",
    roles=GOVERNMENT,
    scope=_own_department,
    description="走访记录：本部门的（编辑、派单员看全部）",
)
register_policy(
    "activities.record_visit",
    roles=ORGANISERS,
    org_field=None,
    description="登记走访",
)
register_policy(
    "activities.manage_supervisors",
    roles=ORGANISERS,
    scope=_own_department,
    description="聘任志愿监督员",
)
register_policy(
    "activities.view_report",
    roles=GOVERNMENT | {R.VOLUNTEER},
    scope=_reports,
    description="监督体验报告：聘任部门看全部，监督员看自己的",
)
register_policy(
    "activities.file_report",
    roles={R.PLATFORM_ADMIN, R.STAFF, R.INSTRUCTOR, R.VOLUNTEER},
    org_field=None,
    description="提交监督体验报告：监督员本人或聘任部门代录",
)
register_policy(
    "activities.view_own_events",
    roles={R.ENTERPRISE, R.VOLUNTEER},
    org_field=None,
    description="企业用户查看面向本企业的活动并报名",
)
