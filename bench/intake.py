"""Benchmark: the public needs form under load, over real HTTP on loopback.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qq_intake .venv/bin/python bench/intake.py

It creates the database when it is missing, migrates it, loads the demo data the form needs
(organisations, firms, the catalogue and QR codes) and collects static files (`--reuse`
skips these three), starts gunicorn (the production server: `--worker-class gthread`,
`--workers` one per core, `--threads 8`, keep-alive; `sync` for comparison) with the
per-address limit off (all requests come from one address; the per-phone limit stays on,
every submission uses a fresh number), waits for /healthz, then runs `bench/fixtures/needs.py
intake` for `--seconds` with `--concurrency` keep-alive clients (closed loop: each posts again
as soon as it is answered), or with `--rate R` open loop (submissions fall due at Poisson
moments, R per second, on a pool of `--concurrency` connections; latency counts from when a
submission fell due, so a queue shows in it), and stops the server.
Around the load it reads from /proc the CPU the gunicorn workers and the database's
PostgreSQL backends used, and prints it per request with the client's (the primary figure
on a shared machine: wall-clock rates depend on what else runs). The last line
is `intake req_per_s=... p99_ms=...` (target: >= 300 req/s at p99 <= 150 ms on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from common import (  # noqa: E402
    cpu_used,
    ensure_database,
    fixture,
    machine,
    production_keys,
    server_cpu,
    vacuum_analyze,
    wait_until_up,
)


def _qinqing(*args: str, env: dict, bench: str = "") -> str:
    """Run a management command, or with `bench` the fixture bench/fixtures/<bench>.py."""
    result = subprocess.run(
        fixture(bench, *args) if bench else [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


_LOAD_DEMO = """
import sys
from qinqing.core import demo as core
from qinqing.enterprises import demo as enterprises
from qinqing.needs import demo as needs
for module in (core, enterprises, needs):
    module.load(stdout=sys.stdout)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # gthread: keep-alive connections and threads that overlap database round trips; one
    # process per core keeps the threads of one interpreter off each other's GIL.
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=0, help="open loop: req/s offered")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--reuse", action="store_true", help="skip migrate, demo data and static files"
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a throw-away PostgreSQL database")
    env = {
        **os.environ,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # One address sends everything: the per-address limit is off (0); the per-phone limit
        # keeps its default (every submission uses a fresh number, so it is checked, not hit).
        "QINQING_NEEDS_RATE_PER_IP": "0",
        "LOG_LEVEL": "WARNING",
        **production_keys(Path(os.environ.get("QINQING_VAR_DIR", ROOT / "var"))),
    }
    print(f"machine: {machine()}")
    ensure_database(os.environ["DATABASE_URL"])
    database = urllib.parse.urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/")
    if not args.reuse:
        print("  migrate, demo data, static files …", flush=True)
        _qinqing("migrate", "--no-input", env=env)
        # Only the demo data the form needs (organisations and users, firms, catalogue and QR
        # codes): the other modules' demos take minutes and play no part here.
        _qinqing("shell", "-c", _LOAD_DEMO, env=env)
        _qinqing("collectstatic", "--no-input", env=env)
    vacuum_analyze(os.environ["DATABASE_URL"])  # as autovacuum would between runs
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            f"--worker-class={args.worker_class}",
            f"--workers={args.workers}",
            f"--threads={args.threads}",
            f"--bind=127.0.0.1:{args.port}",
            "--keep-alive=30",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_until_up(base)
        threads = f" × {args.threads} threads" if args.worker_class == "gthread" else ""
        print(
            f"  gunicorn: {args.workers} {args.worker_class} workers{threads};"
            f" {args.concurrency} clients for {args.seconds:.0f} s"
            f"{f', open loop at {args.rate:g}/s' if args.rate else ''}; load {os.getloadavg()[0]:.1f}"
        )
        before = server_cpu(server.pid, database)
        output = _qinqing(
            "intake",
            f"--url={base}",
            f"--seconds={args.seconds}",
            f"--concurrency={args.concurrency}",
            f"--rate={args.rate}",
            env=env,
            bench="needs",
        )
        used = cpu_used(before, server_cpu(server.pid, database))
    finally:
        server.terminate()
        server.wait(timeout=30)
    last = output.strip().splitlines()[-1]
    # The CPU is shared out over every request sent, the untimed ones (the form fetched once
    # per connection, the warm-up) included: a slight overestimate of a timed submission's.
    requests = int(re.search(r"requests=(\d+)", last).group(1))
    requests += int(re.search(r"untimed=(\d+)", last).group(1))
    client = float(re.search(r"client_cpu_s=([\d.]+)", last).group(1))
    if requests:
        per = {kind: cpu * 1000 / requests for kind, cpu in used.items()}
        total = per["gunicorn"] + per["postgres"] + client * 1000 / requests
        cores = os.cpu_count() or 1
        print(
            f"  CPU per request: gunicorn {per['gunicorn']:.2f} ms + PostgreSQL"
            f" {per['postgres']:.2f} ms + client {client * 1000 / requests:.2f} ms;"
            f" CPU-bound ceiling on {cores} idle cores ≈ {cores * 1000 / total:.0f} req/s;"
            f" load at the end {os.getloadavg()[0]:.1f}"
        )
    print(last)


if __name__ == "__main__":
    main()
