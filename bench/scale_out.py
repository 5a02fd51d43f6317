"""Scaling past one machine, step by step (issue 20, item 8): what each step of
docs/operations.md §10 gives under one load, measured on this machine.

    .venv/bin/python bench/scale_out.py [--seconds 60] [--readers 6] [--intake 2]

It needs PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup) and a Redis on
127.0.0.1:6379 (database 15 is flushed; `--redis` to change). It builds a primary and a streaming
standby of its own (qinqing/core/tests/pg_cluster.py: temporary directories, free loopback
ports), migrates the primary, loads the demo and collects static files, then runs the same
closed-loop load (bench/soak.py's clients: anonymous firms posting the public QR form, and the
dispatcher reading the needs list, the needs dashboard, the figures page and API, the progress
page of a need just filed and a meeting's live tally) against four set-ups in turn:

1. `one`      one gunicorn, sessions and cache in the database;
2. `redis`    the same with REDIS_URL (cache in Redis, sessions cached there);
3. `two-web`  two gunicorns (two "machines", the same processes in all: one per core in
              steps 1–2, half as many each here) behind a client that alternates between them;
              a dispatcher signed in on one is served by the other (shared sessions);
4. `replica`  step 3 with DATABASE_REPLICA_URL: the figures, dashboards and exports read the
              standby.

Per step: requests, errors, requests a second, p50/p95/p99 (milliseconds), and how many queries
the standby ran (pg_stat_database on it). Then `audit_verify` on the primary.

All processes share this machine's cores: the steps show what each configuration costs and that
it works (sessions shared, reports on the standby, nothing lost), not the capacity several
machines would add. The last line is
`scale_out step=... req_per_s=... p95_ms=... errors=...` per step.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from common import machine, production_keys, wait_until_up  # noqa: E402
from soak import _SET_UP, IntakeClient, ReadClient, Recorder, percentile  # noqa: E402

from qinqing.core.tests.pg_cluster import Cluster, _free_port  # noqa: E402


class HoppingReader(ReadClient):
    """The dispatcher signs in on one web server and reads from the other (sessions shared)."""

    def __init__(self, *args, other: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.other = other

    def prepare(self) -> None:
        super().prepare()  # signed in on the first server
        import urllib.parse

        parsed = urllib.parse.urlsplit(self.other)
        self.base, self.host, self.port = self.other, parsed.hostname, parsed.port
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        status, _, _ = self.send("GET", "/needs/")
        if status != 200:
            raise SystemExit(f"the other web server did not know the session: {status}")


def _manage(*args: str, env: dict) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode:
        sys.stdout.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"qinqing {args[0]} failed")
    return done.stdout


def _serve(env: dict, port: int, workers: int, log: Path) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
         "config.wsgi"],
        cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)},
        stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    wait_until_up(f"http://127.0.0.1:{port}")
    return server


def _standby_reads(standby: Cluster) -> int:
    return standby.query(
        "SELECT tup_returned + tup_fetched FROM pg_stat_database WHERE datname = 'qinqing'"
    )[0][0]


def _step(name, env, *, servers, args, setup, var, standby) -> dict:
    cores = os.cpu_count() or 1
    per_server = max(1, cores // servers)
    ports = [_free_port() for _ in range(servers)]
    running = [
        _serve(env, port, per_server, var / f"scale-{name}-{n}.log") for n, port in enumerate(ports)
    ]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    recorder = Recorder()
    try:
        filed: list[str] = []
        clients = []
        seed = 20261207
        for n in range(args.intake):
            common = (bases[n % servers], recorder, float("inf"), args.think)
            clients.append(IntakeClient(*common, seed + n, setup=setup, number=n, filed=filed))
        for n in range(args.readers):
            common = (bases[n % servers], recorder, float("inf"), args.think)
            if servers > 1:
                reader = HoppingReader(
                    *common, seed + 300 + n, setup=setup, filed=filed,
                    other=bases[(n + 1) % servers],
                )  # fmt: skip
            else:
                reader = ReadClient(*common, seed + 300 + n, setup=setup, filed=filed)
            clients.append(reader)
        for client in clients:
            client.prepare()
        before = _standby_reads(standby)
        started = time.monotonic()
        for client in clients:
            client.deadline = started + args.seconds
            client.start()
        for client in clients:
            client.join()
        elapsed = time.monotonic() - started
        standby_reads = _standby_reads(standby) - before
    finally:
        for server in running:
            server.terminate()
        for server in running:
            server.wait(timeout=60)
    rows = recorder.snapshot()
    latencies = sorted(ms for _, _, ms, _ in rows)
    errors = [r[3] for r in rows if r[3]] + [c.failure for c in clients if c.failure]
    for error in errors[:5]:
        print(f"    error: {error[:300]}")
    return {
        "step": name,
        "servers": f"{servers} × {per_server} workers",
        "requests": len(rows),
        "errors": len(errors),
        "req_per_s": round(len(rows) / elapsed, 1),
        "p50": round(percentile(latencies, 0.50), 1),
        "p95": round(percentile(latencies, 0.95), 1),
        "p99": round(percentile(latencies, 0.99), 1),
        "standby_rows_read": standby_reads,
        "load": round(os.getloadavg()[0], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=0.05, help="mean pause between requests")
    parser.add_argument("--intake", type=int, default=2, help="intake clients")
    parser.add_argument("--readers", type=int, default=6, help="dispatcher clients")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    directory = Path(tempfile.mkdtemp(prefix="qq-scale-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    var = directory / "var"
    var.mkdir()
    (directory / "primary").mkdir()
    (directory / "standby").mkdir()
    primary, standby = Cluster(directory / "primary"), Cluster(directory / "standby")
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_REPLICA_URL", "REDIS_URL")},
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "QINQING_NEEDS_RATE_PER_IP": "0",
        "QINQING_VAR_DIR": str(var),
        "DATABASE_URL": primary.url,
        **production_keys(var),
    }
    results = []
    try:
        primary.init()
        primary.start()
        import psycopg
        import redis

        with psycopg.connect(primary.url.replace("/qinqing", "/postgres"), autocommit=True) as c:
            c.execute("CREATE DATABASE qinqing")
        redis.Redis.from_url(args.redis).flushdb()
        print("  migrate, demo data, static files …", flush=True)
        _manage("migrate", "--no-input", env=env)
        _manage("load_demo", env=env)
        _manage("collectstatic", "--no-input", env=env)
        setup = json.loads(_manage("shell", "-c", _SET_UP, env=env).strip().splitlines()[-1])
        standby.replicate_from(primary)
        standby.start()
        print(
            f"  load: {args.intake} intake + {args.readers} dispatcher clients, think "
            f"{args.think:g} s, {args.seconds:.0f} s per step",
            flush=True,
        )
        steps = [
            ("one", env, 1),
            ("redis", {**env, "REDIS_URL": args.redis}, 1),
            ("two-web", {**env, "REDIS_URL": args.redis}, 2),
            ("replica", {**env, "REDIS_URL": args.redis, "DATABASE_REPLICA_URL": standby.url}, 2),
        ]
        for name, step_env, servers in steps:
            result = _step(
                name, step_env, servers=servers, args=args, setup=setup, var=var, standby=standby
            )
            results.append(result)
            print(
                "  {step:<8} {servers:<16} requests {requests:>6}  errors {errors:>3}  "
                "{req_per_s:>6} req/s  p50 {p50:>6} p95 {p95:>6} p99 {p99:>6} ms  "
                "standby rows read {standby_rows_read}  load {load}".format(**result),
                flush=True,
            )
        verified = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "audit_verify"],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        print("  audit_verify: " + (verified.stdout + verified.stderr).strip().splitlines()[-1])
    finally:
        standby.stop()
        primary.stop()
        shutil.rmtree(directory, ignore_errors=True)
    for result in results:
        print(
            "scale_out step={step} req_per_s={req_per_s} p95_ms={p95} errors={errors} "
            "date={date}".format(**result, date=date.today())
        )


if __name__ == "__main__":
    main()
