"""Reads of the work brief: only what the user may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from qinqing.briefing.models import Article, Issue, Series
from qinqing.core.models import Organisation
from qinqing.core.permissions import grants_of, visible
from qinqing.core.roles import Role
from qinqing.core.rules import is_ascii_digits


def issues_for(user) -> QuerySet[Issue]:
    return visible(user, "briefing.view_issue", Issue.objects.select_related("series"))


def compilable_series(user) -> QuerySet[Series]:
    """The series whose issues this user compiles (editor of the issuing organisation)."""
    grants = grants_of(user)
    if grants.has(Role.PLATFORM_ADMIN):
        return Series.objects.all()
    return Series.objects.filter(issuer_id__in=grants.org_ids(Role.EDITOR))


def contributing_departments(user) -> QuerySet[Organisation]:
    """Departments a user may sign an article for: their own as staff; any for an editor."""
    grants = grants_of(user)
    if grants.has(Role.PLATFORM_ADMIN, Role.EDITOR):
        return Organisation.objects.filter(is_active=True).exclude(
            kind__in=[Organisation.Kind.FIRM, Organisation.Kind.AGENCY, Organisation.Kind.BANK]
        )
    return Organisation.objects.filter(pk__in=grants.direct_org_ids(Role.STAFF))


def articles_for(user, issue: Issue) -> QuerySet[Article]:
    return issue.articles.select_related("department")


def editable_article_ids(user, issue: Issue) -> set[int]:
    qs = visible(user, "briefing.contribute", Article.objects.filter(issue=issue))
    return set(qs.values_list("pk", flat=True))


def archive(user, *, q: str = "", series: Series | None = None) -> QuerySet[Issue]:
    qs = issues_for(user).filter(status=Issue.Status.PUBLISHED)
    if series is not None:
        qs = qs.filter(series=series)
    if q:
        cond = Q(search_text__icontains=q)
        if is_ascii_digits(q):
            cond |= Q(number=int(q))
        qs = qs.filter(cond)
    return qs.order_by("series__name", "-number")


def public_issues(series: Series, *, q: str = "") -> QuerySet[Issue]:
    qs = series.issues.filter(status=Issue.Status.PUBLISHED)
    if q:
        qs = qs.filter(search_text__icontains=q)
    return qs.order_by("-number")
