"""A committee member at a signed-in workstation reads a bid in Chromium: PDF.js renders page 1
of a WeasyPrint PDF (Chinese text, an outline from its headings) with the watermark drawn on
the canvas, a Chinese word is found by full-text search and its page shown, and the pages on
screen reach the read log. The page fits a phone's 390 px."""

from __future__ import annotations

import os
import time

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore

from qinqing.bidding.seating.workstation import SEAT_KEY
from qinqing.bidding.viewer.models import DocumentAccess, PageRead
from qinqing.bidding.viewer.tests.conftest import NEEDLE
from qinqing.core.models import AuditEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Pixels of the watermark (rgba(200, 30, 40, .16) over white): reddish, not grey or black.
WATERMARK_PIXELS = """() => {
  const c = document.getElementById('viewer-canvas');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let red = 0, ink = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i] - d[i + 1] > 15 && d[i] > 200) red++;
    if (d[i] < 100 && d[i + 1] < 100 && d[i + 2] < 100) ink++;
  }
  return [red, ink];
}"""


def sign_in_seat(page, live_url, seat) -> None:
    """The workstation's browser session after sign-in (SEAT_KEY), as a cookie."""
    store = SessionStore()
    store[SEAT_KEY] = seat.pk
    store.create()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": store.session_key, "url": live_url}]
    )


def _shot(page, name: str) -> None:
    folder = os.environ.get("QINQING_SHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=False)


def test_member_reads_searches_and_is_logged(browser_page, live_url, viewer_world):
    w = viewer_world
    seat = w["seats"][0]
    technical = w["files"]["bidder"][1]
    page = browser_page
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in_seat(page, live_url, seat)
    page.goto(f"{live_url}/bidding/workstation/documents/?file={technical.pk}")
    page.wait_for_selector("#viewer-canvas[data-rendered='1']", timeout=30000)
    assert page.locator("#viewer-total").inner_text() == "4"
    red, ink = page.evaluate(WATERMARK_PIXELS)
    assert red > 500, "no watermark drawn on the canvas"
    assert ink > 500, "page 1 rendered blank"
    # the outline from the PDF's headings
    outline = page.locator("#viewer-outline")
    outline.get_by_text("第3章 技术标内容").wait_for(timeout=10000)
    _shot(page, "viewer-desk")
    # full-text search for a Chinese word: found on page 3 only, and shown
    page.locator("#viewer-q").fill(NEEDLE)
    page.get_by_role("button", name="检索").click()
    page.wait_for_selector("#viewer-canvas[data-rendered='3']", timeout=30000)
    hits = page.locator("#viewer-hits li")
    assert hits.count() == 1 and "第 3 页" in hits.first.inner_text()
    assert "page=3" in page.url
    # the outline jumps too
    outline.get_by_text("第2章 技术标内容").click()
    page.wait_for_selector("#viewer-canvas[data-rendered='2']", timeout=30000)
    # the read log reaches the platform (every 5 s)
    deadline = time.monotonic() + 20
    pages = set()
    while time.monotonic() < deadline and not {1, 2, 3} <= pages:
        time.sleep(1)
        pages = set(PageRead.objects.filter(access__seat=seat).values_list("page", flat=True))
    assert {1, 2, 3} <= pages, pages
    assert DocumentAccess.objects.get(seat=seat, opened_file=technical).page_count == 4
    assert AuditEntry.objects.filter(action="viewer.open").count() == 1
    # no download link anywhere on the page
    assert page.locator("a[download]").count() == 0
    assert page.locator("a[href*='/pdf/']").count() == 0
    # a phone's width: no horizontal scroll
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_selector("#viewer-canvas[data-rendered='2']", timeout=30000)
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    _shot(page, "viewer-phone")
    assert not errors, errors

    # the score sheet links an item to the page the bidder's response table gives
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_url}/bidding/workstation/sheet/review/")
    link = page.get_by_role("link", name="响应页 P1").first
    assert f"file={w['files']['bidder'][0].pk}" in link.get_attribute("href")
    _shot(page, "sheet-desk")

    # the supervisor sees what the member read
    other = page.context.browser.new_context(locale="zh-CN")
    sup = other.new_page()
    sup.goto(f"{live_url}/login/")
    sup.get_by_label("用户名").fill("supervisor")
    sup.get_by_label("密码").fill("qinqing-demo")
    sup.get_by_role("button", name="登录").click()
    sup.wait_for_url(f"{live_url}/")
    for width, height, name in ((1280, 800, "reads-desk"), (390, 844, "reads-phone")):
        sup.set_viewport_size({"width": width, "height": height})
        sup.goto(f"{live_url}/bidding/sessions/{w['session'].pk}/reads/")
        sup.get_by_text(seat.workstation.code).first.wait_for()
        assert sup.evaluate("document.documentElement.scrollWidth <= innerWidth")
        _shot(sup, name)
    other.close()


def test_the_documents_api_keeps_its_contract_under_fuzzing(live_url, viewer_world):
    """schemathesis on the two operations, as the member's workstation, another seat not on
    the committee and anonymous: every answer documented (status, content type, body)."""
    import requests

    apifuzz = pytest.importorskip("qinqing.core.apifuzz", reason="needs schemathesis")
    w = viewer_world
    outsider = w["seats"][1]
    type(outsider).objects.filter(pk=outsider.pk).update(declared_at=None)
    document = requests.get(f"{live_url}/api/v1/openapi.json", timeout=30).json()
    files = [f.pk for fs in w["files"].values() for f in fs]
    report = apifuzz.fuzz(
        live_url,
        document,
        [
            apifuzz.Identity("anonymous"),
            apifuzz.seat_identity(w["seats"][0]),
            apifuzz.seat_identity(outsider, "not-a-member"),
        ],
        max_examples=5,
        path_values={"file_id": files},
        only=lambda op: op.path.startswith("/api/v1/bidding/workstation/documents"),
    )
    findings = "\n".join(str(f) for f in report.findings[:20])
    assert report.operations == 2
    assert report.statuses[200] and report.statuses[404] and report.statuses[401]
    assert report.server_errors == 0 and not report.findings, f"{report.summary()}\n{findings}"
