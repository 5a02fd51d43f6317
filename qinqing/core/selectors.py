"""Reads of the core, restricted to what the user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from qinqing.core.models import AuditEntry, Notification, RoleGrant
from qinqing.core.permissions import visible


def audit_entries(*, user, action_prefix: str = "", object_type: str = "") -> QuerySet:
    qs = AuditEntry.objects.select_related("organisation").order_by("-seq")
    if action_prefix:
        qs = qs.filter(action__startswith=action_prefix)
    if object_type:
        qs = qs.filter(object_type=object_type)
    return visible(user, "core.view_audit", qs)


def notifications(*, user) -> QuerySet:
    return visible(user, "core.view_notification", Notification.objects.order_by("-created_at"))


def role_grants(*, user) -> QuerySet:
    return RoleGrant.objects.filter(user=user).select_related("organisation").order_by("role")
