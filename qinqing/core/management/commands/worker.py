"""qinqing worker — runs the task queue: what `make demo` and the systemd unit start."""

import logging
import signal
import threading
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection
from django.db.utils import OperationalError
from django.utils.crypto import get_random_string

from qinqing.core.tasks import parse_duration, tasks_recover, ticks_enqueue_due

logger = logging.getLogger("qinqing.tasks")


class Command(BaseCommand):
    help = (
        "Run the task queue: recover tasks of workers that stopped, enqueue the periodic "
        "commands when due (one database row per command, so several workers enqueue each "
        "once) and run tasks (django-tasks-db's db_worker). Any number may run, on one or "
        "several machines."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="run what is due, then exit")
        parser.add_argument(
            "--no-schedule", action="store_true", help="do not enqueue the periodic commands"
        )
        parser.add_argument(
            "--recover-after",
            default="10m",
            help="a task RUNNING this long belongs to a worker that stopped (default 10m)",
        )
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument("--max-tasks", type=int, default=None)
        parser.add_argument("--worker-id", default=None)

    def handle(
        self, *args, batch, no_schedule, recover_after, interval, max_tasks, worker_id, **options
    ):
        try:
            threshold = parse_duration(recover_after)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        recovered = tasks_recover(older_than=threshold)
        if recovered:
            logger.warning("recovered %d task(s) of stopped workers", recovered)
        if not no_schedule:
            ticks_enqueue_due()
            if not batch:
                threading.Thread(
                    target=self.scheduler, args=(threshold,), name="qinqing-scheduler", daemon=True
                ).start()
        worker_options = {
            "batch": batch,
            "reload": False,
            "startup_delay": not batch,
            "interval": interval,
            "worker_id": worker_id or get_random_string(32),
            "verbosity": options["verbosity"],
        }
        if max_tasks:
            worker_options["max_tasks"] = max_tasks
        # db_worker installs its own SIGINT/SIGTERM handlers (a graceful stop after the task);
        # put the caller's back when it returns (a batch run inside another program).
        handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            call_command("db_worker", **worker_options)
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)

    @staticmethod
    def scheduler(threshold, period: float = 30.0) -> None:
        """Every `period` seconds: enqueue the due periodic commands, recover stopped workers'
        tasks. Its own database connection; a busy SQLite database is tried again later."""
        while True:
            time.sleep(period)
            close_old_connections()
            try:
                ticks_enqueue_due()
                tasks_recover(older_than=threshold)
            except OperationalError as exc:
                logger.warning("scheduler: %s; trying again in %ds", exc, period)
            except Exception:
                logger.exception("scheduler failed; trying again in %ds", period)
            finally:
                connection.close()
