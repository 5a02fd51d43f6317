"""The task queue: the real database backend and worker (in this process and as a separate
process killed mid-task), retries with back-off, giving up visibly, recovery of a killed
worker's task, documents stored once, SMS delivered once, the periodic ticks enqueued once."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from qinqing.core import notifier
from qinqing.core.documents import document_render, document_request, pdf_from_html
from qinqing.core.models import AuditEntry, GeneratedDocument, Notification, PeriodicTick
from qinqing.core.tasks import (
    TICKS,
    TaskResultStatus,
    enqueue_after_commit,
    queued_task,
    ticks_enqueue_due,
)
from qinqing.core.testing import run_queued_tasks

pytestmark = pytest.mark.django_db(transaction=True)

READY, RUNNING = TaskResultStatus.READY, TaskResultStatus.RUNNING
FAILED, SUCCESSFUL = TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL


def _count(path: str) -> int:
    """Add one to the number kept in the file `path` and return it."""
    file = Path(path)
    n = int(file.read_text()) + 1 if file.exists() else 1
    file.write_text(str(n))
    return n


@queued_task(max_attempts=4, backoff=timedelta(seconds=30))
def flaky(path: str, failures: int) -> int:
    """Fails its first `failures` runs, then succeeds."""
    n = _count(path)
    if n <= failures:
        raise ConnectionError(f"run {n} failed")
    return n


def _given_up(path: str, *, error: str) -> None:
    Path(path + ".given-up").write_text(error)


@queued_task(max_attempts=2, backoff=timedelta(seconds=5), on_give_up=_given_up)
def hopeless(path: str) -> None:
    _count(path)
    raise ConnectionError("gateway down")


def blocking_render(gate: str, log: str, html: str) -> bytes:
    """A renderer that waits while the file `gate` exists (the test kills its worker then)."""
    with open(log, "a") as f:
        f.write("start\n")
    deadline = time.monotonic() + 120
    while os.path.exists(gate):
        if time.monotonic() > deadline:
            raise TimeoutError(gate)
        time.sleep(0.05)
    pdf = pdf_from_html(html)
    with open(log, "a") as f:
        f.write("end\n")
    return pdf


def work(*args: str) -> None:
    """`qinqing worker --batch` in this process: the queue's own db_worker runs what is due."""
    call_command("worker", "--batch", "--no-schedule", *args, verbosity=0)


def time_passes() -> None:
    """Every waiting attempt's back-off is over."""
    DBTaskResult.objects.filter(status=READY).update(run_after=timezone.now())


def test_an_enqueued_task_waits_for_the_worker(tmp_path):
    counter = str(tmp_path / "n")
    enqueue_after_commit(flaky, counter, 0)
    row = DBTaskResult.objects.get()
    assert row.status == READY and not Path(counter).exists()  # not run by the enqueuer
    work()
    row.refresh_from_db()
    assert row.status == SUCCESSFUL and row.return_value == 1


def test_a_failing_task_is_retried_with_back_off_and_succeeds_later(tmp_path):
    counter = str(tmp_path / "n")
    enqueue_after_commit(flaky, counter, 2)
    work()
    first = DBTaskResult.objects.get(status=FAILED)
    second = DBTaskResult.objects.get(status=READY)
    assert "run 1 failed" in first.traceback
    assert second.args_kwargs["kwargs"] == {"attempt": 2}
    # The next attempt waits 30 s, then 60 s: a worker now finds nothing to run.
    assert timedelta(seconds=29) < second.run_after - first.finished_at < timedelta(seconds=35)
    work()
    assert Path(counter).read_text() == "1"
    time_passes()
    work()
    third = DBTaskResult.objects.get(status=READY)
    assert third.args_kwargs["kwargs"] == {"attempt": 3}
    failed_second = DBTaskResult.objects.get(pk=second.pk)
    assert (
        timedelta(seconds=59) < third.run_after - failed_second.finished_at < timedelta(seconds=65)
    )
    time_passes()
    work()
    third.refresh_from_db()
    assert third.status == SUCCESSFUL and third.return_value == 3
    assert not AuditEntry.objects.filter(action="task.failed").exists()


def test_the_last_failed_attempt_gives_up_visibly(tmp_path, caplog):
    counter = str(tmp_path / "n")
    enqueue_after_commit(hopeless, counter)
    work()
    time_passes()
    with caplog.at_level(logging.ERROR, logger="qinqing.tasks"):
        work()
    assert Path(counter).read_text() == "2"  # max_attempts=2, then no more
    assert not DBTaskResult.objects.filter(status=READY).exists()
    last = DBTaskResult.objects.get(args_kwargs__kwargs__attempt=2)
    assert last.status == FAILED
    entry = AuditEntry.objects.get(action="task.failed")
    assert entry.object_id == str(last.pk) and entry.detail["attempts"] == 2
    assert "gateway down" in entry.detail["error"]
    assert any(str(last.pk) in r.getMessage() for r in caplog.records if r.levelname == "ERROR")
    assert "gateway down" in Path(counter + ".given-up").read_text()


