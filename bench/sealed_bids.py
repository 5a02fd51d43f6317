"""Benchmark: QQ-SEAL-1 in Python — seal a bid of one large PDF as `qinqing bid_seal` does, then
unseal it as the opening will (streamed from the file, 1 MiB at a time).

    .venv/bin/python bench/sealed_bids.py            # 100 MiB
    .venv/bin/python bench/sealed_bids.py --mb 20

Prints the machine, the seconds of each step (PBKDF2 600,000 iterations included in both)
the process's peak memory after sealing and what unsealing allocated at most; the last line is

    sealed_bids mb=... seal_s=... unseal_s=... peak_seal_mb=... unseal_alloc_mb=...

Sealing holds the plaintext and the ciphertext (AES-GCM in one call, as WebCrypto does);
unsealing holds one chunk. The browser's side is measured by hand (docs/sealed-bids.md §8).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qinqing.bidding.bids import seal


def _peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100)
    args = parser.parse_args()
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}"
    )
    size = args.mb * 1024 * 1024
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "技术标.pdf"
        with pdf.open("wb") as out:
            out.write(b"%PDF-1.7\n")
            block = os.urandom(1024 * 1024)
            for _ in range(args.mb):
                out.write(block)
        plain_sha = hashlib.sha256(pdf.read_bytes()).hexdigest()
        schedule = seal.schedule_check(
            {"price": "1000.00", "duration_days": 90, "quality": "合格", "project_manager": "甲"}
        )
        secret = os.urandom(12).hex()
        started = time.perf_counter()
        sealed = seal.seal(
            section=1,
            bidder="91420100MA00002009",
            passphrase=secret,
            files=[seal.PlainFile("技术标", pdf.name, pdf.read_bytes())],
            schedule=schedule,
        )
        cipher = Path(tmp) / "file0.qqs"
        cipher.write_bytes(sealed.ciphertexts[0])
        seal_s = time.perf_counter() - started
        peak_seal = _peak_mb()
        manifest = seal.manifest_check(sealed.manifest, max_file_bytes=size + 1024)
        del sealed
        tracemalloc.start()
        started = time.perf_counter()
        key = seal.unwrap_key(manifest, secret)
        digest = hashlib.sha256()
        with cipher.open("rb") as fileobj:
            for chunk in seal.unseal_stream(manifest, manifest.files[0], key, fileobj):
                digest.update(chunk)
        unseal_s = time.perf_counter() - started
        unseal_peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
        tracemalloc.stop()
        assert digest.hexdigest() == plain_sha
        print(f"seal {seal_s:.2f} s (process peak {peak_seal} MB)")
        print(f"unseal {unseal_s:.2f} s (allocated at most {unseal_peak:.1f} MB while unsealing)")
        print(
            f"sealed_bids mb={args.mb} seal_s={seal_s:.2f} unseal_s={unseal_s:.2f} "
            f"peak_seal_mb={peak_seal} unseal_alloc_mb={unseal_peak:.1f}"
        )


if __name__ == "__main__":
    main()
