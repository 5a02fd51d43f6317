"""Benchmark: the public needs form under load, over real HTTP on loopback.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qq_intake .venv/bin/python bench/intake.py

It migrates the database, loads the demo (firms and the QR codes), collects static files,
starts gunicorn (the production server; `--workers`, default 2 × cores) with the public
form's rate limits lifted (all requests come from one address), waits for /healthz, then runs
`qinqing needs_bench intake` for `--seconds` with `--concurrency` keep-alive clients, and
stops the server. The last line is `intake req_per_s=... p99_ms=...` (target: >= 300 req/s at
p99 <= 150 ms on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from common import machine  # noqa: E402


def _qinqing(*args: str, env: dict) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a throw-away PostgreSQL database")
    env = {
        **os.environ,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "QINQING_NEEDS_RATE_PER_IP": "100000000",
        "QINQING_NEEDS_RATE_PER_PHONE": "100000000",
        "LOG_LEVEL": "WARNING",
    }
    print(f"machine: {machine()}")
    print("  migrate, demo data, static files …", flush=True)
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
            f"--workers={args.workers}",
            f"--bind=127.0.0.1:{args.port}",
            "--keep-alive=30",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310 (loopback)
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise SystemExit("gunicorn did not come up")
        print(
            f"  gunicorn: {args.workers} workers; {args.concurrency} clients for {args.seconds:.0f} s"
        )
        output = _qinqing(
            "needs_bench",
            "intake",
            f"--url={base}",
            f"--seconds={args.seconds}",
            f"--concurrency={args.concurrency}",
            env=env,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(output.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
