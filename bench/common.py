"""What every benchmark prints: the machine it ran on, and progress while it works."""

from __future__ import annotations

import base64
import os
import platform
import secrets
import sys
import urllib.parse
from pathlib import Path


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f" · {kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{platform.node()} · {os.cpu_count()} cores · {cpu}{memory} · "
        f"Python {platform.python_version()}"
    )


def progress(label: str, done: int, total: int) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    sys.stdout.write(f"\r  {label:<14} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        sys.stdout.write("\n")
    sys.stdout.flush()


def fixture(name: str, *args: str) -> list[str]:
    """The command line running the benchmark fixture bench/fixtures/NAME.py (the data a load
    needs: bidding = seated evaluation sessions, needs = the needs figures and the intake load
    generator) with this Python."""
    return [sys.executable, str(Path(__file__).resolve().parent / "fixtures" / f"{name}.py"), *args]


def wait_until_up(base: str, tries: int = 60) -> None:
    """Wait for a server on loopback to answer /healthz (half a second between tries)."""
    import time
    import urllib.request

    for _ in range(tries):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310 (loopback)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the server did not come up")


# --- PostgreSQL benchmarks over real HTTP (bench/intake.py, bench/scoring.py) ------------


def ensure_database(url: str) -> None:
    """Create the throw-away database when it does not exist yet."""
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"  created database {name}")


def vacuum_analyze(url: str) -> None:
    """`VACUUM ANALYZE` the benchmark's database: what autovacuum does between the bursts of a
    real server (this machine's PostgreSQL runs with autovacuum off, so dead rows of earlier
    runs would otherwise pile up and slow every index scan)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a live process has used so far; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu(server_pid: int, database: str) -> dict[str, dict[int, float]]:
    """CPU so far of the gunicorn workers and of the PostgreSQL backends of the database."""
    workers, backends = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
        pid = int(entry.name)
        if ppid == server_pid or pid == server_pid:
            workers[pid] = proc_cpu(pid)
        elif cmdline.startswith("postgres: ") and f" {database} " in cmdline:
            backends[pid] = proc_cpu(pid)
    return {"gunicorn": workers, "postgres": backends}


def cpu_used(before: dict, after: dict) -> dict[str, float]:
    return {
        kind: sum(cpu - before[kind].get(pid, 0.0) for pid, cpu in after[kind].items())
        for kind in after
    }


def production_keys(var_dir: Path) -> dict[str, str]:
    """SECRET_KEY, QINQING_DATA_KEYS and QINQING_SIGNING_KEY for a bench's DEBUG=0 server (which refuses to start
    without them), kept in var/bench so runs with --reuse read what earlier runs wrote."""
    keys = {}
    for name, make in (
        ("SECRET_KEY", lambda: secrets.token_urlsafe(50)),
        ("QINQING_DATA_KEYS", lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()),
        ("QINQING_SIGNING_KEY", lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()),
    ):
        if os.environ.get(name):
            continue
        path = var_dir / "bench" / name.lower()
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(make())
            path.chmod(0o600)
        keys[name] = path.read_text().strip()
    return keys
