import tarfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from qinqing.core.audit import verify_chain
from qinqing.core.management.commands.backup import media_archive
from qinqing.core.models import AuditEntry, Organisation


class Command(BaseCommand):
    help = "Load a backup into an empty, migrated database, then verify the audit chain."

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path)

    def handle(self, *args, backup: Path, **options):
        if not backup.exists():
            raise CommandError(f"找不到备份文件：{backup}", returncode=2)
        # Permissions and content types are recreated by `migrate`; real data must be absent.
        occupied = [
            str(m._meta.verbose_name)
            for m in (get_user_model(), Organisation, AuditEntry)
            if m.objects.exists()
        ]
        if occupied:
            raise CommandError(
                "目标数据库不是空的（" + "、".join(occupied) + "），为防止覆盖，恢复已中止",
                returncode=1,
            )
        with transaction.atomic():
            call_command("loaddata", str(backup), verbosity=0)
            report = verify_chain()
            if not report.ok:
                raise CommandError(
                    f"恢复后审计链校验失败（第 {report.broken_seq} 条）：{report.reason}，已回滚",
                    returncode=1,
                )
        self.stdout.write(self.style.SUCCESS(f"恢复完成：审计链 {report.checked} 条完好"))
        archive = media_archive(backup)
        if archive.exists():
            media = Path(settings.MEDIA_ROOT)
            media.mkdir(parents=True, exist_ok=True)
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(media, filter="data")
            self.stdout.write(self.style.SUCCESS(f"上传文件已恢复到 {media}"))
