"""Benchmark: the workstation viewer shows the first page of a 300-page bid (issue 19, target
< 1 s).

    .venv/bin/python bench/viewer.py [--pages 300] [--runs 5]

Builds a throw-away world in a temporary directory (SQLite, media): migrate, the demo, a
section whose three bids are WeasyPrint PDFs with Chinese text (the first bidder's technical
file has `--pages` pages, one heading each, so an outline of as many entries), sealed with
QQ-SEAL-1, decrypted at an opening run through its services and closed; the committee seated,
signed in and declared; the evaluation started. Then Django's live server (as the browser
tests run it) and headless Debian chromium (as the browser tests launch it): each run opens
the viewer on that file in a fresh browser context (nothing cached) at a signed-in seat and
reads `performance.mark("qq-first-page")` — set by viewer.js once page 1 is on the canvas
with its watermark — i.e. milliseconds from navigation start: the HTML, viewer.js, PDF.js and
its worker, the PDF's bytes through the seat-checked view, parsing, rendering.

With `--next-file` each run first opens another bid's (small) file in the same context, as an
expert moving from one bid to the next does: PDF.js then comes from the browser's cache, the
300-page document does not (its view answers no-store).

Prints the machine, the PDF's size, each run and the last line

    viewer pages=... bytes=... next_file=0|1 first_page_ms_min=... first_page_ms_median=... first_page_ms_max=...
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
TMP = tempfile.mkdtemp(prefix="qq-bench-viewer-")
os.environ["DATABASE_URL"] = f"sqlite:///{TMP}/bench.sqlite3"
os.environ["QINQING_VAR_DIR"] = TMP
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import django

django.setup()

from common import machine
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.utils import timezone

# When each download ended (ms from navigation start): the page, viewer.js, PDF.js, the PDF.
TIMINGS = """() => {
  const out = [];
  const nav = performance.getEntriesByType('navigation')[0];
  out.push('html ' + Math.round(nav.responseEnd));
  for (const e of performance.getEntriesByType('resource')) {
    const name = e.name.split('/').filter(Boolean).pop();
    if (/viewer|pdf\\.min|pdf\\.worker|^pdf$/.test(name)) {
      out.push(name.replace(/\\.[0-9a-f]{12}\\./, '.') + ' ' + Math.round(e.responseEnd));
    }
  }
  for (const m of ['qq-pdfjs-ready', 'qq-document-parsed', 'qq-page-loaded', 'qq-page-drawn']) {
    const e = performance.getEntriesByName(m)[0];
    if (e) out.push(m.slice(3) + ' ' + Math.round(e.startTime));
  }
  return out.join(', ');
}"""

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _world(pages: int):
    from qinqing.bidding.bids.tests.conftest import _firm_user
    from qinqing.bidding.conftest import BIDDER_USCCS, build_world
    from qinqing.bidding.criteria import standard_template
    from qinqing.bidding.evaluation import services as evaluation_services
    from qinqing.bidding.models import Bidder
    from qinqing.bidding.opening.models import OpenedFile
    from qinqing.bidding.seating.tests.test_evaluation_day import full_committee
    from qinqing.bidding.viewer.tests.conftest import open_and_close, submit_pdf_bid
    from qinqing.core import demo
    from qinqing.core.models import Organisation

    demo.load(stdout=StringIO())
    w = build_world({u.username: u for u in get_user_model().objects.all()})
    section = w["session"].section
    section.bid_deadline = timezone.now() + timedelta(days=2)
    section.save(update_fields=["bid_deadline"])
    firm = Organisation.objects.get(code="demo-bidder")
    Bidder.objects.create(section=section, uscc=firm.uscc, name=firm.name)
    w["section"] = section
    w["bidder2"] = _firm_user("bidder2", "bidder2-firm", BIDDER_USCCS[0])
    w["bidder4"] = _firm_user("bidder4", "bidder4-firm", BIDDER_USCCS[1])
    w["usccs"] = {"bidder": firm.uscc, "bidder2": BIDDER_USCCS[0], "bidder4": BIDDER_USCCS[1]}
    started = time.perf_counter()
    for who in ("bidder", "bidder2", "bidder4"):
        submit_pdf_bid(w, who, pages if who == "bidder" else 2)
    print(f"  bids made and sealed in {time.perf_counter() - started:.1f} s")
    open_and_close(w)
    session, seats = full_committee(w)
    evaluation_services.plan_set(
        actor=w["centre_wh"],
        session=session,
        template=standard_template(session.section.project.method),
    )
    evaluation_services.session_start(actor=w["centre_wh"], session=session)
    big = OpenedFile.objects.get(opening_bid__bidder__uscc=firm.uscc, bid_file__name="技术标.pdf")
    small = OpenedFile.objects.exclude(pk=big.pk).order_by("pk").first()
    return seats[0], big, small


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--next-file",
        action="store_true",
        help="open another bid's file first in the same browser context (PDF.js cached)",
    )
    args = parser.parse_args()
    print(machine())
    from django.conf import settings
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread
    from playwright.sync_api import sync_playwright

    from qinqing.bidding.seating.workstation import SEAT_KEY

    call_command("migrate", verbosity=0)
    seat, big, small = _world(args.pages)
    print(f"  the file: {args.pages} pages, {big.size:,} bytes")
    thread = LiveServerThread("127.0.0.1", static_handler=StaticFilesHandler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    base = f"http://127.0.0.1:{thread.port}"
    url = f"{base}/bidding/workstation/documents/?file={big.pk}"
    chromium = os.environ.get("QINQING_CHROMIUM", "/usr/bin/chromium")
    figures = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        for n in range(args.runs + 1):  # the first run warms the server, not counted
            store = SessionStore()
            store[SEAT_KEY] = seat.pk
            store.create()
            context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": store.session_key, "url": base}]
            )
            page = context.new_page()
            if args.next_file:
                # the expert has read another bid's file first: PDF.js is in the browser's
                # cache, the 300-page document is not
                page.goto(f"{base}/bidding/workstation/documents/?file={small.pk}")
                page.wait_for_selector("#viewer-canvas[data-rendered='1']", timeout=60000)
            page.goto(url)
            page.wait_for_selector("#viewer-canvas[data-rendered='1']", timeout=60000)
            ms = page.evaluate("performance.getEntriesByName('qq-first-page')[0].startTime")
            parts = page.evaluate(TIMINGS)
            total = page.locator("#viewer-total").inner_text()
            context.close()
            if total != str(args.pages):
                raise SystemExit(f"the viewer counted {total} pages, not {args.pages}")
            label = "warm-up" if n == 0 else f"run {n}"
            print(f"  {label}: first page on the canvas after {ms:.0f} ms ({parts})")
            if n:
                figures.append(ms)
        browser.close()
    thread.terminate()
    print(
        f"viewer pages={args.pages} bytes={big.size} next_file={int(args.next_file)} "
        f"first_page_ms_min={min(figures):.0f} "
        f"first_page_ms_median={statistics.median(figures):.0f} "
        f"first_page_ms_max={max(figures):.0f}"
    )


if __name__ == "__main__":
    main()
