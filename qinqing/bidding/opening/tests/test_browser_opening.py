"""At the remote opening the bidder types its passphrase in Chromium: opening_decrypt.js derives
the key-encryption key, unwraps the content key (WebCrypto, AES-KW) and sends only that key; the
platform decrypts every file against its receipt. A wrong passphrase is stopped in the browser,
reported, counted — and the bid is still there to decrypt. The hall works at 390 px."""

from __future__ import annotations

import hashlib

import pytest

from qinqing.bidding.opening import services
from qinqing.bidding.opening.models import OpenedFile, Opening, OpeningBid
from qinqing.bidding.opening.tests.conftest import (
    browser_key,
    files_of,
    pass_deadline,
    passphrase,
    submit,
)
from qinqing.core.models import AuditEntry
from qinqing.core.tests.test_browser_a11y import _violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_bidder_decrypts_its_bid_in_chromium(browser_page, live_url, opening_world):
    w = opening_world
    for who in ("bidder", "bidder2", "bidder4"):
        submit(w, who)
    pass_deadline(w)
    services.opening_start(actor=w["agent"], section=w["section"])
    sent = []
    page = browser_page
    page.on(
        "request",
        lambda r: sent.append(r.post_data or "") if r.method == "POST" else None,
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_url}/login/")
    page.get_by_label("用户名").fill("bidder")
    page.get_by_label("密码").fill("qinqing-demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_url}/")
    page.goto(f"{live_url}/bidding/openings/sections/{w['section'].pk}/")
    page.get_by_text("口令只在本浏览器中使用").wait_for()  # the script is ready
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    axe = pytest.importorskip("axe_playwright_python.sync_playwright").Axe()
    found = _violations(axe, page, "hall")

    # a wrong passphrase: the unwrap fails in the browser, reported and counted
    page.get_by_label("解密口令").fill("这不是正确的口令 0000")
    page.get_by_role("button", name="解密").click()
    page.get_by_text("已记录第 1 次解密失败").wait_for(timeout=30000)
    ob = OpeningBid.objects.get(bidder__uscc=w["usccs"]["bidder"])
    assert ob.failed_attempts == 1 and ob.status == OpeningBid.Status.PENDING
    assert AuditEntry.objects.filter(action="opening.decrypt_failed").exists()

    # the right one: only the content key goes to the platform
    page.get_by_label("解密口令").fill(passphrase("bidder"))
    page.get_by_role("button", name="解密").click()
    page.locator("#own-status").get_by_text("已解密").wait_for(timeout=60000)
    ob.refresh_from_db()
    assert ob.status == OpeningBid.Status.DECRYPTED
    originals = {f.name: hashlib.sha256(f.data).hexdigest() for f in files_of("bidder")}
    opened = OpenedFile.objects.filter(opening_bid=ob)
    assert {o.bid_file.name: o.sha256 for o in opened} == originals
    assert all(passphrase("bidder") not in body for body in sent)
    assert any(browser_key(ob.bid, "bidder") in body for body in sent)

    # the others decrypt; the read-out reaches the bidder's page live (htmx polling)
    for who in ("bidder2", "bidder4"):
        other = OpeningBid.objects.get(bidder__uscc=w["usccs"][who])
        services.opening_decrypt(
            actor=w[who], opening_bid=other, content_key=browser_key(other.bid, who)
        )
    assert Opening.objects.get().status == Opening.Status.READING
    page.locator("#read-out").get_by_text("11,800,000.00").wait_for(timeout=15000)
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    found += _violations(axe, page, "read-out")
    assert not found, "\n".join(found)
