"""Who may do what with the work brief (registered from BriefingConfig.ready)."""

from __future__ import annotations

from django.db.models import Q

from qinqing.core.permissions import register_policy
from qinqing.core.roles import Role

R = Role
COMPILERS = {R.PLATFORM_ADMIN, R.EDITOR}


def _read_scope(grants, qs):
    """Editors and admins: every issue; department staff: issues not yet published too (to
    contribute); anyone else signed in: published issues only."""
    if grants.has(*COMPILERS, R.STAFF):
        return qs
    return qs.filter(status="published")


def _compile_scope(grants, qs):
    """An editor compiles the series their organisation issues."""
    if grants.has(R.PLATFORM_ADMIN):
        return qs
    return qs.filter(series__issuer_id__in=grants.org_ids(R.EDITOR))


def _article_scope(grants, qs):
    """Staff edit their own department's articles; editors every article of their series."""
    if grants.has(R.PLATFORM_ADMIN):
        return qs
    cond = Q(issue__series__issuer_id__in=grants.org_ids(R.EDITOR))
    cond |= Q(department_id__in=grants.org_ids(R.STAFF))
    return qs.filter(cond)


register_policy(
    "briefing.view_issue",
    roles=None,
    scope=_read_scope,
    description="简报：登录用户可读已发布的期次；编辑和部门联络专员还可看在编期次",
)
register_policy(
    "briefing.compile",
    roles=COMPILERS,
    scope=_compile_scope,
    description="编辑简报：建期、导入、排序、改稿、推进状态、审核、发布（本单位编发的系列）",
)
register_policy(
    "briefing.contribute",
    roles=COMPILERS | {R.STAFF},
    scope=_article_scope,
    description="供稿：部门联络专员为本部门撰写、修改、报送稿件；编辑可改全部稿件",
)
