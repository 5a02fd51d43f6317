"""Work outside the request: the task queue (django-tasks, database backend) with retries.

A task is a module-level function decorated `@queued_task(...)`. A service asks for it with
`enqueue_after_commit(task, *args)`; `qinqing worker` runs it (the queue's `db_worker`, plus the
recovery of tasks whose worker was killed and the periodic ticks).

**The body must be idempotent.** It can run more than once for one request: a worker killed
after the work but before recording it has its task run again, and a retry follows a failure
whose effect is unknown (a gateway that timed out after accepting the message). So the body
first reads what is already done — under a lock on the row that records it — and does only the
rest: a notification already `sent` is not sent again (`notifier.notifications_deliver`), a
document already `ready` is not rendered again (`documents.document_render`). It takes ids and
plain JSON values, never model instances, and reads the rows afresh.

**Retries.** A body that raises is retried with exponential back-off (`backoff × 2^(n-1)`, at
most `max_backoff`) until `max_attempts`. Each attempt is one row of the queue (`DBTaskResult`)
carrying its number explicitly (the `attempt` keyword); a failed attempt's row keeps its
traceback and the next attempt is enqueued with `run_after`. After the last attempt the task
gives up: an ERROR log line and an audit entry `task.failed` name the task and its id, and the
task's `on_give_up(*args, error=..., **kwargs)` marks what it was for as failed.

**Killed workers.** The queue never recovers a row left RUNNING by a worker that died;
`tasks_recover` (run by `qinqing worker` when it starts and every 30 s, and by `qinqing
tasks_recover`) fails each RUNNING row older than a threshold (longer than any task runs) as
`WorkerLost` and treats it as a failed attempt: retried at once (the threshold was the wait),
or given up after the last attempt.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.core.exceptions import SuspiciousOperation
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

try:  # Django 6: the same API is built in
    from django.tasks import task_backends
    from django.tasks.base import Task, TaskContext, TaskResultStatus, task
except ImportError:
    from django_tasks import task_backends
    from django_tasks.base import Task, TaskContext, TaskResultStatus, task

from qinqing.core.audit import audit_log
from qinqing.core.models import PeriodicTick

logger = logging.getLogger("qinqing.tasks")

WORKER_LOST = "qinqing.core.tasks.WorkerLost"


class WorkerLost(Exception):
    """The worker running the task stopped (killed, machine lost) before recording an end."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    backoff: timedelta
    max_backoff: timedelta
    on_give_up: Callable | None

    def delay(self, attempt: int) -> timedelta:
        """The wait after failed attempt `attempt` (1-based): doubling, capped."""
        return min(self.backoff * 2 ** (attempt - 1), self.max_backoff)


_policies: dict[str, RetryPolicy] = {}


def policy_of(queued: Task) -> RetryPolicy | None:
    return _policies.get(queued.module_path)


def queued_task(
    *,
    max_attempts: int = 5,
    backoff: timedelta = timedelta(seconds=30),
    max_backoff: timedelta = timedelta(hours=1),
    on_give_up: Callable | None = None,
    priority: int = 0,
) -> Callable[[Callable], Task]:
    """Make `func` a task of the queue with retries (see the module's docstring). Enqueue it
    with `enqueue_after_commit(task, *args, **kwargs)`; `task.func.body` is the plain
    function."""

    def decorate(func: Callable) -> Task:
        def run(context: TaskContext, *args, attempt: int = 1, **kwargs):
            try:
                return func(*args, **kwargs)
            except BaseException as exc:  # a worker stopped mid-task is a failed attempt too
                attempt_failed(
                    context.task_result.task,
                    args,
                    kwargs,
                    attempt=attempt,
                    task_id=str(context.task_result.id),
                    error=f"{type(exc).__name__}: {exc}",
                )
                raise

        # The queue finds the task by its function's module path; no __wrapped__, so that
        # django-tasks sees `context` as the first argument.
        run.__module__, run.__name__ = func.__module__, func.__name__
        run.__qualname__, run.__doc__ = func.__qualname__, func.__doc__
        run.body = func
        queued = task(priority=priority, takes_context=True)(run)
        _policies[queued.module_path] = RetryPolicy(max_attempts, backoff, max_backoff, on_give_up)
        return queued

    return decorate


