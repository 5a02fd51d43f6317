from datetime import date

from django.core.management.base import BaseCommand, CommandError

from qinqing.needs.services import needs_escalate


class Command(BaseCommand):
    help = "Reminders, 催办 and 督办 for open needs (run daily, e.g. from cron or a timer)."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="YYYY-MM-DD (default: today in Asia/Shanghai)")

    def handle(self, *args, **options):
        today = None
        if options["today"]:
            try:
                today = date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError("--today must be YYYY-MM-DD") from exc
        report = needs_escalate(today=today)
        self.stdout.write(
            f"reminded={report.reminded} urged={report.urged} supervised={report.supervised}"
        )
