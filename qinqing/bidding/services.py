"""Writes of the bidding module: projects, sessions, quotas and the verifiable draw."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from qinqing.bidding.common import require_kind
from qinqing.bidding.draw import rules
from qinqing.bidding.models import (
    CentreNumbering,
    ChairMethod,
    ChairVote,
    Draw,
    DrawOutcome,
    DrawQuota,
    EvaluationSession,
    Expert,
    InService,
    ManualExclusion,
    Project,
    Room,
    RuleSet,
    Seat,
    Seating,
    Section,
    Speciality,
    Workstation,
)
from qinqing.bidding.pools import evaluate_pool
from qinqing.bidding.projects import rules as project_rules
from qinqing.bidding.seating import rules as seating_rules
from qinqing.core import crypto, otp, rows
from qinqing.core.audit import AuditRecord, audit_append_sql, audit_log, audit_log_many
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import Organisation
from qinqing.core.notifier import Message, notification_audit_record, notification_send_many

K = Organisation.Kind


def _expert_database(centre: Organisation) -> Organisation:
    database = centre.children.filter(kind=K.EXPERT_DATABASE, is_active=True).first()
    if database is None:
        raise DomainError(f"{centre.name}尚未建立专家库", field="centre")
    return database


def quota_set(
    *,
    actor,
    session: EvaluationSession,
    centre: Organisation,
    speciality_codes: list[str],
    count: int,
    backups: int,
    requires_other_region: bool = False,
) -> DrawQuota:
    """Set (or change, before any draw) one centre's quota for a session."""
    is_guest = session.guest_centres.filter(pk=centre.pk).exists()
    if centre.pk != session.host_centre_id and not is_guest:
        raise DomainError("只能为本场次的主场或客场设置抽取需求", field="centre")
    codes = sorted({c.strip().upper() for c in speciality_codes if c.strip()})
    if not codes:
        raise DomainError("请至少选择一个评标专业", field="speciality_codes")
    known = set(Speciality.objects.filter(code__in=codes).values_list("code", flat=True))
    if unknown := [c for c in codes if c not in known]:
        raise DomainError(f"未知的专业代码：{'、'.join(unknown)}", field="speciality_codes")
    if not 1 <= count <= 50:
        raise DomainError("抽取人数应在 1 至 50 之间", field="count")
    if not 0 <= backups <= 50:
        raise DomainError("备选人数应在 0 至 50 之间", field="backups")
    if session.status == EvaluationSession.Status.CLOSED:
        raise ConflictError("评标场次已结束")
    existing = DrawQuota.objects.filter(session=session, centre=centre).first()
    if existing is not None and existing.draws.exists():
        raise ConflictError("已开始抽取，不能再修改抽取需求")
    with transaction.atomic():
        quota, _ = DrawQuota.objects.update_or_create(
            session=session,
            centre=centre,
            defaults={
                "database": _expert_database(centre),
                "speciality_codes": codes,
                "count": count,
                "backups": backups,
                "requires_other_region": requires_other_region,
                "created_by": actor,
            },
        )
        audit_log(
            actor=actor,
            action="quota.set",
            obj=quota,
            organisation=centre,
            detail={
                "session": session.pk,
                "specialities": codes,
                "count": count,
                "backups": backups,
                "other_region": requires_other_region,
            },
        )
    return quota


def exclusion_add(*, actor, quota: DrawQuota, expert: Expert, reason: str) -> ManualExclusion:
    """A supervisor's written exclusion of one expert (code MANUAL); only before drawing."""
    reason = reason.strip()
    if len(reason) < 4:
        raise DomainError("请书面说明排除理由（至少4个字）", field="reason")
    if expert.database_id != quota.database_id:
        raise DomainError("该专家不在本次抽取的专家库中", field="expert")
    if quota.draws.exists():
        raise ConflictError("已开始抽取，不能再人工排除专家")
    with transaction.atomic():
        exclusion, created = ManualExclusion.objects.get_or_create(
            quota=quota, expert=expert, defaults={"reason": reason, "by": actor}
        )
        if not created:
            raise ConflictError("该专家已被排除")
        audit_log(
            actor=actor,
            action="quota.exclude_expert",
            obj=quota,
            organisation=quota.centre,
            detail={"expert": expert.code, "reason": reason},
        )
    return exclusion


def _seated_codes(session: EvaluationSession) -> frozenset[str]:
    return frozenset(
        DrawOutcome.objects.filter(session=session).values_list("expert__code", flat=True)
    )


def _shortfall(quota: DrawQuota) -> int:
    holding = DrawOutcome.objects.filter(
        session_id=quota.session_id, draw__quota=quota, status__in=DrawOutcome.HOLDING
    ).count()
    return max(0, quota.count - holding)


def draw_commit(*, actor, quota: DrawQuota) -> Draw:
    """Steps 1–2 of QQ-DRAW-1: freeze the pool and commit to a fresh server nonce.

    The first draw of a quota draws `count` principals and `backups` backups; a later
    (supplementary) draw draws only the shortfall, from a pool without the experts already
    drawn for this session.
    """
    session = quota.session
    if session.status == EvaluationSession.Status.CLOSED:
        raise ConflictError("评标场次已结束")
    if session.starts_at <= timezone.now():
        raise ConflictError("评标已开始，不能再抽取")
    draw_pk, earlier = _earlier_draws(quota)
    if Draw.Status.COMMITTED in earlier:
        raise ConflictError("上一次抽取尚未见证，请先完成见证")
    supplementary = bool(earlier)
    need = _shortfall(quota) if supplementary else quota.count
    if supplementary and need == 0:
        raise ConflictError("本中心专家人数已满足，无需补抽")
    if supplementary and quota.draws.filter(outcomes__status=DrawOutcome.Status.WAITING).exists():
        raise ConflictError("仍有备选专家可递补，无需补抽")
    try:
        result = evaluate_pool(
            quota, skip_codes=_seated_codes(session) if supplementary else frozenset()
        )
    except rules.RuleError as exc:  # a code no pool can hold (entered before it was refused)
        with transaction.atomic():
            audit_log(
                actor=actor,
                action="draw.failed",
                obj=quota,
                organisation=quota.centre,
                detail={"reason": str(exc)},
            )
        raise DomainError(str(exc), code="pool_invalid") from None
    if len(result.pool) < need:
        with transaction.atomic():
            audit_log(
                actor=actor,
                action="draw.failed",
                obj=quota,
                organisation=quota.centre,
                detail={"pool_size": len(result.pool), "needed": need},
            )
        raise DomainError(
            f"专家库中符合条件的专家不足：需要 {need} 名，仅有 {len(result.pool)} 名，"
            "本次抽取失败，未选定任何专家",
            code="pool_too_small",
        )
    nonce = secrets.token_bytes(rules.NONCE_BYTES)
    draw = Draw(
        pk=draw_pk,
        quota=quota,
        # The draw_id is unique: a concurrent commit of the same quota fails on it.
        draw_id=f"QQD-{timezone.localtime(session.starts_at):%Y%m%d}-{quota.pk:05d}-"
        f"{len(earlier) + 1}",
        supplementary=supplementary,
        quota_count=need,
        backups=quota.backups,
        pool=result.pool,  # canonical already; stored as the text its digest hashes
        pool_digest=result.digest,
        pool_size=len(result.pool),
        exclusion_report=result.report,
        server_nonce_cipher=crypto.encrypt(nonce.hex()),
        commitment=rules.commitment(nonce),
        committed_by=actor,
    )
    planned = session.status == EvaluationSession.Status.PLANNED
    record = AuditRecord(
        "draw.commit",
        actor,
        obj=draw,
        organisation=quota.centre,
        detail={
            "draw_id": draw.draw_id,
            "pool_digest": draw.pool_digest,
            "pool_size": draw.pool_size,
            "commitment": draw.commitment,
            "quota": need,
            "backups": quota.backups,
            "excluded": len(result.excluded),
        },
    )
    if draw.pk is not None:  # PostgreSQL: the id is reserved, one statement writes it all
        _commit_in_one_statement(draw, session if planned else None, record)
    else:
        with transaction.atomic():
            rows.insert([draw])
            if planned:
                session.status = EvaluationSession.Status.DRAWING
                rows.update(session, ["status"])
            audit_log_many([record])
    if planned:
        session.status = EvaluationSession.Status.DRAWING
    return draw


