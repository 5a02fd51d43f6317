"""An editor signs in and sends issue 8 for review; another editor approves it (four eyes); the
first publishes it and the public page shows it."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_editor_publishes_an_issue(browser_page, live_url, draft8):
    from qinqing.briefing.models import Issue

    page = browser_page

    def open_issue_8_as(username):
        page.context.clear_cookies()
        page.goto(f"{live_url}/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill("qinqing-demo")
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{live_url}/")
        page.get_by_role("link", name="简报编辑").first.click()
        page.wait_for_url("**/briefing/")
        page.get_by_role("link", name="第 8 期").click()

    def step(button, status):
        page.get_by_role("button", name=button, exact=True).click()
        page.wait_for_load_state()
        assert page.get_by_test_id("status").inner_text() == status

    open_issue_8_as("editor")
    assert page.get_by_test_id("status").inner_text() == "草稿"
    # the draft shows the live figure (no visits recorded here: 0)
    assert "今年以来走访企业 0 家。" in page.get_by_test_id("brief").inner_text()
    step("转为“编辑中”", "编辑中")
    step("转为“待审核”", "待审核")
    assert page.get_by_text("本期由您送审，须由另一位编辑审核通过。").is_visible()
    assert not page.get_by_role("button", name="审核通过").count()
    open_issue_8_as("reviewer")
    step("审核通过", "已审核")
    step("发布", "已发布")
    issue = Issue.objects.get(pk=draft8.pk)
    assert page.get_by_test_id("sha").inner_text() == issue.pdf_sha256
    assert not page.get_by_role("button", name="发布").count()
    page.get_by_role("link", name="公开页面").click()
    page.wait_for_url("**/briefing/p/yshj/8/")
    assert "税务服务进园区" in page.get_by_test_id("brief").inner_text()
