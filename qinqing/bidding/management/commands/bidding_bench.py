"""Benchmark of issue 4 (experts submitting sheets): set-up, reset and check, on a throw-away
PostgreSQL database whose name starts with ``qq_bench`` (refused otherwise).

qinqing bidding_bench setup [--sessions 40 --members 5 --out FILE]
    after ``migrate`` and ``load_demo``: imports bench experts into both demo centres' expert
    databases, then creates the sessions (same slot, tomorrow 09:00–12:00, host centre
    alternating between the two demo centres, the other as guest), each with 3 bidders and
    their bid prices, experts drawn through the real services (quota → draw_commit →
    draw_witness → outcome_respond confirm), seated (rooms + seating_assign per centre),
    signed in by staff and declared, the standard comprehensive plan, started, chair appointed.
    Writes FILE (JSON): per seat, a workstation browser session key (``bidding_seat``), the
    CSRF secret to send as the ``csrftoken`` cookie and the ``X-CSRFToken`` header, the
    bidder ids and the review-stage criteria codes. Re-running on a database already set up
    with the same numbers re-uses the sessions (sheets reset) and writes FILE again.

qinqing bidding_bench reset
    review sheets of the bench sessions back to draft, their entries deleted (between rounds of
    the load, outside the timed phase; not audited: bench-only).

qinqing bidding_bench profile [--sheets 20]
    in-process (Django test client, no HTTP server), for N sheets one after the other: the
    wall time, the queries and their time of each PUT and submit, and the costliest queries
    (the sheets profiled are reset before and left submitted).

qinqing bidding_bench check [--rounds 1]
    every review sheet of the bench sessions SUBMITTED with bidders × criteria entries, and
    a ``sheet.submit`` audit row for each sheet and round; exits 1 otherwise.
"""

from __future__ import annotations

import json
import secrets
import string
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from qinqing.bidding.criteria import standard_template
from qinqing.bidding.draw import services
from qinqing.bidding.evaluation import selectors as evaluation_selectors
from qinqing.bidding.evaluation import services as evaluation_services
from qinqing.bidding.experts import imports
from qinqing.bidding.models import (
    DrawOutcome,
    EvaluationSession,
    Expert,
    Room,
    RuleSet,
    ScoreEntry,
    ScoreSheet,
    Seat,
    Stage,
)
from qinqing.bidding.projects import services as project_services
from qinqing.bidding.seating import committee
from qinqing.bidding.seating import selectors as seating_selectors
from qinqing.bidding.seating import services as seating_services
from qinqing.core.demo import demo_uscc
from qinqing.core.models import AuditEntry, Organisation
from qinqing.core.rules import resident_id_check_char

PREFIX = "QQBENCH-"  # project codes of the bench sessions
RULE_SET = "基准测试规则（高频次上限）"
SPECIALITY = "A0501"  # a demo speciality; the quota asks for its parent A05
CENTRES = {"whggzy": "centre_wh", "jkggzy": "centre_jk"}
ROOMS_PER_CENTRE = 6
PRICES = [Decimal("1000000.00"), Decimal("950000.00"), Decimal("1100000.00")]


