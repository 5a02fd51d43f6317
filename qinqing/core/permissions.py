"""The one permission policy: who may do what to which objects.

Every module registers its actions here (`register_policy`) and its views and API call only
`can`, `require`, `visible` and `get_visible_or_404`. A role grant is scoped to an organisation
and, below it, to that organisation's descendants. An object outside the user's scope is
reported as absent (404), never as forbidden, so its existence does not leak.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from qinqing.core.models import Organisation, RoleGrant
from qinqing.core.roles import GOVERNMENT_ROLES, Role


class Grants:
    """A user's role grants, loaded once per user object (i.e. once per request)."""

    def __init__(self, user) -> None:
        self.user = user
        self._by_role: dict[str, set[int]] = {}
        if getattr(user, "is_authenticated", False) and user.is_active:
            for role, org_id in RoleGrant.objects.filter(
                user=user, organisation__is_active=True
            ).values_list("role", "organisation_id"):
                self._by_role.setdefault(role, set()).add(org_id)
        self._descendants: dict[frozenset[int], frozenset[int]] = {}

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(self._by_role)

    def has(self, *roles: str) -> bool:
        return any(r in self._by_role for r in roles)

    def direct_org_ids(self, *roles: str) -> frozenset[int]:
        return frozenset().union(*(self._by_role.get(r, set()) for r in roles))

    def org_ids(self, *roles: str) -> frozenset[int]:
        """Organisations where the user holds one of `roles`, with all their descendants."""
        roots = self.direct_org_ids(*roles)
        if roots not in self._descendants:
            found, frontier = set(roots), set(roots)
            while frontier:
                frontier = (
                    set(
                        Organisation.objects.filter(parent_id__in=frontier).values_list(
                            "pk", flat=True
                        )
                    )
                    - found
                )
                found |= frontier
            self._descendants[roots] = frozenset(found)
        return self._descendants[roots]


def grants_of(user) -> Grants:
    cached = getattr(user, "_qq_grants", None)
    if cached is None:
        cached = Grants(user)
        if getattr(user, "is_authenticated", False):
            user._qq_grants = cached
    return cached


Scope = Callable[[Grants, QuerySet], QuerySet]


@dataclass(frozen=True)
class Policy:
    """`roles`: who may act (None = any signed-in user). `scope`: which rows they reach.

    Without a `scope`, `org_field` names the path from the row to its organisation and the
    rows of the user's organisations (for those roles) are reachable; `org_field=None` means
    the action is not organisation-scoped (every row).
    """

    action: str
    roles: frozenset[str] | None
    org_field: str | None = "organisation"
    scope: Scope | None = None
    description: str = field(default="", compare=False)

    def allowed(self, grants: Grants) -> bool:
        if not getattr(grants.user, "is_authenticated", False):
            return False
        return self.roles is None or grants.has(*self.roles)

    def restrict(self, grants: Grants, qs: QuerySet) -> QuerySet:
        if not self.allowed(grants):
            return qs.none()
        if self.scope is not None:
            return self.scope(grants, qs)
        if self.org_field is None:
            return qs
        roles = self.roles if self.roles is not None else frozenset(Role.values)
        return qs.filter(**{f"{self.org_field}__in": grants.org_ids(*roles)})


_POLICIES: dict[str, Policy] = {}


def register_policy(
    action: str,
    *,
    roles: Iterable[str] | None,
    org_field: str | None = "organisation",
    scope: Scope | None = None,
    description: str = "",
) -> Policy:
    policy = Policy(
        action=action,
        roles=frozenset(roles) if roles is not None else None,
        org_field=org_field,
        scope=scope,
        description=description,
    )
    existing = _POLICIES.get(action)
    if existing is not None and existing != policy:
        raise ValueError(f"policy {action!r} registered twice with different rules")
    _POLICIES[action] = policy
    return policy


def policy_for(action: str) -> Policy:
    try:
        return _POLICIES[action]
    except KeyError:
        raise LookupError(f"no policy registered for action {action!r}") from None


def can(user, action: str, obj: Model | None = None) -> bool:
    """May `user` perform `action` (on `obj`, when given)?"""
    policy, grants = policy_for(action), grants_of(user)
    if not policy.allowed(grants):
        return False
    if obj is None:
        return True
    qs = type(obj)._default_manager.filter(pk=obj.pk)
    return policy.restrict(grants, qs).exists()


def visible(user, action: str, qs: QuerySet) -> QuerySet:
    """The rows of `qs` that `user` may reach for `action`."""
    return policy_for(action).restrict(grants_of(user), qs)


def require(user, action: str, obj: Model | None = None) -> None:
    """Raise PermissionDenied (403) when the action is not allowed at all for this user."""
    if not can(user, action, obj):
        raise PermissionDenied


def get_visible_or_404(user, action: str, qs: QuerySet, **lookup) -> Model:
    """The one object `user` may reach; another organisation's object is a 404."""
    policy = policy_for(action)
    grants = grants_of(user)
    if not policy.allowed(grants):
        raise PermissionDenied
    try:
        return policy.restrict(grants, qs).get(**lookup)
    except qs.model.DoesNotExist:
        raise Http404 from None


# --- the core's own actions ---------------------------------------------------------------


def _audit_scope(grants: Grants, qs: QuerySet) -> QuerySet:
    if grants.has(Role.PLATFORM_ADMIN):
        return qs
    return qs.filter(organisation_id__in=grants.org_ids(Role.SUPERVISOR, Role.EDITOR))


register_policy(
    "core.view_audit",
    roles={Role.PLATFORM_ADMIN, Role.SUPERVISOR, Role.EDITOR},
    scope=_audit_scope,
    description="审计日志：平台管理员看全部，监督人员和简报编辑看本机构的记录",
)
register_policy(
    "core.view_notification",
    roles=None,
    scope=lambda grants, qs: qs.filter(recipient=grants.user),
    description="通知：每个用户只看自己的",
)
register_policy(
    "core.view_organisation",
    roles={Role.PLATFORM_ADMIN, Role.EDITOR, Role.STAFF, Role.DISPATCHER, Role.SUPERVISOR},
    org_field=None,
    description="组织机构目录：政府工作人员可查看",
)
register_policy(
    "core.view_figures",
    roles=None,
    org_field=None,
    description="统计指标：已登录用户可读取（均为汇总数字，不含个人信息）",
)
register_policy(
    "core.view_demo_outbox",
    roles=GOVERNMENT_ROLES,
    org_field=None,
    description="演示短信：演示环境中政府工作人员查看本应发出的短信和邮件（仅演示通知通道启用时）",
)
register_policy(
    "core.manage_calendar",
    roles={Role.PLATFORM_ADMIN},
    org_field=None,
    description="节假日安排：平台管理员录入或更正每年的国务院节假日安排通知（工作日历向所有人公开）",
)


def _token_scope(grants: Grants, qs: QuerySet) -> QuerySet:
    if grants.has(Role.PLATFORM_ADMIN):
        return qs
    return qs.filter(user=grants.user)


register_policy(
    "core.view_token",
    roles=None,
    scope=_token_scope,
    description="API 令牌：每个用户查看和撤销自己的，平台管理员可查看和撤销任何用户的",
)
register_policy(
    "core.manage_tokens",
    roles={Role.PLATFORM_ADMIN},
    org_field=None,
    description="全部用户的 API 令牌：平台管理员查看和撤销",
)
