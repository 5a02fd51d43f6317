"""The hash-chained audit log.

Each row: hash = SHA-256(prev_hash || canonical JSON of the row), where the canonical JSON has
sorted keys, no spaces, UTF-8, times in UTC with microseconds. Appends are serialised by locking
the single AuditChainHead row, so the chain stays linear under concurrent writers (PostgreSQL)
and SQLite's IMMEDIATE transactions. `audit_log_many` appends the entries of one transaction
with one lock and one insert; each row is hashed exactly as `audit_log` would hash it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, models, transaction
from django.db.models import Subquery
from django.utils import timezone

from qinqing.core import crypto, rows
from qinqing.core.models import AuditAnchor, AuditChainHead, AuditEntry, Organisation

GENESIS_HASH = "0" * 64


def _plain(detail: dict[str, Any] | None) -> dict[str, Any]:
    """Detail as plain JSON values (Decimal, date, UUID → strings), as the database returns it."""
    return json.loads(json.dumps(detail or {}, cls=DjangoJSONEncoder, ensure_ascii=False))


def canonical_row(entry: AuditEntry) -> bytes:
    row = {
        "seq": entry.seq,
        "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "organisation": entry.organisation_id,
        "detail": entry.detail,
    }
    return json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def row_hash(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_row(entry)).hexdigest()


def _locked_head() -> AuditChainHead:
    """The chain head, locked; created on first use from the last row (or the genesis hash)."""
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        last = AuditEntry.objects.order_by("-seq").first()
        AuditChainHead.objects.get_or_create(
            pk=1,
            defaults={"seq": last.seq, "hash": last.hash} if last else {"hash": GENESIS_HASH},
        )
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


@dataclass(frozen=True)
class AuditRecord:
    """One entry to append (the arguments of `audit_log`), for `audit_log_many`."""

    action: str
    actor: Any = None
    obj: models.Model | None = None
    organisation: Organisation | None = None
    detail: dict[str, Any] | None = None
    object_type: str = ""
    object_id: str = ""


def audit_log(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    organisation: Organisation | None = None,
    detail: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
) -> AuditEntry:
    """Append one row to the chain; call it inside the service's transaction."""
    record = AuditRecord(action, actor, obj, organisation, detail, object_type, object_id)
    return audit_log_many([record])[0]


def _entry(record: AuditRecord) -> AuditEntry:
    """The row for a record, without its place in the chain (seq, time, hashes)."""
    object_type, object_id = record.object_type, record.object_id
    if record.obj is not None:
        object_type = object_type or record.obj._meta.label_lower
        object_id = object_id or str(record.obj.pk)
    actor = record.actor
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry(
        actor=user,
        actor_label=user.get_username() if user else "system",
        action=record.action,
        object_type=object_type,
        object_id=object_id,
        organisation=record.organisation,
        detail=_plain(record.detail),
    )