def _id_number(region: str, serial: int) -> str:
    # Birth 1975-01-01 + serial, in a region code the demo never uses: no clash with it.
    birth = datetime(1975, 1, 1) + timedelta(days=serial // 1000)
    first17 = f"{region}{birth:%Y%m%d}{serial % 1000:03d}"
    return first17 + resident_id_check_char(first17)


def _csrf_secret() -> str:
    # What CsrfViewMiddleware keeps in the csrftoken cookie (CSRF_USE_SESSIONS is off): 32
    # ASCII letters/digits. The X-CSRFToken header may carry the secret itself or a masked
    # 64-character token; the bench sends the secret.
    chars = string.ascii_letters + string.digits
    return "".join(secrets.choice(chars) for _ in range(32))


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("op", choices=["setup", "reset", "check", "profile"])
        parser.add_argument("--sessions", type=int, default=40)
        parser.add_argument("--members", type=int, default=5)
        parser.add_argument("--bidders", type=int, default=3)
        parser.add_argument("--rounds", type=int, default=1)
        parser.add_argument("--sheets", type=int, default=20)
        parser.add_argument("--out", default=str(Path(settings.VAR_DIR) / "bench" / "scoring.json"))

    def handle(self, *args, **opts):
        name = connection.settings_dict.get("NAME") or ""
        if connection.vendor != "postgresql" or not name.startswith("qq_bench"):
            raise CommandError(
                "bidding_bench runs only on a throw-away PostgreSQL database named qq_bench…"
                f" (DATABASE_URL points at {connection.vendor} {name!r})"
            )
        if opts["op"] == "setup":
            self._setup(opts["sessions"], opts["members"], opts["bidders"], Path(opts["out"]))
        elif opts["op"] == "profile":
            self._profile(opts["sheets"], Path(opts["out"]))
        elif opts["op"] == "reset":
            self.stdout.write(f"reset {self._reset()} sheets")
        else:
            self._check(opts["rounds"])

    # --- set-up ---------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def _setup(self, n_sessions: int, members: int, n_bidders: int, out: Path) -> None:
        if members < 5 or members % 2 == 0:
            raise CommandError("--members: an odd number, at least 5 (招标投标法第三十七条)")
        if n_bidders < 3:
            raise CommandError("--bidders: at least 3 (实施条例第四十四条)")
        users = {u.username: u for u in get_user_model().objects.all()}
        if not {"centre_wh", "centre_jk", "supervisor", "tenderer"} <= set(users):
            raise CommandError("load the demo first (qinqing load_demo)")
        orgs = {o.code: o for o in Organisation.objects.all()}
        existing = EvaluationSession.objects.filter(section__project__code__startswith=PREFIX)
        have = existing.count()
        if have and (
            have != n_sessions
            or existing.exclude(status=EvaluationSession.Status.IN_PROGRESS).exists()
        ):
            raise CommandError(
                f"this database holds {have} bench sessions, not {n_sessions} started ones:"
                " use a fresh database"
            )
        started = time.monotonic()
        if have:
            self._say(f"  re-using the {have} bench sessions of this database")
            self._reset()
        else:
            self._build(n_sessions, members, n_bidders, users, orgs)
        self._write(out)
        self._say(f"  set-up done in {time.monotonic() - started:.1f} s; seats in {out}")

    def _build(self, n_sessions, members, n_bidders, users, orgs) -> None:
        host_count = members - members // 2  # 5 → 3 host + 2 guest
        guest_count = members - host_count
        rule_set, _ = RuleSet.objects.get_or_create(
            name=RULE_SET,
            defaults={"kind": "construction", "frequency_count": 1000, "per_tenderer_count": 1000},
        )
        # Experts: each centre seats host_count or guest_count per session; import half as
        # many again as needed (the demo experts holding A05 codes are eligible too).
        per_centre = (n_sessions + 1) // 2 * host_count + (n_sessions + 1) // 2 * guest_count
        for c, (code, admin) in enumerate(CENTRES.items()):
            database = orgs[f"{code}-experts"]
            prefix = f"QB{c}-"
            if Expert.objects.filter(database=database, code__startswith=prefix).exists():
                continue
            rows = [
                {
                    "code": f"{prefix}{n:05d}",
                    "name": f"基准专家{c}{n:04d}",
                    "id_number": _id_number(f"42019{c}", n),
                    "phone": f"18{c}{n:08d}",
                    "employer_name": f"基准测试单位{n % 97:02d}",
                    "employer_uscc": demo_uscc("91420100", 60_000 + c * 1000 + n % 97),
                    "region_code": "420102",
                    "title": "副高级",
                    "specialities": SPECIALITY,
                }
                for n in range(1, per_centre * 3 // 2 + 1)
            ]
            imports.experts_import(actor=users[admin], database=database, rows=rows)
            self._say(f"  {database.name}：导入基准测试专家 {len(rows)} 名")
        # Rooms: enough workstations at each centre for its share of the committees.
        for code, admin in CENTRES.items():
            centre = orgs[code]
            size = min(seating_services.MAX_SEATS_PER_ROOM, -(-per_centre // ROOMS_PER_CENTRE) + 2)
            for r in range(1, ROOMS_PER_CENTRE + 1):
                if not Room.objects.filter(centre=centre, number=f"Q{r}").exists():
                    seating_services.room_add(
                        actor=users[admin],
                        centre=centre,
                        number=f"Q{r}",
                        name=f"基准测试评标室{r}",
                        seats=size,
                    )
        tomorrow = timezone.localdate() + timedelta(days=1)
        starts = timezone.make_aware(datetime.combine(tomorrow, datetime.min.time())).replace(
            hour=9
        )
        ends = starts + timedelta(hours=3)
        codes = list(CENTRES)
        sessions = []
        for i in range(n_sessions):
            host_code, guest_code = codes[i % 2], codes[(i + 1) % 2]
            host_admin, guest_admin = users[CENTRES[host_code]], users[CENTRES[guest_code]]
            section = project_services.project_register(
                actor=host_admin,
                code=f"{PREFIX}{i + 1:03d}",
                name=f"基准测试项目{i + 1:03d}",
                tenderer=orgs["demo-tenderer"],
                agency=orgs["demo-agency"],
                supervising_department=orgs["hs-zgj"],
                host_centre=orgs[host_code],
                region_code="420111",
                method="comprehensive",
                rule_set=rule_set,
                budget=Decimal("1860000.00"),
                section_code="01",
                section_name="设计标段",
                bidders=[
                    project_services.BidderIn(
                        demo_uscc("91420100", 70_000 + i * 10 + j), f"基准投标人{i + 1}-{j + 1}"
                    )
                    for j in range(n_bidders)
                ],
            )
            session = project_services.session_schedule(
                actor=host_admin,
                section=section,
                starts_at=starts,
                ends_at=ends,
                guest_centres=[orgs[guest_code]],
            )
            project_services.bid_prices_record(
                actor=host_admin,
                section=section,
                prices={
                    b.pk: PRICES[j % len(PRICES)] + j * 1000
                    for j, b in enumerate(section.bidders.order_by("pk"))
                },
            )
            quotas = [
                (
                    services.quota_set(
                        actor=host_admin,
                        session=session,
                        centre=orgs[host_code],
                        speciality_codes=["A05"],
                        count=host_count,
                        backups=0,
                    ),
                    host_admin,
                ),
                (
                    services.quota_set(
                        actor=guest_admin,
                        session=session,
                        centre=orgs[guest_code],
                        speciality_codes=["A05"],
                        count=guest_count,
                        backups=0,
                    ),
                    guest_admin,
                ),
            ]
            for quota, admin in quotas:
                draw = services.draw_commit(actor=admin, quota=quota)
                draw = services.draw_witness(
                    actor=users["supervisor"], draw=draw, witness_entropy=f"bench-{i}"
                )
                for outcome in draw.outcomes.filter(status=DrawOutcome.Status.NOTIFIED):
                    services.outcome_respond(
                        actor=None, outcome=outcome, answer="confirm", channel="link"
                    )
            evaluation_services.plan_set(
                actor=host_admin, session=session, template=standard_template("comprehensive")
            )
            sessions.append(session)
            self._say(f"  session {i + 1}/{n_sessions}: drawn and confirmed")
        for code, admin in CENTRES.items():
            seating = seating_services.seating_assign(
                actor=users[admin], centre=orgs[code], slot_start=starts, slot_end=ends
            )
            self._say(
                f"  {orgs[code].name}：{seating.seats.count()} 个工位，"
                f"同标同室 {seating.collisions} 对"
            )
        seats = list(
            Seat.objects.filter(outcome__session__in=sessions).select_related(
                "seating__centre", "outcome"
            )
        )
        for n, seat in enumerate(seats, start=1):
            admin = users[CENTRES[seat.seating.centre.code]]
            committee.seat_signin_staff(actor=admin, seat=seat, reason="基准测试：已核对身份证原件")
            seat.refresh_from_db()
            committee.seat_declare(actor=None, seat=seat)
            if n % 50 == 0 or n == len(seats):
                self._say(f"  signed in and declared {n}/{len(seats)}")
        for session in sessions:
            admin = users[CENTRES[session.host_centre.code]]
            session = evaluation_services.session_start(
                actor=admin, session=EvaluationSession.objects.get(pk=session.pk)
            )
            chair = seating_selectors.committee_seats(session).order_by("pk").first()
            committee.chair_appoint(actor=users["tenderer"], session=session, seat=chair)
        self._say(f"  {len(sessions)} sessions started, chairs appointed")

    def _bench_sessions(self):
        return EvaluationSession.objects.filter(section__project__code__startswith=PREFIX)

    def _write(self, out: Path) -> None:
        from importlib import import_module

        stored = (
            "django.contrib.sessions.backends.db",
            "django.contrib.sessions.backends.cached_db",
        )
        if settings.SESSION_ENGINE not in stored:
            raise CommandError(
                f"SESSION_ENGINE is {settings.SESSION_ENGINE}: expected db or cached_db"
            )
        SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
        if getattr(settings, "CSRF_USE_SESSIONS", False):
            raise CommandError("CSRF_USE_SESSIONS is on: the bench sends the csrftoken cookie")
        sessions = list(self._bench_sessions().order_by("pk"))
        criteria = {
            s.pk: [c.code for c in evaluation_selectors.stage_criteria(s, Stage.REVIEW)]
            for s in sessions
        }
        bidders = {
            s.pk: list(
                evaluation_selectors.scored_bidders(s, Stage.REVIEW).values_list("pk", flat=True)
            )
            for s in sessions
        }
        seats = []
        sheets = ScoreSheet.objects.filter(session__in=sessions, stage=Stage.REVIEW)
        for sheet in sheets.select_related("seat__workstation").order_by("pk"):
            store = SessionStore()
            store["bidding_seat"] = sheet.seat_id
            store.create()
            seats.append(
                {
                    "seat": sheet.seat_id,
                    "sheet": sheet.pk,
                    "session": sheet.session_id,
                    "workstation": sheet.seat.workstation.code,
                    "session_key": store.session_key,
                    "csrf": _csrf_secret(),
                    "bidders": bidders[sheet.session_id],
                    "criteria": criteria[sheet.session_id],
                }
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            json.dumps(
                {
                    "session_cookie": settings.SESSION_COOKIE_NAME,
                    "csrf_cookie": settings.CSRF_COOKIE_NAME,
                    "stage": Stage.REVIEW,
                    "seats": seats,
                },
                indent=1,
            )
        )

    # --- reset and check ------------------------------------------------------------------

    def _reset(self) -> int:
        sheets = ScoreSheet.objects.filter(session__in=self._bench_sessions(), stage=Stage.REVIEW)
        with transaction.atomic():
            ScoreEntry.objects.filter(sheet__in=sheets).delete()
            return sheets.update(
                status=ScoreSheet.Status.DRAFT, submitted_at=None, updated_at=timezone.now()
            )

    def _check(self, rounds: int) -> None:
        problems = []
        sheets = list(
            ScoreSheet.objects.filter(
                session__in=self._bench_sessions(), stage=Stage.REVIEW
            ).select_related("session__section")
        )
        expected = {}
        for s in self._bench_sessions():
            expected[s.pk] = (
                evaluation_selectors.scored_bidders(s, Stage.REVIEW).count()
                * evaluation_selectors.stage_criteria(s, Stage.REVIEW).count()
            )
        counts = dict(
            ScoreEntry.objects.filter(sheet__in=[s.pk for s in sheets])
            .values_list("sheet_id")
            .annotate(n=Count("pk"))
            .values_list("sheet_id", "n")
        )
        for sheet in sheets:
            if sheet.status != ScoreSheet.Status.SUBMITTED:
                problems.append(f"sheet {sheet.pk} is {sheet.status}")
            if counts.get(sheet.pk, 0) != expected[sheet.session_id]:
                problems.append(
                    f"sheet {sheet.pk}: {counts.get(sheet.pk, 0)} entries,"
                    f" expected {expected[sheet.session_id]}"
                )
        ids = [str(s.pk) for s in sheets]
        for action in ("sheet.submit",):  # a sheet.save too only when the bench PUTs first
            logged = AuditEntry.objects.filter(
                action=action, object_type="bidding.scoresheet", object_id__in=ids
            ).count()
            if logged < rounds * len(sheets):
                problems.append(f"{logged} {action} audit rows, expected >= {rounds * len(sheets)}")
        for line in problems[:20]:
            self.stdout.write(f"  PROBLEM {line}")
        self.stdout.write(
            f"check sheets={len(sheets)} entries={sum(counts.values())} problems={len(problems)}"
        )
        if problems:
            raise SystemExit(1)

    # --- profile --------------------------------------------------------------------------

    def _profile(self, n_sheets: int, seats_file: Path) -> None:
        import re
        import statistics
        from collections import defaultdict

        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        spec = json.loads(seats_file.read_text())
        seats = spec["seats"][:n_sheets]
        ScoreEntry.objects.filter(sheet_id__in=[s["sheet"] for s in seats]).delete()
        ScoreSheet.objects.filter(pk__in=[s["sheet"] for s in seats]).update(
            status=ScoreSheet.Status.DRAFT, submitted_at=None
        )
        host = settings.ALLOWED_HOSTS[0]
        stats = {"put": defaultdict(list), "submit": defaultdict(list)}
        by_sql: dict[tuple[str, str], list[float]] = defaultdict(list)
        # One client (one handler: building the middleware, e.g. WhiteNoise's scan of the
        # static files, happens once, as in a server process), a new cookie jar per seat.
        client = Client(enforce_csrf_checks=True, HTTP_HOST=host)
        client.get("/healthz")
        for seat in seats:
            client.cookies.clear()
            client.cookies[spec["session_cookie"]] = seat["session_key"]
            client.cookies[spec["csrf_cookie"]] = seat["csrf"]
            body = json.dumps(
                {
                    "entries": [
                        {"bidder_id": b, "criterion": c, "passed": True}
                        for b in seat["bidders"]
                        for c in seat["criteria"]
                    ]
                }
            )
            path = f"/api/v1/bidding/workstation/sheets/{spec['stage']}"
            for kind, call in (
                (
                    "put",
                    lambda path=path, body=body, client=client, seat=seat: client.put(
                        path, body, "application/json", HTTP_X_CSRFTOKEN=seat["csrf"]
                    ),
                ),
                (
                    "submit",
                    lambda path=path, client=client, seat=seat: client.post(
                        path + "/submit", HTTP_X_CSRFTOKEN=seat["csrf"]
                    ),
                ),
            ):
                with CaptureQueriesContext(connection) as ctx:
                    started, cpu = time.perf_counter(), time.process_time()
                    response = call()
                    wall = (time.perf_counter() - started) * 1000
                    cpu = (time.process_time() - cpu) * 1000
                if response.status_code != 200:
                    raise CommandError(
                        f"{kind} answered {response.status_code}: {response.content[:300]!r}"
                    )
                sql_ms = sum(float(q["time"]) for q in ctx.captured_queries) * 1000
                stats[kind]["wall"].append(wall)
                stats[kind]["cpu"].append(cpu)
                stats[kind]["queries"].append(len(ctx.captured_queries))
                stats[kind]["sql"].append(sql_ms)
                for q in ctx.captured_queries:
                    shape = re.sub(r"\b\d+\b|'[^']*'", "?", q["sql"])
                    by_sql[(kind, shape[:150])].append(float(q["time"]) * 1000)
        for kind, values in stats.items():
            self.stdout.write(
                f"{kind}: wall median {statistics.median(values['wall']):.1f} ms "
                f"(Django process CPU {statistics.median(values['cpu']):.1f} ms), "
                f"{statistics.median(values['queries']):.0f} queries, "
                f"SQL {statistics.median(values['sql']):.1f} ms "
                f"(rest: Python {statistics.median(values['wall']) - statistics.median(values['sql']):.1f} ms)"
            )
        self.stdout.write("costliest query shapes (total ms over the run, count, kind):")
        ranked = sorted(by_sql.items(), key=lambda item: -sum(item[1]))
        for (kind, shape), times in ranked[:15]:
            self.stdout.write(f"  {sum(times):7.1f} ms {len(times):4d}x {kind:6s} {shape}")
