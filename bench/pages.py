"""Every page a person opens, at province scale, for one user and for many (issue 24).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qq_bench_pages \\
        .venv/bin/python bench/pages.py [--scale 1] [--users 50] [--seconds 60] [--repeat 5]

Only on a throw-away PostgreSQL database whose name starts with `qq_bench` (created when
missing). `build` (skipped for what the database already holds, so later runs measure at once):

- migrate, the demo (every role's account and menus), collectstatic;
- needs: `bench/fixtures/needs.py figures` — 1,000,000 needs over three years and 100,000 firms
  at `--scale 1`, in the demo's departments and categories (the dispatcher sees all of them, a
  department's liaison its share);
- experts: `bench/draw.py --build-only` — 1,000,000 experts with three years of past draws, in a
  centre of their own whose administrator `bench-centre` is measured with the demo roles;
- bankruptcy: `bench/bankruptcy.py`'s case with 100,000 creditors (about 130,000 claims), the
  demo administrator and judge appointed to it, its meeting open with ballots;
- the audit chain: 1,000,000 entries appended through `audit_log_many`;
- 10,000 events of the needs & activities module over three years.

`measure` starts gunicorn as production does (deploy/gunicorn.conf.py, DEBUG off) and signs in
every demo role (and `bench-centre`). Each role's pages are what its menu offers (the links of
the side navigation on its home page) and its home; for each list page also its last page (the
deepest `?page=` its pager links to) and the filtered views in FILTERS; then the API's lists
(every GET operation of the OpenAPI document without a path parameter) with the role's token;
and the public pages. First one user at a time: each page `--repeat` times after one warm-up
request (p50, p95 per page). Then `--users` clients at once (closed loop, no pause), each a
role's session going round its pages in random order for `--seconds`: p50, p95 per page over
all requests. Any answer but 200 is an error (a page the menu offers must open).

The table lists every page with both runs; then the slowest ten by p95 under load. The last line:
`pages pages=... single_p95_max_ms=... concurrent_p95_max_ms=... over_150ms=... errors=...`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from common import (  # noqa: E402
    ensure_database,
    fixture,
    machine,
    production_keys,
    vacuum_analyze,
    wait_until_up,
)
from soak import percentile  # noqa: E402

TARGET_MS = 150
PASSWORD = os.environ.get("QINQING_DEMO_PASSWORD", "qinqing-demo")
# Filtered views of the long lists, per path: what people narrow them by.
FILTERS: dict[str, list[str]] = {
    "/needs/": ["?state=assigned", "?late=1", "?q=开票"],
    "/audit/": ["?action=need."],
    "/enterprises/": ["?q=基准"],
    "/bidding/experts/": ["?q=B0101"],
}
# API lists that need a query (the figures: a period); the workstation's API takes a seat's
# token, not a person's, and is measured by bench/scoring.py.
API_QUERY = {"/figures": "?from={year}-01-01&to={year}-12-31"}
# Pages that answer something other than a page for a GET (downloads, forms that post).
SKIP = re.compile(r"(\.xlsx|\.pdf|\.docx|\.json|/logout/|/export)")

# Run inside `qinqing shell` after the fills: appoints the demo court staff to the bench case,
# gives the bench expert centre an administrator, and issues every account's API token.
_ACCOUNTS = """
import json
from django.contrib.auth import get_user_model
from qinqing.core.demo import ACCOUNTS
from qinqing.core.models import Organisation, RoleGrant
from qinqing.core.roles import Role
from qinqing.core.services import api_token_issue
User = get_user_model()
centre = Organisation.objects.filter(code="bench-centre").first()
names = [a.username for a in ACCOUNTS]
if centre is not None:
    user, created = User.objects.get_or_create(username="bench-centre")
    if created:
        user.first_name = "基准测试交易中心管理员"
        user.set_password(%(password)r)
        user.save()
    RoleGrant.objects.get_or_create(user=user, role=Role.CENTRE_ADMIN, organisation=centre)
    names.append("bench-centre")
