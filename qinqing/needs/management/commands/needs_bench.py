"""Benchmarks of issue 5 (run against a throw-away database, never production data).

qinqing needs_bench figures [--needs 1000000 --firms 100000]
    fills the database with synthetic firms and orders (once), then (PostgreSQL) runs
    VACUUM ANALYZE, as autovacuum would soon after such a load: without statistics and a
    visibility map the counts visit the table's rows (at 1M on 2026-12-04: 447 ms right
    after the fill, 80 ms after VACUUM ANALYZE, both with another bench running); then
    times GET /api/v1/figures for one year: prints `figures ms=...` (target <= 300 ms).

qinqing needs_bench intake --url http://127.0.0.1:8000 [--seconds 20 --concurrency 32 --rate R]
    drives the public QR form over real HTTP against a running server (start it with
    QINQING_NEEDS_RATE_PER_IP=0: the bench comes from one address; every submission uses a
    fresh phone number, so the per-phone limit stays on): prints
    `intake req_per_s=... p99_ms=...` (target >= 300 req/s at p99 <= 150 ms).
    Closed loop by default (each client posts again as soon as it is answered: the rate the
    server sustains, the p99 of a full queue); `--rate R` is open loop: submissions fall due
    at random (Poisson) moments, R per second on average, each taking a free connection of
    the `--concurrency` kept alive, and its latency counts from when it fell due.
"""

from __future__ import annotations

import asyncio
import random
import re
import secrets
import statistics
import time
import urllib.parse
from datetime import date, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from qinqing.core.models import Organisation
from qinqing.core.rules import uscc_check_char
from qinqing.enterprises.models import Firm
from qinqing.needs import rules
from qinqing.needs.models import Category, Need, QrCode, Rating

BATCH = 5000
WARM_UP = 8  # untimed submissions per connection before the timed phase


