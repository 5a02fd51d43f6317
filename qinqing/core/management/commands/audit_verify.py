import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from qinqing.core.audit import verify_anchors, verify_chain


class Command(BaseCommand):
    help = (
        "Re-compute the audit hash chain; exit 1 and name the first broken row on tampering. "
        "With --anchors FILE (a signed /audit/anchors.json kept elsewhere) also prove that the "
        "chain holds every published head, so a chain re-hashed after the fact does not pass."
    )

    def add_arguments(self, parser):
        parser.add_argument("--anchors", type=Path, help="the signed anchors file")
        parser.add_argument(
            "--public-key", help="the platform's public key, if not this installation's own"
        )

    def handle(self, *args, anchors: Path | None, public_key: str | None, **options):
        if anchors is None:
            report = verify_chain()
            if not report.ok:
                raise CommandError(
                    f"审计链断裂：第 {report.broken_seq} 条记录，{report.reason}"
                    f"（此前 {report.checked} 条完好）",
                    returncode=1,
                )
            self.stdout.write(self.style.SUCCESS(f"审计链完整：已校验 {report.checked} 条记录"))
            return
        try:
            document = json.loads(anchors.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"无法读取锚点文件 {anchors}：{exc}", returncode=2) from None
        result = verify_anchors(document, public_key)
        if not result.ok:
            where = f"第 {result.broken_seq} 条记录，" if result.broken_seq else ""
            raise CommandError(f"校验未通过：{where}{result.reason}", returncode=1)
        self.stdout.write(
            self.style.SUCCESS(
                f"审计链完整：已校验 {result.chain.checked} 条记录，与 {result.anchors} 个公布的锚点一致"
            )
        )