print(json.dumps({
    "tokens": {n: api_token_issue(actor=User.objects.get(username=n))[0] for n in names},
}))
"""

_AUDIT_AND_EVENTS = """
import random, secrets, sys
from datetime import datetime, timedelta
from django.db import transaction
from django.utils import timezone
from qinqing.activities.models import Event
from qinqing.core.audit import AuditRecord, audit_log_many
from qinqing.core.models import AuditEntry, Organisation
audit_target, events_target = %(audit)d, %(events)d
have = AuditEntry.objects.filter(action="bench.entry").count()
orgs = list(Organisation.objects.filter(kind="department").values_list("pk", flat=True)) or [None]
rng = random.Random(11)
while have < audit_target:
    n = min(5000, audit_target - have)
    with transaction.atomic():
        audit_log_many([
            AuditRecord(action="bench.entry", organisation=None, object_type="needs.need",
                        object_id=str(rng.randrange(1, 10**6)), detail={"n": have + i})
            for i in range(n)
        ])
    have += n
    if have %% 100000 == 0:
        print(f"  {have} audit entries", file=sys.stderr, flush=True)
have = Event.objects.filter(title__startswith="基准测试活动").count()
lead = Organisation.objects.filter(kind="department").first()
origin = timezone.make_aware(datetime(2024, 1, 1, 9))
rows = []
for i in range(have, events_target):
    start = origin + timedelta(hours=rng.randrange(3 * 365 * 24))
    rows.append(Event(kind=rng.choice(Event.Kind.values), title=f"基准测试活动{i}",
                      lead_department=lead, place="洪山区政务服务中心", starts_at=start,
                      ends_at=start + timedelta(hours=2), capacity=100,
                      state="done" if start < timezone.now() else "planned",
                      reg_key=f"bench-{i}-{secrets.token_hex(4)}"))