def _uscc(serial: int) -> str:
    first17 = f"91420111MB{serial:07d}"
    return first17 + uscc_check_char(first17)


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("which", choices=["figures", "intake"])
        parser.add_argument("--needs", type=int, default=1_000_000)
        parser.add_argument("--firms", type=int, default=100_000)
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--seconds", type=float, default=20)
        parser.add_argument("--concurrency", type=int, default=32)
        parser.add_argument("--rate", type=float, default=0, help="open loop: req/s offered")

    def handle(self, *args, **opts):
        if opts["which"] == "figures":
            self._figures(opts["needs"], opts["firms"])
        else:
            self._intake(opts["url"], opts["seconds"], opts["concurrency"], opts["rate"])

    # --- figures ------------------------------------------------------------------------------

    def _fill(self, n_needs: int, n_firms: int) -> None:
        from qinqing.needs import services

        services.catalogue_ensure_defaults(actor=None)
        categories = list(Category.objects.all())
        if not categories:
            raise CommandError("load the core demo first (departments for the catalogue)")
        have = Firm.objects.filter(organisation__code__startswith="bench-").count()
        for start in range(have, n_firms, BATCH):
            stop = min(n_firms, start + BATCH)
            with transaction.atomic():
                orgs = Organisation.objects.bulk_create(
                    Organisation(
                        kind="firm", name=f"基准测试企业{i}", code=f"bench-{i}", uscc=_uscc(i)
                    )
                    for i in range(start, stop)
                )
                Firm.objects.bulk_create(Firm(organisation=o, kind="private") for o in orgs)
        firm_ids = list(
            Firm.objects.filter(organisation__code__startswith="bench-").values_list(
                "pk", "organisation_id"
            )
        )
        have = Need.objects.filter(number__startswith="B").count()
        rng = random.Random(5)  # noqa: S311  (synthetic data, not secrets)
        origin = timezone.make_aware(datetime(2024, 1, 1))
        span = 3 * 365 * 24 * 3600
        for start in range(have, n_needs, BATCH):
            stop = min(n_needs, start + BATCH)
            rows, ratings = [], []
            for i in range(start, stop):
                firm_id, org_id = rng.choice(firm_ids)
                cat = rng.choice(categories)
                at = origin + timedelta(seconds=rng.randrange(span))
                state = rng.choice(rules.STATES)
                closed = at + timedelta(days=rng.randint(1, 20)) if state == "closed" else None
                rows.append(
                    Need(
                        number=f"B{i:09d}",
                        token=f"bench-{i}",
                        channel="qr",
                        uscc=_uscc(0),
                        firm_id=firm_id,
                        firm_org_id=org_id,
                        contact_phone=f"139{i:08d}"[-11:],
                        text="基准测试诉求",
                        category=cat,
                        department_id=cat.lead_department_id,
                        state=state,
                        received_at=at,
                        due_date=(at + timedelta(days=14)).date(),
                        closed_at=closed,
                        on_time=(rng.random() < 0.9) if closed else None,
                    )
                )
            with transaction.atomic():
                created = Need.objects.bulk_create(rows)
                for need in created:
                    if need.closed_at and rng.random() < 0.5:
                        ratings.append(
                            Rating(
                                need=need,
                                department_id=need.department_id,
                                level=rng.choice([5, 5, 4, 4, 3, 2, 1]),
                                rated_at=need.closed_at,
                            )
                        )
                Rating.objects.bulk_create(ratings)
            if (stop // BATCH) % 20 == 0:
                self.stdout.write(f"  {stop} needs")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")

    def _figures(self, n_needs: int, n_firms: int) -> None:
        from django.contrib.auth import get_user_model

        self._fill(n_needs, n_firms)
        user = get_user_model().objects.filter(username="editor").first()
        if user is None:
            raise CommandError("load the core demo first (user `editor`)")
        client = Client()
        client.force_login(user)
        url = "/api/v1/figures?from=2025-01-01&to=2025-12-31"
        client.get(url)  # warm up
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise CommandError(f"figures answered {response.status_code}")
        self.stdout.write(
            f"figures ms={statistics.median(timings):.0f} needs={Need.objects.count()} "
            f"firms={Firm.objects.count()}"
        )

    # --- intake -------------------------------------------------------------------------------

    def _intake(self, base: str, seconds: float, concurrency: int, rate: float) -> None:
        from qinqing.needs import services

        qr = QrCode.objects.filter(label="基准测试问需码").first() or services.qr_create(
            actor=None, origin="generic", label="基准测试问需码"
        )
        parsed = urllib.parse.urlsplit(base)
        path = f"/needs/q/{qr.key}/"
        firm_usccs = list(Firm.objects.values_list("organisation__uscc", flat=True)[:1000])
        if not firm_usccs:
            raise CommandError("no firms: load the demo first")
        run = secrets.randbelow(1000)  # fresh phone numbers for each run: 1 + run + serial
        cpu_started = time.process_time()
        latencies, errors, elapsed, untimed = asyncio.run(
            _intake_load(parsed, path, firm_usccs, run, seconds, concurrency, rate)
        )
        client_cpu = time.process_time() - cpu_started
        latencies.sort()
        p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else 0
        p50 = latencies[len(latencies) // 2] if latencies else 0
        arrivals = f"open@{rate:g}/s" if rate else "closed"
        self.stdout.write(
            f"intake req_per_s={len(latencies) / elapsed:.0f} p99_ms={p99:.0f} "
            f"p50_ms={p50:.0f} requests={len(latencies)} errors={errors} "
            f"concurrency={concurrency} arrivals={arrivals} untimed={untimed} "
            f"client_cpu_s={client_cpu:.2f} date={date.today()}"
        )


# The load generator shares the two cores with the server it measures, so it is kept lean: one
# asyncio loop, one keep-alive connection per client, the request written as bytes and the
# response read by its Content-Length (a server that closes the connection is reconnected to,
# inside the timed request, as a browser would).


async def _exchange(conn, host: str, port: int, request: bytes):
    """Send one request on `conn` (reader, writer), opening it first if needed; return the
    connection (None once the server closed it), the status, the headers and the body."""
    if conn is None:
        conn = await asyncio.open_connection(host, port)
    reader, writer = conn
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers.setdefault(name.strip().lower(), []).append(value.strip())
    if "content-length" not in headers:
        raise CommandError("the server answered without Content-Length")
    body = await reader.readexactly(int(headers["content-length"][0]))
    if headers.get("connection", [""])[0].lower() == "close":
        writer.close()
        conn = None
    return conn, status, headers, body


async def _intake_load(parsed, path, firm_usccs, run, seconds, concurrency, rate):
    """Return the timed latencies (ms), the count of answers other than 302 (the warm-up's
    included), the timed phase's elapsed time and the number of untimed requests (the form
    fetched per connection, the warm-up)."""
    host, port = parsed.hostname, parsed.port or 80
    base = f"{parsed.scheme}://{parsed.netloc}"
    latencies: list[float] = []
    errors = 0
    counter = iter(range(10**7))  # the serial of each submission's phone number

    async def connect():
        """A keep-alive connection with its CSRF cookie, the POST's head and the form token."""
        get = f"GET {path} HTTP/1.1\r\nHost: {parsed.netloc}\r\n\r\n".encode()
        conn, _status, headers, page = await _exchange(None, host, port, get)
        cookie = re.search(r"csrftoken=([^;]+)", " ".join(headers.get("set-cookie", [])))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.decode())
        if not (cookie and token):
            raise CommandError("could not read the CSRF token from the form")
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {parsed.netloc}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Cookie: csrftoken={cookie.group(1)}\r\nReferer: {base}{path}\r\n"
        )
        return [conn, head, token.group(1)]

    async def submit(client, due: float) -> None:
        nonlocal errors
        conn, head, token = client
        serial = next(counter)
        body = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token,
                "uscc": firm_usccs[(serial * 7919) % len(firm_usccs)],
                "phone": f"1{run:03d}{serial:07d}",
                "text": "数电票开票额度不够用，怎么申请提额？",
            }
        ).encode()
        request = f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
        client[0], status, _headers, _body = await _exchange(conn, host, port, request)
        latencies.append((time.perf_counter() - due) * 1000)
        if status != 302:
            errors += 1

    clients = [await connect() for _ in range(concurrency)]
    # Warm-up, untimed: every server thread's database connection prepares its statements on
    # their fifth use (decision 0003), and a real server has long done so.
    for _ in range(WARM_UP):
        await asyncio.gather(*(submit(client, time.perf_counter()) for client in clients))
    warm_up, latencies[:] = len(latencies), []
    started = time.perf_counter()
    deadline = started + seconds
    if rate:
        free: asyncio.Queue = asyncio.Queue()
        for client in clients:
            free.put_nowait(client)

        async def arrival(due: float) -> None:
            client = await free.get()  # waiting for a connection counts in the latency
            try:
                await submit(client, due)
            finally:
                free.put_nowait(client)

        rng = random.Random(run)  # noqa: S311  (arrival times, not secrets)
        tasks, due = [], started
        while True:
            due += rng.expovariate(rate)
            if due >= deadline:
                break
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(arrival(due)))
        await asyncio.gather(*tasks)
    else:

        async def closed_loop(client) -> None:
            while time.perf_counter() < deadline:
                await submit(client, time.perf_counter())

        await asyncio.gather(*(closed_loop(client) for client in clients))
    elapsed = time.perf_counter() - started
    for conn, _head, _token in clients:
        if conn is not None:
            conn[1].close()
    return latencies, errors, elapsed, concurrency + warm_up
