import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from qinqing.bidding.draw.rules import verify_proof


class Command(BaseCommand):
    help = "Re-compute a published QQ-DRAW-1 proof (JSON file); exit 1 on any mismatch."

    def add_arguments(self, parser):
        parser.add_argument("proof", type=Path, help="proof JSON, as served by the proof API")

    def handle(self, *args, proof: Path, **options):
        try:
            data = json.loads(proof.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"无法读取证明文件：{exc}", returncode=2) from None
        if not isinstance(data, dict):
            raise CommandError("证明文件应为 JSON 对象", returncode=1)
        problems = verify_proof(data)
        if problems:
            raise CommandError("抽取证明校验失败：\n  " + "\n  ".join(problems), returncode=1)
        self.stdout.write(
            self.style.SUCCESS(
                f"抽取证明校验通过：{data['draw_id']}，候选池 {len(data['pool'])} 人，"
                f"抽取顺序 {'、'.join(data['drawn'])}"
            )
        )