Event.objects.bulk_create(rows, batch_size=2000)
print("{}")
"""


def _qinqing(*args: str, env: dict, bench: str = "") -> str:
    command = fixture(bench, *args) if bench else [sys.executable, str(ROOT / "manage.py"), *args]
    result = subprocess.run(command, env=env, check=False, capture_output=True, text=True)
    if result.returncode:
        sys.stdout.write(result.stdout[-3000:] + result.stderr[-3000:])
        raise SystemExit(f"{' '.join(args[:2])} failed ({result.returncode})")
    return result.stdout


def _script(path: str, *args: str, env: dict) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / path), *args], env=env, check=False, capture_output=True,
        text=True,
    )  # fmt: skip
    if result.returncode:
        sys.stdout.write(result.stdout[-3000:] + result.stderr[-3000:])
        raise SystemExit(f"{path} failed ({result.returncode})")
    return result.stdout


def build(args, env: dict) -> None:
    scale = args.scale
    needs, firms = int(1_000_000 * scale), int(100_000 * scale)
    experts, creditors = int(1_000_000 * scale), int(100_000 * scale)
    audit, events = int(1_000_000 * scale), int(10_000 * scale)
    # The demo is loaded once per database (it takes minutes): a marker beside the keys says so.
    name = urllib.parse.urlsplit(env["DATABASE_URL"]).path.lstrip("/")
    marker = Path(env["QINQING_VAR_DIR"]) / "bench" / f"pages-{name}.demo"

    def demo() -> None:
        _qinqing("migrate", "--no-input", env=env)
        if not marker.exists():
            _qinqing("load_demo", env=env)
            _qinqing("collectstatic", "--no-input", env=env)
            marker.write_text("loaded\n")

    steps = [
        ("migrate, demo, static files", demo),
        (f"{needs:,} needs, {firms:,} firms", lambda: _qinqing(
            "figures", f"--needs={needs}", f"--firms={firms}", env=env, bench="needs")),
        (f"{experts:,} experts", lambda: _script(
            "bench/draw.py", f"--experts={experts}", "--build-only", env=env)),
        (f"a case of {creditors:,} creditors", lambda: _script(
            "bench/bankruptcy.py", f"--creditors={creditors}", "--runs=1", env=env)),
        (f"{audit:,} audit entries, {events:,} events", lambda: _qinqing(
            "shell", "-c", _AUDIT_AND_EVENTS % {"audit": audit, "events": events}, env=env)),
    ]  # fmt: skip
    for label, step in steps:
        started = time.monotonic()
        print(f"  build: {label} …", end="", flush=True)
        step()
        print(f" {time.monotonic() - started:.0f} s", flush=True)
    vacuum_analyze(env["DATABASE_URL"])


@dataclass
class Page:
    role: str
    path: str
    single: list[float] = field(default_factory=list)
    loaded: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Session:
    """One signed-in role on one keep-alive connection (cookies or a bearer token)."""

    def __init__(self, port: int, role: str, token: str = ""):
        self.port, self.role, self.token = port, role, token
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str, *, api: bool = False, body: bytes | None = None, headers=None):
        headers = dict(headers or {})
        if api and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        elif self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            try:
                target = urllib.parse.quote(path, safe="/?&=%:+,")  # filters in Chinese
                self.conn.request("POST" if body else "GET", target, body=body, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                continue
            for value in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, payload
        raise AssertionError("unreachable")

    def sign_in(self, username: str) -> None:
        status, page = self.get("/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not token:
            raise SystemExit(f"login form: {status}")
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token.group(1).decode(), "username": username,
             "password": PASSWORD}
        ).encode()  # fmt: skip
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"http://127.0.0.1:{self.port}/login/",
        }
        status, page = self.get("/login/", body=body, headers=headers)
        if status != 302:
            raise SystemExit(f"{username} could not sign in: {status}")


def _links(html: bytes) -> list[str]:
    nav = re.search(rb'<nav class="sidenav".*?</nav>', html, re.S)
    found = re.findall(rb'href="(/[^"#]*)"', nav.group(0) if nav else b"")
    return [h.decode().replace("&amp;", "&") for h in found]


def _deepest(html: bytes) -> int:
    pages = [int(n) for n in re.findall(rb"[?&](?:amp;)?page=(\d+)", html)]
    return max(pages, default=1)


def discover(port: int, tokens: dict[str, str]) -> tuple[list[Page], dict[str, Session]]:
    """Every role's pages, each opened once (the warm-up), and the public ones."""
    sessions: dict[str, Session] = {}
    pages: list[Page] = []
    seen: set[tuple[str, str]] = set()

    def add(role: str, path: str, api: bool = False) -> bytes | None:
        if (role, path) in seen or SKIP.search(path):
            return None
        seen.add((role, path))
        status, payload = sessions[role].get(path, api=api)
        if api and status in (403, 404):
            return None  # an API list this role is not given: not one of its pages
        page = Page(role, path)
        if status != 200:
            page.errors.append(f"warm-up {status}")
        pages.append(page)
        return payload

    openapi = json.loads(Session(port, "anonymous").get("/api/v1/openapi.json")[1])
    year = date.today().year
    api_lists = sorted(
        (p if p.startswith("/api/") else "/api/v1" + p) + API_QUERY.get(p.rsplit("/v1", 1)[-1], "")
        for p, ops in openapi["paths"].items()
        if "get" in ops and "{" not in p and "openapi" not in p and "workstation" not in p
    )
    api_lists = [p.replace("{year}", str(year)) for p in api_lists]
    sessions["anonymous"] = Session(port, "anonymous")
    front = add("anonymous", "/") or b""
    for found in re.findall(rb'href="(/[^"#]*)"', front):  # the front door's doors
        path = found.decode().replace("&amp;", "&")
        if not path.startswith(("/static/", "/login/", "/i18n/")):
            add("anonymous", path)
    for role, token in tokens.items():
        sessions[role] = Session(port, role, token)
        sessions[role].sign_in(role)
        home = add(role, "/") or b""
        for path in _links(home):
            html = add(role, path)
            if html is None:
                continue
            if (deepest := _deepest(html)) > 1:
                add(role, f"{path}{'&' if '?' in path else '?'}page={deepest}")
            for query in FILTERS.get(path, []):
                add(role, path + query)
        for path in api_lists:
            add(role, path, api=True)
    return pages, sessions


def measure_single(pages: list[Page], sessions: dict[str, Session], repeat: int) -> None:
    for n, page in enumerate(pages, 1):
        api = page.path.startswith("/api/")
        for _ in range(repeat):
            started = time.perf_counter()
            status, _ = sessions[page.role].get(page.path, api=api)
            page.single.append((time.perf_counter() - started) * 1000)
            if status != 200:
                page.errors.append(f"{status}")
        if n % 25 == 0:
            print(f"    one user: {n}/{len(pages)} pages", flush=True)


