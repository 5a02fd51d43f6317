from django.core.management.base import BaseCommand

from qinqing.needs.commons import common_summary_compute


class Command(BaseCommand):
    help = "Recompute the common needs (共性需求) of the last 30 days (run hourly by the worker)."

    def handle(self, *args, **options):
        summary = common_summary_compute()
        self.stdout.write(
            f"window_end={summary.window_end} needs={summary.needs_in_window} "
            f"items={summary.items.count()}"
        )
