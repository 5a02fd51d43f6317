"""Writes of the draw: quotas and manual exclusions, the verifiable draw (commit, witness), calling
the drawn experts and recording their answers, closing a session that did not go ahead, names
and proofs."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from qinqing.bidding.draw import rules
from qinqing.bidding.draw.pools import evaluate_pool
from qinqing.bidding.models import (
    Draw,
    DrawOutcome,
    DrawQuota,
    EvaluationSession,
    Expert,
    ManualExclusion,
    Project,
    RuleSet,
    Seating,
    Section,
    Speciality,
)
from qinqing.bidding.permissions import result_is_final
from qinqing.bidding.projects.rules import bidders_sufficient
from qinqing.bidding.seating import services as seating_services
from qinqing.core import crypto, rows
from qinqing.core.audit import AuditRecord, audit_append_sql, audit_log, audit_log_many
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import Organisation
from qinqing.core.notifier import Message, notification_audit_record, notification_send_many
from qinqing.core.permissions import can

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
    """Set (or change, before any draw) one centre's quota for a session: only that centre's
    own administrators set it (each centre draws from its own database)."""
    is_guest = session.guest_centres.filter(pk=centre.pk).exists()
    if centre.pk != session.host_centre_id and not is_guest:
        raise DomainError("只能为本场次的主场或客场设置抽取需求", field="centre")
    if not can(actor, "bidding.set_quota", centre):
        raise DomainError(
            f"抽取需求由{centre.name}的管理员设置", field="centre", code="not_own_centre"
        )
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
        DrawOutcome.objects.filter(session=session, expert__isnull=False).values_list(
            "expert__code", flat=True
        )
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
    # Art.44 before anyone is invited, not at the opening: with fewer than 3 bidders there
    # is nothing to evaluate.
    if problems := bidders_sufficient(session.section.bidders.count()):
        raise ConflictError(problems[0], code="too_few_bidders")
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


def lock_database(quota: DrawQuota) -> None:
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
    """The draw's result, its outcomes and the session's status (`refresh_session_status`):
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


def refresh_session_status(session: EvaluationSession) -> None:
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
    """`refresh_session_status` in one statement; returns the new status, or None when it
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
        lock_database(outcome.draw.quota)
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
        refresh_session_status(outcome.session)
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
            seating_services.seating_assign(
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
            lock_database(outcome.draw.quota)
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
            refresh_session_status(outcome.session)
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
    """The whole proof (the pool and who was drawn) is public once the session's result is
    final; before that, only what identifies nobody."""
    return draw.status == Draw.Status.DRAWN and result_is_final(draw.quota.session)