def _earlier_draws(quota: DrawQuota) -> tuple[int | None, list[str]]:
    """The statuses of the quota's earlier draws (for both checks and the sequence number),
    in one plain statement that on PostgreSQL also reserves the new draw's id (a refused
    or failed draw leaves a gap in the ids, as a rolled-back insert would)."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return None, [
            s for (s,) in rows.select_values(Draw, ["status"], "quota_id = %s", [quota.pk])
        ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT nextval(pg_get_serial_sequence(%s, 'id')),"  # noqa: S608
            f" ARRAY(SELECT status FROM {_DRAW} WHERE quota_id = %s)",
            [_DRAW, quota.pk],
        )
        pk, statuses = cursor.fetchone()
    return pk, statuses


def _commit_in_one_statement(draw: Draw, session: EvaluationSession | None, record) -> None:
    """PostgreSQL: the draw, the session's move to DRAWING (when `session` is given) and the
    audit entry (hashed in the database, `audit_append_sql`) in one statement: in autocommit
    mode it is the whole transaction, without BEGIN and COMMIT round trips."""
    connection = transaction.get_connection()
    append = audit_append_sql([record], using=connection.alias)
    insert, params, _fields = rows.insert_sql([draw], using=connection.alias)
    parts = [f"draw_ins AS ({insert})"]
    if session is not None:
        parts.append(f"session_set AS (UPDATE {_SESSION} SET status = %s WHERE id = %s)")  # noqa: S608
        params += [EvaluationSession.Status.DRAWING.value, session.pk]
    append.run(parts, params)
    draw._state.adding = False
    draw._state.db = connection.alias


def server_nonce(draw: Draw) -> bytes:
    return bytes.fromhex(crypto.decrypt(draw.server_nonce_cipher))


def _lock_database(quota: DrawQuota) -> None:
    """Serialise seat-taking per expert database, so one expert cannot be seated twice."""
    _lock_database_id(quota.database_id)


def _lock_database_id(database_id: int) -> None:
    connection = transaction.get_connection()
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        sql = f"SELECT id FROM {_ORGANISATION} WHERE id = %s{lock}"  # noqa: S608
        cursor.execute(sql, [database_id])


_ORGANISATION = Organisation._meta.db_table
_DRAW = Draw._meta.db_table
_OUTCOME = DrawOutcome._meta.db_table
_SESSION = EvaluationSession._meta.db_table
_EXPERT = Expert._meta.db_table


@dataclass(frozen=True)
class _CallContext:
    """What calling a draw's experts reads besides the outcomes (see `_call_context`)."""

    session_id: int
    starts_at: datetime
    ends_at: datetime
    response_minutes: int
    centre: Organisation  # id and name only


# The session, the rule set's answer time and the centre of a quota `q` (plain SQL).
_CALL_COLUMNS = "s.id, s.starts_at, s.ends_at, r.response_minutes, c.id, c.name"
_CALL_JOINS = (
    f"JOIN {_SESSION} s ON s.id = q.session_id"
    f" JOIN {Section._meta.db_table} sec ON sec.id = s.section_id"
    f" JOIN {Project._meta.db_table} p ON p.id = sec.project_id"
    f" JOIN {RuleSet._meta.db_table} r ON r.id = p.rule_set_id"
    f" JOIN {_ORGANISATION} c ON c.id = q.centre_id"
)
_QUOTA = DrawQuota._meta.db_table


def _aware(value, connection):
    """A datetime read by a plain statement, as the ORM would return it (SQLite: naive)."""
    if connection.vendor == "sqlite":
        return connection.ops.convert_datetimefield_value(value, None, connection)
    return value


def _call_context(row: Sequence, connection) -> _CallContext:
    session_id, starts_at, ends_at, minutes, centre_id, centre_name = row
    centre = Organisation.from_db(connection.alias, ["id", "name"], [centre_id, centre_name])
    return _CallContext(
        session_id, _aware(starts_at, connection), _aware(ends_at, connection), minutes, centre
    )


_HOLDING = ", ".join(["%s"] * len(DrawOutcome.HOLDING))


def _busy_sql(expert: str) -> str:
    """Whether the expert holds a seat in another session overlapping this one (parameters:
    `_busy_params`: the holding statuses, this session's end and start, and its id)."""
    return (
        f"EXISTS (SELECT 1 FROM {_OUTCOME} b JOIN {_SESSION} bs ON bs.id = b.session_id"  # noqa: S608
        f" WHERE b.expert_id = {expert} AND b.status IN ({_HOLDING}) AND bs.starts_at < %s"
        " AND bs.ends_at > %s AND b.session_id <> %s)"
    )


def _busy_params(context: _CallContext, connection) -> list:
    adapt = connection.ops.adapt_datetimefield_value
    return [
        *(s.value for s in DrawOutcome.HOLDING),
        adapt(context.ends_at),
        adapt(context.starts_at),
        context.session_id,
    ]


@dataclass
class _Waiting:
    """A waiting outcome of a draw, with what calling its expert needs."""

    outcome: DrawOutcome
    user_id: int | None
    phone: str
    busy: bool


def _call_plan(waiting: list[_Waiting], count: int, deadline: datetime):
    """Who is called and who is skipped: the first `count` waiting experts in order who hold
    no overlapping seat elsewhere are notified (each with a fresh personal token), those
    passed over for holding one become unavailable. Sets the outcomes' fields."""
    called, skipped, tokens = [], [], []
    for row in waiting:
        if len(called) == count:
            break
        outcome = row.outcome
        if row.busy:
            outcome.status = DrawOutcome.Status.UNAVAILABLE
            outcome.reason = UNAVAILABLE_REASON
            skipped.append(row)
            continue
        token = secrets.token_urlsafe(24)
        outcome.status = DrawOutcome.Status.NOTIFIED
        outcome.token_hash = hashlib.sha256(token.encode()).hexdigest()
        outcome.respond_by = deadline
        called.append(row)
        tokens.append(token)
    return called, skipped, tokens


