from django.core.management.base import BaseCommand

from qinqing.core.idempotency import idempotency_purge


class Command(BaseCommand):
    help = "Delete expired idempotency keys and form tokens (run daily)."

    def handle(self, *args, **options):
        self.stdout.write(f"已删除过期的幂等键 {idempotency_purge()} 条")
