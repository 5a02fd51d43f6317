"""Benchmark: the live tally of a creditors' meeting with N creditors (the meeting page polls it
every 5 seconds for the judge and the administrator).

    .venv/bin/python bench/bankruptcy.py --creditors 5000         # SQLite in /tmp/qq-bankruptcy
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qq_bench_bk \\
        .venv/bin/python bench/bankruptcy.py --creditors 20000     # PostgreSQL

It builds (once per database and N) one reconciliation case with N creditors, each with one or
two ordinary claims (5 % secured and not waived, 3 % unconfirmed with a provisional amount), a
meeting whose reconciliation item 60 % of the creditors attended and voted on; rows are
bulk-inserted (set-up speed; the services are exercised by the test suite). It then times
``selectors.item_tally`` (load voters + ``rules.tally``) and the rendered tally fragment. The
last line is:

    bankruptcy_tally creditors=N db=... p50_ms=... p99_ms=... fragment_p50_ms=... queries=...
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import machine  # noqa: E402

NUMBER = "（2026）鄂0111破999号"


def _setup(creditors: int) -> None:
    if not os.environ.get("DATABASE_URL"):
        bench_dir = Path(tempfile.gettempdir()) / "qq-bankruptcy" / "bench"
        bench_dir.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{bench_dir / f'tally-{creditors}.sqlite3'}"
    os.environ.setdefault("QINQING_VAR_DIR", str(Path(tempfile.gettempdir()) / "qq-bankruptcy"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _build(creditors: int, seed: int = 7):
    from io import StringIO

    from django.db import transaction
    from django.utils import timezone

    from qinqing.bankruptcy import services
    from qinqing.bankruptcy.models import (
        AgendaItem,
        Attendance,
        Ballot,
        Case,
        Claim,
        Creditor,
        Meeting,
    )
    from qinqing.core import demo as core_demo
    from qinqing.core.demo import demo_uscc
    from qinqing.core.models import Organisation
    from qinqing.core.services import organisation_create

    existing = Case.objects.filter(number=NUMBER).first()
    if existing is not None and existing.creditors.count() == creditors:
        return Meeting.objects.get(case=existing)
    if existing is not None:
        raise SystemExit("the database holds the benchmark case with another N; use a new one")
    core_demo.load(stdout=StringIO())
    users = {u.username: u for u in core_demo.get_user_model().objects.all()}
    orgs = {o.code: o for o in Organisation.objects.all()}
    debtor = organisation_create(
        actor=None,
        kind=Organisation.Kind.FIRM,
        name="武汉示例基准测试有限公司",
        code="bk-bench-debtor",
        uscc=demo_uscc("91420111", 990),
    )
    rng = random.Random(seed)
    today = timezone.localdate()
    acceptance = today - timedelta(days=60)
    case = services.case_create(
        actor=users["judge"],
        number=NUMBER,
        court=orgs["hs-court"],
        debtor=debtor,
        judge=users["judge"],
        petition_date=acceptance - timedelta(days=5),
        acceptance_date=acceptance,
        administrator=orgs["demo-lawfirm"],
    )
    services.case_announce(
        actor=users["judge"],
        case=case,
        announcement_date=acceptance + timedelta(days=5),
        declaration_end=acceptance + timedelta(days=50),
    )
    meeting = services.meeting_schedule(
        actor=users["administrator"],
        case=case,
        date=today,
        notice_date=today - timedelta(days=15),
        items=[("表决和解协议草案", AgendaItem.Kind.RECONCILIATION)],
    )
    services.meeting_open(actor=users["administrator"], meeting=meeting)
    item = meeting.items.get()
    now = timezone.now()
    with transaction.atomic():
        rows = Creditor.objects.bulk_create(
            [Creditor(case=case, name=f"示例债权人{i:06d}") for i in range(creditors)],
            batch_size=2000,
        )
        claims, attendances, ballots = [], [], []
        for creditor in rows:
            for _ in range(1 if rng.random() < 0.7 else 2):
                amount = Decimal(rng.randint(1_000, 2_000_000))
                secured = rng.random() < 0.05
                unconfirmed = rng.random() < 0.03
                claims.append(
                    Claim(
                        case=case,
                        creditor=creditor,
                        rank=Claim.Rank.ORDINARY,
                        principal=amount,
                        secured=secured,
                        collateral_value=amount if secured else Decimal(0),
                        status=Claim.Status.DISPUTED if unconfirmed else Claim.Status.CONFIRMED,
                        admitted_amount=amount,
                        provisional_amount=amount / 2 if unconfirmed else None,
                        filed_on=acceptance + timedelta(days=10),
                    )
                )
            if rng.random() < 0.6:
                attendances.append(Attendance(meeting=meeting, creditor=creditor, signed_in_at=now))
                vote = rng.choices(["yes", "no", "abstain"], weights=[6, 3, 1])[0]
                ballots.append(Ballot(item=item, creditor=creditor, vote=vote, cast_at=now))
        Claim.objects.bulk_create(claims, batch_size=2000)
        Attendance.objects.bulk_create(attendances, batch_size=2000)
        Ballot.objects.bulk_create(ballots, batch_size=2000)
    return meeting


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--creditors", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    _setup(args.creditors)

    from django.db import connection
    from django.template.loader import render_to_string
    from django.test.utils import CaptureQueriesContext

    from qinqing.bankruptcy import selectors

    started = time.monotonic()
    meeting = _build(args.creditors)
    print(f"machine: {machine()}")
    print(f"set-up: {time.monotonic() - started:.1f} s, database {connection.vendor}")
    item = meeting.items.get()
    timings, fragment = [], []
    with CaptureQueriesContext(connection) as ctx:
        result = selectors.item_tally(item)
    queries = len(ctx.captured_queries)
    for _ in range(args.runs):
        t0 = time.perf_counter()
        result = selectors.item_tally(item)
        timings.append((time.perf_counter() - t0) * 1000)
    for _ in range(max(5, args.runs // 3)):
        t0 = time.perf_counter()
        render_to_string(
            "bankruptcy/_tally.html",
            {"rows": [{"item": item, "t": selectors.tally_as_dict(selectors.item_tally(item))}]},
        )
        fragment.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    print(
        f"tally: present {result.present_voters}, yes {result.yes_voters}, "
        f"passed {result.passed}, excluded {len(result.excluded)}"
    )
    print(
        f"bankruptcy_tally creditors={args.creditors} db={connection.vendor} "
        f"p50_ms={statistics.median(timings):.1f} p99_ms={p99:.1f} "
        f"fragment_p50_ms={statistics.median(fragment):.1f} queries={queries}"
    )


if __name__ == "__main__":
    main()
