import tarfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from qinqing.core.audit import verify_chain

EXCLUDE = ["contenttypes", "auth.permission", "sessions", "admin.logentry"]


class Command(BaseCommand):
    help = "Write all data to a JSON file (.json or .json.gz) after checking the audit chain."

    def add_arguments(self, parser):
        parser.add_argument("output", type=Path, help="e.g. backups/qinqing-2026-11-27.json.gz")

    def handle(self, *args, output: Path, **options):
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"审计链断裂（第 {report.broken_seq} 条），拒绝备份：{report.reason}", returncode=1
            )
        output.parent.mkdir(parents=True, exist_ok=True)
        call_command("dumpdata", exclude=EXCLUDE, output=str(output), verbosity=0)
        size = output.stat().st_size
        self.stdout.write(
            self.style.SUCCESS(
                f"备份完成：{output}（{size / 1024:.0f} KB，审计链 {report.checked} 条）"
            )
        )
        media = Path(settings.MEDIA_ROOT)
        if media.is_dir() and any(media.iterdir()):
            archive = media_archive(output)
            with tarfile.open(archive, "w:gz") as tar:
                tar.add(media, arcname=".")
            self.stdout.write(self.style.SUCCESS(f"上传文件已备份：{archive}"))


def media_archive(backup: Path) -> Path:
    """Uploaded files (evidence, attachments) travel beside the data file."""
    return backup.with_name(backup.name + ".media.tar.gz")