def _call_records(
    *, actor, draw: Draw, context: _CallContext, called, skipped, tokens
) -> list[AuditRecord]:
    """Send the invitations (one insert) and return the audit records of the call: the
    messages' entry, then `draw.call` (appended by the caller with its own entries)."""
    user_model = get_user_model()
    alias = transaction.get_connection().alias
    messages = [
        _invitation(
            context,
            row.outcome.respond_by,
            token,
            recipient=(user_model.from_db(alias, ["id"], [row.user_id]) if row.user_id else None),
            phone=row.phone,
        )
        for row, token in zip(called, tokens, strict=True)
    ]
    records = []
    if messages:
        notifications = notification_send_many(actor=None, messages=messages, audit=False)
        records.append(notification_audit_record(actor=None, notifications=notifications))
    records.append(
        AuditRecord(
            "draw.call",
            actor,
            obj=draw,
            organisation=context.centre,
            detail={
                "draw_id": draw.draw_id,
                "notified": [row.outcome.position for row in called],
                "unavailable": [row.outcome.position for row in skipped],
            },
        )
    )
    return records


def _deadline(context: _CallContext) -> datetime:
    return min(timezone.now() + timedelta(minutes=context.response_minutes), context.starts_at)


# In the model's field order (Model.from_db takes the values in that order).
_WITNESS_FIELDS = [
    "id",
    "quota_id",
    "draw_id",
    "quota_count",
    "backups",
    "status",
    "pool",
    "server_nonce_cipher",
    "committed_by_id",
]
_POOL = _WITNESS_FIELDS.index("pool")


def draw_witness(*, actor, draw: Draw, witness_entropy: str) -> Draw:
    """Steps 3–7: take the witness's entropy, draw, notify the principals in order.

    Plain statements: the draw (locked) with its session, rule set and centre in one read;
    the drawn experts with whether each holds an overlapping seat elsewhere in another; the
    outcomes written once with their final states; the three audit entries in one append.
    """
    witness_entropy = witness_entropy.strip()
    if len(witness_entropy) > 200:
        raise DomainError("见证人输入不能超过200个字符", field="witness_entropy")
    if draw.committed_by_id == actor.pk:
        raise DomainError("见证人不能是发起抽取的操作人", field="witness_entropy")
    with transaction.atomic():
        connection = transaction.get_connection()
        _lock_database_id(draw.quota.database_id)
        lock = " FOR UPDATE OF d" if connection.features.has_select_for_update_of else ""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {', '.join('d.' + f for f in _WITNESS_FIELDS)}, {_CALL_COLUMNS}"  # noqa: S608
                f" FROM {_DRAW} d JOIN {_QUOTA} q ON q.id = d.quota_id {_CALL_JOINS}"
                f" WHERE d.id = %s{lock}",
                [draw.pk],
            )
            found = cursor.fetchone()
        n = len(_WITNESS_FIELDS)
        draw = Draw.from_db(
            connection.alias,
            _WITNESS_FIELDS,
            [
                *found[:_POOL],
                Draw._meta.get_field("pool").to_python(found[_POOL]),
                *found[_POOL + 1 : n],
            ],
        )
        context = _call_context(found[n:], connection)
        if draw.status != Draw.Status.COMMITTED:
            raise ConflictError("该抽取已见证，不能重复见证")
        sequence = rules.qq_draw_1(
            draw.pool,
            server_nonce=server_nonce(draw),
            witness_entropy=witness_entropy,
            draw_id=draw.draw_id,
            quota=draw.quota_count,
            backups=draw.backups,
        )
        draw.status = Draw.Status.DRAWN
        draw.witness_entropy = witness_entropy
        draw.witnessed_by = actor
        draw.witnessed_at = timezone.now()
        draw.drawn = sequence
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT code, id, phone, user_id, {_busy_sql('e.id')}"  # noqa: S608
                f" FROM {_EXPERT} e WHERE code IN ({', '.join(['%s'] * len(sequence))})",
                [*_busy_params(context, connection), *sequence],
            )
            experts = {code: rest for code, *rest in cursor.fetchall()}
        waiting = []
        for position, code in enumerate(sequence):
            expert_id, phone, user_id, busy = experts[code]
            outcome = DrawOutcome(
                draw_id=draw.pk,
                expert_id=expert_id,
                session_id=context.session_id,
                position=position,
                role=(
                    DrawOutcome.Role.PRINCIPAL
                    if position < draw.quota_count
                    else DrawOutcome.Role.BACKUP
                ),
                status=DrawOutcome.Status.WAITING,
            )
            waiting.append(_Waiting(outcome, user_id, phone, bool(busy)))
        # The principals are called at once: the outcomes are written in their final states.
        called, skipped, tokens = _call_plan(waiting, draw.quota_count, _deadline(context))
        _witness_write(draw, [row.outcome for row in waiting], context.session_id)
        witnessed = AuditRecord(
            "draw.witness",
            actor,
            obj=draw,
            organisation=context.centre,
            detail={"draw_id": draw.draw_id, "witness_entropy": witness_entropy, "drawn": sequence},
        )
        records = _call_records(
            actor=actor, draw=draw, context=context, called=called, skipped=skipped, tokens=tokens
        )
        audit_log_many([witnessed, *records])
    return draw


_DRAWN_FIELDS = ["status", "witness_entropy", "witnessed_by", "witnessed_at", "drawn"]


