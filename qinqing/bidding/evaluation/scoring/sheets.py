"""The expert's sheet (背靠背): saving, submitting, the live sheets and deviation notes."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from django.db import connections, transaction
from django.utils import timezone

from qinqing.bidding.evaluation import rules
from qinqing.bidding.evaluation.scoring.common import (
    ENTRY_FIELDS,
    EntryIn,
    _checked_open,
    _open_stage,
    _rows_digest,
    _stage_items,
    check_member,
    decimal_or_none,
)
from qinqing.bidding.evaluation.selectors import scored_bidders, stage_criteria
from qinqing.bidding.models import (
    Criterion,
    DeviationNote,
    EvaluationSession,
    EvaluationStage,
    Incident,
    ScoreEntry,
    ScoreSheet,
    Seat,
    Stage,
)
from qinqing.core import rows
from qinqing.core.audit import AuditRecord, audit_append_sql, audit_head_ensure, audit_log
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import AuditChainHead

# --- the expert's sheet ---------------------------------------------------------------------


def _validated(
    entries: Sequence[EntryIn], stage: str, criteria: dict[str, Criterion], bidders: dict
) -> list[tuple[int, Criterion, Decimal | None, bool | None, str]]:
    seen = set()
    clean = []
    for n, entry in enumerate(entries, start=1):
        field = f"entries[{n}]"
        criterion = criteria.get(entry.criterion)
        if criterion is None:
            raise DomainError(f"第 {n} 项：评审项 {entry.criterion} 不属于本阶段", field=field)
        bidder = bidders.get(entry.bidder_id)
        if bidder is None:
            raise DomainError(f"第 {n} 项：投标人不在本阶段的评审范围内", field=field)
        key = (entry.bidder_id, criterion.code)
        if key in seen:
            raise DomainError(f"第 {n} 项：{bidder}的“{criterion.name}”重复填写", field=field)
        seen.add(key)
        note = (entry.note or "").strip()
        if len(note) > 500:
            raise DomainError(f"第 {n} 项：评审意见不能超过 500 字", field=field)
        label = f"{bidder}的“{criterion.name}”"
        if stage == Stage.REVIEW:
            if entry.passed is None:
                clean.append((entry.bidder_id, criterion, None, None, note))
                continue
            if entry.passed is False and not note:
                raise DomainError(f"{label}判为不通过，须写明理由", field=field)
            clean.append((entry.bidder_id, criterion, None, bool(entry.passed), note))
            continue
        if entry.score is None:
            clean.append((entry.bidder_id, criterion, None, None, note))
            continue
        score = entry.score
        if isinstance(score, float) or not isinstance(score, Decimal | int):
            score = decimal_or_none(score, field, f"{label}的分值")
        score = Decimal(score)
        if not score.is_finite() or score < 0 or score > criterion.max_score:
            raise DomainError(f"{label}的分值须在 0 至 {criterion.max_score} 之间", field=field)
        if Fraction(score) / Fraction(criterion.step) % 1:
            raise DomainError(f"{label}的分值须为 {criterion.step} 的整数倍", field=field)
        clean.append((entry.bidder_id, criterion, score, None, note))
    return clean


# `supervision.session_paused` as a column of the statement that reads the stage.
_PAUSED_SQL = (
    "EXISTS (SELECT 1 FROM {t} WHERE session_id = %s AND pauses = %s AND resolved_at IS NULL)"
)


def _entries_write(sheet: ScoreSheet, written) -> None:
    """Insert or update the sheet's entries, given as (bidder id, criterion id, score, passed,
    note) (one statement)."""
    rows.upsert(
        ScoreEntry,
        ("sheet_id", "bidder_id", "criterion_id", *ENTRY_FIELDS),
        [(sheet.pk, *row) for row in written],
        unique_fields=["sheet", "bidder", "criterion"],
        update_fields=ENTRY_FIELDS,
    )


def sheet_save(*, actor, seat: Seat, stage: str, entries: Sequence[EntryIn]) -> ScoreSheet:
    """Save (part of) an expert's own draft sheet; a submitted sheet is locked. (Statements:
    one reads the stage and the pause and locks the sheet; then the writes, on PostgreSQL in
    one statement with the audit entry, elsewhere one each.)"""
    session = check_member(seat)
    with transaction.atomic():
        state, sheet, head = _stage_and_sheet(session, seat, stage, lock_stage=False)
        criteria, bidders = _stage_items(session, state)
        clean = _validated(entries, stage, criteria, bidders)
        _check_sheet(sheet)
        if sheet.status == ScoreSheet.Status.SUBMITTED:
            raise ConflictError("评分表已提交锁定；如需修改，请评标委员会负责人退回")
        sheet.updated_at = timezone.now()
        detail = {"stage": stage, "entries": len(clean), "workstation": seat.workstation.code}
        _sheet_writes(
            session,
            sheet,
            _as_stored(clean),
            ["updated_at"],
            AuditRecord("sheet.save", actor, sheet, seat.seating.centre, detail),
            head=head,
            ask_last=False,
        )
    return sheet


def _missing(sheet: ScoreSheet, stored, criteria, bidders) -> list[str]:
    filled = {
        (b, c)
        for b, c, score, passed, _note in stored
        if (score if sheet.stage != Stage.REVIEW else passed) is not None
    }
    return [
        f"{bidder.name}：{c.name}"
        for bidder in bidders
        for c in criteria
        if (bidder.pk, c.pk) not in filled
    ]


def _entry_rows(sheet: ScoreSheet) -> list[tuple]:
    return rows.select_values(
        ScoreEntry, ("bidder", "criterion", "score", "passed", "note"), "sheet_id = %s", [sheet.pk]
    )


def sheet_missing(sheet: ScoreSheet) -> list[str]:
    """What is still blank on a sheet, as '投标人：评审项' labels."""
    session = sheet.session
    return _missing(
        sheet,
        _entry_rows(sheet),
        list(stage_criteria(session, sheet.stage)),
        list(scored_bidders(session, sheet.stage)),
    )


_stage_and_sheet_sql: dict[tuple[str, bool], str] = {}


def _stage_and_sheet(
    session: EvaluationSession, seat: Seat, stage: str, *, lock_stage: bool
) -> tuple[EvaluationStage, ScoreSheet | None, bool]:
    """In one statement: the stage (locked with `lock_stage`); whether an incident pauses the
    session; the member's sheet of the stage, locked (after the stage; None if there is
    none); whether the audit chain's head exists. Raises unless the stage is open and not
    paused (the stage's errors come first, then the caller validates the entries, then
    `_check_sheet`: the order the messages always had)."""
    connection = connections[ScoreSheet.objects.db]
    stage_cols = rows.columns(EvaluationStage, "st", using=connection.alias)
    sheet_cols = rows.columns(ScoreSheet, "sh", using=connection.alias)
    key = (connection.vendor, lock_stage)
    sql = _stage_and_sheet_sql.get(key)
    if sql is None:
        qn = connection.ops.quote_name
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        # MATERIALIZED: each part runs once, the stage's before the sheet's (the sheet's
        # condition reads the stage's result), so the locks are taken in that order.
        materialized = "MATERIALIZED " if connection.vendor == "postgresql" else ""
        sql = _stage_and_sheet_sql[key] = (
            f"WITH st AS {materialized}(SELECT * FROM {qn(EvaluationStage._meta.db_table)}"  # noqa: S608
            f" WHERE session_id = %s AND stage = %s{lock if lock_stage else ''}),"
            f" sh AS {materialized}(SELECT * FROM {qn(ScoreSheet._meta.db_table)}"
            f" WHERE seat_id = %s AND stage = %s AND EXISTS (SELECT 1 FROM st){lock})"
            f" SELECT {stage_cols.sql}, {_PAUSED_SQL.format(t=qn(Incident._meta.db_table))},"
            f" EXISTS (SELECT 1 FROM {qn(AuditChainHead._meta.db_table)} WHERE id = 1),"
            f" {sheet_cols.sql} FROM st LEFT JOIN sh ON TRUE"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [session.pk, stage, seat.pk, stage, session.pk, True])
        row = cursor.fetchone()
    if row is None:
        raise ConflictError("该评审阶段尚未开始")
    n = len(stage_cols)
    state = stage_cols.load(row[:n], connection)
    if row[n]:
        raise ConflictError("评标已暂停，恢复后方可继续评分")
    _checked_open(state)
    return state, sheet_cols.load(row[n + 2 :], connection), bool(row[n + 1])


def _check_sheet(sheet: ScoreSheet | None) -> None:
    if sheet is None:
        raise ConflictError("您在该阶段没有评分表")
    if sheet.status == ScoreSheet.Status.VOID:
        raise ConflictError("您的评分表已作废")


_CENT = Decimal("0.01")


def _as_stored(clean) -> list[tuple]:
    """Validated entries as the rows `_entry_rows` reads back once written: (bidder id,
    criterion id, score, passed, note), the score with the column's two decimals (exact: a
    multiple of the item's step, itself of two decimals at most; `abs` turns a typed -0 into
    the 0 the column holds). These values are what is written, too."""
    return [
        (b, c.pk, None if score is None else abs(score).quantize(_CENT), passed, note)
        for b, c, score, passed, note in clean
    ]


def sheet_submit(
    *, actor, seat: Seat, stage: str, entries: Sequence[EntryIn] | None = None
) -> ScoreSheet:
    """Submit and lock the sheet; with `entries`, they are saved first in the same transaction
    (all or nothing: a sheet still incomplete after them is neither saved nor submitted). When
    it is the stage's last sheet, compute the deviation notes.

    Statements: one that locks the stage and the sheet (and reads the pause); when `entries`
    leave a pair of the stage out, one that reads the stored entries; then the writes: on
    PostgreSQL one statement (entries, sheet, "last sheet?", audit entry hashed in the
    database), elsewhere one each."""
    session = check_member(seat)
    with transaction.atomic():
        # Submits of one stage take turns (each holds the stage row locked until its commit),
        # so exactly one of them sees itself as the last and computes the deviation notes (two
        # concurrent last submits would each miss the other). The "last sheet?" question is
        # asked by a statement that starts after the lock was granted, so that it sees every
        # submit that held the lock before (READ COMMITTED: a statement's snapshot is taken
        # when it starts; the locking statement's own snapshot predates the wait).
        state, sheet, head = _stage_and_sheet(session, seat, stage, lock_stage=True)
        criteria, bidders = _stage_items(session, state)
        clean = _validated(entries, stage, criteria, bidders) if entries is not None else None
        _check_sheet(sheet)
        if sheet.status == ScoreSheet.Status.SUBMITTED:
            raise ConflictError("评分表已提交")
        written = _as_stored(clean or ())
        if len(written) == len(criteria) * len(bidders):
            # Every pair of the stage is given (`_validated` refuses repeats and pairs outside
            # the stage): the sheet's rows will be exactly these, no need to read them.
            stored = written
        else:
            # The rows as they will be: the stored ones (read under the sheet's lock), with
            # the given ones written over them.
            merged = {(r[0], r[1]): r for r in _entry_rows(sheet)}
            merged.update(((r[0], r[1]), r) for r in written)
            stored = list(merged.values())
        missing = _missing(sheet, stored, criteria.values(), bidders.values())
        if missing:
            shown = "、".join(missing[:5]) + (f" 等 {len(missing)} 项" if len(missing) > 5 else "")
            raise DomainError(f"评分表尚未填写完整：{shown}", field="entries")
        now = timezone.now()
        sheet.status = ScoreSheet.Status.SUBMITTED
        sheet.submitted_at = now
        sheet.updated_at = now
        detail = {
            "stage": stage,
            "workstation": seat.workstation.code,
            "content_sha256": _rows_digest(stored),
        }
        if clean is not None:
            detail["entries"] = len(clean)
        last = _sheet_writes(
            session,
            sheet,
            written,
            ["status", "submitted_at", "updated_at"],
            AuditRecord("sheet.submit", actor, sheet, seat.seating.centre, detail),
            head=head,
            ask_last=True,
        )
        if last:
            deviations_compute(session, stage)
    return sheet


def _sheet_writes(
    session: EvaluationSession,
    sheet: ScoreSheet,
    written: list[tuple],
    fields: list[str],
    record: AuditRecord,
    *,
    head: bool,
    ask_last: bool,
) -> bool:
    """A sheet write under the sheet's lock: the entries (upserted), the sheet's `fields`, the
    audit entry; with `ask_last`, whether no other live sheet of the stage is still a draft
    (False without it).

    On PostgreSQL all in one statement, the audit entry hashed in the database
    (`audit_append_sql`); for a submit it runs after `_stage_and_sheet` locked the stage, so
    its snapshot holds every earlier submit of the stage (see `sheet_submit`); the sheet's own
    update is not visible to the statement itself, hence `id <> sheet`. Elsewhere one
    statement each, as `audit_log` appends."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        if written:
            _entries_write(sheet, written)
        rows.update(sheet, fields)
        last = ask_last and not rows.exists(
            ScoreSheet,
            "session_id = %s AND stage = %s AND status NOT IN (%s, %s)",
            [session.pk, sheet.stage, ScoreSheet.Status.SUBMITTED, ScoreSheet.Status.VOID],
        )
        audit_log(
            actor=record.actor,
            action=record.action,
            obj=record.obj,
            organisation=record.organisation,
            detail=record.detail,
        )
        return last
    if not head:
        audit_head_ensure()
    qn = connection.ops.quote_name
    ctes, params = [], []
    if written:
        sql, entry_params = rows.upsert_sql(
            ScoreEntry,
            ("sheet_id", "bidder_id", "criterion_id", *ENTRY_FIELDS),
            [(sheet.pk, *row) for row in written],
            unique_fields=["sheet", "bidder", "criterion"],
            update_fields=ENTRY_FIELDS,
            using=connection.alias,
        )
        ctes.append(f"entries_set AS ({sql})")
        params += entry_params
    sql, sheet_params = rows.update_sql(sheet, fields, using=connection.alias)
    ctes.append(f"sheet_set AS ({sql})")
    params += sheet_params
    append = audit_append_sql([record], using=connection.alias)
    ctes += append.ctes
    params += append.params
    if ask_last:
        table = qn(ScoreSheet._meta.db_table)
        last_sql = (
            f"NOT EXISTS (SELECT 1 FROM {table} WHERE session_id = %s AND stage = %s"  # noqa: S608
            " AND status NOT IN (%s, %s) AND id <> %s)"
        )
        params += [
            session.pk,
            sheet.stage,
            ScoreSheet.Status.SUBMITTED,
            ScoreSheet.Status.VOID,
            sheet.pk,
        ]
    else:
        last_sql = "FALSE"
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE {', '.join(ctes)} SELECT {last_sql}, {append.returning}", params
        )
        last, ids, chain = cursor.fetchone()
    append.finish(ids, chain)
    return last


