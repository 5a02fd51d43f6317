"""Re-encrypt every encrypted column under the current data key and re-key its hashes."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from qinqing.core import crypto
from qinqing.core.audit import audit_log


class Command(BaseCommand):
    help = (
        "Re-encrypt the personal data under the first key of QINQING_DATA_KEYS (and re-compute "
        "its keyed hashes); --generate prints a new key. Rows already under that key are skipped, "
        "so an interrupted run can be run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--generate", action="store_true", help="print a new key and stop")
        parser.add_argument("--batch", type=int, default=500)

    def handle(self, *args, generate: bool, batch: int, **options):
        if generate:
            self.stdout.write(crypto.new_key())
            self.stderr.write(
                "把它放在 QINQING_DATA_KEYS 的最前面（旧密钥留在其后），重启，再运行 qinqing rotate_keys。"
            )
            return
        key = crypto.current_key()
        done: dict[str, int] = {}
        for column in crypto.encrypted_columns():
            label = f"{column.model._meta.label}.{column.field}"
            done[label] = self._rotate(column, key, batch)
            self.stdout.write(f"{label}：重新加密 {done[label]} 行")
        with transaction.atomic():
            audit_log(
                actor=None,
                action="crypto.rotate_keys",
                detail={"key": key.kid, "columns": done},
            )
        others = sorted(crypto.kids_in_use() - {key.kid})
        if others:
            raise CommandError(f"仍有数据使用密钥 {'、'.join(others)}，请重新运行", returncode=1)
        self.stdout.write(
            self.style.SUCCESS(
                f"全部加密字段都已使用密钥 {key.kid}；其他密钥可从 QINQING_DATA_KEYS 中移除"
            )
        )

    def _rotate(self, column: crypto.EncryptedColumn, key: crypto.DataKey, batch: int) -> int:
        manager = column.model._default_manager
        stale = manager.exclude(**{column.field: ""}).exclude(
            **{f"{column.field}__startswith": f"v2:{key.kid}:"}
        )
        fields = [column.field] + ([column.hash_field] if column.hash_field else [])
        count = 0
        while True:
            with transaction.atomic():
                rows = list(stale.select_for_update().order_by("pk")[:batch])
                if not rows:
                    return count
                for row in rows:
                    try:
                        plain = crypto.decrypt(getattr(row, column.field))
                    except crypto.MissingKeyError as exc:
                        raise CommandError(
                            f"{column.model._meta.label} #{row.pk}：{exc}；请先把旧密钥放回 "
                            "QINQING_DATA_KEYS（当前密钥之后）",
                            returncode=1,
                        ) from None
                    setattr(row, column.field, crypto.encrypt(plain))
                    if column.hash_field:
                        setattr(row, column.hash_field, crypto.keyed_hash(plain))
                manager.bulk_update(rows, fields)
                count += len(rows)
