"""Benchmark: a bidder seals and uploads a 100 MB bid in Chromium (issue 19: under 10 s on this
machine), then the opening unseals it (streamed).

    .venv/bin/python bench/sealed_bids_browser.py [--mb 100] [--runs 3]

Builds a throw-away world in a temporary directory (SQLite, media; migrate, the demo, the
`bidder` account's firm registered for a section whose deadline is two days ahead). Starts
Django's live server as the browser tests do and headless Debian chromium as they launch it.
Each run, in a fresh browser context signed in as `bidder`, opens the sealing page, chooses a
small 商务标 and a `--mb` MB 技术标 (a PDF padded to size), fills the schedule and the
passphrase and presses 加密并递交: the figure is the time from the press to the receipt page
(PBKDF2 600,000 iterations; QQ-SEAL-2: each file read with file.slice() in 1 MiB chunks,
AES-256-GCM per chunk in WebCrypto, incremental SHA-256 of plaintext and ciphertext with the
vendored @noble/hashes, each chunk PUT to the chunked upload while the next is encrypted; the
finish: the server's checks and storing the ciphertexts). The peak resident memory of
Chromium's renderer processes (VmHWM, /proc) is read after each run, before its context
closes: with QQ-SEAL-1's page (one GCM call per file) it was 551 MB for a 100 MB bid
(docs/benchmarks.md). Then the last bid is unsealed in Python the way the opening does it
(seal.unseal_stream, 1 MiB chunks).

Prints the machine, each run and the last line

    browser_seal mb=... seal_upload_s_min=... seal_upload_s_median=... seal_upload_s_max=...
        renderer_peak_mb=... unseal_s=...
"""

# ruff: noqa: E402  (Django is set up before the project is imported)
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
TMP = tempfile.mkdtemp(prefix="qq-bench-seal-")
os.environ["DATABASE_URL"] = f"sqlite:///{TMP}/bench.sqlite3"
os.environ["QINQING_VAR_DIR"] = TMP
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import django

django.setup()

from common import machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

PASSPHRASE = "浏览器开标口令 2026"  # noqa: S105  (a benchmark's throw-away bid)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]


def _section():
    from qinqing.bidding.conftest import build_world
    from qinqing.bidding.models import Bidder
    from qinqing.core import demo
    from qinqing.core.models import Organisation

    demo.load(stdout=StringIO())
    w = build_world({u.username: u for u in get_user_model().objects.all()})
    section = w["session"].section
    section.bid_deadline = timezone.now() + timedelta(days=2)
    section.save(update_fields=["bid_deadline"])
    firm = Organisation.objects.get(code="demo-bidder")
    Bidder.objects.create(section=section, uscc=firm.uscc, name=firm.name)
    return section


def _pdf(path: Path, tag: str, size: int) -> None:
    head = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% " + tag.encode() + b"\n"
    tail = b"\n%%EOF\n"
    with path.open("wb") as out:
        out.write(head)
        left = size - len(head) - len(tail)
        block = os.urandom(1 << 20)
        while left > 0:
            out.write(block[: min(left, len(block))])
            left -= len(block)
        out.write(tail)


def _renderer_peak_mb() -> float:
    """The largest peak resident set (VmHWM) of Chromium's renderer processes, in MB."""
    peak = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"--type=renderer" not in cmdline:
                continue
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except OSError:
            continue
    return peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(machine())
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread
    from playwright.sync_api import sync_playwright

    from qinqing.bidding.bids import seal
    from qinqing.bidding.bids.models import Bid

    call_command("migrate", verbosity=0)
    section = _section()
    files = Path(TMP) / "files"
    files.mkdir()
    business, technical = files / "商务标.pdf", files / "技术标.pdf"
    _pdf(business, "business", 200_000)
    _pdf(technical, "technical", args.mb * 1_000_000)
    bidder = get_user_model().objects.get(username="bidder")
    thread = LiveServerThread("127.0.0.1", static_handler=StaticFilesHandler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    base = f"http://127.0.0.1:{thread.port}"
    chromium = os.environ.get("QINQING_CHROMIUM", "/usr/bin/chromium")
    figures, peak = [], 0.0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        for n in range(1, args.runs + 1):
            store = SessionStore()
            store[SESSION_KEY] = str(bidder.pk)
            store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
            store[HASH_SESSION_KEY] = bidder.get_session_auth_hash()
            store.create()
            context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": store.session_key, "url": base}]
            )
            page = context.new_page()
            page.goto(f"{base}/bidding/bids/sections/{section.pk}/seal/")
            page.get_by_text("请选择文件、填写开标一览表").wait_for()
            page.get_by_label("商务标（PDF，可多个）").set_input_files(str(business))
            page.get_by_label("技术标（PDF，可多个）").set_input_files(str(technical))
            page.get_by_label("投标报价（元）").fill("8765432.10")
            page.get_by_label("工期（日历天）").fill("240")
            page.get_by_label("质量标准").fill("合格")
            page.get_by_label("项目经理").fill("李建华")
            page.locator("#id_passphrase").fill(PASSPHRASE)
            page.get_by_label("再次输入解密口令").fill(PASSPHRASE)
            started = time.perf_counter()
            page.get_by_role("button", name="加密并递交").click()
            page.wait_for_url("**/bidding/bids/receipts/*/", timeout=300_000)
            seconds = time.perf_counter() - started
            figures.append(seconds)
            run_peak = _renderer_peak_mb()  # the page's renderer is alive until the close
            peak = max(peak, run_peak)
            print(
                f"  run {n}: sealed and uploaded in {seconds:.2f} s (renderer peak {run_peak:.0f} MB)"
            )
            context.close()
        browser.close()
    thread.terminate()

    bid = Bid.objects.filter(status=Bid.Status.SUBMITTED).get()
    manifest = seal.manifest_check(bid.manifest, max_file_bytes=1 << 30)
    key = seal.unwrap_key(manifest, PASSPHRASE)
    started = time.perf_counter()
    for row, entry in zip(bid.files.order_by("position"), manifest.files, strict=True):
        with row.ciphertext.open("rb") as fileobj:
            for _chunk in seal.unseal_stream(manifest, entry, key, fileobj):
                pass
    unseal = time.perf_counter() - started
    print(
        f"browser_seal mb={args.mb} seal_upload_s_min={min(figures):.2f} "
        f"seal_upload_s_median={statistics.median(figures):.2f} "
        f"seal_upload_s_max={max(figures):.2f} renderer_peak_mb={peak:.0f} unseal_s={unseal:.2f}"
    )


if __name__ == "__main__":
    main()
