"""Benchmark: experts submitting their sheets at their workstations, over real HTTP on loopback.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qq_bench_scoring \\
        .venv/bin/python bench/scoring.py [--rounds 10]

Only on a throw-away PostgreSQL database whose name starts with `qq_bench` (created when
missing). It migrates, loads the demo, collects static files, then `bench/fixtures/bidding.py
setup` builds 40 started sessions of 5 experts each in one slot (real draws, seating, staff
sign-in, declarations, the standard comprehensive plan, chairs) and writes, per seat, a
workstation browser session and a CSRF secret. It starts gunicorn (the production server;
`--workers`, default 2 × cores; gthread workers so keep-alive connections are kept, one
thread each by default: with more threads the GIL stretches the time a request holds the audit
chain's head lock and the others queue behind it) and runs one client thread per expert (200)
on its own keep-alive connection. `--reuse` skips migrate/load_demo/collectstatic.

One sheet = `PUT /api/v1/bidding/workstation/sheets/review` with every bidder × review item
passed, then `POST .../sheets/review/submit`. A round is every expert doing their sheet at
once; between rounds, outside the timed phase, `bench/fixtures/bidding.py reset` puts the sheets
back to draft and deletes their entries (a submitted sheet is locked). sheets/s = sheets ÷ the
summed wall time of the rounds; p99 is over every request (PUT and submit). After the run,
`bench/fixtures/bidding.py check` (every sheet SUBMITTED with bidders × items entries and its audit rows)
and `audit_verify` (the hash chain) must pass. The last line is
`scoring sheets_per_s=... p99_ms=... errors=...` (target: >= 300 sheets/s at p99 <= 200 ms on
2 cores).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import resource
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from common import (  # noqa: E402
    cpu_used,
    ensure_database,
    fixture,
    machine,
    production_keys,
    progress,
    server_cpu,
    vacuum_analyze,
    wait_until_up,
)

API = "/api/v1/bidding/workstation"


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
            sys.stdout.write(result.stdout + result.stderr)
        raise SystemExit(f"qinqing {' '.join(args)} failed ({result.returncode})")
    return result.stdout or ""


class WaitSampler(threading.Thread):
    """Samples pg_stat_activity every 50 ms while the rounds run: what the database's busy
    backends are doing (running, or waiting on a lock, the WAL, …)."""

    def __init__(self, url: str, database: str):
        super().__init__(daemon=True)
        self.url, self.database = url, database
        self.counts: dict[str, int] = {}
        self.samples = 0
        self.running = threading.Event()
        self.stopped = False

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stopped:
                if not self.running.wait(0.2):
                    continue
                rows = conn.execute(
                    "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') FROM "
                    "pg_stat_activity WHERE datname = %s AND state = 'active' "
                    "AND pid <> pg_backend_pid()",
                    [self.database],
                ).fetchall()
                self.samples += 1
                for (what,) in rows:
                    self.counts[what] = self.counts.get(what, 0) + 1
                time.sleep(0.05)

    def summary(self) -> str:
        if not self.samples:
            return "no samples"
        top = sorted(self.counts.items(), key=lambda kv: -kv[1])[:5]
        busy = sum(self.counts.values()) / self.samples
        return f"{busy:.1f} busy backends on average; " + ", ".join(
            f"{what} {n / self.samples:.1f}" for what, n in top
        )


def _percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[max(0, int(len(sorted_values) * p) - 1)]


class Client(threading.Thread):
    """One expert at a workstation: one keep-alive connection, one sheet per round."""

    def __init__(self, base, seat, stage, cookies, start, done):
        super().__init__(daemon=True)
        parsed = urllib.parse.urlsplit(base)
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.conn = None
        self.start_barrier, self.done_barrier = start, done
        self.headers = {
            "Cookie": (f"{cookies[0]}={seat['session_key']}; {cookies[1]}={seat['csrf']}"),
            "X-CSRFToken": seat["csrf"],
            "Content-Type": "application/json",
        }
        entries = [
            {"bidder_id": b, "criterion": c, "passed": True}
            for b in seat["bidders"]
            for c in seat["criteria"]
        ]
        self.body = json.dumps({"entries": entries}).encode()
        self.put_path = f"{API}/sheets/{stage}"
        self.submit_path = f"{API}/sheets/{stage}/submit"
        self.latencies: list[tuple[str, float]] = []
        self.errors: list[str] = []
        self.sheets = 0
        self.stop = False
        self.requests_per_sheet = 1
        self.send_at: float | None = None  # rate mode: when this round's sheet is due
        self.finished_at = 0.0

    def _request(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            self.conn.request(method, path, body=body, headers=self.headers)
            response = self.conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            raise

    def _timed(
        self, kind: str, method: str, path: str, body: bytes | None, due: float | None = None
    ) -> bool:
        # In rate mode the latency counts from when the sheet was due, not from when this
        # thread got round to sending it (no coordinated omission).
        started = due if due is not None else time.perf_counter()
        try:
            status, payload = self._request(method, path, body)
        except (OSError, http.client.HTTPException) as exc:
            self.errors.append(f"{kind}: {exc!r}")
            return False
        self.latencies.append((kind, (time.perf_counter() - started) * 1000))
        if status != 200:
            self.errors.append(f"{kind}: {status} {payload[:200].decode(errors='replace')}")
            return False
        return True

    def warm_up(self) -> None:
        status, payload = self._request("GET", API, None)
        if status != 200:
            raise SystemExit(f"workstation GET answered {status}: {payload[:300]!r}")

    def run(self) -> None:
        while True:
            self.start_barrier.wait()
            if self.stop:
                return
            due = self.send_at
            if due is not None:
                time.sleep(max(0.0, due - time.perf_counter()))
            if self.requests_per_sheet == 1:
                ok = self._timed("submit", "POST", self.submit_path, self.body, due)
            else:
                ok = self._timed("put", "PUT", self.put_path, self.body, due) and self._timed(
                    "submit", "POST", self.submit_path, b""
                )
            self.sheets += ok
            self.finished_at = time.perf_counter()
            self.done_barrier.wait()


def _load(
    base: str,
    seats_file: Path,
    rounds: int,
    env: dict,
    server_pid: int,
    database: str,
    *,
    requests_per_sheet: int,
    rate: float,
) -> dict:
    spec = json.loads(seats_file.read_text())
    seats = spec["seats"]
    start = threading.Barrier(len(seats) + 1)
    done = threading.Barrier(len(seats) + 1)
    cookies = (spec["session_cookie"], spec["csrf_cookie"])
    clients = [Client(base, seat, spec["stage"], cookies, start, done) for seat in seats]
    for client in clients:
        client.requests_per_sheet = requests_per_sheet
    schedule = random.Random(20261127)
    for client in clients:  # opens every connection and warms every worker up (not timed)
        client.warm_up()
    for client in clients:
        client.start()
    sampler = WaitSampler(os.environ["DATABASE_URL"], database)
    sampler.start()
    walls = []
    server_used = {"gunicorn": 0.0, "postgres": 0.0}
    client_cpu = 0.0
    for r in range(rounds):
        if r:
            _qinqing("reset", env=env, bench="bidding")
        vacuum_analyze(os.environ["DATABASE_URL"])  # untimed, as autovacuum between bursts
        before = server_cpu(server_pid, database)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        if rate:
            # Open loop: the round's sheets fall due at random (uniform) moments over
            # clients / rate seconds, i.e. arrivals at `rate` sheets per second on average.
            window = len(clients) / rate
            for client in clients:
                client.send_at = started + 0.05 + schedule.uniform(0, window)
        sampler.running.set()
        start.wait()
        done.wait()
        sampler.running.clear()
        if rate:
            first_due = min(c.send_at for c in clients)
            walls.append(max(c.finished_at for c in clients) - first_due)
        else:
            walls.append(time.perf_counter() - started)
        after_usage = resource.getrusage(resource.RUSAGE_SELF)
        client_cpu += (after_usage.ru_utime + after_usage.ru_stime) - (
            usage.ru_utime + usage.ru_stime
        )
        for kind, used in cpu_used(before, server_cpu(server_pid, database)).items():
            server_used[kind] += used
        progress("rounds", r + 1, rounds)
    sampler.stopped = True
    for client in clients:
        client.stop = True
    start.wait()
    latencies = sorted(ms for c in clients for _, ms in c.latencies)
    by_kind = {
        kind: sorted(ms for c in clients for k, ms in c.latencies if k == kind)
        for kind in ("put", "submit")
    }
    errors = [e for c in clients for e in c.errors]
    wall = sum(walls)
    return {
        "clients": len(clients),
        "sheets": sum(c.sheets for c in clients),
        "requests": len(latencies),
        "wall": wall,
        "round_walls": walls,
        "p50": _percentile(latencies, 0.50),
        "p99": _percentile(latencies, 0.99),
        "put_p99": _percentile(by_kind["put"], 0.99),
        "submit_p99": _percentile(by_kind["submit"], 0.99),
        "errors": errors,
        "client_cpu": client_cpu,
        "server_cpu": server_used,
        "waits": sampler.summary(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=40)
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    parser.add_argument("--port", type=int, default=8771)
    parser.add_argument(
        "--requests-per-sheet",
        type=int,
        choices=[1, 2],
        default=1,
        help="1: the final entries posted with the submit (default); 2: PUT, then submit",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=0,
        help="open loop: sheets falling due at this many per second (0: all at once)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="skip migrate, load_demo and collectstatic (the database is already set up)",
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    if not url.startswith("postgres") or not name.startswith("qq_bench"):
        raise SystemExit("set DATABASE_URL to a throw-away PostgreSQL database named qq_bench…")
    var_dir = Path(os.environ.get("QINQING_VAR_DIR", ROOT / "var"))
    seats_file = var_dir / "bench" / f"scoring-{name}.json"
    env = {
        **os.environ,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        **production_keys(Path(os.environ.get("QINQING_VAR_DIR", ROOT / "var"))),
    }
    print(f"machine: {machine()}")
    ensure_database(url)
    if not args.reuse:
        print("  migrate, demo data, static files …", flush=True)
        _qinqing("migrate", "--no-input", env=env)
        _qinqing("load_demo", env=env)
        _qinqing("collectstatic", "--no-input", env=env)
    print(f"  set-up: {args.sessions} sessions × {args.members} experts …", flush=True)
    _qinqing(
        "setup",
        f"--sessions={args.sessions}",
        f"--members={args.members}",
        f"--out={seats_file}",
        env=env,
        show=True,
        bench="bidding",
    )
    base = f"http://127.0.0.1:{args.port}"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        f"--workers={args.workers}",
        f"--worker-class={args.worker_class}",
        f"--bind=127.0.0.1:{args.port}",
        "--keep-alive=60",
        "--backlog=2048",
        "--log-level=warning",
    ]
    if args.worker_class == "gthread":
        command.append(f"--threads={args.threads}")
    try:
        urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310 (loopback)
    except OSError:
        pass
    else:
        raise SystemExit(f"port {args.port} is taken by another server: use --port")
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        wait_until_up(base)
        threads = f" × {args.threads} threads" if args.worker_class == "gthread" else ""
        print(
            f"  gunicorn: {args.workers} {args.worker_class} workers{threads}; "
            f"one keep-alive client per expert; {args.rounds} rounds",
            flush=True,
        )
        result = _load(
            base,
            seats_file,
            args.rounds,
            env,
            server.pid,
            name,
            requests_per_sheet=args.requests_per_sheet,
            rate=args.rate,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    for error in result["errors"][:5]:
        print(f"  error: {error}")
    checked = "ok"
    for check in (
        fixture("bidding", "check", f"--rounds={args.rounds}"),
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
        print("\n".join("  " + line for line in lines[-6:]))
        if done.returncode:
            checked = "FAILED"
    walls = result["round_walls"]
    sheets = max(result["sheets"], 1)
    cpu = result["server_cpu"]
    per_sheet = {k: v * 1000 / sheets for k, v in cpu.items()}
    server_ms = per_sheet["gunicorn"] + per_sheet["postgres"]
    cores = os.cpu_count() or 1
    print(
        f"  CPU per sheet: gunicorn {per_sheet['gunicorn']:.1f} ms + PostgreSQL "
        f"{per_sheet['postgres']:.1f} ms (client {result['client_cpu'] * 1000 / sheets:.1f} ms); "
        f"CPU-bound ceiling on {cores} idle cores ≈ {cores * 1000 / max(server_ms, 0.001):.0f} "
        "sheets/s"
    )
    print(f"  PostgreSQL during the rounds: {result['waits']}")
    print(
        f"  rounds: {len(walls)}, wall {result['wall']:.2f} s (per round "
        f"{min(walls):.2f}–{max(walls):.2f} s); requests {result['requests']}; "
        f"p50 {result['p50']:.0f} ms; p99 put {result['put_p99']:.0f} ms, "
        f"submit {result['submit_p99']:.0f} ms"
    )
    sheets_per_s = result["sheets"] / result["wall"] if result["wall"] else 0
    print(
        f"scoring sheets_per_s={sheets_per_s:.0f} p99_ms={result['p99']:.0f} "
        f"errors={len(result['errors'])} checked={checked} sheets={result['sheets']} "
        f"clients={result['clients']} rounds={args.rounds} workers={args.workers}"
        f"{'x' + str(args.threads) if args.worker_class == 'gthread' else ''}"
        f" requests_per_sheet={args.requests_per_sheet}"
        f" arrivals={'open@' + format(args.rate, 'g') + '/s' if args.rate else 'all_at_once'}"
    )


if __name__ == "__main__":
    main()
