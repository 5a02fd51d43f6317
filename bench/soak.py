"""Soak: public intake, scoring, votes and reads together on gunicorn, for minutes (issue 20).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qq_bench_soak \\
        .venv/bin/python bench/soak.py [--seconds 600] [--reuse]

Only on a throw-away PostgreSQL database whose name starts with `qq_bench` (created when
missing). It migrates the database, loads the demo and collects static files (`--reuse` skips
these three). Then `bench/fixtures/bidding.py setup` builds started evaluation sessions with
seated experts (`--sessions`, `--members`), and a set-up step issues API tokens for the demo
creditor, administrator and platform administrator. It starts gunicorn as production does
(`-c deploy/gunicorn.conf.py`: gthread, one process per core, 8 threads, DEBUG off, access log
on; its output goes to var/bench/soak-gunicorn.log), and for `--seconds` runs these clients
together, each on its own keep-alive connection, pausing `--think` seconds on average
(exponential) between requests:

- intake: anonymous firms post the public QR form, each with a new phone number (302).
- score: experts at their workstations save their review sheets as drafts (PUT, 200). In the
  last tenth of the run each seat submits its sheet once (score_submit, 200).
- vote: the demo creditor signs in to the demo's open meeting, then keeps changing its ballot
  on each open item, with a fresh Idempotency-Key each time (201).
- read: a dispatcher signed in through the login form reads the needs list, the needs
  dashboard, the figures page and the progress page of a need just filed. The administrator
  reads an item's live tally and the platform administrator reads the figures API (200).

Any other answer is an error, and so is a request the server drops; no 4xx is expected.
Every minute it prints the requests, errors and percentiles of that minute, and the load. At
the end it prints, per kind and in total, the requests, errors, p50, p95 and p99. It then runs
`bench/fixtures/bidding.py check` (every sheet submitted, with its entries and audit rows) and
`audit_verify`. The last line is
`soak seconds=... requests=... req_per_s=... errors=... p50_ms=... p95_ms=... p99_ms=...
checked=ok|FAILED`.
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
import uuid
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

WORKSTATION = "/api/v1/bidding/workstation"
KINDS = ("intake", "score", "score_submit", "vote", "read")
EXPECTED = {"intake": {302}, "score": {200}, "score_submit": {200}, "vote": {201}, "read": {200}}

# Run inside `qinqing shell`: what the clients need, as one JSON line.
_SET_UP = """
import json
from django.contrib.auth import get_user_model
from qinqing.bankruptcy import selectors
from qinqing.bankruptcy.models import Meeting
from qinqing.core.services import api_token_issue
from qinqing.enterprises.models import Firm
from qinqing.needs.models import QrCode

User = get_user_model()
creditor = User.objects.get(username="creditor")
own = selectors.own_creditors(user=creditor)
meeting = (
    Meeting.objects.filter(status=Meeting.Status.OPEN, case__in=own.values("case_id"))
    .order_by("pk")
    .first()
)
if meeting is None:
    raise SystemExit("no open meeting of the demo creditor: load the demo again")
print(json.dumps({
    "qr_key": QrCode.objects.filter(is_active=True).order_by("pk").values_list("key", flat=True)[0],
    "usccs": list(Firm.objects.values_list("organisation__uscc", flat=True)[:200]),
    "meeting": meeting.pk,
    "items": [item.pk for item in meeting.items.order_by("pk") if item.is_open],
    "tokens": {
        name: api_token_issue(actor=User.objects.get(username=name))[0]
        for name in ("creditor", "administrator", "admin")
    },
}))
"""


def _qinqing(*args: str, env: dict, show: bool = False, bench: str = "") -> str:
    """Run a management command, or with `bench` the fixture bench/fixtures/<bench>.py."""
    result = subprocess.run(
        fixture(bench, *args) if bench else [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        check=False,
        capture_output=not show,
        text=True,
    )
    if result.returncode:
        if not show:
            sys.stdout.write((result.stdout or "")[-3000:] + (result.stderr or "")[-3000:])
        raise SystemExit(f"qinqing {args[0]} failed ({result.returncode})")
    return result.stdout or ""


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p of the values at or below it."""
    if not sorted_values:
        return 0.0
    return sorted_values[max(0, int(len(sorted_values) * p + 0.999999) - 1)]


