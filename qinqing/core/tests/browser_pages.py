"""Helpers for the page-walking browser tests: the demo world, signing in, the pages to walk."""

from __future__ import annotations

import re
from io import StringIO
from urllib.parse import urljoin, urlparse

PASSWORD = "qinqing-demo"
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}

# Links a walk does not follow: leaving, downloads, the admin and the API, and pages that act.
NOT_WALKED = re.compile(
    r"/logout|/admin/|/api/|/i18n/|\.(xlsx|pdf|docx|png|svg|json|csv|pem|cer)$|/export|/act/|signout"
)


def load_demo() -> None:
    from django.core.management import call_command

    call_command("load_demo", stdout=StringIO())


def public_seeds() -> list[str]:
    """The pages anyone may open without an account, found in the demo data: the needs QR form
    and progress page, event registration and check-in, the bankruptcy notices, the published
    briefs, the clusters and their instructors, the working-day calendar, the experts' and
    workstations' sign-in, the audit anchors, the CA page, the login."""
    from qinqing.activities.models import Event, Registration
    from qinqing.briefing.models import Issue, Series
    from qinqing.needs.models import Need, QrCode

    seeds = ["/", "/login/", "/bankruptcy/public/", "/bidding/expert/", "/bidding/signin/"]
    seeds += ["/audit/anchors/", "/pki/", "/enterprises/clusters/", "/calendar/"]
    qr = QrCode.objects.filter(is_active=True).order_by("pk").first()
    if qr:
        seeds.append(f"/needs/q/{qr.key}/")
    need = Need.objects.exclude(token="").order_by("pk").first()
    if need:
        seeds.append(f"/needs/t/{need.token}/")
    for event in Event.objects.order_by("-starts_at")[:2]:
        seeds.append(f"/activities/r/{event.reg_key}/")
    registration = Registration.objects.order_by("-pk").first()
    if registration:
        seeds.append(f"/activities/c/{registration.secret}/")
    for series in Series.objects.order_by("pk"):
        seeds.append(f"/briefing/p/{series.code}/")
        issue = (
            Issue.objects.filter(series=series, status=Issue.Status.PUBLISHED)
            .order_by("-number")
            .first()
        )
        if issue:
            seeds.append(f"/briefing/p/{series.code}/{issue.number}/")
    return seeds


def sign_in(page, live_url: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def walk(page, live_url: str, seeds: list[str], *, depth: int = 1, limit: int = 60):
    """Opens the seeds and the pages they link to (same site, up to `depth` links away) and
    yields each page's path once it is loaded with a 200."""
    host = urlparse(live_url).netloc
    queue = [(seed, 0) for seed in seeds]
    seen: set[str] = set()
    while queue and len(seen) < limit:
        path, level = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(live_url + path)
        if response is None or response.status != 200:
            continue
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        current = urlparse(page.url).path
        yield current
        if level >= depth:
            continue
        hrefs = page.eval_on_selector_all(
            "a[href]", "links => links.map(link => link.getAttribute('href'))"
        )
        for href in hrefs:
            target = urlparse(urljoin(page.url, href))
            if target.netloc != host or NOT_WALKED.search(target.path):
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            if link not in seen:
                queue.append((link, level + 1))