def measure_loaded(pages, sessions, port: int, users: int, seconds: float) -> None:
    by_role: dict[str, list[Page]] = {}
    for page in pages:
        by_role.setdefault(page.role, []).append(page)
    roles = sorted(by_role)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(number: int) -> None:
        role = roles[number % len(roles)]
        session = Session(port, role, sessions[role].token)
        session.cookies = dict(sessions[role].cookies)
        rng = random.Random(number)
        mine = by_role[role]
        while time.monotonic() < deadline:
            page = rng.choice(mine)
            started = time.perf_counter()
            try:
                status, _ = session.get(page.path, api=page.path.startswith("/api/"))
            except (OSError, http.client.HTTPException) as exc:
                status = repr(exc)
            ms = (time.perf_counter() - started) * 1000
            with lock:
                page.loaded.append(ms)
                if status != 200:
                    page.errors.append(f"loaded {status}")

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def report(pages: list[Page]) -> None:
    def stats(values: list[float]) -> tuple[float, float]:
        ordered = sorted(values)
        return percentile(ordered, 0.5), percentile(ordered, 0.95)

    print(f"  {'role':<14} {'page':<58} {'1 user p50/p95':>16} {'loaded n  p50/p95':>22}")
    for page in sorted(pages, key=lambda p: (p.role, p.path)):
        s50, s95 = stats(page.single)
        l50, l95 = stats(page.loaded)
        flag = " *" if max(s95, l95) > TARGET_MS else ""
        err = f"  errors: {sorted(set(page.errors))[:3]}" if page.errors else ""
        print(
            f"  {page.role:<14} {page.path[:58]:<58} {s50:7.1f}/{s95:7.1f} "
            f"{len(page.loaded):6d} {l50:7.1f}/{l95:7.1f}{flag}{err}"
        )
    print(f"  slowest ten under load (p95, ms; * above {TARGET_MS} ms):")
    for page in sorted(pages, key=lambda p: -stats(p.loaded)[1])[:10]:
        print(f"    {stats(page.loaded)[1]:8.1f}  {page.role:<14} {page.path}")
    single = [stats(p.single)[1] for p in pages]
    loaded = [stats(p.loaded)[1] for p in pages if p.loaded]
    over = sum(1 for p in pages if max(stats(p.single)[1], stats(p.loaded)[1]) > TARGET_MS)
    errors = sum(len(p.errors) for p in pages)
    print(
        f"pages pages={len(pages)} single_p95_max_ms={max(single, default=0):.1f} "
        f"concurrent_p95_max_ms={max(loaded, default=0):.1f} over_{TARGET_MS}ms={over} "
        f"errors={errors} date={date.today()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", nargs="?", choices=["build", "measure", "all"], default="all")
    parser.add_argument("--scale", type=float, default=1.0, help="1: the issue's sizes")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--port", type=int, default=8791)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    if not url.startswith("postgres") or not name.startswith("qq_bench"):
        raise SystemExit("set DATABASE_URL to a throw-away PostgreSQL database named qq_bench…")
    var_dir = Path(os.environ.get("QINQING_VAR_DIR", ROOT / "var"))
    (var_dir / "bench").mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",  # testserver: the fixtures' client
        "LOG_LEVEL": "WARNING",
        "QINQING_VAR_DIR": str(var_dir),
        **production_keys(var_dir),
    }
    print(f"machine: {machine()}")
    ensure_database(url)
    if args.which in ("build", "all"):
        build(args, env)
    if args.which == "build":
        return
    tokens = json.loads(
        _qinqing("shell", "-c", _ACCOUNTS % {"password": PASSWORD}, env=env).splitlines()[-1]
    )["tokens"]
    _qinqing("collectstatic", "--no-input", env=env)  # the code may have added a file since
    log = var_dir / "bench" / "pages-gunicorn.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
         "config.wsgi"],
        cwd=ROOT, env={**env, "GUNICORN_BIND": f"127.0.0.1:{args.port}"},
        stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_until_up(f"http://127.0.0.1:{args.port}")
        pages, sessions = discover(args.port, tokens)
        print(f"  {len(pages)} pages of {len(sessions)} roles; one user, {args.repeat} each …")
        measure_single(pages, sessions, args.repeat)
        print(f"  {args.users} users at once for {args.seconds:.0f} s, load "
              f"{os.getloadavg()[0]:.1f} …", flush=True)  # fmt: skip
        measure_loaded(pages, sessions, args.port, args.users, args.seconds)
    finally:
        server.terminate()
        server.wait(timeout=60)
    report(pages)


if __name__ == "__main__":
    main()
