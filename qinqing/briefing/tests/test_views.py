"""Permission matrix and the pages (import, contribute, archive, public)."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from qinqing.briefing import services
from qinqing.briefing.models import Article, Issue
from qinqing.core.models import Organisation
from qinqing.core.roles import Role
from qinqing.core.services import role_grant_add
from qinqing.core.testing import ANONYMOUS, check_matrix, run_queued_tasks

pytestmark = pytest.mark.django_db


def _reviewer():
    """The second editor: the one who sends an issue for review does not approve it."""
    return get_user_model().objects.get(username="reviewer")


S = Issue.Status


def _publish(issue, editor):
    issue.refresh_from_db()
    if issue.status == S.DRAFTING:
        services.issue_advance(actor=editor, issue=issue, to=S.EDITING)
    services.issue_advance(actor=editor, issue=issue, to=S.REVIEW)
    services.issue_approve(actor=_reviewer(), issue=issue)
    return services.issue_publish(actor=editor, issue=issue)


@pytest.fixture
def other_staff(demo_users):
    user = get_user_model().objects.create_user("zgj_staff")
    role_grant_add(
        actor=None, user=user, role=Role.STAFF, organisation=Organisation.objects.get(code="hs-zgj")
    )
    other_editor = get_user_model().objects.create_user("swj_editor")
    role_grant_add(
        actor=None,
        user=other_editor,
        role=Role.EDITOR,
        organisation=Organisation.objects.get(code="hs-swj"),
    )
    return {**demo_users, "zgj_staff": user, "swj_editor": other_editor}


def test_permission_matrix(client, issue7, draft8, other_staff):
    users = other_staff
    published = _publish(issue7, users["editor"])
    art = draft8.articles.get()
    A = ANONYMOUS
    check_matrix(
        client,
        {
            "/briefing/": {A: 302, "editor": 200, "liaison": 200, "enterprise": 403, "judge": 403},
            "/briefing/import/": {A: 302, "editor": 200, "liaison": 403, "admin": 200},
            "/briefing/archive/": {A: 302, "editor": 200, "enterprise": 200, "creditor": 200},
            f"/briefing/issues/{draft8.pk}/": {
                A: 302,
                "editor": 200,
                "liaison": 200,
                "enterprise": 404,
                "judge": 404,
            },
            f"/briefing/issues/{published.pk}/": {A: 302, "enterprise": 200, "editor": 200},
            f"/briefing/issues/{draft8.pk}/export.docx": {A: 302, "editor": 200, "enterprise": 404},
            f"/briefing/issues/{published.pk}/export.pdf": {"enterprise": 200},
            f"/briefing/issues/{draft8.pk}/articles/new/": {
                "liaison": 200,
                "editor": 200,
                "enterprise": 403,
            },
            f"/briefing/articles/{art.pk}/": {
                A: 302,
                "liaison": 200,
                "editor": 200,
                "zgj_staff": 404,
                "enterprise": 403,
                "supervisor": 403,
            },
            "/briefing/p/yshj/": {A: 200, "enterprise": 200},
            "/briefing/p/yshj/7/": {A: 200},
            "/briefing/p/yshj/7.pdf": {A: 200},
            "/briefing/p/yshj/8/": {A: 404},
        },
        users,
    )
    check_matrix(
        client,
        {
            f"/briefing/issues/{draft8.pk}/do/editing/": {
                "liaison": 403,
                "enterprise": 403,
                A: 302,
                "swj_editor": 404,  # an editor of another organisation's series
                "editor": 302,
            }
        },
        users,
        method="post",
    )
    # a private series has no public pages
    published.series.is_public = False
    published.series.save(update_fields=["is_public"])
    check_matrix(client, {"/briefing/p/yshj/7/": {A: 404}, "/briefing/p/yshj/": {A: 404}}, users)


def test_import_page_paste_and_upload(client, series, seed_text, demo_users):
    client.force_login(demo_users["editor"])
    r = client.post("/briefing/import/", {"series": series.pk, "text": ""})
    assert r.status_code == 400 and "请粘贴简报文本或上传文件" in r.content.decode()
    upload = SimpleUploadedFile("brief.txt", seed_text.encode("utf-8"), content_type="text/plain")
    r = client.post("/briefing/import/", {"series": series.pk, "file": upload})
    assert r.status_code == 302
    issue = Issue.objects.get(series=series, number=7)
    page = client.get(r["Location"]).content.decode()
    assert "洪山法院“四个强化”创新破产和解机制" in page
    gbk = SimpleUploadedFile("gbk.txt", seed_text.encode("gb18030"), content_type="text/plain")
    r = client.post("/briefing/import/", {"series": series.pk, "file": gbk, "number": 10})
    assert r.status_code == 302 and Issue.objects.get(number=10).articles.count() == 3
    r = client.post("/briefing/import/", {"series": series.pk, "text": seed_text, "number": 9})
    assert r.status_code == 302 and Issue.objects.filter(number=9).exists()
    assert issue.articles.count() == 3


def test_staff_contributes_for_own_department(client, draft8, demo_users):
    client.force_login(demo_users["liaison"])
    page = client.get(f"/briefing/issues/{draft8.pk}/articles/new/").content.decode()
    assert "国家税务总局武汉市洪山区税务局" in page
    assert "洪山区法院" not in page and "武汉市洪山区人民法院" not in page
    court = Organisation.objects.get(code="hs-court")
    r = client.post(
        f"/briefing/issues/{draft8.pk}/articles/new/",
        {"title": "标题", "body": "正文。", "department": court.pk},
    )
    assert r.status_code == 400
    swj = Organisation.objects.get(code="hs-swj")
    r = client.post(
        f"/briefing/issues/{draft8.pk}/articles/new/",
        {"title": "组团服务进企业", "body": "正文内容。", "department": swj.pk},
    )
    assert r.status_code == 302
    r = client.get(r["Location"] + "?figure=firms_visited&start=2024-01-01&end=2024-09-30")
    assert "{{fig:firms_visited:2024-01-01:2024-09-30}}" in r.content.decode()


def test_archive_search(client, issue7, draft8, demo_users):
    _publish(issue7, demo_users["editor"])
    client.force_login(demo_users["enterprise"])
    assert "第 7 期" in client.get("/briefing/archive/?q=破产和解").content.decode()
    assert "第 7 期" not in client.get("/briefing/archive/?q=不存在的词").content.decode()
    assert "第 8 期" not in client.get("/briefing/archive/").content.decode()


@pytest.mark.parametrize("q", ["²", "①"])
def test_archive_search_by_a_digit_of_another_script_is_a_text_search(
    client, issue7, demo_users, q
):
    """ "²".isdigit() is True but int("²") raises: the search answered 500."""
    _publish(issue7, demo_users["editor"])
    client.force_login(demo_users["enterprise"])
    response = client.get(f"/briefing/archive/?q={q}&series={q}")
    assert response.status_code == 200 and "第 7 期" not in response.content.decode()
    assert "第 7 期" in client.get("/briefing/archive/?q=7").content.decode()


def test_missing_figure_is_flagged_in_draft(client, draft8, demo_users):
    article = draft8.articles.get()
    # A figure unregistered since the article was saved (saving it now is refused).
    Article.objects.filter(pk=article.pk).update(
        body="数值 {{fig:no_such_figure:2024-01-01:2024-09-30}} 个。"
    )
    client.force_login(demo_users["editor"])
    page = client.get(f"/briefing/issues/{draft8.pk}/").content.decode()
    assert "指标未登记：no_such_figure" in page


def test_api_lists_only_visible_issues(client, issue7, draft8, demo_users):
    _publish(issue7, demo_users["editor"])
    check_matrix(
        client,
        {
            "/api/v1/briefing/issues": {ANONYMOUS: 401, "enterprise": 200, "editor": 200},
            f"/api/v1/briefing/issues/{issue7.pk}": {ANONYMOUS: 401, "enterprise": 200},
            f"/api/v1/briefing/issues/{draft8.pk}": {"enterprise": 404, "editor": 200},
        },
        demo_users,
    )
    assert client.get("/api/v1/briefing/issues").status_code == 401
    client.force_login(demo_users["enterprise"])
    numbers = [i["number"] for i in client.get("/api/v1/briefing/issues").json()]
    assert numbers == [7]
    assert client.get(f"/api/v1/briefing/issues/{draft8.pk}").status_code == 404
    detail = client.get(f"/api/v1/briefing/issues/{issue7.pk}").json()
    assert [a["contributor"] for a in detail["articles"]] == [
        "区税务局",
        "区自然资源和城乡建设局",
        "区法院",
    ]
    client.force_login(demo_users["editor"])
    assert {i["number"] for i in client.get("/api/v1/briefing/issues").json()} == {7, 8}


def test_exports_are_rendered_on_the_queue_once_per_content(client, issue7, draft8, demo_users):
    client.force_login(demo_users["editor"])
    url = f"/briefing/issues/{draft8.pk}/export.docx"
    assert "生成中" in client.get(url).content.decode()
    assert "生成中" in client.get(f"/briefing/issues/{draft8.pk}/export.pdf").content.decode()
    client.get(url)  # asked again before it is ready: still one render
    assert run_queued_tasks() == 2
    docx = client.get(url)
    assert docx["Content-Disposition"].startswith("attachment")
    assert b"".join(docx.streaming_content).startswith(b"PK")  # a DOCX is a zip
    pdf = client.get(f"/briefing/issues/{draft8.pk}/export.pdf")
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    # A changed issue is new content: rendered again; the frozen published PDF never is.
    article = draft8.articles.get()
    article.body += "\n补充一段。"
    article.save(update_fields=["body"])
    assert "生成中" in client.get(url).content.decode()
    published = _publish(issue7, demo_users["editor"])
    frozen = client.get(f"/briefing/issues/{published.pk}/export.pdf")
    assert frozen.content == bytes(published.pdf)
    assert run_queued_tasks() == 1


def test_the_submitter_is_not_offered_the_approval(client, draft8, demo_users):
    editor = demo_users["editor"]
    services.issue_advance(actor=editor, issue=draft8, to=S.EDITING)
    services.issue_advance(actor=editor, issue=draft8, to=S.REVIEW)
    url = f"/briefing/issues/{draft8.pk}/"
    client.force_login(editor)
    page = client.get(url).content.decode()
    assert "本期由您送审，须由另一位编辑审核通过" in page
    assert "审核通过</button>" not in page
    client.post(f"{url}do/approve/")
    draft8.refresh_from_db()
    assert draft8.status == S.REVIEW
    client.force_login(_reviewer())
    assert "审核通过</button>" in client.get(url).content.decode()
    client.post(f"{url}do/approve/")
    draft8.refresh_from_db()
    assert draft8.status == S.APPROVED and draft8.approved_by == _reviewer()
