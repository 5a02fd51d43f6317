"""Seal a bid from files on disk in QQ-SEAL-2 (docs/sealed-bids.md; `--format QQ-SEAL-1` for
the older version), for bidders who submit through the API: the same format the browser
produces, built with `cryptography`.

    qinqing bid_seal --section 12 --bidder 91420100MA4K000001 \\
        --file 商务标=商务标.pdf --file 技术标=技术标.pdf --schedule 开标一览表.json --out sealed/

The passphrase is read from --passphrase-file, else the QINQING_BID_PASSPHRASE environment
variable, else asked for twice at the terminal; it never appears on the command line. Writes
sealed/manifest.json and sealed/file0.qqs, file1.qqs… (in the manifest's order), which
`POST /api/v1/bidding/bids` takes as the multipart fields `manifest` and `files`.
"""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from qinqing.bidding.bids import seal
from qinqing.bidding.rules import RuleError


class Command(BaseCommand):
    help = (
        "按 QQ-SEAL-2 格式（或 --format QQ-SEAL-1）在本机加密投标文件（供通过接口递交的投标人使用）"
    )

    def add_arguments(self, parser):
        parser.add_argument("--section", type=int, required=True, help="标段编号（接口中的 id）")
        parser.add_argument("--bidder", required=True, help="投标人统一社会信用代码")
        parser.add_argument(
            "--file",
            action="append",
            required=True,
            metavar="类别=路径",
            help=f"投标文件：类别为{'、'.join(seal.ROLES)}之一，可重复",
        )
        parser.add_argument(
            "--schedule",
            required=True,
            help="开标一览表 JSON 文件：price（文本）、duration_days、quality、project_manager、"
            "declared_items；可选 responses（响应表：criterion、file、page）",
        )
        parser.add_argument("--out", required=True, help="输出目录")
        parser.add_argument("--passphrase-file", help="解密口令所在文件（首行）")
        parser.add_argument(
            "--format",
            choices=seal.FORMATS,
            default=seal.FORMAT,
            help=f"密封格式，默认 {seal.FORMAT}（逐块加密）",
        )

    def _passphrase(self, options) -> str:
        if options["passphrase_file"]:
            return Path(options["passphrase_file"]).read_text("utf-8").splitlines()[0]
        if os.environ.get("QINQING_BID_PASSPHRASE"):
            return os.environ["QINQING_BID_PASSPHRASE"]
        first = getpass.getpass("解密口令：")
        if getpass.getpass("再次输入解密口令：") != first:
            raise CommandError("两次输入的口令不一致")
        return first

    def handle(self, *args, **options):
        files = []
        for spec in options["file"]:
            role, sep, path = spec.partition("=")
            if not sep:
                raise CommandError(f"--file 应写作 类别=路径：{spec}")
            p = Path(path)
            if not p.is_file():
                raise CommandError(f"文件不存在：{path}")
            files.append(seal.PlainFile(role=role, name=p.name, data=p.read_bytes()))
        try:
            data = json.loads(Path(options["schedule"]).read_text("utf-8"))
            schedule = seal.schedule_check(data)
            sealed = seal.seal(
                section=options["section"],
                bidder=options["bidder"],
                passphrase=self._passphrase(options),
                files=files,
                schedule=schedule,
                version=options["format"],
            )
        except (RuleError, ValueError, OSError) as exc:
            raise CommandError(str(exc)) from None
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        (out / "manifest.json").write_text(
            json.dumps(sealed.manifest, ensure_ascii=False, indent=2), "utf-8"
        )
        for n, ciphertext in enumerate(sealed.ciphertexts):
            (out / f"file{n}.qqs").write_bytes(ciphertext)
        parts = " ".join(f"-F files=@{out / f'file{n}.qqs'}" for n in range(len(files)))
        self.stdout.write(
            f"已密封 {len(files)} 个文件到 {out}/。递交：\n"
            f"  curl -H 'Authorization: Bearer <令牌>' -F section={options['section']} "
            f"-F manifest=<{out / 'manifest.json'} {parts} <站点>/api/v1/bidding/bids"
        )