def live_sheets(session: EvaluationSession, stage: str):
    return ScoreSheet.objects.filter(session=session, stage=stage).exclude(
        status=ScoreSheet.Status.VOID
    )


def deviations_compute(session: EvaluationSession, stage: str) -> int:
    """Deviation notes per the plan (design: score deviation), kept with their explanations
    when a recomputation finds the same deviation again."""
    if stage != Stage.DETAILED:
        return 0
    plan = session.plan
    sheets = {str(s.pk): s for s in live_sheets(session, stage)}
    criteria = {c.code: c for c in stage_criteria(session, stage)}
    by_id = {c.pk: c.code for c in criteria.values()}
    scores: dict[int, dict[str, dict[str, Decimal]]] = {}
    for sheet_id, bidder_id, criterion_id, score in ScoreEntry.objects.filter(
        sheet_id__in=[int(s) for s in sheets]
    ).values_list("sheet_id", "bidder_id", "criterion_id", "score"):
        scores.setdefault(bidder_id, {}).setdefault(str(sheet_id), {})[by_id[criterion_id]] = score
    old = {
        (n.sheet_id, n.bidder_id, n.criterion_id): n.explanation
        for n in DeviationNote.objects.filter(sheet__session=session, sheet__stage=stage)
    }
    notes = []
    for bidder_id, by_expert in scores.items():
        for warning in rules.deviation_warnings(
            by_expert, plan.deviation_threshold, plan.deviation_basis, plan.deviation_mean_of
        ):
            criterion = criteria[warning.item] if warning.item else None
            key = (int(warning.expert), bidder_id, criterion.pk if criterion else None)
            explanation = old.get(key, "")
            notes.append(
                DeviationNote(
                    sheet=sheets[warning.expert],
                    bidder_id=bidder_id,
                    criterion=criterion,
                    score=warning.score,
                    mean=warning.mean,
                    ratio=warning.ratio if warning.ratio.is_finite() else None,
                    explanation=explanation,
                    explained_at=timezone.now() if explanation else None,
                )
            )
    DeviationNote.objects.filter(sheet__session=session, sheet__stage=stage).delete()
    DeviationNote.objects.bulk_create(notes)
    audit_log(
        actor=None,
        action="deviation.compute",
        obj=session,
        organisation=session.host_centre,
        detail={"stage": stage, "notes": len(notes), "threshold": str(plan.deviation_threshold)},
    )
    return len(notes)


def deviation_explain(*, actor, seat: Seat, note: DeviationNote, explanation: str) -> DeviationNote:
    """The expert's written explanation of a deviating score (needed before the stage closes)."""
    explanation = (explanation or "").strip()
    if len(explanation) < 5:
        raise DomainError("请写明评分偏离的理由（不少于 5 个字）", field="explanation")
    if len(explanation) > 2000:
        raise DomainError("说明不能超过 2000 字", field="explanation")
    session = check_member(seat)
    if note.sheet.seat_id != seat.pk:
        raise DomainError("只能说明本人的评分", field="note")
    _open_stage(session, note.sheet.stage)
    with transaction.atomic():
        note.explanation = explanation
        note.explained_at = timezone.now()
        note.save(update_fields=["explanation", "explained_at"])
        audit_log(
            actor=actor,
            action="deviation.explain",
            obj=note,
            organisation=seat.seating.centre,
            detail={"workstation": seat.workstation.code},
        )
    return note
