"""Test helpers that every module's tests reuse."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

ANONYMOUS = "anonymous"

# Every (METHOD, route) a permission matrix requested in this test session: `route` is the
# resolver's pattern string ("needs/<int:pk>/"), not the URL. `core/tests/test_route_coverage.py`
# runs last and fails on any route of the resolver that no matrix requested.
MATRIX_ROUTES: set[tuple[str, str]] = set()
# Filled by the root conftest's collection hooks: the test files this run collected, and those
# some of whose tests were deselected.
COLLECTED_FILES: set[str] = set()
DESELECTED_FILES: set[str] = set()


def record_matrix_route(method: str, url: str, routes: set | None = None) -> None:
    """Note the route `url` resolves to in `routes` (by default MATRIX_ROUTES); a URL no
    route matches is not noted."""
    from django.urls import Resolver404, resolve

    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return
    (MATRIX_ROUTES if routes is None else routes).add((method.upper(), match.route))


def check_matrix(
    client,
    matrix: Mapping[str, Mapping[str, int]],
    users: Mapping[str, object],
    *,
    method: str = "get",
    data: Mapping | None = None,
    content_type: str | None = None,
) -> None:
    """Request every URL as every user and compare the status with the expected one (with
    `content_type`, e.g. "application/json", the data is sent as that body).

    `matrix` maps URL → {username or ANONYMOUS: expected status}. All mismatches are reported
    together, so one run shows the whole broken row or column.
    """
    failures = []
    for url, expected in matrix.items():
        record_matrix_route(method, url)
        for who, status in expected.items():
            client.logout()
            if who != ANONYMOUS:
                client.force_login(users[who])
            extra = {"content_type": content_type} if content_type else {}
            response = getattr(client, method)(url, data or {}, **extra)
            if response.status_code != status:
                failures.append(
                    f"{method.upper()} {url} as {who}: {response.status_code} != {status}"
                )
    client.logout()
    assert not failures, "permission matrix mismatches:\n" + "\n".join(failures)


# Invented for the tests, NOT the State Council's 2027 notice (not published when this was
# written): Friday 1 – Sunday 3 January off; 6–14 February off with Saturday 30 January and
# Saturday 20 February worked.
TEST_NOTICE_2027 = (
    "一、元旦：1月1日（周五）至3日（周日）放假，共3天。\n"
    "二、春节：2月6日（周六）至14日（周日）放假调休，共9天。1月30日（周六）、2月20日（周六）上班。"
)


def enter_test_notice_2027(actor=None):
    """Save `TEST_NOTICE_2027` as a platform administrator would (deadlines move)."""
    from qinqing.core.models import HolidayNotice
    from qinqing.core.services import holiday_notice_draft, holiday_notice_save

    draft = holiday_notice_draft(year=2027, text=TEST_NOTICE_2027, number="测试〔2026〕1号")
    return holiday_notice_save(actor=actor, draft=draft, source=HolidayNotice.Source.ENTERED)


def race(workers: int, fn) -> list:
    """Run ``fn(i)`` for i in range(workers) in as many threads, released together by a
    barrier; each thread closes its database connection at the end. Returns each worker's
    result, or the exception it raised (so the caller asserts on every outcome).

    Real concurrent writers need a database that has them (PostgreSQL) and a test marked
    ``django_db(transaction=True)``, so each thread's commits are visible to the others.
    """
    import threading

    from django.db import connection

    barrier = threading.Barrier(workers)
    results: list = [None] * workers

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = fn(i)
        except Exception as exc:  # reported to the caller, which asserts on it
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def needs_concurrent_writers():
    """Skip a race test on SQLite, which serialises writers (one lock for the whole file), so
    the race it exercises cannot happen there; a sequential test of the same invariant runs
    on both databases."""
    import pytest
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are exercised on PostgreSQL (SQLite serialises writes)")


def xlsx_declaring_every_cell(rows: list[list], *, last_row_value: str | None = "x") -> bytes:
    """A small .xlsx holding `rows` whose sheet declares the dimension A1:XFD1048576 (every
    cell Excel allows) and, with `last_row_value`, has one more value in the very last row: a
    reader that trusts the declaration or pads the gap builds a million rows of 16,384 cells."""
    import io
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                start = text.index("<dimension ref=")
                end = text.index("/>", start) + 2
                text = text[:start] + '<dimension ref="A1:XFD1048576"/>' + text[end:]
                if last_row_value is not None:
                    last = (
                        '<row r="1048576"><c r="A1048576" t="inlineStr">'
                        f"<is><t>{last_row_value}</t></is></c></row>"
                    )
                    text = text.replace("</sheetData>", last + "</sheetData>")
                data = text.encode()
            zf.writestr(item, data)
    return out.getvalue()


def xlsx_with_part(name: str, size: int) -> bytes:
    """A zip (named .xlsx by the caller) whose one part `name` inflates `size` zero bytes."""
    import io
    import zipfile

    out = io.BytesIO()
    chunk = bytes(1024 * 1024)
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf,
        zf.open(name, "w", force_zip64=True) as part,
    ):
        for _ in range(size // len(chunk)):
            part.write(chunk)
        part.write(bytes(size % len(chunk)))
    return out.getvalue()


def run_queued_tasks() -> int:
    """Run the tasks waiting on the queue in this process, the way the worker calls them, and
    return how many ran. For tests inside a transaction (the worker closes connections, which
    ends the test's transaction); `core/tests/test_tasks.py` runs the real worker."""
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from qinqing.core.tasks import TaskContext, TaskResultStatus

    ran = 0
    while row := DBTaskResult.objects.ready().first():
        DBTaskResult.objects.filter(pk=row.pk).update(status=TaskResultStatus.RUNNING)
        try:
            row.task.call(
                TaskContext(task_result=row.task_result),
                *row.args_kwargs["args"],
                **row.args_kwargs["kwargs"],
            )
        except Exception:
            status = TaskResultStatus.FAILED
        else:
            status = TaskResultStatus.SUCCESSFUL
        DBTaskResult.objects.filter(pk=row.pk).update(status=status, finished_at=timezone.now())
        ran += 1
    return ran