class Recorder:
    """Every timed request: (when it finished, kind, milliseconds, error or None)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rows: list[tuple[float, str, float, str | None]] = []

    def add(self, kind: str, ms: float, error: str | None) -> None:
        with self.lock:
            self.rows.append((time.monotonic(), kind, ms, error))

    def snapshot(self) -> list[tuple[float, str, float, str | None]]:
        with self.lock:
            return list(self.rows)


class Client(threading.Thread):
    """One user on one keep-alive connection; `step()` sends one timed request."""

    kind = "read"

    def __init__(self, base: str, recorder: Recorder, deadline: float, think: float, seed: int):
        super().__init__(daemon=True)
        parsed = urllib.parse.urlsplit(base)
        self.base, self.host, self.port = base, parsed.hostname, parsed.port
        self.recorder, self.deadline, self.think = recorder, deadline, think
        self.random = random.Random(seed)
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}
        self.failure: str | None = None

    def send(self, method: str, path: str, body: bytes | None = None, headers=None):
        """(status, headers, body); reconnects once the server closed the connection."""
        headers = dict(headers or {})
        if self.cookies and "Cookie" not in headers:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A kept connection the server closed between requests (gunicorn's keep-alive
                # timeout, a worker recycled after max_requests): what a browser retries.
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                continue
            for value in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            if response.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return response.status, response, payload
        raise AssertionError("unreachable")

    def timed(self, kind: str, method: str, path: str, body=None, headers=None):
        started = time.perf_counter()
        try:
            status, response, payload = self.send(method, path, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            self.recorder.add(kind, (time.perf_counter() - started) * 1000, f"{path}: {exc!r}")
            return None, None, b""
        ms = (time.perf_counter() - started) * 1000
        error = None
        if status not in EXPECTED[kind]:
            text = payload[:300].decode(errors="replace").replace("\n", " ")
            error = f"{method} {path}: {status} {text}"
        self.recorder.add(kind, ms, error)
        return status, response, payload

    def prepare(self) -> None:
        """Untimed: what the user does before the measured phase (fetch a form, sign in)."""

    def step(self) -> None:
        raise NotImplementedError

    def run(self) -> None:
        try:
            while time.monotonic() < self.deadline:
                self.step()
                time.sleep(self.random.expovariate(1 / self.think) if self.think else 0)
        except Exception as exc:  # a bug in the client: reported, never a silent thread death
            self.failure = repr(exc)


class IntakeClient(Client):
    kind = "intake"

    def __init__(self, *args, setup: dict, number: int, filed: list[str]):
        super().__init__(*args)
        self.path = f"/needs/q/{setup['qr_key']}/"
        self.usccs = setup["usccs"]
        self.number, self.serial, self.filed = number, 0, filed
        self.run_id = random.randrange(1000)

    def prepare(self) -> None:
        status, _response, page = self.send("GET", self.path)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not token or "csrftoken" not in self.cookies:
            raise SystemExit(f"public form: {status}, no CSRF token")
        self.csrf = token.group(1).decode()

    def step(self) -> None:
        self.serial += 1
        body = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": self.csrf,
                "uscc": self.random.choice(self.usccs),
                "phone": f"15{self.number}{self.run_id:03d}{self.serial:05d}"[:11],
                "text": f"持续负载测试：数电票开票额度不够用，怎么申请提额？（{self.serial}）",
            }
        ).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": self.base + self.path,
        }
        status, response, _ = self.timed("intake", "POST", self.path, body, headers)
        if status == 302:
            self.filed.append(response.getheader("Location"))
            del self.filed[:-50]


class ScoreClient(Client):
    """An expert moving between the seats given to it (one seat per expert in reality)."""

    kind = "score"

    def __init__(self, *args, spec: dict, seats: list[dict], submit_at: float):
        super().__init__(*args)
        self.stage, self.seats, self.submit_at = spec["stage"], seats, submit_at
        self.cookie_names = (spec["session_cookie"], spec["csrf_cookie"])
        self.next, self.submitted = 0, set()

    def _headers(self, seat: dict) -> dict:
        session, csrf = self.cookie_names
        return {
            "Cookie": f"{session}={seat['session_key']}; {csrf}={seat['csrf']}",
            "X-CSRFToken": seat["csrf"],
            "Content-Type": "application/json",
        }

    def _entries(self, seat: dict, passed) -> bytes:
        entries = []
        for b in seat["bidders"]:
            for c in seat["criteria"]:
                entry = {"bidder_id": b, "criterion": c, "passed": passed(b, c)}
                if not entry["passed"]:  # a "not passed" needs its reason
                    entry["note"] = "投标文件未满足该项要求"
                entries.append(entry)
        return json.dumps({"entries": entries}).encode()

    def step(self) -> None:
        seat = self.seats[self.next % len(self.seats)]
        index = self.next % len(self.seats)
        self.next += 1
        if time.monotonic() >= self.submit_at and len(self.submitted) < len(self.seats):
            if index in self.submitted:
                return
            self.submitted.add(index)
            path = f"{WORKSTATION}/sheets/{self.stage}/submit"
            self.timed("score_submit", "POST", path, self._entries(seat, lambda b, c: True),
                       self._headers(seat))  # fmt: skip
            return
        if len(self.submitted) == len(self.seats):
            self.timed("read", "GET", WORKSTATION, None, self._headers(seat))
            return
        draft = self._entries(seat, lambda b, c: self.random.random() < 0.9)
        self.timed("score", "PUT", f"{WORKSTATION}/sheets/{self.stage}", draft, self._headers(seat))


class VoteClient(Client):
    kind = "vote"

    def __init__(self, *args, setup: dict, item: int):
        super().__init__(*args)
        self.token, self.meeting, self.item = setup["tokens"]["creditor"], setup["meeting"], item

    def _headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}

    def prepare(self) -> None:
        status, _, payload = self.send(
            "POST", f"/api/v1/bankruptcy/meetings/{self.meeting}/sign-in", b"{}", self._headers()
        )
        if status not in (200, 409):  # 409: signed in by an earlier run
            raise SystemExit(f"creditor sign-in: {status} {payload[:300]!r}")

    def step(self) -> None:
        vote = self.random.choice(("yes", "no", "abstain"))
        headers = {**self._headers(), "Idempotency-Key": str(uuid.uuid4())}
        body = json.dumps({"vote": vote}).encode()
        self.timed("vote", "POST", f"/api/v1/bankruptcy/items/{self.item}/ballots", body, headers)


class ReadClient(Client):
    kind = "read"

    def __init__(self, *args, setup: dict, filed: list[str]):
        super().__init__(*args)
        self.setup, self.filed = setup, filed
        year = date.today().year
        self.figures = f"/api/v1/figures?from={year}-01-01&to={date.today()}"

    def prepare(self) -> None:
        status, _, page = self.send("GET", "/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not token:
            raise SystemExit(f"login form: {status}")
        password = os.environ.get("QINQING_DEMO_PASSWORD", "qinqing-demo")
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token.group(1).decode(), "username": "dispatcher",
             "password": password}
        ).encode()  # fmt: skip
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": self.base + "/login/",
        }
        status, _, page = self.send("POST", "/login/", body, headers)
        if status != 302:
            raise SystemExit(f"dispatcher login: {status} {page[:300]!r}")

    def step(self) -> None:
        tokens = self.setup["tokens"]
        choice = self.random.randrange(6)
        if choice == 0:
            self.timed("read", "GET", "/needs/")
        elif choice == 1:
            self.timed("read", "GET", "/needs/dashboard/")
        elif choice == 2:
            self.timed("read", "GET", "/figures/")
        elif choice == 3 and (filed := list(self.filed)):
            self.timed("read", "GET", urllib.parse.urlsplit(self.random.choice(filed)).path)
        elif choice == 4 and self.setup["items"]:
            item = self.random.choice(self.setup["items"])
            auth = {"Authorization": f"Bearer {tokens['administrator']}"}
            self.timed("read", "GET", f"/api/v1/bankruptcy/items/{item}/tally", None, auth)
        else:
            auth = {"Authorization": f"Bearer {tokens['admin']}"}
            self.timed("read", "GET", self.figures, None, auth)


def _report(rows, label: str) -> str:
    latencies = sorted(ms for _, _, ms, _ in rows)
    errors = sum(1 for *_, error in rows if error)
    return (
        f"{label:<13} requests {len(latencies):>7}  errors {errors:>4}  "
        f"p50 {percentile(latencies, 0.50):7.1f}  p95 {percentile(latencies, 0.95):7.1f}  "
        f"p99 {percentile(latencies, 0.99):7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--port", type=int, default=8781)
    parser.add_argument("--think", type=float, default=0.1, help="mean pause between requests")
    parser.add_argument("--intake", type=int, default=2, help="intake clients")
    parser.add_argument("--scorers", type=int, default=4, help="expert clients")
    parser.add_argument("--voters", type=int, default=0, help="vote clients (0: one per item)")
    parser.add_argument("--readers", type=int, default=2, help="read clients")
    parser.add_argument("--sessions", type=int, default=4, help="evaluation sessions")
    parser.add_argument("--members", type=int, default=5, help="experts per session")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn processes (0: config)")
    parser.add_argument("--threads", type=int, default=0, help="threads each (0: config)")
    parser.add_argument(
        "--reuse", action="store_true", help="skip migrate, load_demo and collectstatic"
    )
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
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        # All clients come from one address: the public form's per-address limit is off (every
        # submission still passes the per-phone limit with a new number).
        "QINQING_NEEDS_RATE_PER_IP": "0",
        **production_keys(var_dir),
    }
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    if args.threads:
        env["GUNICORN_THREADS"] = str(args.threads)
    print(f"machine: {machine()}")
    ensure_database(url)
    if not args.reuse:
        print("  migrate, demo data, static files …", flush=True)
        _qinqing("migrate", "--no-input", env=env)
        _qinqing("load_demo", env=env)
        _qinqing("collectstatic", "--no-input", env=env)
    seats_file = var_dir / "bench" / f"soak-seats-{name}.json"
    print(f"  set-up: {args.sessions} sessions × {args.members} experts …", flush=True)
    _qinqing(
        "setup", f"--sessions={args.sessions}", f"--members={args.members}",
        f"--out={seats_file}", env=env, bench="bidding",
    )  # fmt: skip
    setup = json.loads(_qinqing("shell", "-c", _SET_UP, env=env).strip().splitlines()[-1])
    spec = json.loads(seats_file.read_text())
    vacuum_analyze(url)
    base = f"http://127.0.0.1:{args.port}"
    try:
        http.client.HTTPConnection("127.0.0.1", args.port, timeout=1).connect()
    except OSError:
        pass
    else:
        raise SystemExit(f"port {args.port} is taken by another server: use --port")
    log_path = var_dir / "bench" / "soak-gunicorn.log"
    env["GUNICORN_BIND"] = f"127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
         "config.wsgi"],
        cwd=ROOT, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    recorder = Recorder()
    try:
        wait_until_up(base)
        common = (base, recorder, float("inf"), args.think)  # the deadline is set below
        filed: list[str] = []
        clients: list[Client] = []
        seed = 20261207
        for n in range(args.intake):
            clients.append(IntakeClient(*common, seed + n, setup=setup, number=n, filed=filed))
        seats = spec["seats"]
        for n in range(args.scorers):
            mine = seats[n :: args.scorers]
            if mine:
                clients.append(
                    ScoreClient(*common, seed + 100 + n, spec=spec, seats=mine, submit_at=0)
                )
        items = setup["items"]
        for n in range(args.voters or len(items)):
            clients.append(
                VoteClient(*common, seed + 200 + n, setup=setup, item=items[n % len(items)])
            )
        for n in range(args.readers):
            clients.append(ReadClient(*common, seed + 300 + n, setup=setup, filed=filed))
        for client in clients:
            client.prepare()
        counts = {k: sum(1 for c in clients if c.kind == k) for k in ("intake", "score", "vote")}
        threads = env.get("GUNICORN_THREADS", "8")
        workers = env.get("WEB_CONCURRENCY", str(os.cpu_count()))
        print(
            f"  gunicorn (deploy/gunicorn.conf.py): {workers} workers × {threads} threads; "
            f"clients: {counts['intake']} intake, {counts['score']} experts over "
            f"{len(seats)} seats, {counts['vote']} voters, {args.readers} readers; think "
            f"{args.think:g} s; {args.seconds:.0f} s; load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        started = time.monotonic()
        for client in clients:
            client.deadline = started + args.seconds
            if isinstance(client, ScoreClient):
                client.submit_at = started + args.seconds * 0.9
            client.start()
        minute = 0
        while any(c.is_alive() for c in clients):
            time.sleep(1)
            elapsed = time.monotonic() - started
            if elapsed >= 60 * (minute + 1):
                window = started + 60 * minute
                rows = [r for r in recorder.snapshot() if window <= r[0] < window + 60]
                minute += 1
                print(f"  {60 * minute:5d} s  " + _report(rows, "that minute") +
                      f"  load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
        for client in clients:
            client.join()
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=60)
    rows = recorder.snapshot()
    failures = [f"{type(c).__name__}: {c.failure}" for c in clients if c.failure]
    print(f"  over {elapsed:.0f} s, per kind (milliseconds, request to full answer):")
    for kind in KINDS:
        mine = [r for r in rows if r[1] == kind]
        if mine:
            print("    " + _report(mine, kind))
    print("    " + _report(rows, "total"))
    errors = [r[3] for r in rows if r[3]]
    for error in errors[:10]:
        print(f"  error: {error[:300]}")
    for failure in failures:
        print(f"  client failed: {failure}")
    checked = "ok"
    for check in (
        fixture("bidding", "check", "--rounds=1"),
        [sys.executable, str(ROOT / "manage.py"), "audit_verify"],
    ):
        done = subprocess.run(
            check,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        lines = (done.stdout + done.stderr).strip().splitlines()
        print("\n".join("  " + line for line in lines[-4:]))
        if done.returncode:
            checked = "FAILED"
    latencies = sorted(ms for _, _, ms, _ in rows)
    print(
        f"soak seconds={elapsed:.0f} requests={len(rows)} req_per_s={len(rows) / elapsed:.1f} "
        f"errors={len(errors) + len(failures)} p50_ms={percentile(latencies, 0.5):.1f} "
        f"p95_ms={percentile(latencies, 0.95):.1f} p99_ms={percentile(latencies, 0.99):.1f} "
        f"checked={checked} date={date.today()}"
    )


if __name__ == "__main__":
    main()
