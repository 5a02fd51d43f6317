"""A person opens the site in Debian's chromium, signs in on the real page, sees the home page."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_through_the_page_shows_the_chinese_home(browser_page, live_url, demo_users):
    page = browser_page
    page.goto(f"{live_url}/")
    assert "/login/" in page.url
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
