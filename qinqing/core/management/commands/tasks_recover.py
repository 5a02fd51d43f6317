from django.core.management.base import BaseCommand, CommandError

from qinqing.core.tasks import parse_duration, tasks_recover


class Command(BaseCommand):
    help = (
        "Tasks left RUNNING by a worker that stopped (killed, machine lost): retry them, or "
        "fail them after their last attempt. `qinqing worker` runs this when it starts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            default="10m",
            help="only tasks started longer ago than this (e.g. 90s, 10m, 2h; default 10m): "
            "longer than any task runs, so a task still running elsewhere is left alone",
        )

    def handle(self, *args, older_than, **options):
        try:
            threshold = parse_duration(older_than)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"已恢复中断的任务 {tasks_recover(older_than=threshold)} 个")
