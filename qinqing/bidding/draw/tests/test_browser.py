"""The witness step in a real browser: the supervisor checks the commitment, then draws."""

import pytest

from qinqing.bidding.conftest import build_world
from qinqing.bidding.draw import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_witnesses_a_draw(browser_page, live_url, demo_users):
    world = build_world(demo_users)
    draw = services.draw_commit(actor=world["centre_wh"], quota=world["host"])
    page = browser_page
    page.goto(f"{live_url}/login/")
    page.get_by_label("用户名").fill("supervisor")
    page.get_by_label("密码").fill("qinqing-demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_url}/")
    page.get_by_role("link", name="评标场次").first.click()
    page.get_by_role("link", name="示例学生公寓修缮设计").click()
    page.get_by_role("link", name=draw.draw_id).click()
    assert page.locator("#commitment").inner_text() == draw.commitment
    page.get_by_label("见证人随机输入").fill("6-3-5")
    page.get_by_role("button", name="确认见证并抽取").click()
    page.get_by_text("抽取完成，已按顺序通知正选专家。").wait_for()
    assert page.get_by_role("cell", name="已通知").count() == 3
    assert page.get_by_role("cell", name="备选待递补").count() == 2
    assert page.get_by_text("6-3-5").is_visible()
