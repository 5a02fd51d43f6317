from django.core.management.base import BaseCommand, CommandError

from qinqing.core.audit import verify_chain


class Command(BaseCommand):
    help = "Re-compute the audit hash chain; exit 1 and name the first broken row on tampering."

    def handle(self, *args, **options):
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"审计链断裂：第 {report.broken_seq} 条记录，{report.reason}"
                f"（此前 {report.checked} 条完好）",
                returncode=1,
            )
        self.stdout.write(self.style.SUCCESS(f"审计链完整：已校验 {report.checked} 条记录"))