def _witness_write(draw: Draw, outcomes: list[DrawOutcome], session_id: int) -> None:
    """The draw's result, its outcomes and the session's status (`_refresh_session_status`):
    on PostgreSQL one statement, the outcomes inserted from one array per column (the same
    statement for any number of rows, so its parsing is cached)."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        rows.update(draw, _DRAWN_FIELDS)
        rows.insert(outcomes)
        _refresh_session_status_id(session_id)
        return
    qn = connection.ops.quote_name
    drawn = [Draw._meta.get_field(name) for name in _DRAWN_FIELDS]
    fields = [f for f in DrawOutcome._meta.concrete_fields if not f.primary_key]
    refresh, refresh_params = _refresh_session_status_sql(session_id)
    sql = (
        f"WITH drawn AS (UPDATE {_DRAW} SET"  # noqa: S608
        f" {', '.join(f'{qn(f.column)} = %s' for f in drawn)} WHERE id = %s),"
        # New outcomes are never confirmed, so the status does not depend on them.
        f" refreshed AS ({refresh})"
        f" INSERT INTO {_OUTCOME} ({', '.join(qn(f.column) for f in fields)})"
        f" SELECT * FROM unnest({', '.join(f'%s::{f.db_type(connection)}[]' for f in fields)})"
        f" RETURNING {qn(DrawOutcome._meta.pk.column)}"
    )
    params = [f.get_db_prep_save(f.pre_save(draw, False), connection) for f in drawn]
    params += [draw.pk, *refresh_params]
    params += [
        [f.get_db_prep_save(f.pre_save(o, True), connection) for o in outcomes] for f in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [pk for (pk,) in cursor.fetchall()]
    # Rows come back in the arrays' order (Django's bulk_create relies on the same).
    for outcome, pk in zip(outcomes, ids, strict=True):
        outcome.pk = pk
        outcome._state.adding = False
        outcome._state.db = connection.alias


UNAVAILABLE_REASON = "抽取后已被时间重叠的其他评标场次选定"

_WAITING_FIELDS = ["id", "draw_id", "expert_id", "session_id", "position", "role", "status"]


def backups_call_next(*, actor, draw: Draw, count: int = 1) -> list[DrawOutcome]:
    """Notify the next `count` waiting experts of `draw` in order, marking those seated
    elsewhere in an overlapping slot meanwhile as unavailable (they are skipped)."""
    connection = transaction.get_connection()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_CALL_COLUMNS} FROM {_QUOTA} q {_CALL_JOINS} WHERE q.id = %s",  # noqa: S608
            [draw.quota_id],
        )
        context = _call_context(cursor.fetchone(), connection)
        columns = ", ".join(f"o.{f}" for f in _WAITING_FIELDS)
        cursor.execute(
            f"SELECT {columns}, e.user_id, e.phone, {_busy_sql('o.expert_id')}"  # noqa: S608
            f" FROM {_OUTCOME} o JOIN {_EXPERT} e ON e.id = o.expert_id"
            " WHERE o.draw_id = %s AND o.status = %s ORDER BY o.position",
            [*_busy_params(context, connection), draw.pk, DrawOutcome.Status.WAITING.value],
        )
        found = cursor.fetchall()
    n = len(_WAITING_FIELDS)
    waiting = [
        _Waiting(
            DrawOutcome.from_db(connection.alias, _WAITING_FIELDS, row[:n]),
            row[n],
            row[n + 1],
            bool(row[n + 2]),
        )
        for row in found
    ]
    called, skipped, tokens = _call_plan(waiting, count, _deadline(context))
    if not called and not skipped:
        return []
    with connection.cursor() as cursor:
        if called:
            # Only the token differs between the called outcomes.
            ids = [row.outcome.pk for row in called]
            cases = " ".join("WHEN %s THEN %s" for _ in called)
            cursor.execute(
                f"UPDATE {_OUTCOME} SET status = %s, respond_by = %s,"  # noqa: S608
                f" token_hash = CASE id {cases} END"
                f" WHERE id IN ({', '.join(['%s'] * len(ids))})",
                [
                    DrawOutcome.Status.NOTIFIED.value,
                    connection.ops.adapt_datetimefield_value(called[0].outcome.respond_by),
                    *(v for row in called for v in (row.outcome.pk, row.outcome.token_hash)),
                    *ids,
                ],
            )
        if skipped:
            ids = [row.outcome.pk for row in skipped]
            cursor.execute(
                f"UPDATE {_OUTCOME} SET status = %s, reason = %s"  # noqa: S608
                f" WHERE id IN ({', '.join(['%s'] * len(ids))})",
                [DrawOutcome.Status.UNAVAILABLE.value, UNAVAILABLE_REASON, *ids],
            )
    audit_log_many(
        _call_records(
            actor=actor, draw=draw, context=context, called=called, skipped=skipped, tokens=tokens
        )
    )
    return [row.outcome for row in called]


def _invitation(
    context: _CallContext, respond_by: datetime, token: str, *, recipient, phone: str
) -> Message:
    """The invitation names the date, time and centre only — never the project (四不知)."""
    start = timezone.localtime(context.starts_at)
    end = timezone.localtime(context.ends_at)
    link = settings.QINQING_PUBLIC_URL.rstrip("/") + reverse("bidding:respond", args=[token])
    body = (
        f"您被随机抽取参加评标：{start:%Y年%m月%d日} {start:%H:%M}—{end:%H:%M}，"
        f"地点：{context.centre.name}。"
        f"请于 {timezone.localtime(respond_by):%m月%d日 %H:%M} 前确认是否参加：{link}"
    )
    return Message(
        "sms",
        "评标专家抽取通知",
        body,
        recipient=recipient,
        address=phone,
        sensitive=True,
    )


def _refresh_session_status(session: EvaluationSession) -> None:
    """READY when every quota has its confirmed experts, else DRAWING (not once in progress
    or closed); the instance follows the row."""
    status = _refresh_session_status_id(session.pk)
    if status is not None:
        session.status = status


_SETTLED = (EvaluationSession.Status.CLOSED, EvaluationSession.Status.IN_PROGRESS)
# Ready when the session has quotas and each has at least `count` confirmed experts.
_READY_SQL = (
    f"(EXISTS (SELECT 1 FROM {_QUOTA} q WHERE q.session_id = %s)"  # noqa: S608
    f" AND NOT EXISTS (SELECT 1 FROM {_QUOTA} q WHERE q.session_id = %s"
    f" AND q.count > (SELECT count(*) FROM {_OUTCOME} o JOIN {_DRAW} d ON d.id = o.draw_id"
    " WHERE o.session_id = %s AND o.status = %s AND d.quota_id = q.id)))"
)


def _refresh_session_status_sql(session_id: int) -> tuple[str, list]:
    """`UPDATE … RETURNING status` setting the session READY when every quota has its
    confirmed experts, else DRAWING, unless it is in progress or closed or already so."""
    ready = f"CASE WHEN {_READY_SQL} THEN %s ELSE %s END"
    statuses = [EvaluationSession.Status.READY.value, EvaluationSession.Status.DRAWING.value]
    computed = [session_id] * 3 + [DrawOutcome.Status.CONFIRMED.value, *statuses]
    sql = (
        f"UPDATE {_SESSION} SET status = {ready}"  # noqa: S608
        f" WHERE id = %s AND status NOT IN (%s, %s) AND status <> {ready} RETURNING status"
    )
    return sql, [*computed, session_id, *(s.value for s in _SETTLED), *computed]


def _refresh_session_status_id(session_id: int) -> str | None:
    """`_refresh_session_status` in one statement; returns the new status, or None when it
    did not change."""
    sql, params = _refresh_session_status_sql(session_id)
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()
    return found[0] if found else None


ANSWERS = {
    "confirm": DrawOutcome.Status.CONFIRMED,
    "decline": DrawOutcome.Status.DECLINED,
    "recuse": DrawOutcome.Status.RECUSED,
}


def outcome_respond(
    *, actor, outcome: DrawOutcome, answer: str, reason: str = "", channel: str
) -> DrawOutcome:
    """An expert's answer (by link) or staff recording a phone answer; a decline or recusal
    calls the next backup in order (实施条例 Art.46: replacements are drawn at random too)."""
    if answer not in ANSWERS:
        raise DomainError("未知的答复", field="answer")
    if channel not in ("link", "phone"):
        raise DomainError("未知的答复方式", field="channel")
    reason = reason.strip()
    if answer != "confirm" and not reason:
        raise DomainError("拒绝或回避须说明原因", field="reason")
    with transaction.atomic():
        _lock_database(outcome.draw.quota)
        outcome = DrawOutcome.objects.select_for_update().get(pk=outcome.pk)
        if outcome.status != DrawOutcome.Status.NOTIFIED:
            raise ConflictError("该通知已答复或已失效")
        if outcome.respond_by and timezone.now() > outcome.respond_by:
            raise ConflictError("已超过答复期限")
        outcome.status = ANSWERS[answer]
        outcome.reason = reason
        outcome.responded_at = timezone.now()
        outcome.response_channel = channel
        outcome.token_hash = ""
        outcome.save(
            update_fields=["status", "reason", "responded_at", "response_channel", "token_hash"]
        )
        audit_log(
            actor=actor,
            action=f"outcome.{answer}",
            obj=outcome,
            organisation=outcome.draw.quota.centre,
            detail={"channel": channel, "reason": reason},
        )
        if answer != "confirm":
            backups_call_next(actor=actor, draw=outcome.draw)
        else:
            _seat_late_confirmation(actor=actor, outcome=outcome)
        _refresh_session_status(outcome.session)
    return outcome


def _seat_late_confirmation(*, actor, outcome: DrawOutcome) -> None:
    """A backup who confirms after the centre has seated this session (a replacement for a
    decline, a recusal or a member who left) is seated at once, by the same seating over the
    same slot, away from the rooms of the committee's other members where a free workstation
    allows. Without a free workstation the confirmation stands, the audit log says why, and
    the centre runs the seating again from the seating page once a workstation is free."""
    centre = outcome.draw.quota.centre
    earlier = (
        Seating.objects.filter(centre=centre, seats__outcome__session_id=outcome.session_id)
        .order_by("-pk")
        .first()
    )
    if earlier is None:
        return  # the session is not seated yet: the centre's seating will include this expert
    try:
        with transaction.atomic():
            seating_assign(
                actor=actor, centre=centre, slot_start=earlier.slot_start, slot_end=earlier.slot_end
            )
    except DomainError as exc:
        audit_log(
            actor=actor,
            action="seating.replacement_waiting",
            obj=outcome,
            organisation=centre,
            detail={"reason": exc.message, "slot": [earlier.slot_start, earlier.slot_end]},
        )


def outcome_by_token(token: str) -> DrawOutcome | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    return (
        DrawOutcome.objects.select_related("draw__quota__centre", "session")
        .filter(token_hash=digest, status=DrawOutcome.Status.NOTIFIED)
        .first()
    )


def outcomes_expire(*, now: datetime | None = None) -> int:
    """Mark unanswered invitations past their deadline as no answer and call the next backup
    (the periodic `bidding_tick` command runs this)."""
    now = now or timezone.now()
    expired = 0
    overdue = DrawOutcome.objects.filter(
        status=DrawOutcome.Status.NOTIFIED, respond_by__lt=now
    ).values_list("pk", flat=True)
    for pk in list(overdue):
        with transaction.atomic():
            outcome = DrawOutcome.objects.select_related("draw__quota").get(pk=pk)
            _lock_database(outcome.draw.quota)
            outcome = DrawOutcome.objects.select_for_update().get(pk=pk)
            if outcome.status != DrawOutcome.Status.NOTIFIED:
                continue
            outcome.status = DrawOutcome.Status.NO_ANSWER
            outcome.token_hash = ""
            outcome.save(update_fields=["status", "token_hash"])
            audit_log(
                actor=None,
                action="outcome.no_answer",
                obj=outcome,
                organisation=outcome.draw.quota.centre,
                detail={"respond_by": outcome.respond_by},
            )
            backups_call_next(actor=None, draw=outcome.draw)
            _refresh_session_status(outcome.session)
            expired += 1
    return expired


def session_close(*, actor, session: EvaluationSession) -> EvaluationSession:
    """Close a session that did not go ahead (no evaluation started) and lift secrecy: draw
    proofs become public. An evaluated session closes when its report is sealed (report.py)."""
    if session.status == EvaluationSession.Status.CLOSED:
        raise ConflictError("评标场次已结束")
    if session.status == EvaluationSession.Status.IN_PROGRESS:
        raise ConflictError("评标进行中：评标报告经全体成员签署封存后，场次自动结束并公开抽取证明")
    if session.quotas.filter(draws__status=Draw.Status.COMMITTED).exists():
        raise ConflictError("仍有待见证的抽取，不能结束场次")
    with transaction.atomic():
        session.status = EvaluationSession.Status.CLOSED
        session.secrecy_lifted_at = timezone.now()
        session.save(update_fields=["status", "secrecy_lifted_at"])
        unused = DrawOutcome.objects.filter(session=session, status=DrawOutcome.Status.WAITING)
        unused.update(status=DrawOutcome.Status.UNUSED)
        audit_log(
            actor=actor, action="session.close", obj=session, organisation=session.host_centre
        )
    return session


def names_reveal(*, actor, draw: Draw) -> dict[str, str]:
    """Names of the drawn experts for the centre admin; every reveal is audited."""
    names = dict(draw.outcomes.values_list("expert__code", "expert__name").order_by("position"))
    with transaction.atomic():
        audit_log(
            actor=actor,
            action="draw.reveal_names",
            obj=draw,
            organisation=draw.quota.centre,
            detail={"draw_id": draw.draw_id, "count": len(names)},
        )
    return names


def proof(draw: Draw) -> dict:
    """The published proof (design, QQ-DRAW-1 step 8) once secrecy is lifted, else its
    public part only."""
    public = {
        "draw_id": draw.draw_id,
        "pool_digest": draw.pool_digest,
        "commitment": draw.commitment,
        "pool_size": draw.pool_size,
    }
    if not proof_is_public(draw):
        return public
    return {
        "algorithm": rules.ALGORITHM,
        "draw_id": draw.draw_id,
        "pool": draw.pool,
        "pool_digest": draw.pool_digest,
        "commitment": draw.commitment,
        "server_nonce": server_nonce(draw).hex(),
        "witness_entropy": draw.witness_entropy,
        "quota": draw.quota_count,
        "backups": draw.backups,
        "drawn": draw.drawn,
    }


def proof_is_public(draw: Draw) -> bool:
    return draw.status == Draw.Status.DRAWN and draw.quota.session.secrecy_lifted_at is not None


# --------------------------------------------------------------------------------------------
# Evaluation day: rooms and workstations, seating, sign-in, recusal, start, chair
# --------------------------------------------------------------------------------------------

PREFIX_RE = re.compile(r"^[A-Z]{1,3}$")
ROOM_NUMBER_RE = re.compile(r"^[0-9A-Za-z]{1,10}$")
MAX_SEATS_PER_ROOM = 99


def centre_prefix_set(*, actor, centre: Organisation, prefix: str) -> CentreNumbering:
    """A centre's own workstation prefix; fixed once a room exists (codes are printed)."""
    prefix = prefix.strip().upper()
    require_kind(centre, K.TRADING_CENTRE, "centre", "交易中心")
    if not PREFIX_RE.match(prefix):
        raise DomainError("工位编号前缀应为1至3个大写字母", field="prefix")
    if CentreNumbering.objects.filter(prefix=prefix).exclude(centre=centre).exists():
        raise DomainError("该前缀已被其他交易中心使用", field="prefix")
    existing = CentreNumbering.objects.filter(centre=centre).first()
    if existing is not None and existing.prefix != prefix and centre.evaluation_rooms.exists():
        raise ConflictError("已有评标室，不能再修改工位编号前缀")
    with transaction.atomic():
        numbering, _ = CentreNumbering.objects.update_or_create(
            centre=centre, defaults={"prefix": prefix}
        )
        audit_log(
            actor=actor,
            action="numbering.set",
            obj=numbering,
            organisation=centre,
            detail={"prefix": prefix},
        )
    return numbering


