"""A bidder seals and uploads its bid in Chromium (WebCrypto, bid_seal.js: QQ-SEAL-2, chunk by
chunk through the chunked upload) on a phone-sized screen (axe-core finds nothing serious on the pages); the Python unseal the opening will use recovers every file and the schedule with the
passphrase, byte for byte. A file that is not a PDF is stopped in the browser, before sealing."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest

from qinqing.bidding.bids.tests.conftest import pdf_bytes
from qinqing.core.tests.test_browser_a11y import _violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSPHRASE = "浏览器开标口令 2026"


def test_bidder_seals_in_chromium_and_python_unseals(browser_page, live_url, bids_world, tmp_path):
    from qinqing.bidding.bids import seal
    from qinqing.bidding.bids.models import Bid, BidReceipt, BidUpload

    w = bids_world
    business = tmp_path / "商务标.pdf"
    business.write_bytes(pdf_bytes("browser business", 2_500_000))  # three 1 MiB chunks
    technical = tmp_path / "技术标.pdf"
    technical.write_bytes(pdf_bytes("browser technical", 50_000))
    fake = tmp_path / "资格.pdf"
    fake.write_bytes(b"GIF89a pretending to be a PDF")
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_url}/login/")
    page.get_by_label("用户名").fill("bidder")
    page.get_by_label("密码").fill("qinqing-demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_url}/")
    page.goto(f"{live_url}/bidding/bids/")
    page.get_by_role("link", name="加密并递交投标文件").click()
    page.wait_for_url(f"**/bidding/bids/sections/{w['section'].pk}/seal/")
    page.get_by_text("请选择文件、填写开标一览表").wait_for()  # the script is ready
    axe = pytest.importorskip("axe_playwright_python.sync_playwright").Axe()
    found = _violations(axe, page, "seal")
    page.get_by_label("商务标（PDF，可多个）").set_input_files(str(business))
    page.get_by_label("技术标（PDF，可多个）").set_input_files(str(technical))
    page.get_by_label("资格审查资料（PDF，可多个）").set_input_files(str(fake))
    page.get_by_label("投标报价（元）").fill("8765432.10")
    page.get_by_label("工期（日历天）").fill("240")
    page.get_by_label("质量标准").fill("合格")
    page.get_by_label("项目经理").fill("李建华")
    page.get_by_label("招标文件要求声明的其他事项（选填）").fill("安全文明施工费：98000.00")
    # the response table: a row pointing at one of the chosen files, its page checked here
    page.get_by_role("button", name="添加一行").click()
    page.get_by_label("第 1 行评审项编号").fill("T1")
    page.get_by_label("第 1 行文件").select_option("技术标.pdf")
    page.get_by_label("第 1 行页码").fill("0")
    page.locator("#id_passphrase").fill(PASSPHRASE)
    page.get_by_label("再次输入解密口令").fill(PASSPHRASE)
    page.get_by_role("button", name="加密并递交").click()
    page.get_by_text("文件“资格.pdf”不是 PDF").wait_for()
    page.get_by_text("响应表第 1 行").wait_for()
    assert not Bid.objects.exists()
    found += _violations(axe, page, "seal with a response row")
    page.get_by_label("第 1 行页码").fill("2")
    page.get_by_label("资格审查资料（PDF，可多个）").set_input_files([])
    page.get_by_role("button", name="加密并递交").click()
    page.wait_for_url("**/bidding/bids/receipts/*/", timeout=60000)
    receipt = BidReceipt.objects.get()
    assert receipt.number in page.content()
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    found += _violations(axe, page, "receipt")
    page.goto(f"{live_url}/bidding/bids/")
    found += _violations(axe, page, "my bids")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert not found, "\n".join(found)

    bid = Bid.objects.get()
    assert bid.source == Bid.Source.BROWSER and bid.organisation == w["firm"]
    assert bid.client_ip == "127.0.0.1" and "Chrome" in bid.user_agent
    assert bid.manifest["version"] == "QQ-SEAL-2" and bid.manifest["files"][0]["size"] > 2**21
    assert not BidUpload.objects.exists()  # the upload's temporary files went with it
    manifest = seal.manifest_check(bid.manifest, max_file_bytes=100 * 1024 * 1024)
    key = seal.unwrap_key(manifest, PASSPHRASE)
    originals = {"商务标.pdf": business.read_bytes(), "技术标.pdf": technical.read_bytes()}
    for row, entry in zip(bid.files.order_by("position"), manifest.files, strict=True):
        with row.ciphertext.open("rb") as fileobj:
            plain = b"".join(seal.unseal_stream(manifest, entry, key, fileobj))
        assert plain == originals[entry.name]
        assert hashlib.sha256(plain).hexdigest() == row.sha256 == entry.sha256
    assert [f["name"] for f in receipt.files] == ["商务标.pdf", "技术标.pdf"]
    schedule = seal.unseal_schedule(manifest, key)
    assert schedule.price == Decimal("8765432.10") and schedule.duration_days == 240
    assert schedule.declared_items == (seal.DeclaredItem("安全文明施工费", "98000.00"),)
    assert schedule.responses == (seal.ResponseRef("T1", "技术标.pdf", 2),)
