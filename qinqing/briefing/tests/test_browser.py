"""An editor signs in, takes issue 8 through review and publishes it; the public page shows it."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_editor_publishes_an_issue(browser_page, live_url, draft8):
    from qinqing.briefing.models import Issue

    page = browser_page
    page.goto(f"{live_url}/login/")
    page.get_by_label("用户名").fill("editor")
    page.get_by_label("密码").fill("qinqing-demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_url}/")
    page.get_by_role("link", name="简报编辑").first.click()
    page.wait_for_url("**/briefing/")
    page.get_by_role("link", name="第 8 期").click()
    assert page.get_by_test_id("status").inner_text() == "草稿"
    # the draft shows the live figure (no visits recorded here: 0)
    assert "今年以来走访企业 0 家。" in page.get_by_test_id("brief").inner_text()
    for step, status in (
        ("转为“编辑中”", "编辑中"),
        ("转为“待审核”", "待审核"),
        ("审核通过", "已审核"),
        ("发布", "已发布"),
    ):
        page.get_by_role("button", name=step, exact=True).click()
        page.wait_for_load_state()
        assert page.get_by_test_id("status").inner_text() == status
    issue = Issue.objects.get(pk=draft8.pk)
    assert page.get_by_test_id("sha").inner_text() == issue.pdf_sha256
    assert not page.get_by_role("button", name="发布").count()
    page.get_by_role("link", name="公开页面").click()
    page.wait_for_url("**/briefing/p/yshj/8/")
    assert "税务服务进园区" in page.get_by_test_id("brief").inner_text()
