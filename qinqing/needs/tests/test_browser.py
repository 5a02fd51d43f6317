"""A firm's phone: scan the QR code, submit a need, follow it on the progress page."""

import pytest

from qinqing.needs.tests.conftest import FIRM_USCC

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_firm_submits_through_the_qr_form_and_follows_progress(browser_page, live_url, world, qr):
    from qinqing.needs import services
    from qinqing.needs.models import Need

    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_url}/needs/q/{qr.key}/")
    assert page.get_by_role("heading", name="企业问需").is_visible()
    page.get_by_label("统一社会信用代码").fill("123")
    page.get_by_label("联系电话").fill("13900001234")
    page.get_by_label("诉求内容").fill("数电票开票额度不够用，怎么申请提额？")
    page.get_by_role("button", name="提交诉求").click()
    assert "统一社会信用代码格式或校验位不正确" in page.get_by_role("alert").first.inner_text()
    page.get_by_label("统一社会信用代码").fill(FIRM_USCC)
    page.get_by_label("诉求类别").select_option("tax")
    page.get_by_role("button", name="提交诉求").click()
    page.wait_for_url("**/needs/t/**")
    need = Need.objects.get()
    assert page.get_by_test_id("number").inner_text() == need.number
    assert page.get_by_test_id("state").inner_text() == "待签收"
    assert page.get_by_text("区税务局").first.is_visible()
    # the page fits a phone: no horizontal scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    services.need_sign(actor=world["liaison"], need=need)
    services.need_reply(actor=world["liaison"], need=need, reply="已在电子税务局为您调整开票额度。")
    page.reload()
    assert page.get_by_test_id("state").inner_text() == "已答复（待回访）"
    assert page.get_by_text("已在电子税务局为您调整开票额度。").first.is_visible()
    assert page.get_by_text("签收").first.is_visible()