def enqueue_after_commit(queued: Task, *args, **kwargs) -> None:
    """Ask for `queued(*args, **kwargs)` to run once the caller's transaction commits.

    On the database queue the task's row is written in the caller's transaction: a worker
    sees it only after the commit, and a rollback takes it away with the change it was for,
    so nothing runs for a change that did not happen and nothing is lost between the commit
    and the enqueue. Other backends (the immediate one) are handed the task on commit."""
    if isinstance(queued.get_backend(), DatabaseBackend):
        queued.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: queued.enqueue(*args, **kwargs), robust=True)


def attempt_failed(
    queued: Task,
    args,
    kwargs: dict,
    *,
    attempt: int,
    task_id: str,
    error: str,
    back_off: bool = True,
) -> None:
    """Attempt `attempt` of a task failed: enqueue the next one after its back-off (at once
    with `back_off=False`), or give up after the last."""
    policy = policy_of(queued)
    if policy is None or attempt >= policy.max_attempts:
        give_up(queued, args, kwargs, attempt=attempt, task_id=task_id, error=error)
        return
    delay = policy.delay(attempt) if back_off else timedelta(0)
    logger.warning(
        "task %s id=%s attempt %d/%d failed (%s); next attempt in %ds",
        queued.name,
        task_id,
        attempt,
        policy.max_attempts,
        error,
        delay.total_seconds(),
    )
    if delay and queued.get_backend().supports_defer:
        queued = queued.using(run_after=timezone.now() + delay)
    queued.enqueue(*args, attempt=attempt + 1, **kwargs)


def give_up(queued: Task, args, kwargs: dict, *, attempt: int, task_id: str, error: str) -> None:
    """The last attempt failed: say so at ERROR, mark what the task was for, audit it."""
    logger.error(
        "task %s id=%s failed after %d attempts, given up: %s",
        queued.name,
        task_id,
        attempt,
        error,
    )
    policy = policy_of(queued)
    with transaction.atomic():
        if policy is not None and policy.on_give_up is not None:
            try:
                with transaction.atomic():
                    policy.on_give_up(*args, error=error, **kwargs)
            except Exception:
                logger.exception("task %s id=%s: on_give_up failed", queued.name, task_id)
        audit_log(
            actor=None,
            action="task.failed",
            object_type="task",
            object_id=task_id,
            detail={
                "task": queued.module_path,
                "args": list(args),
                "attempts": attempt,
                "error": error[:1000],
            },
        )


def tasks_recover(*, older_than: timedelta) -> int:
    """Tasks left RUNNING for longer than `older_than` by a worker that stopped: each is failed
    (`WorkerLost`) and retried or given up like any failed attempt. One conditional update per
    row, so a worker finishing it at that moment, or another recovery, wins or loses cleanly.
    Returns how many were recovered."""
    cutoff = timezone.now() - older_than
    stale = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=cutoff
    ).order_by("started_at")
    recovered = 0
    for row in stale:
        worker = row.worker_ids[-1] if row.worker_ids else "?"
        error = f"WorkerLost: worker {worker} stopped while running it (started {row.started_at})"
        with transaction.atomic():
            taken = DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.FAILED,
                finished_at=timezone.now(),
                exception_class_path=WORKER_LOST,
                traceback=error,
                return_value=None,
            )
            if not taken:
                continue
            recovered += 1
            try:
                queued = row.task
            except (ImportError, SuspiciousOperation):
                logger.error("task id=%s (%s) lost and no longer importable", row.pk, row.task_path)
                continue
            if policy_of(queued) is None:  # a plain django-tasks task: run it again
                DBTaskResult.objects.filter(pk=row.pk).update(
                    status=TaskResultStatus.READY, finished_at=None, exception_class_path=""
                )
                continue
            kwargs = dict(row.args_kwargs["kwargs"])
            attempt = kwargs.pop("attempt", 1)
            args = row.args_kwargs["args"]
            # The threshold was the wait: the next attempt may run at once.
            attempt_failed(
                queued,
                args,
                kwargs,
                attempt=attempt,
                task_id=str(row.pk),
                error=error,
                back_off=False,
            )
    return recovered


