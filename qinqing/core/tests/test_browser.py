"""A person opens the site in Debian's chromium: the public front door, then signs in on the
real page from it and sees the home page."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_through_the_page_shows_the_chinese_home(browser_page, live_url, demo_users):
    page = browser_page
    page.goto(f"{live_url}/")
    assert page.get_by_role("heading", name="企业有事，找亲清").is_visible()
    page.get_by_role("link", name="登录", exact=True).first.click()
    page.wait_for_url("**/login/")
    page.get_by_label("用户名").fill("editor")
    page.get_by_label("密码").fill("qinqing-demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_url}/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_role("heading", name="您好，简报编辑 周敏").is_visible()
    assert page.get_by_text("洪山区发展和改革局").first.is_visible()
    page.get_by_role("link", name="统计指标").first.click()
    page.wait_for_url("**/figures/")
    assert page.get_by_role("rowheader").filter(has_text="工作日天数").is_visible()


def test_wrong_password_stays_on_the_page_with_a_message(browser_page, live_url, demo_users):
    page = browser_page
    page.goto(f"{live_url}/login/")
    page.get_by_label("用户名").fill("editor")
    page.get_by_label("密码").fill("wrong")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").inner_text().strip() == "用户名或密码错误"


@pytest.mark.parametrize(
    "viewport",
    [{"width": 1280, "height": 800}, {"width": 390, "height": 844}],
    ids=["desk", "phone"],
)
def test_the_front_door_leads_a_visitor_in_one_tap(browser_page, live_url, demo_users, viewport):
    page = browser_page
    page.set_viewport_size(viewport)
    page.goto(f"{live_url}/")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    for name in ["企业诉求", "破产和解公告与债权申报", "近期惠企活动", "评标专家抽取公开"]:
        assert page.get_by_role("heading", name=name).is_visible()
    assert page.get_by_role("link", name="接口文档").count() == 0
    page.get_by_role("link", name="提交诉求", exact=True).click()
    page.wait_for_url("**/needs/web/")
    assert page.get_by_label("统一社会信用代码").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    page.go_back()
    page.get_by_role("link", name="查看抽取证明").click()
    page.wait_for_url("**/bidding/proofs/")
    assert page.get_by_role("heading", name="评标专家抽取证明").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    page.go_back()
    page.get_by_label("工单编号").fill("QQ20000101000001")
    page.get_by_label("提交时填写的联系电话").fill("13900000000")
    page.get_by_role("button", name="查询进度").click()
    page.wait_for_url("**/needs/track/")
    assert "没有找到该工单" in page.get_by_role("alert").inner_text()
    page.goto(f"{live_url}/")
    page.get_by_role("link", name="登录", exact=True).first.click()
    page.wait_for_url("**/login/")


@pytest.mark.parametrize(
    "viewport",
    [{"width": 1280, "height": 800}, {"width": 390, "height": 844}],
    ids=["desk", "phone"],
)
def test_the_liaison_signs_a_need_from_the_home(browser_page, live_url, demo_users, viewport):
    from qinqing.core.demo import demo_uscc
    from qinqing.needs import services
    from qinqing.needs.models import Need

    services.catalogue_ensure_defaults(actor=None)
    need = services.need_submit(
        actor=None,
        channel=Need.Channel.PORTAL,
        uscc=demo_uscc("91420111", 3),
        phone="13900001234",
        text="数电票开票额度不够用，怎么申请提额？",
    )
    assert need.state == Need.State.PENDING_SIGN  # routed to the tax department
    page = browser_page
    page.set_viewport_size(viewport)
    page.goto(f"{live_url}/login/")
    page.get_by_label("用户名").fill("liaison")
    page.get_by_label("密码").fill("qinqing-demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_url}/")
    assert page.get_by_role("heading", name="我的待办").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    page.get_by_role("link", name="待签收的诉求").click()
    page.wait_for_url(f"**/needs/{need.pk}/")
    page.get_by_role("button", name="签收", exact=True).click()
    page.goto(f"{live_url}/")
    assert page.get_by_role("link", name="待签收的诉求").count() == 0
    assert page.get_by_role("link", name="办理中待答复的诉求").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
