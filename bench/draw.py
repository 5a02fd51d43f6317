"""Benchmark: a complete verifiable draw against an expert database of N experts.

    .venv/bin/python bench/draw.py --experts 100000              # SQLite file in var/bench/
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qq_bench \\
        .venv/bin/python bench/draw.py --experts 1000000          # PostgreSQL

It builds (once per database; re-used when the same N is found) N experts with a realistic mix:
1–3 specialities out of ~300 codes, employers, employment history, leave periods, and three
years of past draws; then times complete draws (eligibility query + QQ-DRAW-1 + persistence
of pool, report, outcomes, notifications and audit) for a 7-expert quota with 3 backups, and
the same draw done naively with the ORM (`order_by('?')` plus Python-side avoidance with a
query per candidate). Each run first removes
the sessions an earlier run created (untimed), so every run draws against the same history.
The last line is:

    draw experts=N db=... p50_ms=... p99_ms=... naive_p50_ms=... speedup=...

Before it, the load average before and after, the statements per draw, this process's CPU
time per draw and (on PostgreSQL on this machine) the database backend's are printed: on a
shared machine the wall-clock figures include waiting for a core. On PostgreSQL it also
prints the server's `shared_buffers`; `--prewarm` reads the database into them first (the
figures of a server that has been drawing for a while, if they can hold it: at 1M the
database is ~2 GB).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import machine, progress  # noqa: E402


def _setup(experts: int) -> None:
    if not os.environ.get("DATABASE_URL"):
        bench_dir = Path(os.environ.get("QINQING_VAR_DIR", ROOT / "var")) / "bench"
        bench_dir.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{bench_dir / f'draw-{experts}.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _codes() -> list[str]:
    # ~300 leaf codes under 10 classes and 30 groups: "Bxxyy".
    return [f"B{g:02d}{leaf:02d}" for g in range(1, 31) for leaf in range(1, 11)]


def build(experts: int, seed: int = 7) -> dict:
    """Create the expert database once; returns the objects the timed draws need."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from qinqing.bidding.models import (
        Draw,
        DrawOutcome,
        DrawQuota,
        EvaluationSession,
        Expert,
        ExpertLeave,
        ExpertRelation,
        ExpertSpeciality,
        Project,
        RuleSet,
        Section,
        Speciality,
    )
    from qinqing.core.demo import demo_uscc
    from qinqing.core.models import Organisation, Role, RoleGrant

    user_model = get_user_model()
    centre, _ = Organisation.objects.get_or_create(
        code="bench-centre", defaults={"kind": "trading_centre", "name": "基准测试交易中心"}
    )
    database, _ = Organisation.objects.get_or_create(
        code="bench-experts",
        defaults={"kind": "expert_database", "name": "基准测试专家库", "parent": centre},
    )
    department, _ = Organisation.objects.get_or_create(
        code="bench-dept", defaults={"kind": "department", "name": "基准测试监督部门"}
    )
    tenderer, _ = Organisation.objects.get_or_create(
        code="bench-tenderer", defaults={"kind": "institution", "name": "基准测试招标人"}
    )
    admin, _ = user_model.objects.get_or_create(username="bench-admin")
    # only a centre's own administrators set its quota (bidding.set_quota)
    RoleGrant.objects.get_or_create(user=admin, role=Role.CENTRE_ADMIN, organisation=centre)
    witness, _ = user_model.objects.get_or_create(username="bench-witness")
    rule_set, _ = RuleSet.objects.get_or_create(
        name="基准测试规则", defaults={"kind": "construction"}
    )
    codes = _codes()
    Speciality.objects.bulk_create(
        [Speciality(code=c, name=f"专业{c}") for c in codes], ignore_conflicts=True
    )
    context = {
        "centre": centre,
        "database": database,
        "department": department,
        "tenderer": tenderer,
        "admin": admin,
        "witness": witness,
        "rule_set": rule_set,
        "codes": codes,
    }
    have = Expert.objects.filter(database=database).count()
    if have == experts:
        print(f"  re-using {have} experts already in this database")
        return context
    if have:
        raise SystemExit(f"this database holds {have} bench experts, not {experts}: use another")

    # Loaded with the eligibility triggers off, then the index is filled from its sources in
    # one statement (what the migration does): row by row, 2.9M trigger runs took 70 minutes
    # at 1M, and their updates in 5,000-row transactions left the pool index half empty.
    from qinqing.bidding import eligibility_index

    with connection.cursor() as cursor:
        eligibility_index.uninstall(cursor, connection.vendor)
    rng = random.Random(seed)
    employers = [demo_uscc("91420100", 10_000 + i) for i in range(5000)]
    batch = 5000
    today = date.today()
    for start in range(0, experts, batch):
        rows = []
        for n in range(start, min(start + batch, experts)):
            rows.append(
                Expert(
                    database=database,
                    code=f"E{n:08d}",
                    name="专家",
                    id_number_cipher="v1:bench",
                    id_number_hash=f"{n:064x}",
                    id_last4=f"{n % 10000:04d}",
                    phone="13900000000",
                    employer_uscc=rng.choice(employers),
                    employer_name="单位",
                    region_code=rng.choice(["420102", "420111", "420113", "420115"]),
                    title="senior",
                    birth_date=date(rng.randrange(1950, 1990), rng.randrange(1, 13), 1),
                    status="active" if rng.random() > 0.03 else "suspended",
                )
            )
        with transaction.atomic():
            ids = [e.pk for e in Expert.objects.bulk_create(rows, batch_size=batch)]
            links, relations, leaves = [], [], []
            for expert_id in ids:
                for code in rng.sample(codes, rng.randrange(1, 4)):
                    links.append(ExpertSpeciality(expert_id=expert_id, speciality_id=code))
                if rng.random() < 0.3:
                    begin = today - timedelta(days=rng.randrange(400, 4000))
                    relations.append(
                        ExpertRelation(
                            expert_id=expert_id,
                            org_uscc=rng.choice(employers),
                            org_name="曾任职单位",
                            kind=rng.choice(["employee", "director", "shareholder"]),
                            start=begin,
                            end=begin + timedelta(days=rng.randrange(100, 2000)),
                        )
                    )
                if rng.random() < 0.05:
                    begin = today + timedelta(days=rng.randrange(-30, 60))
                    leaves.append(
                        ExpertLeave(
                            expert_id=expert_id, start=begin, end=begin + timedelta(days=14)
                        )
                    )
            ExpertSpeciality.objects.bulk_create(links, batch_size=batch)
            ExpertRelation.objects.bulk_create(relations, batch_size=batch)
            ExpertLeave.objects.bulk_create(leaves, batch_size=batch)
        progress("experts", min(start + batch, experts), experts)

    # Three years of past draws: 0.3 seats per expert per year, 7 seats per session.
    seats = int(experts * 0.3 * 3)
    sessions = max(1, seats // 7)
    expert_ids = list(Expert.objects.filter(database=database).values_list("pk", flat=True))
    now = datetime.now().astimezone()
    done = 0
    for start in range(0, sessions, 1000):
        count = min(1000, sessions - start)
        with transaction.atomic():
            projects = Project.objects.bulk_create(
                [
                    Project(
                        code=f"PAST-{start + i:08d}",
                        name="历史项目",
                        tenderer=tenderer,
                        supervising_department=department,
                        host_centre=centre,
                        region_code="420111",
                        method="comprehensive",
                        rule_set=rule_set,
                    )
                    for i in range(count)
                ]
            )
            sections = Section.objects.bulk_create(
                [Section(project=p, code="01", name="标段") for p in projects]
            )
            past = []
            for section in sections:
                begin = now - timedelta(days=rng.randrange(1, 3 * 365), hours=rng.randrange(0, 8))
                past.append(
                    EvaluationSession(
                        section=section,
                        host_centre=centre,
                        starts_at=begin,
                        ends_at=begin + timedelta(hours=3),
                        status="closed",
                        secrecy_lifted_at=begin,
                    )
                )
            past = EvaluationSession.objects.bulk_create(past)
            quotas = DrawQuota.objects.bulk_create(
                [
                    DrawQuota(
                        session=s,
                        centre=centre,
                        database=database,
                        speciality_codes=["B0101"],
                        count=7,
                        backups=0,
                        created_by=admin,
                    )
                    for s in past
                ]
            )
            draws = Draw.objects.bulk_create(
                [
                    Draw(
                        quota=q,
                        draw_id=f"PAST-{q.session_id}",
                        quota_count=7,
                        backups=0,
                        status="drawn",
                        pool=[],
                        pool_digest="0" * 64,
                        pool_size=0,
                        exclusion_report={"excluded": [], "candidates": 0},
                        server_nonce_cipher="v1:bench",
                        commitment="0" * 64,
                        committed_by=admin,
                    )
                    for q in quotas
                ]
            )
            outcomes = []
            for q, draw in zip(quotas, draws, strict=True):
                for position, expert_id in enumerate(rng.sample(expert_ids, 7)):
                    outcomes.append(
                        DrawOutcome(
                            draw=draw,
                            expert_id=expert_id,
                            session=q.session,
                            position=position,
                            role="principal",
                            status="confirmed",
                        )
                    )
            DrawOutcome.objects.bulk_create(outcomes, batch_size=5000)
        done += count
        progress("past sessions", done, sessions)
    print("  filling the eligibility index from its sources", flush=True)
    with transaction.atomic(), connection.cursor() as cursor:
        eligibility_index.install(cursor, connection.vendor)
    if connection.vendor == "postgresql":
        # What autovacuum would do soon after such a load: statistics for the planner and
        # a visibility map, without which no index-only scan skips the table.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return context


def forget_earlier_runs() -> int:
    """Remove the sessions (with their quotas, draws and seats) that earlier runs created,
    untimed, and return how many: every run then draws against the same three years of
    history. Left in place, each run's ~1,000 seats fall in the next run's frequency window
    and overlap its sessions (they all start two days ahead), so every run examined more
    candidates and read more seats than the last (2026-12-06, after a dozen runs: the seats
    statement 2.5 → 7.6 ms, the client's CPU 20 → 35 ms a draw). Their audit entries stay:
    the chain is append-only."""
    from django.db import transaction

    from qinqing.bidding.models import (
        Bidder,
        Draw,
        DrawOutcome,
        DrawQuota,
        EvaluationSession,
        Project,
        Section,
    )

    projects = Project.objects.filter(code__startswith="BENCH-")
    sessions = EvaluationSession.objects.filter(section__project__in=projects)
    with transaction.atomic():
        found = sessions.count()
        DrawOutcome.objects.filter(session__in=sessions).delete()
        Draw.objects.filter(quota__session__in=sessions).delete()
        DrawQuota.objects.filter(session__in=sessions).delete()
        sessions.delete()
        Bidder.objects.filter(section__project__in=projects).delete()
        Section.objects.filter(project__in=projects).delete()
        projects.delete()
    return found


def _fresh_quota(context: dict, n: int, code: str):
    """A new future session with a 7 + 3 quota for one speciality (not timed)."""
    from django.utils import timezone

    from qinqing.bidding.draw import services
    from qinqing.bidding.projects import services as project_services
    from qinqing.core.demo import demo_uscc

    starts = timezone.now() + timedelta(days=2, minutes=7 * n)
    section = project_services.project_register(
        actor=context["admin"],
        code=f"BENCH-{time.time_ns()}-{n}",
        name="基准测试项目",
        tenderer=context["tenderer"],
        agency=None,
        supervising_department=context["department"],
        host_centre=context["centre"],
        region_code="420111",
        method="comprehensive",
        rule_set=context["rule_set"],
        budget=None,
        section_code="01",
        section_name="标段",
        bidders=[
            project_services.BidderIn(demo_uscc("91420100", 10_000 + i), f"投标人{i}")
            for i in range(3)
        ],
    )
    session = project_services.session_schedule(
        actor=context["admin"],
        section=section,
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        guest_centres=[],
    )
    return services.quota_set(
        actor=context["admin"],
        session=session,
        centre=context["centre"],
        speciality_codes=[code],
        count=7,
        backups=3,
    )


def timed_draw(context: dict, quota) -> tuple[float, float]:
    """Wall-clock and this process's CPU milliseconds of one complete draw."""
    from qinqing.bidding.draw import services

    started, cpu = time.perf_counter(), time.process_time()
    draw = services.draw_commit(actor=context["admin"], quota=quota)
    services.draw_witness(actor=context["witness"], draw=draw, witness_entropy="bench")
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000


def backend_cpu_reader():
    """Milliseconds of CPU used so far by this connection's PostgreSQL backend (read from
    /proc, so the server must run on this machine), or None where that cannot be read."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    path = Path(f"/proc/{pid}/stat")
    if not path.exists():
        return None
    tick = os.sysconf("SC_CLK_TCK")

    def read() -> float:
        fields = path.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / tick  # utime + stime

    return read


def prewarm() -> int:
    """Read every table and index of the database into PostgreSQL's shared buffers (untimed);
    returns the megabytes read. The machines these benchmarks ran on keep little of the
    database in the operating system's cache, so without it each draw of a new speciality
    reads its index pages from disk (2026-12-04 at 1M: p50 54 ms cold, 38–42 ms warm)."""
    from django.db import DatabaseError, connection

    with connection.cursor() as cursor:
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        except DatabaseError as exc:
            raise SystemExit(f"--prewarm needs PostgreSQL's pg_prewarm extension: {exc}") from exc
        cursor.execute(
            "SELECT coalesce(sum(pg_prewarm(c.oid)), 0) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i')"
        )
        (blocks,) = cursor.fetchone()
    return int(blocks) * 8 // 1024


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) >= 2 else values[0]


def naive_draw(context: dict, quota) -> float:
    """The same draw written naively: every candidate checked with its own ORM queries (the
    full eligible pool is needed, as QQ-DRAW-1 publishes it), then `order_by('?')` picks the
    experts. It persists nothing, so the speed-up it yields is an underestimate."""
    from django.utils import timezone

    from qinqing.bidding.models import (
        DrawOutcome,
        Expert,
        ExpertDeclaredRelation,
        ExpertLeave,
        ExpertRelation,
    )

    started = time.perf_counter()
    session = quota.session
    project = session.section.project
    bidders = set(session.section.bidders.values_list("uscc", flat=True))
    day = timezone.localtime(session.starts_at).date()
    rule_set = project.rule_set
    eligible = []
    candidates = Expert.objects.filter(
        database=quota.database,
        speciality_links__speciality__code__startswith=quota.speciality_codes[0],
    ).distinct()
    for expert in candidates:
        if expert.status != "active" or (expert.ban_until and expert.ban_until >= day):
            continue
        if (day - expert.birth_date).days // 365 > rule_set.max_age:
            continue
        if expert.employer_uscc in bidders:
            continue
        cutoff = day - timedelta(days=365 * rule_set.past_relation_years)
        if ExpertRelation.objects.filter(
            expert=expert, org_uscc__in=bidders, end__gte=cutoff
        ).exists():
            continue
        if ExpertDeclaredRelation.objects.filter(expert=expert, org_uscc__in=bidders).exists():
            continue
        if ExpertLeave.objects.filter(expert=expert, start__lte=day, end__gte=day).exists():
            continue
        seats = DrawOutcome.objects.filter(expert=expert, status__in=DrawOutcome.HOLDING)
        if seats.filter(
            session__starts_at__lt=session.ends_at, session__ends_at__gt=session.starts_at
        ).exists():
            continue
        window = session.starts_at - timedelta(days=rule_set.frequency_days)
        if seats.filter(session__starts_at__gte=window).count() >= rule_set.frequency_count:
            continue
        eligible.append(expert.pk)
    list(Expert.objects.filter(pk__in=eligible).order_by("?")[:10])
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=100_000)
    parser.add_argument("--draws", type=int, default=60)
    parser.add_argument("--naive", type=int, default=10, help="naive draws to time")
    parser.add_argument("--build-only", action="store_true", help="create the data and stop")
    parser.add_argument(
        "--prewarm",
        action="store_true",
        help="PostgreSQL: load the database's tables and indexes into shared buffers first "
        "(pg_prewarm), as a server that has been drawing for a while holds them; it only "
        "helps when shared_buffers can hold them (the figure is printed)",
    )
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() after setting up, as a server would after loading Django: a full "
        "collection then no longer walks every object of the process",
    )
    args = parser.parse_args()
    _setup(args.experts)
    from django.db import connection

    print(f"machine: {machine()}")
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW shared_buffers")
            print(f"  shared_buffers: {cursor.fetchone()[0]}")
    started = time.perf_counter()
    context = build(args.experts)
    print(f"  data ready in {time.perf_counter() - started:.0f} s")
    if args.build_only:
        return

    forgotten = forget_earlier_runs()
    if forgotten:
        print(f"  removed {forgotten} sessions of earlier runs (untimed)")
    rng = random.Random(11)
    quotas = [
        _fresh_quota(context, n, rng.choice(context["codes"]))
        for n in range(args.draws + args.naive)
    ]
    if connection.vendor == "postgresql":
        # Earlier runs' draws leave dead rows behind; this machine's PostgreSQL runs with
        # autovacuum off, so do here (untimed) what autovacuum would have done meanwhile.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    if args.prewarm and connection.vendor == "postgresql":
        print(f"  prewarmed: {prewarm()} MB")
    timed_draw(context, _fresh_quota(context, 10_000, rng.choice(context["codes"])))  # warm-up
    if args.gc_freeze:
        gc.collect()
        gc.freeze()
    pools = []
    fast, cpu = [], []
    statements = [0]

    def count(execute, sql, params, many, context):
        statements[0] += 1
        return execute(sql, params, many, context)

    backend = backend_cpu_reader()
    backend_before = backend() if backend else 0.0
    for n, quota in enumerate(quotas[: args.draws], start=1):
        with connection.execute_wrapper(count):
            wall, used = timed_draw(context, quota)
        fast.append(wall)
        cpu.append(used)
        pools.append(quota.draws.values_list("pool_size", flat=True).first())
        progress("draws", n, args.draws)
    backend_used = (backend() - backend_before) if backend else None
    naive = []
    for n, quota in enumerate(quotas[args.draws :], start=1):
        naive.append(naive_draw(context, quota))
        progress("naive draws", n, args.naive)
    p50 = statistics.median(fast)
    naive_p50 = statistics.median(naive)
    print(f"  pool size per draw: median {statistics.median(pools):.0f}, max {max(pools)}")
    print(f"  slowest draws (ms): {', '.join(f'{t:.0f}' for t in sorted(fast)[-3:])}")
    print(f"  statements per draw: {statements[0] / len(fast):.1f} (BEGIN and COMMIT not counted)")
    print(
        f"  this process's CPU per draw (ms): p50 {statistics.median(cpu):.1f}, "
        f"p99 {_p99(cpu):.1f} (the rest of the wall time is the database server, I/O and "
        "waiting for a core)"
    )
    if backend_used is not None:
        print(
            f"  the PostgreSQL backend's CPU per draw (ms): mean {backend_used / len(fast):.1f} "
            "(clock ticks summed over all the draws)"
        )
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"draw experts={args.experts} db={connection.vendor} p50_ms={p50:.1f} "
        f"p99_ms={_p99(fast):.1f} naive_p50_ms={naive_p50:.1f} speedup={naive_p50 / p50:.1f}"
    )


if __name__ == "__main__":
    main()