def _workstation_code(prefix: str, room: Room, seat: int) -> str:
    return f"{prefix}-{room.number}-{seat:02d}"


def room_add(*, actor, centre: Organisation, number: str, name: str, seats: int) -> Room:
    """A room with workstations 1..seats, numbered `<prefix>-<room>-<seat>` (e.g. H-3-07)."""
    number, name = number.strip(), name.strip()
    numbering = CentreNumbering.objects.filter(centre=centre).first()
    if numbering is None:
        raise DomainError("请先设置本中心的工位编号前缀", field="prefix")
    if not ROOM_NUMBER_RE.match(number):
        raise DomainError("评标室编号应为1至10位字母或数字", field="number")
    if not name:
        raise DomainError("请填写评标室名称", field="name")
    if not 1 <= seats <= MAX_SEATS_PER_ROOM:
        raise DomainError(f"工位数应在 1 至 {MAX_SEATS_PER_ROOM} 之间", field="seats")
    if Room.objects.filter(centre=centre, number=number).exists():
        raise DomainError("本中心已有该编号的评标室", field="number")
    with transaction.atomic():
        room = Room.objects.create(centre=centre, number=number, name=name)
        Workstation.objects.bulk_create(
            [
                Workstation(room=room, seat=n, code=_workstation_code(numbering.prefix, room, n))
                for n in range(1, seats + 1)
            ]
        )
        audit_log(
            actor=actor,
            action="room.add",
            obj=room,
            organisation=centre,
            detail={"number": number, "name": name, "seats": seats},
        )
    return room


