"""Benchmark: the whole JSON API fuzzed against its OpenAPI document, as every demo identity.

    .venv/bin/python bench/api_fuzz.py                       # SQLite in /tmp/qq-apifuzz
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qq_apifuzz .venv/bin/python bench/api_fuzz.py
    .venv/bin/python bench/api_fuzz.py --examples 50 --seed 7

The longer run of what `make test` runs bounded (qinqing/core/tests/test_api_contract.py): it
migrates a throw-away database, loads every module's demo data and collects static files
(`--reuse` skips these), starts gunicorn (DEBUG off, as in production) on loopback, then
fuzzes every operation with schemathesis (qinqing.core.apifuzz) as anonymous, as each demo
account with a bearer token and as an expert signed in at a workstation: `--examples` valid
and as many invalid inputs per operation and identity (path ids half real, half generated).
Every answer is checked: no 5xx, status documented, content type and body as documented.
Prints the machine, the operations, identities and examples, the statuses seen, every finding
(each distinct one once) and the CPU the server used; the last line is

    api_fuzz operations=... identities=... examples=... server_errors=... mismatches=...
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import (  # noqa: E402
    cpu_used,
    ensure_database,
    machine,
    production_keys,
    server_cpu,
    wait_until_up,
)


def _qinqing(*args: str, env: dict) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=25, help="per operation, identity, mode")
    parser.add_argument("--seed", type=int, default=None, help="fixed examples (default: random)")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--reuse", action="store_true", help="skip migrate, demo, static files")
    args = parser.parse_args()

    var = Path(tempfile.gettempdir()) / "qq-apifuzz"
    var.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{var / 'bench.sqlite3'}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "QINQING_VAR_DIR": str(var),
        "LOG_LEVEL": "ERROR",
        **production_keys(var),
    }
    os.environ.update(env)
    print(f"machine: {machine()}")
    postgres = url.startswith("postgres")
    print(f"  database: {'PostgreSQL' if postgres else 'SQLite'}", flush=True)
    if postgres:
        ensure_database(url)
    if not args.reuse:
        print("  migrate, demo data of every module, static files …", flush=True)
        _qinqing("migrate", "--no-input", env=env)
        _qinqing("load_demo", env=env)
        _qinqing("collectstatic", "--no-input", env=env)
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--worker-class=gthread",
            f"--workers={args.workers}",
            "--threads=4",
            f"--bind=127.0.0.1:{args.port}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
    )
    database = urllib.parse.urlsplit(url).path.lstrip("/") if postgres else "-"
    try:
        wait_until_up(base)
        report, identities, used = _fuzz(base, args, server.pid, database)
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(f"  {report.summary()}")
    print(f"  examples per identity: {dict(report.per_identity)}")
    never = report.never_succeeded()
    print(f"  operations never answering 2xx ({len(never)}): {', '.join(never) or '-'}")
    seen = set()
    for finding in report.findings:
        key = (finding.operation, finding.check, finding.status)
        if key not in seen:
            seen.add(key)
            print(f"  finding: {finding}")
    if report.examples:
        per = {kind: cpu * 1000 / report.examples for kind, cpu in used.items()}
        print(
            f"  server CPU per example: gunicorn {per['gunicorn']:.1f} ms"
            + (f" + PostgreSQL {per['postgres']:.1f} ms" if postgres else "")
            + f"; load at the end {os.getloadavg()[0]:.1f}"
        )
    print(
        f"api_fuzz operations={report.operations} identities={identities}"
        f" examples={report.examples} server_errors={report.server_errors}"
        f" mismatches={len(report.mismatches)} seconds={report.seconds:.0f}"
    )


def _fuzz(base: str, args, server_pid: int, database: str):
    import django
    import requests

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.contrib.auth import get_user_model

    from qinqing.core import apifuzz

    users = get_user_model().objects.filter(is_active=True).order_by("username")
    identities = [apifuzz.Identity("anonymous")]
    identities += [apifuzz.token_identity(user) for user in users]
    seat = apifuzz.in_progress_seat()
    if seat is not None:
        identities.append(apifuzz.seat_identity(seat))
    document = requests.get(f"{base}/api/v1/openapi.json", timeout=30).json()
    print(
        f"  {len(identities)} identities; {args.examples} valid + {args.examples} invalid"
        f" examples per operation and identity; seed {args.seed}",
        flush=True,
    )
    started = time.monotonic()
    before = server_cpu(server_pid, database)

    def progress(line: str) -> None:
        if time.monotonic() - progress.last > 30:
            progress.last = time.monotonic()
            print(f"  … {line}", flush=True)

    progress.last = started
    report = apifuzz.fuzz(
        base,
        document,
        identities,
        max_examples=args.examples,
        path_values=apifuzz.known_path_values(),
        bodies=apifuzz.plausible_bodies(),
        seed=args.seed,
        progress=progress,
    )
    return report, len(identities), cpu_used(before, server_cpu(server_pid, database))


if __name__ == "__main__":
    main()
