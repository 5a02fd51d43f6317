"""The briefing to-do providers: the editor adopts, reviews and publishes the issues of its
own series; department staff are asked for their department's articles."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model

from qinqing.briefing import services, todos
from qinqing.briefing.models import Issue
from qinqing.core.models import Organisation, RoleGrant
from qinqing.core.roles import Role

pytestmark = pytest.mark.django_db
S = Issue.Status


def _by_label(items):
    return {str(i.label): i for i in items}


def _counts(items):
    return {str(i.label): i.count for i in items if i.count}


def _account(username, role, code):
    user = get_user_model().objects.create_user(username)
    RoleGrant.objects.create(user=user, role=role, organisation=Organisation.objects.get(code=code))
    return user


def test_the_editor_adopts_reviews_and_publishes_its_own_series(draft8, demo_users):
    editor, liaison = demo_users["editor"], demo_users["liaison"]
    other_editor = _account("editor2", Role.EDITOR, "hs-swj")  # another issuer's editor
    assert _counts(todos.editor(editor)) == {}  # the article is still a draft
    article = draft8.articles.get()
    services.article_submit(actor=liaison, article=article)
    adopting = _by_label(todos.editor(editor))["待采用的部门稿件"]
    assert adopting.count == 1 and adopting.url == f"/briefing/issues/{draft8.pk}/"
    assert _counts(todos.editor(other_editor)) == {}
    services.article_accept(actor=editor, article=article)
    services.issue_advance(actor=editor, issue=draft8, to=S.EDITING)
    services.issue_advance(actor=editor, issue=draft8, to=S.REVIEW)
    # four eyes: it waits on the series' other editor, not on the one who sent it
    assert "待审核的简报" not in _counts(todos.editor(editor))
    reviewer = demo_users["reviewer"]
    review = _by_label(todos.editor(reviewer))["待审核的简报"]
    assert review.count == 1 and review.due == date(2024, 10, 31) and review.overdue
    assert _counts(todos.editor(other_editor)) == {}
    services.issue_approve(actor=reviewer, issue=draft8)
    assert _counts(todos.editor(editor)) == {"已审核待发布的简报": 1}
    assert todos.editor(liaison) == []


def test_department_staff_are_asked_for_their_articles(series, demo_users):
    editor, liaison = demo_users["editor"], demo_users["liaison"]
    other_staff = _account("staff2", Role.STAFF, "hs-fgj")
    issue = services.issue_create(
        actor=editor, series=series, number=9, issued_on=date(2030, 1, 31)
    )
    services.issue_advance(actor=editor, issue=issue, to=S.COLLECTING)
    for user in (liaison, other_staff):
        asked = _by_label(todos.contributor(user))["征稿中、本部门尚未供稿的简报"]
        assert asked.count == 1 and asked.due == date(2030, 1, 31)
    services.article_create(
        actor=liaison,
        issue=issue,
        title="税务服务进园区",
        body="一、主要做法",
        department=Organisation.objects.get(code="hs-swj"),
    )
    items = _counts(todos.contributor(liaison))
    assert items == {"本部门待报送的简报稿件": 1}
    # The tax department's draft is not the other department's; it is still asked.
    assert _counts(todos.contributor(other_staff)) == {"征稿中、本部门尚未供稿的简报": 1}
    assert todos.contributor(editor) == []
