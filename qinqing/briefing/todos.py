"""What waits on a user in the work brief (registered from BriefingConfig.ready).

- editor: submitted articles to adopt, issues waiting for review, approved issues to publish;
- department staff (liaison): its articles not yet submitted, issues collecting articles to
  which its department has not contributed (by the issue's date).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from qinqing.briefing.models import Article, Issue
from qinqing.core.permissions import grants_of, visible
from qinqing.core.roles import Role
from qinqing.core.todos import TodoItem, register, tally

S = Issue.Status


def _issue_url(pk: int | None) -> str:
    if pk is None:
        return reverse("briefing:issue_list")
    return reverse("briefing:issue_detail", args=[pk])


def _one_issue(articles) -> int | None:
    ids = list(articles.order_by().values_list("issue_id", flat=True).distinct()[:2])
    return ids[0] if len(ids) == 1 else None


@register
def editor(user):
    if not grants_of(user).has(Role.EDITOR):
        return []
    issues = visible(user, "briefing.compile", Issue.objects.all())
    submitted = Article.objects.filter(
        issue__in=issues.exclude(status=S.PUBLISHED), status=Article.Status.SUBMITTED
    )
    adopting = tally(submitted, oldest="updated_at")
    # four eyes: an issue the user sent for review waits on another editor
    reviewing = tally(issues.filter(status=S.REVIEW).exclude(submitted_by=user), due="issued_on")
    publishing = tally(issues.filter(status=S.APPROVED), due="issued_on")
    return [
        TodoItem(
            _("待采用的部门稿件"),
            adopting.count,
            _issue_url(_one_issue(submitted) if adopting.count else None),
            oldest=adopting.oldest,
            order=10,
        ),
        TodoItem(
            _("待审核的简报"),
            reviewing.count,
            _issue_url(reviewing.first_pk),
            due=reviewing.due,
            order=20,
        ),
        TodoItem(
            _("已审核待发布的简报"),
            publishing.count,
            _issue_url(publishing.first_pk),
            due=publishing.due,
            order=30,
        ),
    ]


@register
def contributor(user):
    grants = grants_of(user)
    if not grants.has(Role.STAFF):
        return []
    departments = grants.direct_org_ids(Role.STAFF)
    drafts_qs = visible(user, "briefing.contribute", Article.objects.all()).filter(
        status=Article.Status.DRAFT,
        department_id__in=departments,
        issue__status__in=[S.COLLECTING, S.EDITING],
    )
    drafts = tally(drafts_qs, oldest="updated_at", due="issue__issued_on")
    ours = Article.objects.filter(issue=OuterRef("pk"), department_id__in=departments)
    collecting = tally(
        visible(user, "briefing.view_issue", Issue.objects.all())
        .filter(status=S.COLLECTING)
        .exclude(Exists(ours)),
        due="issued_on",
    )
    return [
        TodoItem(
            _("本部门待报送的简报稿件"),
            drafts.count,
            _issue_url(_one_issue(drafts_qs) if drafts.count else None),
            oldest=drafts.oldest,
            due=drafts.due,
            order=50,
        ),
        TodoItem(
            _("征稿中、本部门尚未供稿的简报"),
            collecting.count,
            _issue_url(collecting.first_pk),
            due=collecting.due,
            note=_("如有工作动态，请撰写并报送"),
            order=60,
        ),
    ]
