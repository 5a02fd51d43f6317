"""The CA page a verifier opens on a phone: the root's fingerprint wraps instead of pushing the
page sideways, the downloads are links, and axe finds nothing serious."""

import pytest

from qinqing.core.signing import pki
from qinqing.core.tests.browser_pages import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ca_page_on_a_phone(browser_page, live_url, demo_users):
    root, _ = pki.ca_init(actor=None)
    page = browser_page
    page.set_viewport_size(PHONE)
    assert page.goto(f"{live_url}/pki/").status == 200
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width
    assert pki.fingerprint(root) in page.content()
    href = page.get_by_role("link", name="下载根证书（PEM）").get_attribute("href")
    assert href == "/pki/ca.pem"
    sync_axe = pytest.importorskip("axe_playwright_python.sync_playwright")
    serious = [
        v["id"]
        for v in sync_axe.Axe().run(page).response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
    assert not serious