def workstation_add(*, actor, room: Room) -> Workstation:
    """One more workstation in a room, with the next seat number."""
    numbering = CentreNumbering.objects.get(centre_id=room.centre_id)
    with transaction.atomic():
        Room.objects.select_for_update().filter(pk=room.pk).first()
        seat = (room.workstations.aggregate(m=Max("seat"))["m"] or 0) + 1
        if seat > MAX_SEATS_PER_ROOM:
            raise DomainError(f"每个评标室最多 {MAX_SEATS_PER_ROOM} 个工位")
        workstation = Workstation.objects.create(
            room=room, seat=seat, code=_workstation_code(numbering.prefix, room, seat)
        )
        audit_log(
            actor=actor,
            action="workstation.add",
            obj=workstation,
            organisation=room.centre,
            detail={"code": workstation.code},
        )
    return workstation


def _upcoming_seats(**lookup):
    return Seat.objects.filter(seating__slot_end__gt=timezone.now(), **lookup)


def _status_check(status: str, reason: str) -> str:
    if status not in InService.values:
        raise DomainError("未知的状态", field="status")
    reason = reason.strip()
    if not reason:
        raise DomainError("请说明变更原因", field="reason")
    return reason


def room_status_set(*, actor, room: Room, status: str, reason: str) -> Room:
    reason = _status_check(status, reason)
    if status == InService.OUT_OF_SERVICE and _upcoming_seats(workstation__room=room).exists():
        raise ConflictError("该评标室已分配给尚未结束的评标，不能停用")
    with transaction.atomic():
        room.status = status
        room.save(update_fields=["status"])
        audit_log(
            actor=actor,
            action="room.set_status",
            obj=room,
            organisation=room.centre,
            detail={"status": status, "reason": reason},
        )
    return room


def workstation_status_set(*, actor, workstation: Workstation, status: str, reason: str):
    reason = _status_check(status, reason)
    if status == InService.OUT_OF_SERVICE and _upcoming_seats(workstation=workstation).exists():
        raise ConflictError("该工位已分配给尚未结束的评标，不能停用")
    with transaction.atomic():
        workstation.status = status
        workstation.save(update_fields=["status"])
        audit_log(
            actor=actor,
            action="workstation.set_status",
            obj=workstation,
            organisation=workstation.room.centre,
            detail={"code": workstation.code, "status": status, "reason": reason},
        )
    return workstation


def seating_assign(
    *, actor, centre: Organisation, slot_start: datetime, slot_end: datetime
) -> Seating:
    """Seat the confirmed, not yet seated experts of every session overlapping the slot whose
    quota is at `centre` (同标不同室: seating_rules.allocate_rooms, then seating_rules.seat_within_rooms).

    Free workstations are those in service, in rooms in service, not held by a seat of an
    overlapping slot at this centre. The seed comes from `secrets` and goes into the audit
    entry with the inputs (committee sizes, room capacities), so the allocation can be
    re-computed. The reported collisions count pairs of one committee sharing a room, among
    everyone seated at this centre for the slot (earlier seatings included).
    """
    if slot_end <= slot_start:
        raise DomainError("时段结束时间必须晚于开始时间", field="slot_end")
    overlapping = {"session__starts_at__lt": slot_end, "session__ends_at__gt": slot_start}
    with transaction.atomic():
        Organisation.objects.select_for_update().filter(pk=centre.pk).first()
        outcomes = list(
            DrawOutcome.objects.filter(
                status=DrawOutcome.Status.CONFIRMED,
                draw__quota__centre=centre,
                seat__isnull=True,
                **overlapping,
            )
            .exclude(session__status=EvaluationSession.Status.CLOSED)
            .select_related("expert")
            .order_by("session_id", "draw_id", "position")
        )
        if not outcomes:
            raise DomainError("该时段本中心没有待分配工位的已确认专家", field="slot_start")
        held = Seat.objects.filter(
            seating__centre=centre,
            seating__slot_start__lt=slot_end,
            seating__slot_end__gt=slot_start,
        )
        free = (
            Workstation.objects.filter(
                room__centre=centre,
                room__status=InService.IN_SERVICE,
                status=InService.IN_SERVICE,
            )
            .exclude(pk__in=held.values("workstation_id"))
            .select_related("room")
        )
        seats_by_room: dict[str, list[str]] = {}
        by_code: dict[str, Workstation] = {}
        for workstation in free:
            seats_by_room.setdefault(workstation.room.number, []).append(workstation.code)
            by_code[workstation.code] = workstation
        committees: dict[str, list[DrawOutcome]] = {}
        for outcome in outcomes:
            committees.setdefault(str(outcome.session_id), []).append(outcome)
        counts = {c: len(members) for c, members in committees.items()}
        capacities = {room: len(codes) for room, codes in seats_by_room.items()}
        # Members seated earlier in the slot (a replacement joins a committee already seated):
        # the allocation keeps the newcomers out of their committee's rooms too.
        seated: dict[str, list[str]] = {}
        for session_id, room_number in held.filter(
            outcome__status=DrawOutcome.Status.CONFIRMED
        ).values_list("outcome__session_id", "workstation__room__number"):
            seated.setdefault(str(session_id), []).append(room_number)
        occupied = {
            c: dict(sorted(Counter(seated[c]).items())) for c in sorted(counts) if c in seated
        }
        seed = secrets.token_bytes(32)
        try:
            rooms = seating_rules.allocate_rooms(counts, capacities, seed, occupied=occupied)
            codes = seating_rules.seat_within_rooms(rooms, seats_by_room, seed)
        except seating_rules.RuleError as exc:
            raise DomainError(str(exc), field="slot_start") from None
        # Everyone at this centre in the slot, with earlier seatings, for the collision count.
        combined = {c: list(r) for c, r in rooms.items()}
        for session_id, room_numbers in seated.items():
            combined.setdefault(session_id, []).extend(room_numbers)
        collisions = seating_rules.collision_pairs(combined)
        seating = Seating.objects.create(
            centre=centre,
            slot_start=slot_start,
            slot_end=slot_end,
            seed_hex=seed.hex(),
            collisions=collisions,
            by=actor if getattr(actor, "is_authenticated", False) else None,
            at=timezone.now(),
        )
        Seat.objects.bulk_create(
            [
                Seat(seating=seating, outcome=outcome, workstation=by_code[code])
                for committee, members in committees.items()
                for outcome, code in zip(members, codes[committee], strict=True)
            ]
        )
        audit_log(
            actor=actor,
            action="seating.assign",
            obj=seating,
            organisation=centre,
            detail={
                "seed": seed.hex(),
                "slot": [slot_start, slot_end],
                "committees": counts,
                "rooms": capacities,
                "occupied": occupied,
                "experts": len(outcomes),
                "collisions": collisions,
            },
        )
    return seating


