"""A throw-away PostgreSQL cluster for the tests that must stop, crash or replicate a server
(test_faults_postgres.py, test_replica_postgres.py): `initdb` into a temporary directory,
`pg_ctl` on a free loopback port, as the postgres account when the tests run as root. Never the
shared server. bench/scale_out.py uses it too (no pytest here)."""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
from pathlib import Path


def _server_binaries() -> Path | None:
    """The newest PostgreSQL server binaries: Debian's /usr/lib/postgresql/N/bin, or on PATH."""

    def version(path: str) -> int:
        match = re.search(r"/postgresql/(\d+)/", path)
        return int(match.group(1)) if match else 0

    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    if found := shutil.which("pg_ctl"):
        candidates.append(os.path.dirname(found))
    for candidate in candidates:
        if all(os.access(Path(candidate) / name, os.X_OK) for name in ("initdb", "pg_ctl")):
            return Path(candidate)
    return None


def _skip_reason() -> str | None:
    # The test brings its own cluster whatever the suite runs on; `.ci/run` runs `make test`
    # on SQLite then on PostgreSQL, and once is enough: it runs in the PostgreSQL pass.
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return "runs in the PostgreSQL pass of the suite (DATABASE_URL=postgres://…)"
    if _server_binaries() is None:
        return "PostgreSQL server binaries (initdb, pg_ctl) not installed"
    if os.geteuid() == 0:
        # initdb refuses to run as root: the cluster belongs to the postgres account.
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a postgres account to own the test cluster"
        if shutil.which("runuser") is None:
            return "running as root without runuser to start the cluster as postgres"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A throw-away PostgreSQL cluster on a loopback port, its socket in its own directory."""

    def __init__(self, directory: Path):
        self.bin = _server_binaries()
        self.directory = directory
        self.data = directory / "data"
        self.log = directory / "postgres.log"
        self.port = _free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/qinqing"
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if os.geteuid() == 0:
            shutil.chown(directory, "postgres", "postgres")

    def _run(self, *args: str) -> None:
        result = subprocess.run(  # noqa: S603 (our own command line)
            [*self.prefix, *args], capture_output=True, text=True, check=False, timeout=120
        )
        if result.returncode:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(args)}: {result.stdout}{result.stderr}\n{log}")

    def init(self) -> None:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "--auth=trust",
            "--username=postgres",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",  # initdb's own files only; the server itself runs with fsync on
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=on -c synchronous_commit=on"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
            "-w", "-t", "60", "start",
        )  # fmt: skip

    def crash(self) -> None:
        """Stop at once, as a crash would: no checkpoint, every connection cut."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(  # noqa: S603 (our own command line)
                [*self.prefix, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                 "-w", "stop"],
                capture_output=True, check=False, timeout=60,
            )  # fmt: skip

    def query(self, sql: str, params=()) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def replicate_from(self, primary: Cluster) -> None:
        """Make this cluster a streaming hot standby of `primary` (a base backup with -R writes
        standby.signal and the connection to the primary); then start() it."""
        self._run(
            str(self.bin / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
            "-U", "postgres", "-D", str(self.data), "-R", "-X", "stream", "--checkpoint=fast", "--no-sync",
        )  # fmt: skip

    def replay_lsn_reached(self, primary: Cluster) -> bool:
        """Has this standby replayed everything the primary has written so far?"""
        (lsn,) = primary.query("SELECT pg_current_wal_lsn()::text")[0]
        return self.query("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])[0][0]
