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


def test_anyone_verifies_a_published_draw_in_the_browser(browser_page, live_url, demo_users):
    """QQ-DRAW-1 recomputed by static/bidding/draw_proof.js with WebCrypto: the published proof
    passes; a copy with the order of two drawn experts swapped fails at that position."""
    import json

    world = build_world(demo_users)
    draw = services.draw_commit(actor=world["centre_wh"], quota=world["host"])
    draw = services.draw_witness(actor=world["supervisor"], draw=draw, witness_entropy="2-9-4")
    services.session_close(actor=world["centre_wh"], session=world["session"])
    page = browser_page
    page.goto(f"{live_url}/bidding/proofs/")
    page.get_by_role("link", name="查看并验证").first.click()
    page.get_by_role("button", name="验证本次抽取").click()
    result = page.locator('[data-result="page"]')
    result.filter(has_text="验证").wait_for()
    assert result.inner_text().startswith("验证通过"), result.inner_text()

    tampered = services.proof(draw)
    tampered["drawn"][1], tampered["drawn"][2] = tampered["drawn"][2], tampered["drawn"][1]
    page.get_by_text("验证另一份证明（粘贴 JSON）").click()
    page.get_by_label("证明 JSON").fill(json.dumps(tampered))
    page.get_by_role("button", name="验证粘贴的证明").click()
    pasted = page.locator('[data-result="paste"]')
    pasted.filter(has_text="验证").wait_for()
    assert "drawn 与重新计算的抽取结果不符，第一处不同在第 2 位" in pasted.inner_text()

    tampered = services.proof(draw)
    tampered["server_nonce"] = "00" * 32
    page.get_by_label("证明 JSON").fill(json.dumps(tampered))
    page.get_by_role("button", name="验证粘贴的证明").click()
    page.locator('[data-result="paste"]', has_text="commitment").wait_for()

    page.get_by_label("证明 JSON").fill("{not json")
    page.get_by_role("button", name="验证粘贴的证明").click()
    page.locator('[data-result="paste"]', has_text="不是有效的证明 JSON").wait_for()


def test_the_centre_records_an_experts_phone_answer_from_the_home(
    browser_page, live_url, demo_users
):
    """The trading centre's day: from 我的待办 (experts who have not answered their invitation)
    to the draw's board on a phone, where the answer an expert gave by telephone is recorded."""
    from qinqing.bidding.models import DrawOutcome

    world = build_world(demo_users)
    draw = services.draw_commit(actor=world["centre_wh"], quota=world["host"])
    draw = services.draw_witness(actor=world["supervisor"], draw=draw, witness_entropy="4-4-1")
    first = draw.outcomes.get(position=0)
    assert first.status == DrawOutcome.Status.NOTIFIED
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_url}/login/")
    page.get_by_label("用户名").fill("centre_wh")
    page.get_by_label("密码").fill("qinqing-demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_url}/")
    page.get_by_role("link", name="专家尚未答复的抽取通知").click()
    page.wait_for_url(f"**/bidding/draws/{draw.draw_id}/")
    row = page.locator("tr", has=page.get_by_role("cell", name="1", exact=True)).first
    row.get_by_label("答复").select_option("confirm")
    row.get_by_role("button", name="记录").click()
    page.get_by_text("已记录电话答复。").wait_for()
    first.refresh_from_db()
    assert first.status == DrawOutcome.Status.CONFIRMED