# --- sign-in at the workstation -------------------------------------------------------------

SIGNIN = otp.Policy(
    purpose="bidding.signin",  # subject: the Seat
    ttl=timedelta(minutes=10),
    max_attempts=5,
    window=timedelta(minutes=30),
    per_phone=3,
    per_ip=30,
    throttled_message="验证码发送过于频繁，请稍后再试或请工作人员核验身份",
    locked_message="错误次数过多，请重新获取验证码或请工作人员核验身份",
)
SIGNIN_OPENS_BEFORE = timedelta(hours=2)


@dataclass(frozen=True)
class SignInCode:
    """A sign-in code as the terminal holds it: the id of the core `OneTimeCode` and the seat
    it was sent for when sent (None: no SMS went out). `signin_verify` reads the seat again
    from the code itself."""

    pk: int
    seat: Seat | None = None


def _seat_for_phone(phone: str) -> Seat | None:
    """The phone's expert's seat for a slot open for sign-in now (2 h before start to end)."""
    now = timezone.now()
    return (
        Seat.objects.filter(
            outcome__expert__phone=phone,
            outcome__status=DrawOutcome.Status.CONFIRMED,
            signed_in_at__isnull=True,
            seating__slot_start__lte=now + SIGNIN_OPENS_BEFORE,
            seating__slot_end__gt=now,
        )
        .order_by("seating__slot_start")
        .first()
    )


def signin_code_send(*, phone: str, ip: str | None = None) -> SignInCode:
    """Send a one-time sign-in code to an expert seated today (never stored in clear).

    The answer is the same whether or not the phone belongs to a seated expert, so the page
    does not reveal who evaluates today; sends are limited per phone and per address.
    """
    phone = otp.phone_clean(policy=SIGNIN, phone=phone)
    seat = _seat_for_phone(phone)
    with transaction.atomic():
        challenge = otp.code_send(
            policy=SIGNIN,
            phone=phone,
            ip=ip,
            subject_id=seat.pk if seat is not None else None,
            sms_subject="评标签到验证码",
            sms_body=None
            if seat is None
            else "您的评标签到验证码为 {code}，10 分钟内有效。请勿告诉他人。",
        )
        if seat is not None:
            audit_log(
                actor=None,
                action="seat.signin_code",
                obj=seat,
                organisation=seat.seating.centre,
                detail={"challenge": challenge.pk, "ip": ip},
            )
    return SignInCode(pk=challenge.pk, seat=seat)


def _mark_signed_in(seat: Seat, method: str, fields: dict) -> None:
    seat.signed_in_at = timezone.now()
    seat.sign_in_method = method
    for name, value in fields.items():
        setattr(seat, name, value)
    seat.save(update_fields=["signed_in_at", "sign_in_method", *fields])


def signin_verify(*, challenge: SignInCode, code: str, id_last4: str) -> Seat:
    """Sign in with the code and the last 4 characters of the ID number; a wrong pair counts
    an attempt, and after 5 the code is locked (a new code, or staff verification)."""
    code, id_last4 = (code or "").strip(), (id_last4 or "").strip().upper()
    with transaction.atomic():
        locked = otp.code_lock(policy=SIGNIN, pk=challenge.pk)
        seat = (
            Seat.objects.select_for_update()
            .select_related("outcome__expert", "seating__centre")
            .filter(pk=locked.subject_id)
            .first()
            if locked.subject_id is not None
            else None
        )
        correct = (
            seat is not None
            and otp.code_matches(locked, code)
            and constant_time_compare(seat.outcome.expert.id_last4.upper(), id_last4)
        )
        if not correct:
            otp.code_fail(locked)
        elif seat.signed_in_at is not None:
            correct = None
        else:
            otp.code_use(policy=SIGNIN, challenge=locked)
            _mark_signed_in(seat, Seat.Method.CODE, {})
            audit_log(
                actor=seat.outcome.expert.user,
                action="seat.sign_in",
                obj=seat,
                organisation=seat.seating.centre,
                detail={"method": "code", "workstation": seat.workstation.code},
            )
    if correct is None:
        raise ConflictError("已签到")
    if not correct:
        raise DomainError("验证码或身份证号后四位不正确", field="code", code="wrong_code")
    return seat


def seat_signin_staff(*, actor, seat: Seat, reason: str) -> str:
    """Staff verified the expert's identity in person (fallback when the code fails): signs
    the seat in, logs who and why, and returns a one-time terminal code (shown once to the
    staff member, entered at the workstation; stored hashed)."""
    reason = reason.strip()
    if len(reason) < 4:
        raise DomainError("请写明人工核验的原因和核验方式（至少4个字）", field="reason")
    terminal_code = secrets.token_hex(5).upper()
    with transaction.atomic():
        seat = Seat.objects.select_for_update().select_related("outcome", "seating").get(pk=seat.pk)
        if seat.signed_in_at is not None:
            raise ConflictError("该专家已签到")
        if seat.outcome.status != DrawOutcome.Status.CONFIRMED:
            raise ConflictError("该专家已不在本次评标名单中")
        _mark_signed_in(
            seat,
            Seat.Method.STAFF,
            {
                "verified_by": actor,
                "verify_reason": reason,
                "terminal_code_hash": hashlib.sha256(terminal_code.encode()).hexdigest(),
            },
        )
        audit_log(
            actor=actor,
            action="seat.sign_in_staff",
            obj=seat,
            organisation=seat.seating.centre,
            detail={"reason": reason, "workstation": seat.workstation.code},
        )
    return terminal_code


def seat_terminal_claim(*, terminal_code: str) -> Seat | None:
    """The seat a staff member signed in, claimed once at the workstation by its code."""
    digest = hashlib.sha256((terminal_code or "").strip().upper().encode()).hexdigest()
    with transaction.atomic():
        seat = (
            Seat.objects.select_for_update()
            .filter(terminal_code_hash=digest, signed_in_at__isnull=False)
            .first()
        )
        if seat is None:
            return None
        seat.terminal_code_hash = ""
        seat.save(update_fields=["terminal_code_hash"])
    return seat


def _require_signed_in(seat: Seat) -> None:
    if seat.signed_in_at is None:
        raise ConflictError("请先签到")
    if seat.outcome.status != DrawOutcome.Status.CONFIRMED:
        raise ConflictError("您已回避或已不在本次评标名单中")


def seat_declare(*, actor, seat: Seat) -> Seat:
    """The expert, having seen the bidder list, declares no ground for recusal."""
    _require_signed_in(seat)
    if seat.declared_at is not None:
        raise ConflictError("已声明")
    with transaction.atomic():
        seat.declared_at = timezone.now()
        seat.save(update_fields=["declared_at"])
        audit_log(
            actor=actor,
            action="seat.declare_no_conflict",
            obj=seat,
            organisation=seat.seating.centre,
        )
        if EvaluationSession.objects.filter(
            pk=seat.outcome.session_id, status=EvaluationSession.Status.IN_PROGRESS
        ).exists():
            # A replacement (实施条例 Art.48) joining an evaluation under way gets a sheet.
            from qinqing.bidding import scoring

            scoring.member_join(actor=actor, seat=seat)
    return seat


