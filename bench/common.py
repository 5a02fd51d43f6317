"""What every benchmark prints: the machine it ran on, and progress while it works."""

from __future__ import annotations

import os
import platform
import sys
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
