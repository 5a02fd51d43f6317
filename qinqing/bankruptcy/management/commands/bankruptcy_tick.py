"""Time-based work of the bankruptcy module: instalment reminders (due soon / overdue) and
meeting results that have not been sent yet (SPC Interp. III Art.11). Idempotent per day."""

from datetime import date

from django.core.management.base import BaseCommand

from qinqing.bankruptcy.services import reminders_send


class Command(BaseCommand):
    help = "发送和解协议清偿提醒（即将到期、逾期）并补发未告知的表决结果"

    def add_arguments(self, parser):
        parser.add_argument("--today", type=date.fromisoformat, default=None, help="YYYY-MM-DD")

    def handle(self, *args, **options):
        counts = reminders_send(today=options["today"])
        self.stdout.write(
            f"即将到期提醒 {counts['due_soon']} 条，逾期提醒 {counts['overdue']} 条，"
            f"补发表决结果 {counts['results']} 次，期限提醒 {counts['deadlines']} 条"
        )