def seat_recuse(*, actor, seat: Seat, reason: str) -> DrawOutcome:
    """Recusal at sign-in after seeing the bidder list (招标投标法实施条例 Art.46): the outcome
    becomes recused and the next backup of the same draw is called (backups_call_next).

    Art.48 voids whatever the recused expert entered; at sign-in no score sheet exists yet,
    so there is nothing to void (the scoring stages will have to void sheets there).
    """
    reason = reason.strip()
    if not reason:
        raise DomainError("请说明回避事由", field="reason")
    _require_signed_in(seat)
    session = seat.outcome.session
    if session.status == EvaluationSession.Status.IN_PROGRESS:
        raise ConflictError("评标已开始，回避须由评标委员会处理")
    with transaction.atomic():
        outcome = seat.outcome
        _lock_database(outcome.draw.quota)
        outcome = DrawOutcome.objects.select_for_update().get(pk=outcome.pk)
        if outcome.status != DrawOutcome.Status.CONFIRMED:
            raise ConflictError("该专家已不在本次评标名单中")
        outcome.status = DrawOutcome.Status.RECUSED
        outcome.reason = reason
        outcome.save(update_fields=["status", "reason"])
        audit_log(
            actor=actor,
            action="outcome.recuse_at_signin",
            obj=outcome,
            organisation=outcome.draw.quota.centre,
            detail={
                "reason": reason,
                "workstation": seat.workstation.code,
                "voided_entries": 0,  # Art.48: nothing entered before evaluation starts
            },
        )
        backups_call_next(actor=actor, draw=outcome.draw)
        _refresh_session_status(outcome.session)
    return outcome


def committee_seats(session: EvaluationSession):
    """The committee: experts signed in at their workstations, still confirmed, who declared
    no ground for recusal. Tenderer representatives are not modelled (experts only)."""
    return Seat.objects.filter(
        outcome__session=session,
        outcome__status=DrawOutcome.Status.CONFIRMED,
        signed_in_at__isnull=False,
        declared_at__isnull=False,
    ).select_related("workstation", "outcome__expert")


def session_start_problems(session: EvaluationSession) -> list[str]:
    project = session.section.project
    problems = project_rules.bidders_sufficient(session.section.bidders.count())
    members = committee_seats(session).count()
    problems += project_rules.committee_is_valid(
        members, members, project.rule_set.to_rules(), project.budget
    )
    from qinqing.bidding import scoring

    return problems + scoring.start_problems(session)


def session_start(*, actor, session: EvaluationSession) -> EvaluationSession:
    """Start the evaluation: refused with fewer than 3 bidders (实施条例 Art.44) or an invalid
    committee (招标投标法 Art.37 with the rule set's numbers; committee = signed-in experts)."""
    if session.status in (EvaluationSession.Status.IN_PROGRESS, EvaluationSession.Status.CLOSED):
        raise ConflictError("评标已开始或已结束")
    if session.quotas.filter(draws__outcomes__status=DrawOutcome.Status.NOTIFIED).exists():
        raise ConflictError("仍有递补专家未答复，不能开始评标")
    problems = session_start_problems(session)
    if problems:
        raise DomainError("不能开始评标：" + "；".join(problems), code="cannot_start")
    from qinqing.bidding import scoring

    seats = list(committee_seats(session))
    members = sorted(str(seat.pk) for seat in seats)
    with transaction.atomic():
        session.status = EvaluationSession.Status.IN_PROGRESS
        session.started_at = timezone.now()
        session.chair_round = 1
        session.chair_candidates = members
        session.save(update_fields=["status", "started_at", "chair_round", "chair_candidates"])
        audit_log(
            actor=actor,
            action="session.start",
            obj=session,
            organisation=session.host_centre,
            detail={"members": len(members), "bidders": session.section.bidders.count()},
        )
        scoring.evaluation_open(session=session, members=seats)
    return session


def _chair_open(session: EvaluationSession) -> None:
    if session.status != EvaluationSession.Status.IN_PROGRESS:
        raise ConflictError("评标尚未开始")
    if session.chair_id is not None:
        raise ConflictError("评标委员会负责人已产生")


def chair_vote(*, actor, seat: Seat, candidate: Seat) -> EvaluationSession:
    """One member's vote for the chair; when every member has voted the round is tallied
    (seating_rules.chair_tally): a single leader is elected, a tie starts a re-vote among the tied."""
    _require_signed_in(seat)
    with transaction.atomic():
        session = EvaluationSession.objects.select_for_update().get(pk=seat.outcome.session_id)
        _chair_open(session)
        members = set(committee_seats(session).values_list("pk", flat=True))
        if seat.pk not in members:
            raise ConflictError("您不是本评标委员会成员")
        if str(candidate.pk) not in session.chair_candidates:
            raise DomainError("被推举人不是本轮候选人", field="candidate")
        if ChairVote.objects.filter(
            session=session, round=session.chair_round, voter=seat
        ).exists():
            raise ConflictError("本轮已投票")
        ChairVote.objects.create(
            session=session,
            round=session.chair_round,
            voter=seat,
            candidate=candidate,
            at=timezone.now(),
        )
        audit_log(
            actor=actor,
            action="chair.vote",
            obj=session,
            organisation=session.host_centre,
            detail={"round": session.chair_round, "voter": seat.workstation.code},
        )
        votes = {
            str(voter): str(cand)
            for voter, cand in ChairVote.objects.filter(
                session=session, round=session.chair_round
            ).values_list("voter_id", "candidate_id")
        }
        if set(votes) >= {str(pk) for pk in members}:
            winner, tied = seating_rules.chair_tally(votes, session.chair_candidates)
            if winner is not None:
                session.chair_id = int(winner)
                session.chair_method = ChairMethod.ELECTED
                session.save(update_fields=["chair", "chair_method"])
            else:
                session.chair_round += 1
                session.chair_candidates = tied
                session.save(update_fields=["chair_round", "chair_candidates"])
            audit_log(
                actor=None,
                action="chair.tally",
                obj=session,
                organisation=session.host_centre,
                detail={
                    "round": session.chair_round - (0 if winner else 1),
                    "elected": winner,
                    "tied": tied,
                },
            )
    return session


def chair_appoint(*, actor, session: EvaluationSession, seat: Seat) -> EvaluationSession:
    """The tenderer appoints the chair instead of an election (equal vote all the same)."""
    with transaction.atomic():
        session = EvaluationSession.objects.select_for_update().get(pk=session.pk)
        _chair_open(session)
        if not committee_seats(session).filter(pk=seat.pk).exists():
            raise DomainError("被指定人不是本评标委员会成员", field="seat")
        session.chair = seat
        session.chair_method = ChairMethod.APPOINTED
        session.save(update_fields=["chair", "chair_method"])
        audit_log(
            actor=actor,
            action="chair.appoint",
            obj=session,
            organisation=session.host_centre,
            detail={"workstation": seat.workstation.code},
        )
    return session
