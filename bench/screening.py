"""Benchmark: the collusion screening (清标) of 20 bids of 300 pages each (target < 60 s).

    .venv/bin/python bench/screening.py                 # 20 bids × 300 pages
    .venv/bin/python bench/screening.py --bids 5 --pages 50

The bids are made once with WeasyPrint (a CJK font, ~900 Chinese characters a page, each
bidder its own text, every bid's first page the tender's format text, bidders 1 and 2 sharing
five copied pages and an author) and kept under var/bench/screening/; later runs read them. The
run is what the task does after the opening, without the database: every file read with PDFium (pypdfium2)
(metadata and each page's text), the metadata and price signals, the shingles, MinHash/LSH,
the exact Jaccard and the shared passages of the candidate pairs, the names in others' text
(`qinqing.bidding.screening.services.screen`). Prints the machine, the pages read, the seconds
and the signals found; the last line is

    screening bids=... pages=... seconds=... signals=...
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import machine  # noqa: E402

CACHE = ROOT / "var" / "bench" / "screening"
TEMPLATE = (
    "致招标人：根据贵方招标项目的招标文件，我方经考察现场和研究招标文件的投标须知、合同条款、"
    "技术规范、图纸、工程量清单和其他有关文件后，我方愿以上述投标报价按合同约定实施和完成承包"
    "工程，修补工程中的任何缺陷，工程质量达到合格标准。"
)
COPIED = range(100, 105)  # the pages bidder 2 copies from bidder 1


def _prose(seed: int, chars: int) -> str:
    r = random.Random(seed)
    return "".join(chr(0x4E00 + r.randrange(6000)) for _ in range(chars))


def _page(bidder: int, page: int) -> str:
    if page == 0:
        return TEMPLATE
    if bidder in (0, 1) and page in COPIED:  # the copied technical section
        return _prose(7_000_000 + page, 900)
    return _prose(bidder * 100_000 + page, 900)


def _make(args: tuple[int, int, Path]) -> str:
    from weasyprint import HTML

    bidder, pages, path = args
    author = "王工" if bidder in (0, 1) else f"编制人{bidder}"
    body = "".join(
        f'<p style="page-break-after:always">{_page(bidder, n)}</p>' for n in range(pages)
    )
    html = (
        f'<html><head><meta name="author" content="{author}">'
        f'<meta name="dcterms.created" content="2026-11-{1 + bidder:02d}T09:00:00+08:00">'
        f"</head><body>{body}</body></html>"
    )
    data = HTML(string=html).write_pdf()
    path.write_bytes(data)
    return str(path)


def ensure_pdfs(bids: int, pages: int) -> list[Path]:
    CACHE.mkdir(parents=True, exist_ok=True)
    paths = [CACHE / f"bid-{n:02d}-{pages}p.pdf" for n in range(bids)]
    missing = [(n, pages, p) for n, p in enumerate(paths) if not p.exists()]
    if missing:
        started = time.monotonic()
        with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
            for made in pool.map(_make, missing):
                print(f"made {made}", flush=True)
        print(f"generation: {len(missing)} PDFs in {time.monotonic() - started:.1f} s")
    return paths


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bids", type=int, default=20)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument(
        "--processes", type=int, default=2, help="processes reading the PDFs (the setting)"
    )
    args = parser.parse_args()
    paths = ensure_pdfs(args.bids, args.pages)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from qinqing.bidding.screening.services import BidIn, FileIn, screen

    bids = []
    for n, path in enumerate(paths):
        data = path.read_bytes()
        bids.append(
            BidIn(
                bidder=f"9142010000000000{n:02d}",
                name=f"示例投标人{n:02d}有限公司",
                price=Decimal(12_000_000 + 137_911 * n + (n * n * 7919) % 100_000),
                project_manager=f"项目经理{n}",
                client_ip=f"10.0.0.{n + 1}",
                user_agent=f"bench device {n}",
                files=(FileIn(n, "技术标.pdf", hashlib.sha256(data).hexdigest(), path.read_bytes),),
            )
        )
    print(f"machine: {machine()}")
    children = _children_cpu()  # the PDFs' generation, if it ran
    started, cpu = time.monotonic(), time.process_time()
    outcome = screen(bids, processes=args.processes)
    seconds, cpu = time.monotonic() - started, time.process_time() - cpu
    for signal in outcome.signals:
        detail = signal.evidence.get("jaccard", "")
        print(f"  {signal.kind} {' '.join(signal.bidders)} {detail}")
    print(
        f"screening bids={outcome.bids} pages={outcome.pages} seconds={seconds:.1f} "
        f"signals={len(outcome.signals)} processes={args.processes} "
        f"cpu_main={cpu:.1f} cpu_readers={_children_cpu() - children:.1f} load={os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