LATE_AFTER = timedelta(minutes=5)


def queue_health(now: datetime | None = None) -> dict:
    """For /healthz: tasks due for longer than LATE_AFTER and not taken — no worker runs, or
    too few. A task waiting for its back-off is not late."""
    if not isinstance(task_backends["default"], DatabaseBackend):
        return {"status": "ok", "backend": "immediate", "late": 0}
    cutoff = (now or timezone.now()) - LATE_AFTER
    late = DBTaskResult.objects.filter(status=TaskResultStatus.READY, enqueued_at__lt=cutoff)
    # A task enqueued without `run_after` stores the far future there ("whenever").
    late = late.filter(
        Q(run_after__lt=cutoff) | Q(run_after__gte=datetime(9000, 1, 1, tzinfo=UTC))
    ).count()
    return {"status": "late" if late else "ok", "backend": "database", "late": late}


def parse_duration(text: str) -> timedelta:
    """'90s', '10m', '2h', '1d' (or plain seconds)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    try:
        if text and text[-1] in units:
            return timedelta(seconds=float(text[:-1]) * units[text[-1]])
        return timedelta(seconds=float(text))
    except ValueError:
        raise ValueError(f"not a duration: {text!r} (e.g. 90s, 10m, 2h)") from None


# --- periodic ticks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tick:
    """A management command run periodically: every `every`, or daily at `daily_at`
    (Asia/Shanghai)."""

    command: str
    every: timedelta | None = None
    daily_at: time | None = None

    def next_after(self, now: datetime) -> datetime:
        if self.every is not None:
            return now + self.every
        local = timezone.localtime(now)
        due = local.replace(
            hour=self.daily_at.hour, minute=self.daily_at.minute, second=0, microsecond=0
        )
        return due if due > local else due + timedelta(days=1)


TICKS = (
    Tick("bidding_tick", every=timedelta(minutes=5)),
    Tick("needs_escalate", daily_at=time(1, 0)),
    Tick("needs_common", every=timedelta(hours=1)),  # the common-needs summary
    Tick("bankruptcy_tick", daily_at=time(1, 10)),
    Tick("idempotency_purge", daily_at=time(1, 20)),
    Tick("documents_purge", every=timedelta(hours=1)),  # exports expire after hours
    Tick("prune_db_task_results", daily_at=time(1, 40)),  # finished tasks after 14 days
    Tick("audit_anchor", daily_at=time(23, 50)),
)


@queued_task(max_attempts=1)
def command_run(name: str) -> str:
    """One run of a periodic command; its output is the task's return value."""
    if name not in {t.command for t in TICKS}:
        raise ValueError(f"not a periodic command: {name}")
    out = io.StringIO()
    call_command(name, stdout=out)
    return out.getvalue()[-2000:]


def ticks_enqueue_due(now: datetime | None = None) -> list[str]:
    """Enqueue each periodic command that is due, and move its `next_at` on, in one transaction
    per tick: the conditional update lets one scheduler of several enqueue it. A tick never
    seen before is due at once. Returns the commands enqueued."""
    now = now or timezone.now()
    known = set(PeriodicTick.objects.values_list("name", flat=True))
    PeriodicTick.objects.bulk_create(
        [PeriodicTick(name=t.command, next_at=now) for t in TICKS if t.command not in known],
        ignore_conflicts=True,
    )
    enqueued = []
    for tick in TICKS:
        with transaction.atomic():
            moved = PeriodicTick.objects.filter(name=tick.command, next_at__lte=now).update(
                next_at=tick.next_after(now), last_enqueued_at=now
            )
            if moved:
                enqueue_after_commit(command_run, tick.command)
                enqueued.append(tick.command)
    return enqueued
