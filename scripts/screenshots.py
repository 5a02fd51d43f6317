#!/usr/bin/env python3
"""Screenshots of each demo role's home, on a desk (1280 × 800) and on a phone (390 × 844).

    .venv/bin/python scripts/screenshots.py http://127.0.0.1:8000 [--out docs/screenshots]
        [--users enterprise,creditor] [--password qinqing-demo] [--full-page]

Run it against a server with the demo loaded (`make demo`). It signs in as each demo account
through the login page, opens its home and saves docs/screenshots/<role>-desk.png and
<role>-phone.png, plus public-desk.png / public-phone.png for the front door seen without an
account. Playwright drives Debian's chromium (/usr/bin/chromium, or $QINQING_CHROMIUM); it never
downloads a browser.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# The accounts `qinqing load_demo` creates (qinqing/core/demo.py ACCOUNTS, and the bidder of the
# bidding demo), in the order the demo prints them.
DEMO_USERS = [
    "admin",
    "editor",
    "liaison",
    "instructor",
    "dispatcher",
    "centre_wh",
    "centre_jk",
    "supervisor",
    "agent",
    "tenderer",
    "expert",
    "judge",
    "administrator",
    "creditor",
    "enterprise",
    "bidder",
    "volunteer",
]
VIEWPORTS = {"desk": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the running server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--out", default="docs/screenshots", help="directory for the PNG files")
    parser.add_argument("--users", default=",".join(DEMO_USERS), help="comma-separated accounts")
    parser.add_argument(
        "--password", default=os.environ.get("QINQING_DEMO_PASSWORD", "qinqing-demo")
    )
    parser.add_argument(
        "--full-page", action="store_true", help="the whole page, not only the first screen"
    )
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    base = args.url.rstrip("/")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    chromium = os.environ.get("QINQING_CHROMIUM", "/usr/bin/chromium")
    failed = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for name, viewport in VIEWPORTS.items():
            context = browser.new_context(viewport=viewport, locale="zh-CN")
            page = context.new_page()
            page.goto(f"{base}/")
            page.screenshot(path=out / f"public-{name}.png", full_page=args.full_page)
            context.close()
        for username in [u.strip() for u in args.users.split(",") if u.strip()]:
            for name, viewport in VIEWPORTS.items():
                context = browser.new_context(viewport=viewport, locale="zh-CN")
                page = context.new_page()
                page.goto(f"{base}/login/")
                page.get_by_label("用户名").fill(username)
                page.get_by_label("密码").fill(args.password)
                page.get_by_role("button", name="登录").click()
                page.wait_for_load_state()
                if "/login/" in page.url:
                    print(f"{username}: could not sign in (is the demo loaded?)", file=sys.stderr)
                    failed.append(username)
                    context.close()
                    break
                page.goto(f"{base}/")
                path = out / f"{username}-{name}.png"
                page.screenshot(path=path, full_page=args.full_page)
                print(path)
                context.close()
        browser.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
