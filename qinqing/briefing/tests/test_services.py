"""Flow, immutability after publishing, figure snapshots, versions, audit."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from qinqing.briefing import export, services
from qinqing.briefing.models import Article, FigureSnapshot, Issue
from qinqing.core import figures
from qinqing.core.audit import verify_chain
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _reviewer():
    """The second editor: the one who sends an issue for review does not approve it."""
    return get_user_model().objects.get(username="reviewer")


S = Issue.Status


@pytest.fixture
def fake_figure():
    """A registered figure whose value the test controls (the registry is global)."""
    state = {"value": 6}

    @figures.register(name="brief_test_figure", label="测试指标", unit="家", definition="测试")
    def _compute(start, end, organisation=None):
        return state["value"]

    yield state
    figures._REGISTRY.pop("brief_test_figure", None)


def _to_approved(issue, editor):
    issue.refresh_from_db()
    if issue.status == S.DRAFTING:
        issue = services.issue_advance(actor=editor, issue=issue, to=S.EDITING)
    services.issue_advance(actor=editor, issue=issue, to=S.REVIEW)
    return services.issue_approve(actor=_reviewer(), issue=issue)


def test_import_creates_an_editing_issue_with_three_articles(issue7):
    assert issue7.number == 7
    assert issue7.issued_on == date(2024, 9, 30)
    assert issue7.status == S.EDITING
    arts = list(issue7.articles.all())
    assert [a.contributor for a in arts] == ["区税务局", "区自然资源和城乡建设局", "区法院"]
    assert [a.department.code for a in arts] == ["hs-swj", "hs-zgj", "hs-court"]
    assert arts[0].title == "点燃两新组织“红色引擎”\n激活辖区经济“发展动能”"
    assert all(a.versions.count() == 1 for a in arts)
    assert AuditEntry.objects.filter(action="issue.import", object_id=str(issue7.pk)).exists()


def test_import_twice_is_refused(issue7, series, seed_text, demo_users):
    with pytest.raises(DomainError, match="已存在"):
        services.issue_import(actor=demo_users["editor"], series=series, text=seed_text)


def test_flow_order_is_enforced(draft8, demo_users):
    editor = demo_users["editor"]
    with pytest.raises(ConflictError):
        services.issue_publish(actor=editor, issue=draft8)
    with pytest.raises(ConflictError):
        services.issue_approve(actor=editor, issue=draft8)
    services.issue_advance(actor=editor, issue=draft8, to=S.COLLECTING)
    with pytest.raises(ConflictError):
        services.issue_advance(actor=editor, issue=draft8, to=S.REVIEW)
    services.issue_advance(actor=editor, issue=draft8, to=S.EDITING)
    issue = _to_approved(draft8, editor)
    assert issue.status == S.APPROVED and issue.approved_by == _reviewer()
    assert issue.submitted_by == editor
    # once in review, no new contributions
    with pytest.raises(ConflictError):
        services.article_create(
            actor=editor,
            issue=issue,
            title="迟到稿件",
            body="正文。",
            department=issue.series.issuer,
        )


def test_versions_and_comments(draft8, demo_users):
    article = draft8.articles.get()
    services.article_update(
        actor=demo_users["liaison"],
        article=article,
        title="税务服务进园区",
        body="新正文。",
        note="改写",
    )
    services.article_update(  # unchanged: no new version
        actor=demo_users["liaison"], article=article, title="税务服务进园区", body="新正文。"
    )
    assert list(article.versions.values_list("number", "body")) == [
        (2, "新正文。"),
        (1, "今年以来走访企业 {{fig:firms_visited:2024-01-01:2024-09-30}} 家。\n一、主要做法"),
    ]
    services.comment_add(actor=demo_users["editor"], article=article, text="请补充数据来源")
    assert article.comments.count() == 1
    with pytest.raises(DomainError):
        services.article_update(
            actor=demo_users["liaison"], article=article, title="一\n二\n三", body="正文"
        )
    services.article_submit(actor=demo_users["liaison"], article=article)
    with pytest.raises(ConflictError, match="只有简报编辑"):
        services.article_update(actor=demo_users["liaison"], article=article, title="改", body="改")
    services.article_update(actor=demo_users["editor"], article=article, title="改", body="改。")


def test_publish_snapshots_figures_and_freezes(draft8, demo_users, fake_figure):
    editor = demo_users["editor"]
    article = draft8.articles.get()
    services.article_update(
        actor=editor,
        article=article,
        title=article.title,
        body="走访 {{fig:brief_test_figure:2024-01-01:2024-09-30}} 家。",
    )
    # A figure unregistered since the article was saved (saving it now is refused).
    Article.objects.filter(pk=article.pk).update(
        body="走访 {{fig:brief_test_figure:2024-01-01:2024-09-30}} 家，"
        "另有 {{fig:not_registered_yet:2024-01-01:2024-09-30}} 项。"
    )
    # the draft shows the live value
    live = export.build_document(draft8)
    assert "走访 6 家" in live.articles[0].blocks[0].text
    assert "指标未登记：not_registered_yet" in live.articles[0].blocks[0].text
    assert live.missing == {"not_registered_yet"}
    fake_figure["value"] = 7
    assert "走访 7 家" in export.build_document(draft8).articles[0].blocks[0].text

    issue = services.issue_publish(actor=editor, issue=_to_approved(draft8, editor))
    assert issue.status == S.PUBLISHED
    snap = FigureSnapshot.objects.get(issue=issue, name="brief_test_figure")
    assert snap.value == Decimal(7) and snap.unit == "家"
    assert not FigureSnapshot.objects.get(issue=issue, name="not_registered_yet").registered
    # live values change; the published issue keeps its snapshot
    fake_figure["value"] = 99
    frozen = export.build_document(Issue.objects.get(pk=issue.pk))
    assert "走访 7 家" in frozen.articles[0].blocks[0].text
    # its PDF hash is in the audit chain
    entry = AuditEntry.objects.get(action="issue.publish", object_id=str(issue.pk))
    assert entry.detail["pdf_sha256"] == issue.pdf_sha256
    import hashlib

    assert hashlib.sha256(bytes(issue.pdf)).hexdigest() == issue.pdf_sha256
    assert export.render(issue, "pdf") == bytes(issue.pdf)
    assert verify_chain().ok


def test_published_issue_is_immutable(draft8, demo_users):
    editor = demo_users["editor"]
    issue = services.issue_publish(actor=editor, issue=_to_approved(draft8, editor))
    article = issue.articles.get()
    for attempt in (
        lambda: services.article_update(actor=editor, article=article, title="改", body="改。"),
        lambda: services.article_submit(actor=editor, article=article),
        lambda: services.comment_add(actor=editor, article=article, text="意见"),
        lambda: services.article_move(actor=editor, article=article, delta=1),
        lambda: services.issue_advance(actor=editor, issue=issue, to=S.EDITING),
        lambda: services.issue_update(actor=editor, issue=issue, issued_on=date(2025, 1, 1)),
        lambda: services.issue_publish(actor=editor, issue=issue),
        lambda: services.article_create(
            actor=editor, issue=issue, title="补", body="补。", department=issue.series.issuer
        ),
    ):
        with pytest.raises(ConflictError, match="已发布"):
            attempt()
    assert Article.objects.get(pk=article.pk).title == "税务服务进园区"


def test_move_reorders(issue7, demo_users):
    arts = list(issue7.articles.all())
    services.article_move(actor=demo_users["editor"], article=arts[2], delta=-1)
    assert [a.pk for a in issue7.articles.all()] == [arts[0].pk, arts[2].pk, arts[1].pk]


def test_the_submitter_does_not_approve_the_issue(draft8, demo_users):
    editor = demo_users["editor"]
    services.issue_advance(actor=editor, issue=draft8, to=S.EDITING)
    services.issue_advance(actor=editor, issue=draft8, to=S.REVIEW)
    with pytest.raises(ConflictError, match="送审人不能审核") as caught:
        services.issue_approve(actor=editor, issue=draft8)
    assert caught.value.code == "same_as_submitter"
    draft8.refresh_from_db()
    assert draft8.status == S.REVIEW and draft8.approved_by is None
    # sent back and submitted again by the other editor: now the first one may approve
    services.issue_advance(actor=_reviewer(), issue=draft8, to=S.EDITING)
    services.issue_advance(actor=_reviewer(), issue=draft8, to=S.REVIEW)
    issue = services.issue_approve(actor=editor, issue=draft8)
    assert issue.status == S.APPROVED and issue.approved_by == editor


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("走访 {{fig:firms_visited}} 家。", "第 1 段的指标标记格式不正确：{{fig:firms_visited}}"),
        ("首段。\n走访 {{fig:Firms:2024-01-01:2024-09-30}} 家。", "第 2 段的指标标记格式不正确"),
        ("走访 {{ FIG:brief_test_figure:2024-01-01:2024-09-30}} 家。", "格式不正确"),
        ("走访 {{fig:brief_test_figure:2024-01-01:2024-09-30 家。", "格式不正确"),
        ("走访 {{fig:brief_test_figure:2024-1-1:2024-09-30}} 家。", "格式不正确"),
        ("走访 {{fig:brief_test_figure:2024-01-01:2024-09-30:千}} 家。", "格式不正确"),
        ("走访 {{fig:brief_test_figure:2024-02-30:2024-09-30}} 家。", "日期不存在"),
        ("走访 {{fig:no_such_figure:2024-01-01:2024-09-30}} 家。", "未登记的指标：no_such_figure"),
    ],
)
def test_a_malformed_or_unknown_marker_is_refused_when_saved(
    draft8, demo_users, fake_figure, body, message
):
    article = draft8.articles.get()
    before = article.body
    with pytest.raises(DomainError, match=re.escape(message)) as caught:
        services.article_update(
            actor=demo_users["editor"], article=article, title=article.title, body=body
        )
    assert caught.value.field == "body"
    article.refresh_from_db()
    assert article.body == before


def test_a_well_formed_marker_of_a_registered_figure_is_saved(draft8, demo_users, fake_figure):
    article = draft8.articles.get()
    body = "走访 {{fig:brief_test_figure:2024-01-01:2024-09-30:万}} 家。"
    services.article_update(
        actor=demo_users["editor"], article=article, title=article.title, body=body
    )
    article.refresh_from_db()
    assert article.body == body