# --- a worker killed in the middle of a render ------------------------------------------------


@contextmanager
def database_for_subprocesses(tmp_path):
    """The test database as other processes reach it: PostgreSQL's test database itself; the
    in-memory SQLite test database copied to a file and back afterwards."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        yield (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
        return
    connection.ensure_connection()
    copy = tmp_path / "test.sqlite3"
    with sqlite3.connect(copy) as target:
        connection.connection.backup(target)
    target.close()
    try:
        yield f"sqlite:///{copy}"
    finally:
        source = sqlite3.connect(copy)
        source.backup(connection.connection)
        source.close()


def _qinqing(url: str, tmp_path: Path, *args: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "QINQING_VAR_DIR": str(tmp_path),
        "SECRET_KEY": django_settings.SECRET_KEY,
        "QINQING_DATA_KEYS": ",".join(django_settings.QINQING_DATA_KEYS),
        "QINQING_TASKS_BACKEND": "database",
        "DEBUG": "1",
    }
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "qinqing", *args],
        env=env,
        cwd=django_settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_worker_killed_mid_render_leaves_the_task_retried_and_the_file_stored_once(
    tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"  # the subprocesses' QINQING_VAR_DIR/media
    gate, log = tmp_path / "gate", tmp_path / "render.log"
    gate.touch()
    document = document_request(
        actor=None,
        renderer=f"{__name__}.blocking_render",
        params={"gate": str(gate), "log": str(log), "html": "<p>评标报告</p>"},
        filename="report.pdf",
        content_type="application/pdf",
    )
    with database_for_subprocesses(tmp_path) as url:
        worker = _qinqing(url, tmp_path, "worker", "--no-schedule", "--interval", "0.1")
        try:
            deadline = time.monotonic() + 180
            while not (log.exists() and "start" in log.read_text()):
                assert worker.poll() is None, worker.stdout.read()
                assert time.monotonic() < deadline, "the worker never started the render"
                time.sleep(0.1)
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait()
        gate.unlink()
        # A new worker recovers the task its predecessor left running, and renders it.
        again = _qinqing(
            url, tmp_path, "worker", "--batch", "--no-schedule", "--recover-after", "0s"
        )
        output, _ = again.communicate(timeout=300)
        assert again.returncode == 0, output
    assert log.read_text() == "start\nstart\nend\n"
    lost, retried = DBTaskResult.objects.order_by("enqueued_at")
    assert lost.status == FAILED and lost.exception_class_path == "qinqing.core.tasks.WorkerLost"
    assert retried.status == SUCCESSFUL and retried.args_kwargs["kwargs"]["attempt"] == 2
    document.refresh_from_db()
    assert document.status == GeneratedDocument.Status.READY
    stored = list((tmp_path / "media" / "generated").rglob("*.pdf"))
    assert [p.name for p in stored] == [Path(document.file.name).name]
    assert stored[0].read_bytes().startswith(b"%PDF")

    # Run once more (a duplicate, or a recovery that was wrong): nothing is rendered again.
    enqueue_after_commit(document_render, document.pk)
    work()
    assert log.read_text() == "start\nstart\nend\n"
    assert len(list((tmp_path / "media" / "generated").rglob("*.pdf"))) == 1


def test_recovery_leaves_a_task_younger_than_the_threshold_alone(tmp_path):
    enqueue_after_commit(flaky, str(tmp_path / "n"), 0)
    DBTaskResult.objects.update(status=RUNNING, started_at=timezone.now(), worker_ids=["w1"])
    call_command("tasks_recover", "--older-than", "10m", verbosity=0)
    assert DBTaskResult.objects.get().status == RUNNING
    DBTaskResult.objects.update(started_at=timezone.now() - timedelta(minutes=11))
    call_command("tasks_recover", "--older-than", "10m", verbosity=0)
    assert sorted(DBTaskResult.objects.values_list("status", flat=True)) == [FAILED, READY]


# --- SMS on the queue -------------------------------------------------------------------------


def test_sms_goes_through_the_queue_and_is_delivered_once(settings, outbox):
    settings.QINQING_NOTIFIER = "qinqing.core.notifier.QueuedMemoryBackend"
    note = notifier.notification_send(
        actor=None,
        channel="sms",
        subject="验证码",
        body="验证码 654321",
        address="13800000000",
        sensitive=True,
    )
    assert note.status == Notification.Status.QUEUED and not outbox
    row = DBTaskResult.objects.get()
    assert "654321" not in str(row.args_kwargs)  # the code travels sealed
    work()
    note.refresh_from_db()
    assert note.status == Notification.Status.SENT and note.sent_at is not None
    assert [m.body for m in outbox] == ["验证码 654321"]
    assert "654321" not in note.body
    # The same task runs again (a worker stopped before recording its end): nothing is resent.
    notifier.notifications_deliver.enqueue(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
    work()
    assert len(outbox) == 1


class _FlakyGateway(notifier.MemoryBackend):
    queued = True
    refusals = 0

    def deliver(self, notification):
        if _FlakyGateway.refusals:
            _FlakyGateway.refusals -= 1
            raise ConnectionError("gateway down")
        super().deliver(notification)


def test_a_refused_sms_stays_queued_is_retried_and_fails_after_the_last_attempt(settings, outbox):
    settings.QINQING_NOTIFIER = f"{__name__}._FlakyGateway"
    _FlakyGateway.refusals = 1
    messages = [
        notifier.Message("sms", "通知", f"正文{i}", address=f"1380000000{i}") for i in range(2)
    ]
    first, second = notifier.notification_send_many(actor=None, messages=messages)
    work()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Notification.Status.QUEUED and "gateway down" in first.error
    assert second.status == Notification.Status.SENT
    time_passes()
    work()
    first.refresh_from_db()
    assert first.status == Notification.Status.SENT and first.error == ""
    assert sorted(m.body for m in outbox) == ["正文0", "正文1"]  # each once

    _FlakyGateway.refusals = 100
    note = notifier.notification_send(actor=None, channel="sms", subject="s", body="b", address="1")
    for _ in range(6):  # notifications_deliver: max_attempts=6
        work()
        time_passes()
    note.refresh_from_db()
    assert note.status == Notification.Status.FAILED and "gateway down" in note.error
    assert AuditEntry.objects.filter(action="task.failed").count() == 1


# --- periodic ticks ---------------------------------------------------------------------------


def test_each_tick_is_enqueued_once_when_due_and_runs_its_command():
    # Noon: no daily tick falls in the next six minutes (at 01:15 the purge at 01:20 would).
    now = timezone.make_aware(datetime.combine(timezone.localdate(), clock_time(12, 0)))
    assert ticks_enqueue_due(now) == [t.command for t in TICKS]  # never run: due at once
    assert ticks_enqueue_due(now) == []  # a second scheduler at the same moment: nothing
    assert ticks_enqueue_due(now + timedelta(minutes=6)) == ["bidding_tick"]
    assert PeriodicTick.objects.get(name="audit_anchor").next_at > now
    work()
    runs = DBTaskResult.objects.filter(task_path="qinqing.core.tasks.command_run")
    assert runs.count() == len(TICKS) + 1
    assert set(runs.values_list("status", flat=True)) == {SUCCESSFUL}
    purge = runs.get(args_kwargs__args=["idempotency_purge"])
    assert "已删除过期的幂等键" in purge.return_value


# --- documents, and the immediate backend -----------------------------------------------------


@pytest.mark.django_db
def test_a_document_failed_or_whose_file_is_gone_is_rendered_again(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path

    def ask():
        return document_request(
            actor=None,
            renderer="qinqing.core.documents.pdf_from_html",
            params={"html": "<p>简报</p>"},
            filename="brief.pdf",
            content_type="application/pdf",
        )

    document = ask()
    assert run_queued_tasks() == 1
    document.refresh_from_db()
    assert document.status == GeneratedDocument.Status.READY
    assert ask().pk == document.pk and run_queued_tasks() == 0  # kept: nothing to do
    document.file.delete(save=False)
    assert ask().status == GeneratedDocument.Status.QUEUED
    assert run_queued_tasks() == 1
    document.refresh_from_db()
    assert document.file.storage.exists(document.file.name)
    GeneratedDocument.objects.filter(pk=document.pk).update(status="failed", error="x")
    assert ask().status == GeneratedDocument.Status.QUEUED
    assert run_queued_tasks() == 1
    assert GeneratedDocument.objects.count() == 1


@pytest.mark.django_db
def test_the_immediate_backend_runs_a_task_at_the_commit(
    settings, outbox, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.QINQING_NOTIFIER = "qinqing.core.notifier.QueuedMemoryBackend"
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        note = notifier.notification_send(
            actor=None, channel="sms", subject="s", body="正文", address="13800000000"
        )
        assert not outbox
    note.refresh_from_db()
    assert note.status == Notification.Status.SENT and [m.body for m in outbox] == ["正文"]
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db
def test_healthz_warns_when_tasks_wait_and_no_worker_takes_them(client, tmp_path):
    enqueue_after_commit(flaky, str(tmp_path / "n"), 0)
    assert client.get("/healthz").json()["queue"]["late"] == 0  # just enqueued
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(minutes=6))
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "warn"
    assert health.json()["queue"] == {"status": "late", "backend": "database", "late": 1}
    # Waiting for its back-off is not late.
    DBTaskResult.objects.update(run_after=timezone.now() + timedelta(minutes=1))
    assert client.get("/healthz").json()["queue"]["late"] == 0
