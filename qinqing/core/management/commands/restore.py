import tarfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from qinqing.core.backups import BackupError, backup_restore, legacy_restore


class Command(BaseCommand):
    help = (
        "Restore a backup into an empty database (migrated or not): refuses without the data "
        "keys the backup names, then migrates and verifies the audit chain."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path)

    def handle(self, *args, backup: Path, **options):
        if not backup.exists():
            raise CommandError(f"找不到备份文件：{backup}", returncode=2)
        legacy = backup.name.endswith((".json", ".json.gz")) and not tarfile.is_tarfile(backup)
        try:
            report = legacy_restore(backup) if legacy else backup_restore(backup)
        except BackupError as exc:
            raise CommandError(str(exc), returncode=1) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"恢复完成：审计链 {report.audit_entries} 条完好，上传文件 {report.files} 个"
            )
        )
