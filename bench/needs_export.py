"""Benchmark: the needs export of one year (issue 24: a year of a million needs within 60 s),
and the common-needs summary over the last month of that year.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qq_export \\
        .venv/bin/python bench/needs_export.py --needs 1000000

It fills a throw-away database once (never production data: run `qinqing migrate` on an empty
one first) with the core demo world, the needs catalogue and `--needs` orders received in 2025
(numbers "X…", firms "bench-…", ratings for half the closed ones, texts from a few dozen
sentences with varying details), then (PostgreSQL) VACUUM ANALYZE, and times, after one
warm-up at a small size:

- the export as the queue's task makes it (`qinqing.needs.exports.render`: every order of 2025
  that the user `admin` may see, written to a temporary .xlsx, then stored as a document);
- `commons.compute` for the 30 days ending 2025-12-31 (what the hourly tick runs).

It prints the machine, then

    needs_export rows=... seconds=... rows_per_s=... file_mb=... peak_rss_mb=...
    needs_common window_needs=... seconds=... items=...

peak_rss_mb is the process's peak resident memory (ru_maxrss) over the whole run, filling
included: with bounded memory it does not grow with --needs.
"""

# ruff: noqa: E402  (Django is set up before the project is imported)
from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from datetime import date, datetime, timedelta
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from common import machine
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from qinqing.core.models import Organisation
from qinqing.core.rules import uscc_check_char
from qinqing.enterprises.models import Firm
from qinqing.needs import commons, exports, rules
from qinqing.needs.models import Category, Need, Rating

BATCH = 5000
YEAR = 2025
SENTENCES = [
    "数电票开票额度不够用，怎么申请提额？",
    "想变更营业执照上的经营范围，需要准备哪些材料",
    "员工工伤认定需要多长时间？",
    "园区门口的路灯坏了，晚上下班很不安全",
    "稳岗返还今年还有吗，什么时候发放",
    "厂房租金上涨，能否协调租金减免",
    "申请高新技术企业认定，研发费用如何归集",
    "银行贷款审批太慢，希望对接低息贷款",
    "招投标项目保证金迟迟未退还",
    "企业开办时公章刻制能否免费",
    "人才公寓申请条件和流程是什么",
    "出口退税进度查询不到",
]
DETAILS = ["", "麻烦尽快回复", "已经等了两周", "谢谢", "请派人上门指导", '=HYPERLINK("x")']


def _uscc(serial: int) -> str:
    first17 = f"91420111MB{serial:07d}"
    return first17 + uscc_check_char(first17)


def _fill(n_needs: int, n_firms: int) -> None:
    from qinqing.core import demo as core_demo
    from qinqing.needs import services

    if not get_user_model().objects.filter(username="admin").exists():
        core_demo.load(stdout=StringIO())
    services.catalogue_ensure_defaults(actor=None)
    categories = list(Category.objects.all())
    have = Firm.objects.filter(organisation__code__startswith="bench-").count()
    for start in range(have, n_firms, BATCH):
        stop = min(n_firms, start + BATCH)
        with transaction.atomic():
            orgs = Organisation.objects.bulk_create(
                Organisation(kind="firm", name=f"基准测试企业{i}", code=f"bench-{i}", uscc=_uscc(i))
                for i in range(start, stop)
            )
            Firm.objects.bulk_create(Firm(organisation=o, kind="private") for o in orgs)
    firms = list(
        Firm.objects.filter(organisation__code__startswith="bench-").values_list(
            "pk", "organisation_id", "organisation__uscc", "organisation__name"
        )
    )
    have = Need.objects.filter(number__startswith="X").count()
    rng = random.Random(24)  # synthetic data, not secrets
    origin = timezone.make_aware(datetime(YEAR, 1, 1))
    span = 365 * 24 * 3600
    for start in range(have, n_needs, BATCH):
        stop = min(n_needs, start + BATCH)
        rows = []
        for i in range(start, stop):
            firm_id, org_id, uscc, name = rng.choice(firms)
            cat = rng.choice(categories)
            at = origin + timedelta(seconds=rng.randrange(span))
            state = rng.choice(rules.STATES)
            closed = at + timedelta(days=rng.randint(1, 20)) if state == "closed" else None
            rows.append(
                Need(
                    number=f"X{i:09d}",
                    token=f"export-{i}",
                    channel=rng.choice(["qr", "visit", "hotline", "portal"]),
                    uscc=uscc,
                    company_name=name,
                    firm_id=firm_id,
                    firm_org_id=org_id,
                    contact_phone=f"138{i:08d}"[-11:],
                    text=f"{rng.choice(SENTENCES)}{rng.choice(DETAILS)}",
                    category=cat,
                    department_id=cat.lead_department_id,
                    state=state,
                    received_at=at,
                    due_date=(at + timedelta(days=14)).date(),
                    replied_at=closed,
                    closed_at=closed,
                    on_time=(rng.random() < 0.9) if closed else None,
                )
            )
        with transaction.atomic():
            created = Need.objects.bulk_create(rows)
            Rating.objects.bulk_create(
                Rating(
                    need=need,
                    department_id=need.department_id,
                    level=rng.choice([5, 5, 4, 4, 3, 2, 1]),
                    rated_at=need.closed_at,
                )
                for need in created
                if need.closed_at and rng.random() < 0.5
            )
        if (stop // BATCH) % 20 == 0 or stop == n_needs:
            print(f"  {stop} needs")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--needs", type=int, default=1_000_000, help="orders received in 2025")
    parser.add_argument("--firms", type=int, default=100_000)
    opts = parser.parse_args()
    print(machine())
    print(f"database: {connection.vendor}")
    _fill(opts.needs, min(opts.firms, max(opts.needs // 10, 100)))
    admin = get_user_model().objects.get(username="admin")
    year = exports.ExportFilters(start=date(YEAR, 1, 1), end=date(YEAR, 12, 31))
    warm = exports.ExportFilters(start=date(YEAR, 1, 1), end=date(YEAR, 1, 1))
    exports.render(user=admin.pk, filters=warm.params()).unlink()

    started = time.perf_counter()
    path = exports.render(user=admin.pk, filters=year.params())
    seconds = time.perf_counter() - started
    size = path.stat().st_size
    path.unlink()
    rows = exports.needs_for(admin, year).count()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"needs_export rows={rows} seconds={seconds:.1f} rows_per_s={rows / seconds:.0f} "
        f"file_mb={size / 1024 / 1024:.1f} peak_rss_mb={peak:.0f}"
    )

    started = time.perf_counter()
    total, items = commons.compute(today=date(YEAR, 12, 31), window_days=rules.COMMON_WINDOW_DAYS)
    seconds = time.perf_counter() - started
    print(f"needs_common window_needs={total} seconds={seconds:.1f} items={len(items)}")


if __name__ == "__main__":
    main()
