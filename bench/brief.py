"""Benchmark: render issue 7 of the work brief (imported from the seed) to PDF and DOCX.

    .venv/bin/python bench/brief.py                 # SQLite in /tmp/qq-brief/bench
    .venv/bin/python bench/brief.py --runs 10

Targets (issue 7): PDF <= 1.5 s, DOCX <= 0.3 s. It builds (once) the core demo world and the
brief's demo (issue 7 imported from the seed and published), then times building the document
(figure snapshots, text) plus WeasyPrint (PDF) or python-docx (DOCX), after one warm-up run.
The last line is:

    brief pdf_ms=... docx_ms=...
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import machine  # noqa: E402


def _setup() -> None:
    if not os.environ.get("DATABASE_URL"):
        bench_dir = Path(tempfile.gettempdir()) / "qq-brief" / "bench"
        bench_dir.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{bench_dir / 'brief.sqlite3'}"
    os.environ.setdefault("QINQING_VAR_DIR", str(Path(tempfile.gettempdir()) / "qq-brief"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _issue7():
    from qinqing.briefing import demo
    from qinqing.briefing.models import Issue
    from qinqing.core import demo as core_demo

    if not demo.seed_path().exists():
        sys.exit(f"seed missing: {demo.seed_path()}")
    core_demo.load(stdout=StringIO())
    demo.load(stdout=StringIO())
    return Issue.objects.select_related("series__issuer").get(series__code="yshj", number=7)


def _time(fn, runs: int) -> float:
    fn()  # warm-up: fonts, templates, imports
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    _setup()
    from django.db import connection

    from qinqing.briefing import export

    issue = _issue7()

    def pdf():
        return export.render_pdf(export.build_document(issue))

    def docx():
        return export.render_docx(export.build_document(issue))

    pdf_ms = _time(pdf, args.runs)
    docx_ms = _time(docx, args.runs)
    print(f"machine: {machine()} · db={connection.vendor}")
    print(
        f"issue 7: {issue.articles.count()} articles, pdf {len(pdf())} bytes, docx {len(docx())} bytes"
    )
    print(f"brief pdf_ms={pdf_ms:.0f} docx_ms={docx_ms:.0f}")


if __name__ == "__main__":
    main()
