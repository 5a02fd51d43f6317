from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from qinqing.core.backups import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write a consistent backup (database snapshot, uploaded files, the data keys it needs) "
        "to FILE.tar.gz while the platform keeps running; refuses a broken audit chain."
    )

    def add_arguments(self, parser):
        parser.add_argument("output", type=Path, help="e.g. backups/qinqing-2026-12-07.tar.gz")

    def handle(self, *args, output: Path, **options):
        try:
            report = backup_create(output)
        except BackupError as exc:
            raise CommandError(str(exc), returncode=1) from None
        keys = "、".join(report.data_keys) or "无"
        self.stdout.write(
            self.style.SUCCESS(
                f"备份完成：{report.path}（{report.size / 1024:.0f} KB，{report.vendor}，"
                f"审计链 {report.audit_entries} 条，上传文件 {report.files} 个，"
                f"恢复时需要数据密钥：{keys}）"
            )
        )
