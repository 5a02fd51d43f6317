from django.core.management.base import BaseCommand, CommandError

from qinqing.core.audit import AnchorError, anchor_record


class Command(BaseCommand):
    help = (
        "Record today's anchor of the audit chain (its head, after verifying it): run daily. "
        "Anchors are published at /audit/anchors/ and in the signed /audit/anchors.json."
    )

    def handle(self, *args, **options):
        try:
            anchor = anchor_record()
        except AnchorError as exc:
            raise CommandError(str(exc), returncode=1) from None
        if anchor is None:
            self.stdout.write("审计链为空，今日无锚点")
            return
        self.stdout.write(
            self.style.SUCCESS(f"{anchor.day} 锚点：第 {anchor.seq} 条，哈希 {anchor.hash}")
        )