def audit_log_many(records: Sequence[AuditRecord]) -> list[AuditEntry]:
    """Append rows to the chain, in order, as `audit_log` would one after the other (same
    seq, prev_hash and hash for each), with one lock of the head, one insert and one update of
    the head. Call it at the end of the service's transaction: the head stays locked until the
    commit, so the less that follows, the less other writers wait."""
    entries = [_entry(r) for r in records]
    if not entries:
        return []
    connection = transaction.get_connection()
    qn = connection.ops.quote_name
    head_table = qn(AuditChainHead._meta.db_table)
    # The statement is built before the head is locked; the chain's columns are filled in after.
    for entry in entries:
        entry.seq, entry.at, entry.prev_hash, entry.hash = 0, timezone.now(), "", ""
    insert, params, fields = rows.insert_sql(entries, using=connection.alias)
    names = [f.attname for f in fields]
    slots = {name: names.index(name) for name in ("seq", "at", "prev_hash", "hash")}
    at_field = AuditEntry._meta.get_field("at")
    head_sql = f"UPDATE {head_table} SET seq = %s, hash = %s WHERE id = 1"  # noqa: S608
    # No savepoint: a failed audit write must fail the caller's whole change anyway.
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
            cursor.execute(f"SELECT seq, hash FROM {head_table} WHERE id = 1{lock}")  # noqa: S608
            row = cursor.fetchone()
        if row is None:
            head = _locked_head()
            row = (head.seq, head.hash)
        seq, prev_hash = row
        now = timezone.now()
        # Milliseconds: JSON backups (DjangoJSONEncoder) keep no more, and the hash covers it.
        at = now.replace(microsecond=now.microsecond // 1000 * 1000)
        db_at = at_field.get_db_prep_save(at, connection)
        for i, entry in enumerate(entries):
            seq += 1
            entry.seq, entry.at, entry.prev_hash = seq, at, prev_hash
            entry.hash = row_hash(prev_hash, entry)
            base = i * len(fields)
            params[base + slots["seq"]], params[base + slots["at"]] = seq, db_at
            params[base + slots["prev_hash"]], params[base + slots["hash"]] = prev_hash, entry.hash
            prev_hash = entry.hash
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The insert and the head's update in one round trip (the head is locked).
                sql = (
                    f"WITH ins AS ({insert} RETURNING id, seq) {head_sql}"  # noqa: S608
                    " RETURNING (SELECT array_agg(id ORDER BY seq) FROM ins)"
                )
                cursor.execute(sql, [*params, seq, prev_hash])
                ids = cursor.fetchone()[0]
            else:
                cursor.execute(f"{insert} RETURNING id, seq", params)
                ids = [pk for pk, _ in sorted(cursor.fetchall(), key=lambda r: r[1])]
                cursor.execute(head_sql, [seq, prev_hash])
    for entry, pk in zip(entries, ids, strict=True):
        entry.pk = pk
        entry._state.adding = False
        entry._state.db = connection.alias
    return entries


@dataclass
class ChainAppend:
    """The part of one PostgreSQL statement that appends entries to the chain: `ctes` (to
    go after `WITH RECURSIVE`, with `params` in order) lock the head, hash each entry in the
    database (`sha256()` over the previous hash and the entry's canonical JSON, whose last key
    is `seq`: the JSON up to `"seq":` is computed here, the database appends the number and
    `}`), insert the entries and move the head; `returning` is two select-list expressions
    (the new ids, and [seq, prev_hash, hash] of each entry, in chain order) for `finish`. See
    `audit_append_sql`."""

    ctes: list[str]
    params: list
    returning: str
    entries: list[AuditEntry]
    using: str = "default"

    def run(self, parts: Sequence[str], params: Sequence, *, cursor=None) -> list[AuditEntry]:
        """Run the caller's common table expressions `parts` (with `params`, in order) and the
        append as one statement, then `finish`. In autocommit mode the statement is the whole
        transaction; inside a transaction it runs in a savepoint, so that when the chain head
        is missing (a fresh database: the statement fails on NOT NULL) the head is created and
        the statement runs once more. `cursor`: a callable opening the cursor to use."""
        from django.db import IntegrityError, connections

        connection = connections[self.using]
        sql = f"WITH RECURSIVE {', '.join([*parts, *self.ctes])} SELECT {self.returning}"
        values = [*params, *self.params]
        open_cursor = cursor or connection.cursor

        def fetch() -> tuple:
            with open_cursor() as c:
                c.execute(sql, values)
                return c.fetchone()

        for attempt in (1, 2):
            try:
                if connection.get_autocommit():
                    ids, chain = fetch()
                else:
                    with transaction.atomic(using=self.using):
                        ids, chain = fetch()
                break
            except IntegrityError:
                head = AuditChainHead.objects.using(self.using).filter(pk=1)
                if attempt == 2 or head.exists():
                    raise
                audit_head_ensure()
        return self.finish(ids, chain)

    def finish(self, ids: Sequence[int] | None, chain: Sequence[Sequence[str]] | None):
        """Set the ids, chain positions and hashes of the entries from the statement's result
        (the two values of `returning`)."""
        if not ids or not chain or len(ids) != len(self.entries):
            raise RuntimeError("the audit entries were not written")
        for entry, pk, (seq, prev_hash, hash_) in zip(self.entries, ids, chain, strict=True):
            entry.pk, entry.seq, entry.prev_hash, entry.hash = pk, int(seq), prev_hash, hash_
            entry._state.adding = False
            entry._state.db = self.using
        return self.entries


def audit_append_sql(records: Sequence[AuditRecord], *, using: str = "default") -> ChainAppend:
    """PostgreSQL only: the common table expressions that append `records` to the chain inside
    the caller's own statement, so a service writes its rows and their audit entries in one
    round trip (in autocommit mode, one transaction without BEGIN and COMMIT round trips) and
    no Python runs while the head is locked. Each row is hashed exactly as `audit_log_many`
    hashes it (`verify_chain` checks both alike); the time of the entries is taken before the
    head is locked. If the head row is missing the statement fails (NOT NULL on `hash`): call
    `audit_head_ensure()` and run it again."""
    from django.db import connections

    connection = connections[using]
    entries = [_entry(r) for r in records]
    if not entries:
        raise ValueError("no records")
    now = timezone.now()
    at = now.replace(microsecond=now.microsecond // 1000 * 1000)
    prefixes = []
    for entry in entries:
        entry.seq, entry.at, entry.prev_hash, entry.hash = 0, at, "", ""
        row = canonical_row(entry)
        if not row.endswith(b',"seq":0}'):  # pragma: no cover  (seq sorts last)
            raise RuntimeError("canonical row does not end with seq")
        prefixes.append(row[:-2])
    insert, params, fields = rows.insert_sql(entries, using=using)
    names = [f.attname for f in fields]
    chained = {"seq": "seq", "prev_hash": "prev", "hash": "hash"}
    columns = insert.split(" VALUES ", 1)[0]
    values, values_params = [], []
    for i in range(len(entries)):
        row_params = params[i * len(fields) : (i + 1) * len(fields)]
        slots = []
        for name, value in zip(names, row_params, strict=True):
            if name in chained:
                column = chained[name]
                slots.append(f"(SELECT {column} FROM audit_chain WHERE n = {i + 1})")  # noqa: S608
            else:
                slots.append("%s")
                values_params.append(value)
        values.append("(" + ", ".join(slots) + ")")
    qn = connection.ops.quote_name
    head = qn(AuditChainHead._meta.db_table)
    n = len(entries)
    ctes = [
        f"audit_head AS MATERIALIZED (SELECT seq, hash FROM {head} WHERE id = 1 FOR UPDATE)",  # noqa: S608
        "audit_prefix (n, prefix) AS (VALUES "
        + ", ".join(f"({i + 1}, %s::bytea)" for i in range(n))
        + ")",
        "audit_chain (n, seq, prev, hash) AS ("
        "SELECT 0, seq, NULL::text, hash::text FROM audit_head"
        " UNION ALL SELECT c.n + 1, c.seq + 1, c.hash, encode(sha256("
        "convert_to(c.hash, 'UTF8') || p.prefix || convert_to((c.seq + 1)::text || '}', 'UTF8')"
        "), 'hex') FROM audit_chain c JOIN audit_prefix p ON p.n = c.n + 1)",
        f"audit_ins AS ({columns} VALUES {', '.join(values)} RETURNING id, seq)",
        f"audit_head_set AS (UPDATE {head} h SET seq = c.seq, hash = c.hash"  # noqa: S608
        f" FROM audit_chain c WHERE h.id = 1 AND c.n = {n})",
    ]
    return ChainAppend(
        ctes=ctes,
        params=[*prefixes, *values_params],
        returning="(SELECT array_agg(id ORDER BY seq) FROM audit_ins),"
        " (SELECT array_agg(ARRAY[seq::text, prev, hash] ORDER BY n)"
        " FROM audit_chain WHERE n > 0)",
        entries=entries,
        using=using,
    )


def audit_head_ensure() -> None:
    """Create the chain head if it is missing (before the first append by `audit_append_sql`)."""
    with transaction.atomic():
        _locked_head()


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def verify_chain(using: str = DEFAULT_DB_ALIAS) -> ChainReport:
    """Re-compute every hash; name the first row that does not match its predecessor or itself.

    The head is read first and the rows up to it after: an append commits its rows and the
    head together, so rows appended meanwhile lie beyond the head read and are left to the
    next check. Verifying while writers append raises no false alarm, on either database,
    without holding a transaction open."""
    head = AuditChainHead.objects.using(using).filter(pk=1).first()
    rows = AuditEntry.objects.using(using).order_by("seq")
    if head is not None:
        rows = rows.filter(seq__lte=head.seq)
    prev_hash, expected_seq, checked = GENESIS_HASH, 1, 0
    for entry in rows.iterator(chunk_size=2000):
        if entry.seq != expected_seq:
            return ChainReport(False, checked, expected_seq, f"缺少第 {expected_seq} 条记录")
        if entry.prev_hash != prev_hash:
            return ChainReport(False, checked, entry.seq, "前一哈希与上一条记录不一致")
        if row_hash(prev_hash, entry) != entry.hash:
            return ChainReport(False, checked, entry.seq, "记录内容与哈希不符（已被修改）")
        prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    if head is None:
        if checked:
            return ChainReport(False, checked, checked + 1, "链头记录缺失")
        return ChainReport(True, 0)
    if head.seq != checked or head.hash != prev_hash:
        return ChainReport(False, checked, checked + 1, "链尾记录缺失（链头与最后一条不一致）")
    # Rows no append registered: beyond the head as it stands now (one statement, one snapshot).
    current_head = AuditChainHead.objects.using(using).filter(pk=1).values("seq")
    stray = (
        AuditEntry.objects.using(using)
        .filter(seq__gt=Subquery(current_head))
        .order_by("seq")
        .values_list("seq", flat=True)
        .first()
    )
    if stray is not None:
        return ChainReport(False, checked, stray, "链头之后有未经登记的记录")
    return ChainReport(True, checked)


# --- anchors: the head published, so that a re-hashed chain does not pass ---------------------


class AnchorError(Exception):
    """The chain cannot be anchored (it is broken); the message says where."""


def anchor_record(*, day: date | None = None) -> AuditAnchor | None:
    """Record the head as it stands now as `day`'s anchor, once a day (the first one stands),
    after verifying the chain: a broken chain is never anchored. None while the chain is empty."""
    day = day or timezone.localdate()
    existing = AuditAnchor.objects.filter(day=day).first()
    if existing is not None:
        return existing
    report = verify_chain()
    if not report.ok:
        raise AnchorError(f"审计链断裂（第 {report.broken_seq} 条）：{report.reason}，不予公布锚点")
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None or head.seq == 0:
        return None
    with transaction.atomic():
        anchor, created = AuditAnchor.objects.get_or_create(
            day=day, defaults={"seq": head.seq, "hash": head.hash}
        )
        if created:
            audit_log(
                actor=None,
                action="audit.anchor",
                obj=anchor,
                detail={"day": day, "seq": anchor.seq, "hash": anchor.hash},
            )
    return anchor


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def anchors_document() -> dict:
    """Every anchor, signed with the platform's key: the file a supervisor, a court or anyone
    keeps, and later hands to `qinqing audit_verify --anchors FILE`."""
    body = {
        "platform": "亲清",
        "issued_at": timezone.now().isoformat(timespec="seconds"),
        "anchors": [
            {"day": a.day.isoformat(), "seq": a.seq, "hash": a.hash}
            for a in AuditAnchor.objects.order_by("day")
        ],
    }
    return {
        **body,
        "public_key": crypto.public_key_text(),
        "signature": crypto.sign(_canonical(body)),
    }


@dataclass(frozen=True)
class AnchorReport:
    ok: bool
    anchors: int
    chain: ChainReport | None = None
    broken_seq: int | None = None
    reason: str = ""


def verify_anchors(document: dict, public_key: str | None = None) -> AnchorReport:
    """The chain verifies, and at every published anchor it holds the hash that was published:
    a chain re-hashed after an anchor (every link recomputed) fails here though it is whole.
    The file's signature is checked against `public_key`, by default this platform's."""
    try:
        body = {k: document[k] for k in ("platform", "issued_at", "anchors")}
        anchors = [(int(a["seq"]), str(a["hash"]), str(a["day"])) for a in body["anchors"]]
        signature = str(document["signature"])
    except (KeyError, TypeError, ValueError):
        return AnchorReport(False, 0, reason="不是亲清的锚点文件")
    key = public_key or crypto.public_key_text()
    if not crypto.signature_valid(key, _canonical(body), signature):
        return AnchorReport(False, 0, reason="锚点文件的签名无效（文件被改动，或不是本平台签署）")
    chain = verify_chain()
    if not chain.ok:
        return AnchorReport(False, 0, chain, chain.broken_seq, chain.reason)
    stored = dict(
        AuditEntry.objects.filter(seq__in=[seq for seq, _, _ in anchors]).values_list("seq", "hash")
    )
    for seq, published, day in sorted(anchors):
        if stored.get(seq) != published:
            return AnchorReport(
                False,
                len(anchors),
                chain,
                seq,
                f"第 {seq} 条记录的哈希与 {day} 公布的锚点不一致：该日之前的记录已被改写",
            )
    return AnchorReport(True, len(anchors), chain)
