"""Backups that restore: one consistent snapshot of the database taken while writes go on, the
uploaded files, and a manifest naming the data keys the encrypted columns need.

A backup is one `.tar.gz` holding `manifest.json`, the database (`database.pgdump`, PostgreSQL's
custom format, or `database.sqlite3`) and `media/`. PostgreSQL: the audit chain is verified and
the data keys are listed in a REPEATABLE READ transaction whose snapshot `pg_dump --snapshot`
then dumps, so what is checked is exactly what is saved. SQLite: the chain is verified up to
the head it reads first, then the online backup API copies the database in one step (a read
transaction: writers go on under WAL).
A restore refuses a backup whose data keys this installation does not hold, a non-empty target
and a broken chain, then brings the schema up to date (`migrate`).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from qinqing.core import crypto
from qinqing.core.audit import ChainReport, verify_chain
from qinqing.core.models import AuditChainHead, AuditEntry, Organisation

FORMAT = "qinqing-backup/2"
MANIFEST = "manifest.json"
DATABASE = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}


class BackupError(Exception):
    """A backup or restore refused; the message (Chinese) says why and that nothing changed."""


@dataclass(frozen=True)
class BackupReport:
    path: Path
    vendor: str
    audit_entries: int
    data_keys: tuple[str, ...]
    files: int
    size: int


@dataclass(frozen=True)
class RestoreReport:
    vendor: str
    audit_entries: int
    files: int


# --- taking a backup --------------------------------------------------------------------------


def backup_create(path: Path) -> BackupReport:
    vendor = connection.vendor
    if vendor not in DATABASE:
        raise BackupError(f"不支持备份 {vendor} 数据库")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".backup-") as work:
        database = Path(work) / DATABASE[vendor]
        snapshot = _dump_postgresql if vendor == "postgresql" else _copy_sqlite
        chain, kids = snapshot(database)
        if not chain.ok:
            raise BackupError(
                f"审计链断裂（第 {chain.broken_seq} 条）：{chain.reason}，拒绝备份（未写出文件）"
            )
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "vendor": vendor,
            "audit_entries": chain.checked,
            "data_keys": sorted(kids),
        }
        partial = path.with_name(path.name + ".partial")
        files = 0
        with tarfile.open(partial, "w:gz") as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode())
            tar.add(database, arcname=database.name)
            media = Path(settings.MEDIA_ROOT)
            if media.is_dir():
                for item in sorted(media.rglob("*")):
                    if item.is_file():
                        tar.add(item, arcname=f"media/{item.relative_to(media)}")
                        files += 1
        partial.replace(path)
    return BackupReport(
        path, vendor, chain.checked, tuple(sorted(kids)), files, path.stat().st_size
    )


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime = len(data), int(timezone.now().timestamp())
    with tempfile.SpooledTemporaryFile() as buffer:
        buffer.write(data)
        buffer.seek(0)
        tar.addfile(info, buffer)


def _pg_env() -> dict[str, str]:
    conf = connection.settings_dict
    env = {**os.environ, "PGDATABASE": conf["NAME"]}
    for key, var in (("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD"), ("HOST", "PGHOST")):
        if conf.get(key):
            env[var] = str(conf[key])
    if conf.get("PORT"):
        env["PGPORT"] = str(conf["PORT"])
    return env


def _run(command: list[str], what: str) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(
            f"找不到 {command[0]}：请安装与服务器同版本的 PostgreSQL 客户端（postgresql-client）"
        )
    # The arguments are ours (a file path, a snapshot id); the database comes in the environment.
    result = subprocess.run(command, env=_pg_env(), capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{what}失败（未作任何更改）：{result.stderr.strip()[-800:]}")


def _dump_postgresql(target: Path) -> tuple[ChainReport, set[str]]:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cursor.fetchone()
        chain, kids = verify_chain(), crypto.kids_in_use()
        if chain.ok:  # dumped while the snapshot is held, so it is the one just checked
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                ],
                "导出数据库",
            )
    return chain, kids


def _copy_sqlite(target: Path) -> tuple[ChainReport, set[str]]:
    # The chain is verified up to the head it reads first (rows appended meanwhile are checked
    # at the restore), then copied in one step of the online backup API: a read transaction,
    # so writers go on under WAL and the copy is one consistent state.
    chain, kids = verify_chain(), crypto.kids_in_use()
    if chain.ok:
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
    return chain, kids


# --- restoring one ------------------------------------------------------------------------------


def read_manifest(path: Path) -> dict:
    try:
        with tarfile.open(path, "r:gz") as tar:
            member = tar.extractfile(MANIFEST)
            manifest = json.load(member) if member else None
    except (tarfile.TarError, KeyError, OSError, json.JSONDecodeError):
        manifest = None
    if not manifest or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} 不是亲清备份文件（缺少 {MANIFEST}）")
    return manifest


def _occupied() -> list[str]:
    """What real data the target holds (permissions and content types come from `migrate`)."""
    tables = set(connection.introspection.table_names())
    models = (get_user_model(), Organisation, AuditEntry, AuditChainHead)
    return [
        str(m._meta.verbose_name)
        for m in models
        if m._meta.db_table in tables and m.objects.exists()
    ]


def missing_keys(manifest: dict) -> list[str]:
    return sorted(set(manifest.get("data_keys", [])) - {k.kid for k in crypto.data_keys()})


def backup_restore(path: Path) -> RestoreReport:
    manifest = read_manifest(path)
    vendor = connection.vendor
    if manifest["vendor"] != vendor:
        raise BackupError(
            f"这是 {manifest['vendor']} 数据库的备份，当前数据库是 {vendor}，无法恢复"
        )
    missing = missing_keys(manifest)
    if missing:
        raise BackupError(
            f"备份中的加密数据需要数据密钥 {'、'.join(missing)}，本机没有：请把原来的密钥加入 "
            "QINQING_DATA_KEYS（或使用原来的 SECRET_KEY）后再恢复。未作任何更改"
        )
    occupied = _occupied()
    if occupied:
        raise BackupError(
            "目标数据库不是空的（" + "、".join(occupied) + "），为防止覆盖，恢复已中止"
        )
    with tempfile.TemporaryDirectory(prefix=".restore-") as work:
        with tarfile.open(path, "r:gz") as tar:
            tar.extractall(work, filter="data")
        database = Path(work) / DATABASE[vendor]
        if vendor == "postgresql":
            # One transaction: the target's empty tables give way to the backup's (--clean), or
            # nothing changes.
            connection.close()
            _run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    "--exit-on-error",
                    f"--dbname={connection.settings_dict['NAME']}",
                    str(database),
                ],
                "恢复数据库",
            )
        else:
            connection.ensure_connection()
            source = sqlite3.connect(database)
            try:
                source.backup(connection.connection)
            finally:
                source.close()
        connection.close()
        call_command("migrate", verbosity=0, interactive=False)
        chain = verify_chain()
        if not chain.ok:
            raise BackupError(f"恢复后审计链校验失败（第 {chain.broken_seq} 条）：{chain.reason}")
        _check_decrypts()
        files = _restore_media(Path(work) / "media")
    return RestoreReport(vendor, chain.checked, files)


def _check_decrypts() -> None:
    """One ciphertext of each encrypted column opens (the key fingerprints matched; this proves
    the keys are the keys)."""
    for column in crypto.encrypted_columns():
        sample = (
            column.model._default_manager.exclude(**{column.field: ""})
            .values_list(column.field, flat=True)
            .first()
        )
        if sample:
            try:
                crypto.decrypt(sample)
            except (ValueError, crypto.MissingKeyError) as exc:
                raise BackupError(
                    f"恢复后 {column.model._meta.verbose_name} 的加密字段无法解密：{exc}"
                ) from None


def _restore_media(source: Path) -> int:
    if not source.is_dir():
        return 0
    media = Path(settings.MEDIA_ROOT)
    files = 0
    for item in source.rglob("*"):
        if item.is_file():
            destination = media / item.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(item, destination)
            files += 1
    return files


def legacy_restore(path: Path) -> RestoreReport:
    """A backup of the first format (`dumpdata` JSON, uploaded files beside it in
    `<file>.media.tar.gz`): loaded in one transaction, kept only if the chain verifies and every
    ciphertext's key is held here."""
    occupied = _occupied()
    if occupied:
        raise BackupError(
            "目标数据库不是空的（" + "、".join(occupied) + "），为防止覆盖，恢复已中止"
        )
    with transaction.atomic():
        call_command("loaddata", str(path), verbosity=0)
        chain = verify_chain()
        if not chain.ok:
            raise BackupError(
                f"恢复后审计链校验失败（第 {chain.broken_seq} 条）：{chain.reason}，已回滚"
            )
        missing = sorted(crypto.kids_in_use() - {k.kid for k in crypto.data_keys()})
        if missing:
            raise BackupError(
                f"备份中的加密数据需要数据密钥 {'、'.join(missing)}，本机没有：请使用原来的 "
                "SECRET_KEY 或 QINQING_DATA_KEYS 后再恢复。已回滚"
            )
    files = 0
    archive = path.with_name(path.name + ".media.tar.gz")
    if archive.exists():
        with tempfile.TemporaryDirectory(prefix=".restore-") as work:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(work, filter="data")
            files = _restore_media(Path(work))
    return RestoreReport(connection.vendor, chain.checked, files)
