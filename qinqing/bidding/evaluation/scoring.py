"""Writes of the evaluation itself: the scoring plan, isolated sheets (背靠背), deviation
notes, closing stages, aggregation and ranking (design: "Evaluation session").

Flow: ``plan_set`` before the start → ``session_start`` (services) calls ``evaluation_open``
which copies the template into the session's criteria and opens the preliminary review
(初步评审) → each member saves and submits a sheet → the chair closes the stage → the
detailed review (详细评审) for the bids that passed → the chair closes it → price scores,
totals and the ranking are computed (汇总); bids still tied go to a verifiable lot witnessed by
the supervisor. A sheet stays private to its expert until its stage is closed.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.db import connections, transaction
from django.utils import timezone

from qinqing.bidding.draw import rules as draw_rules
from qinqing.bidding.evaluation import rules
from qinqing.bidding.evaluation.selectors import is_paused, scored_bidders, stage_criteria
from qinqing.bidding.models import (
    SHEET_STAGES,
    Bidder,
    BidResult,
    CoefficientDraw,
    Criterion,
    DeviationNote,
    DrawOutcome,
    EvaluationSession,
    EvaluationStage,
    Incident,
    LowBidFlag,
    PriceFormula,
    Project,
    RankingLot,
    RuleSet,
    ScoreEntry,
    ScoreSheet,
    ScoringPlan,
    Seat,
    Stage,
)
from qinqing.core import crypto, rows
from qinqing.core.audit import AuditRecord, audit_append_sql, audit_head_ensure, audit_log
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import AuditChainHead

TECHNICAL_GROUP = "technical"
ENTRY_FIELDS = ("score", "passed", "note")


@dataclass(frozen=True)
class EntryIn:
    """One judgement typed by an expert: a score (detailed review) or pass/fail (review)."""

    bidder_id: int
    criterion: str
    score: Decimal | None = None
    passed: bool | None = None
    note: str = ""


def decimal_or_none(value, field: str, label: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise DomainError(f"{label}须为数字", field=field) from None
    if not result.is_finite():
        raise DomainError(f"{label}须为数字", field=field)
    return result


def _mark_closed(state: EvaluationStage) -> None:
    state.status = EvaluationStage.Status.CLOSED
    state.closed_at = timezone.now()
    state.save(update_fields=["status", "closed_at"])


def stage_open(session: EvaluationSession, stage: str, members: Sequence[Seat]) -> None:
    now = timezone.now()
    EvaluationStage.objects.create(session=session, stage=stage, opened_at=now)
    if stage in SHEET_STAGES:
        ScoreSheet.objects.bulk_create(
            [ScoreSheet(session=session, seat=m, stage=stage, updated_at=now) for m in members]
        )
    audit_log(
        actor=None,
        action="stage.open",
        obj=session,
        organisation=session.host_centre,
        detail={"stage": stage, "members": len(members)},
    )


def check_member(seat: Seat) -> EvaluationSession:
    if seat.signed_in_at is None:
        raise ConflictError("请先签到")
    if seat.outcome.status != DrawOutcome.Status.CONFIRMED:
        raise ConflictError("您已回避或已不在本次评标名单中")
    session = seat.outcome.session
    if session.status != EvaluationSession.Status.IN_PROGRESS:
        raise ConflictError("评标尚未开始或已结束")
    return session


def _open_stage(session: EvaluationSession, stage: str) -> EvaluationStage:
    return _checked_open(
        EvaluationStage.objects.filter(session=session, stage=stage).order_by("pk").first()
    )


def _checked_open(state: EvaluationStage | None) -> EvaluationStage:
    if state is None:
        raise ConflictError("该评审阶段尚未开始")
    if state.status != EvaluationStage.Status.OPEN:
        raise ConflictError("该评审阶段已结束")
    return state


_STAGE_ITEMS: dict[tuple, tuple[dict[str, Criterion], dict[int, Bidder]]] = {}


def _stage_items(
    session: EvaluationSession, state: EvaluationStage
) -> tuple[dict[str, Criterion], dict[int, Bidder]]:
    """Criteria (by code) and bidders (by id) of an open stage. Neither can change while the
    stage is open (criteria are copied at the start, the detailed review's bids are fixed when
    the review closes), so each process keeps them, keyed by the stage row and its opening."""
    key = (state.pk, state.opened_at)
    items = _STAGE_ITEMS.get(key)
    if items is None:
        items = (
            {c.code: c for c in stage_criteria(session, state.stage)},
            {b.pk: b for b in scored_bidders(session, state.stage)},
        )
        if len(_STAGE_ITEMS) > 1024:
            _STAGE_ITEMS.clear()
        _STAGE_ITEMS[key] = items
    return items


def _rows_digest(stored) -> str:
    """A digest of a sheet's content for the audit log (the values stay out of the log)."""
    canonical = sorted((b, c, str(score), passed, note) for b, c, score, passed, note in stored)
    return hashlib.sha256(json.dumps(canonical, ensure_ascii=False).encode()).hexdigest()


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


# --- the chair ------------------------------------------------------------------------------


def _require_chair(seat: Seat) -> EvaluationSession:
    session = check_member(seat)
    if session.chair_id != seat.pk:
        raise ConflictError("仅评标委员会负责人可以执行此操作")
    return session


def sheet_reopen(*, actor, seat: Seat, sheet: ScoreSheet, reason: str) -> ScoreSheet:
    """The chair returns a submitted sheet to its expert, with a reason (audited)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请写明退回修改的理由", field="reason")
    session = _require_chair(seat)
    if sheet.session_id != session.pk:
        raise DomainError("该评分表不属于本场评标", field="sheet")
    _open_stage(session, sheet.stage)
    with transaction.atomic():
        sheet = ScoreSheet.objects.select_for_update().get(pk=sheet.pk)
        if sheet.status != ScoreSheet.Status.SUBMITTED:
            raise ConflictError("只有已提交的评分表可以退回")
        sheet.status = ScoreSheet.Status.DRAFT
        sheet.submitted_at = None
        sheet.reopen_count += 1
        sheet.save(update_fields=["status", "submitted_at", "reopen_count"])
        audit_log(
            actor=actor,
            action="sheet.reopen",
            obj=sheet,
            organisation=session.host_centre,
            detail={
                "stage": sheet.stage,
                "reason": reason,
                "chair": seat.workstation.code,
                "workstation": sheet.seat.workstation.code,
            },
        )
    return sheet


def close_problems(session: EvaluationSession, stage: str) -> list[str]:
    problems = []
    pending = live_sheets(session, stage).exclude(status=ScoreSheet.Status.SUBMITTED)
    if pending.exists():
        codes = "、".join(pending.values_list("seat__workstation__code", flat=True))
        problems.append(f"尚有评分表未提交：{codes}")
    unexplained = DeviationNote.objects.filter(
        sheet__session=session, sheet__stage=stage, explained_at__isnull=True
    ).exclude(sheet__status=ScoreSheet.Status.VOID)
    if unexplained.exists():
        codes = "、".join(
            sorted(set(unexplained.values_list("sheet__seat__workstation__code", flat=True)))
        )
        problems.append(f"评分偏离尚未书面说明：{codes}")
    if is_paused(session):
        problems.append("评标处于暂停状态")
    return problems


def stage_close(*, actor, seat: Seat, stage: str) -> EvaluationStage:
    """The chair closes a stage: sheets become visible to the committee, the next stage opens
    (or the results are computed)."""
    session = _require_chair(seat)
    with transaction.atomic():
        session = EvaluationSession.objects.select_for_update().get(pk=session.pk)
        state = _open_stage(session, stage)
        if stage not in SHEET_STAGES:
            raise ConflictError("该阶段由系统计算，无需手动结束")
        problems = close_problems(session, stage)
        if problems:
            raise ConflictError("不能结束本阶段：" + "；".join(problems))
        _mark_closed(state)
        audit_log(
            actor=actor,
            action="stage.close",
            obj=session,
            organisation=session.host_centre,
            detail={"stage": stage, "chair": seat.workstation.code},
        )
        members = [s.seat for s in live_sheets(session, stage).select_related("seat")]
        if stage == Stage.REVIEW:
            passing = _review_record(session)
            detailed = stage_criteria(session, Stage.DETAILED).exists()
            if (
                detailed
                and passing
                and session.section.project.method == Project.Method.COMPREHENSIVE
            ):
                stage_open(session, Stage.DETAILED, members)
                return state
        summary_when_ready(session)
    return state


def _review_record(session: EvaluationSession) -> int:
    """Write each bid's preliminary-review outcome (a majority of experts failing an item
    fails it, 评标委员会和评标方法暂行规定 Art.20–23); returns how many bids passed."""
    criteria = {c.pk: c.code for c in stage_criteria(session, Stage.REVIEW)}
    votes: dict[int, dict[str, dict[str, bool]]] = {
        b.pk: {code: {} for code in criteria.values()}
        for b in scored_bidders(session, Stage.REVIEW)
    }
    for sheet_id, bidder_id, criterion_id, passed in ScoreEntry.objects.filter(
        sheet__in=live_sheets(session, Stage.REVIEW)
    ).values_list("sheet_id", "bidder_id", "criterion_id", "passed"):
        votes[bidder_id][criteria[criterion_id]][str(sheet_id)] = passed
    outcomes = rules.review_outcomes(votes)
    BidResult.objects.filter(session=session).delete()
    BidResult.objects.bulk_create(
        [
            BidResult(
                session=session,
                bidder_id=bidder_id,
                passed_review=all(items.values()),
                review=items,
            )
            for bidder_id, items in outcomes.items()
        ]
    )
    passing = sum(all(items.values()) for items in outcomes.values())
    audit_log(
        actor=None,
        action="review.record",
        obj=session,
        organisation=session.host_centre,
        detail={"bidders": len(outcomes), "passed": passing},
    )
    _low_bids_flag(session)
    return passing


def low_bid_rule(plan: ScoringPlan) -> rules.LowBidRule:
    """The plan's abnormally-low-bid rule (the tender documents' figures)."""
    return rules.LowBidRule(
        share=plan.low_bid_share, basis=plan.low_bid_basis, cost_line=plan.low_bid_cost_line
    )


def _low_bids_flag(session: EvaluationSession) -> int:
    """Flag the compliant bids the plan's rule finds abnormally low, before any price scoring
    (暂行规定 Art.21; 87号令 Art.60): the quoted prices of the bids that passed the review."""
    prices = {
        str(bidder_id): price
        for bidder_id, price in BidResult.objects.filter(
            session=session, passed_review=True
        ).values_list("bidder_id", "bidder__bid_price")
    }
    LowBidFlag.objects.filter(session=session).delete()
    if not prices:
        return 0
    flags = rules.abnormally_low(prices, rule=low_bid_rule(session.plan))
    now = timezone.now()
    LowBidFlag.objects.bulk_create(
        [
            LowBidFlag(
                session=session,
                bidder_id=int(flag.bidder),
                price=flag.price,
                trips=[
                    {
                        "test": trip.test,
                        "threshold": str(trip.threshold),
                        "mean": None if trip.mean is None else str(trip.mean),
                    }
                    for trip in flag.trips
                ],
                flagged_at=now,
            )
            for flag in flags
        ]
    )
    if flags:
        audit_log(
            actor=None,
            action="lowbid.flag",
            obj=session,
            organisation=session.host_centre,
            detail={
                "bidders": [flag.bidder for flag in flags],
                "trips": {f.bidder: [t.test for t in f.trips] for f in flags},
            },
        )
    return len(flags)


def low_bids_pending(session: EvaluationSession) -> bool:
    """Whether a flagged bid still waits for the committee's conclusion."""
    return LowBidFlag.objects.filter(
        session=session,
        status__in=(LowBidFlag.Status.FLAGGED, LowBidFlag.Status.REQUESTED),
    ).exists()


def summary_when_ready(session: EvaluationSession) -> bool:
    """Open the summary (price scores, totals, ranking) once the scored stages are closed and
    no flagged low bid waits for the committee's conclusion; returns whether it opened."""
    if EvaluationStage.objects.filter(session=session, stage=Stage.SUMMARY).exists():
        return False
    if EvaluationStage.objects.filter(
        session=session, stage__in=SHEET_STAGES, status=EvaluationStage.Status.OPEN
    ).exists():
        return False
    if low_bids_pending(session):
        audit_log(
            actor=None,
            action="summary.wait",
            obj=session,
            organisation=session.host_centre,
            detail={"reason": "low_bids"},
        )
        return False
    _summary_open(session)
    return True


# --- the summary: price scores, totals, ranking ---------------------------------------------


def _price_scores(
    session: EvaluationSession, plan: ScoringPlan, prices: dict[int, Decimal]
) -> dict[int, Decimal]:
    if not prices:
        return {}
    if plan.price_formula in (PriceFormula.K_FACTOR, PriceFormula.K_DRAWN):
        return rules.k_factor_scores(
            prices,
            plan.price_weight,
            k=plan.k if plan.price_formula == PriceFormula.K_FACTOR else drawn_k(session),
            deduct_above=plan.deduct_above,
            deduct_below=plan.deduct_below,
            drop_extremes_from=plan.drop_price_extremes_from,
        )
    return rules.low_price_scores(prices, plan.price_weight)


def drawn_k(session: EvaluationSession) -> Decimal:
    draw = CoefficientDraw.objects.filter(session=session, witnessed_at__isnull=False).first()
    if draw is None or draw.k is None:
        raise ConflictError("K 值尚未在开标时抽取")
    return draw.k


def is_procurement(project: Project) -> bool:
    """The procedure type: government procurement (政府采购法, 87号令) or a tender under the
    招标投标法 (the project's rule set says which)."""
    return project.rule_set.kind == RuleSet.Kind.PROCUREMENT


def evaluated_prices(
    session: EvaluationSession, plan: ScoringPlan, bidders: dict[int, Bidder]
) -> dict[int, Decimal]:
    """The prices that enter scoring or ranking: in procurement with a deduction rate, a
    declared small or micro enterprise's price less the rate (财库〔2020〕46号 Art.9); the
    quoted price otherwise. Never the contract price."""
    prices = {pk: b.bid_price for pk, b in bidders.items()}
    if not prices or not is_procurement(session.section.project) or plan.sme_deduction is None:
        return prices
    return rules.sme_evaluated_prices(
        prices, {pk: b.size for pk, b in bidders.items()}, plan.sme_deduction
    )


def _summary_open(session: EvaluationSession) -> None:
    now = timezone.now()
    EvaluationStage.objects.create(session=session, stage=Stage.SUMMARY, opened_at=now)
    _summarise(session, lot=None)


def _summarise(session: EvaluationSession, lot: rules.Lot | None) -> bool:
    """Compute totals and the ranking into BidResult; returns False when a lot is needed."""
    plan = session.plan
    project = session.section.project
    results = {
        r.bidder_id: r for r in BidResult.objects.filter(session=session).select_related("bidder")
    }
    rejected = set(
        LowBidFlag.objects.filter(session=session, status=LowBidFlag.Status.REJECTED).values_list(
            "bidder_id", flat=True
        )
    )
    # A bid rejected as abnormally low is out: the prices are scored over the remaining bids.
    passing = {b: r for b, r in results.items() if r.passed_review and b not in rejected}
    prices = {b: r.bidder.bid_price for b, r in passing.items()}
    scored = evaluated_prices(session, plan, {b: r.bidder for b, r in passing.items()})
    procedure = "procurement" if is_procurement(project) else "construction"
    try:
        if project.method == Project.Method.COMPREHENSIVE:
            price_scores = _price_scores(session, plan, scored)
            sheets: dict[str, dict[int, Decimal]] = {}
            technical: dict[str, dict[int, Decimal]] = {}
            for sheet_id, bidder_id, score, group in ScoreEntry.objects.filter(
                sheet__in=live_sheets(session, Stage.DETAILED)
            ).values_list("sheet_id", "bidder_id", "score", "criterion__group"):
                if bidder_id not in passing:  # a bid rejected as abnormally low
                    continue
                key = str(sheet_id)
                sheets.setdefault(key, {}).setdefault(bidder_id, Decimal(0))
                sheets[key][bidder_id] += score
                technical.setdefault(key, {}).setdefault(bidder_id, Decimal(0))
                if group == TECHNICAL_GROUP:
                    technical[key][bidder_id] += score
            if passing and not sheets:  # no detailed items: price only
                sheets = {"-": dict.fromkeys(passing, Decimal(0))}
                technical = sheets
            totals = (
                rules.final_scores(sheets, price_scores, drop_extremes=plan.drop_score_extremes)
                if passing
                else {}
            )
            means = (
                rules.subjective_means(sheets, drop_extremes=plan.drop_score_extremes)
                if passing
                else {}
            )
            tech = (
                rules.subjective_means(technical, drop_extremes=plan.drop_score_extremes)
                if passing
                else {}
            )
            for bidder_id, result in passing.items():
                result.subjective = means[bidder_id]
                result.technical = tech[bidder_id]
                result.price_score = price_scores[bidder_id]
                result.total = totals[bidder_id]
                result.evaluated_price = rules.round_half_up(scored[bidder_id])
            # 87号令 Art.65 orders equal totals by the quoted price, not the deducted one.
            ranking = rules.rank_comprehensive(
                [rules.RankEntry(str(b), totals[b], prices[b], tech[b]) for b in passing],
                lot,
                procedure=procedure,
                tie_method=plan.tie_method,
            )
        else:
            for bidder_id, result in passing.items():
                result.evaluated_price = rules.round_half_up(scored[bidder_id])
            ranking = rules.rank_lowest_price(
                {str(b): scored[b] for b in passing},
                {str(b): passing[b].review for b in passing},
                lot,
            )
    except rules.TieError as tie:
        _lot_commit(session, tie.groups)
        BidResult.objects.bulk_update(
            list(results.values()),
            ["subjective", "technical", "price_score", "total", "evaluated_price"],
        )
        return False
    top = set(rules.candidates(ranking, plan.candidate_count)) if ranking else set()
    for position, bidder in enumerate(ranking, start=1):
        results[int(bidder)].rank = position
        results[int(bidder)].candidate = bidder in top
    BidResult.objects.bulk_update(
        list(results.values()),
        ["subjective", "technical", "price_score", "total", "evaluated_price", "rank", "candidate"],
    )
    _mark_closed(EvaluationStage.objects.get(session=session, stage=Stage.SUMMARY))
    audit_log(
        actor=None,
        action="results.rank",
        obj=session,
        organisation=session.host_centre,
        detail={
            "ranking": [results[int(b)].bidder.uscc for b in ranking],
            "candidates": [results[int(b)].bidder.uscc for b in ranking[: len(top)]],
            "lot": lot.draw_id if lot else None,
        },
    )
    return True


def _lot_commit(session: EvaluationSession, groups: list[list[str]]) -> RankingLot:
    nonce = secrets.token_bytes(draw_rules.NONCE_BYTES)
    lot = RankingLot.objects.create(
        session=session,
        draw_id=f"QQL-{timezone.localtime(session.starts_at):%Y%m%d}-{session.pk:05d}",
        tied=groups,
        server_nonce_cipher=crypto.encrypt(nonce.hex()),
        commitment=draw_rules.commitment(nonce),
        committed_at=timezone.now(),
    )
    audit_log(
        actor=None,
        action="lot.commit",
        obj=lot,
        organisation=session.host_centre,
        detail={"draw_id": lot.draw_id, "tied": groups, "commitment": lot.commitment},
    )
    return lot


def lot_witness(*, actor, lot: RankingLot, witness_entropy: str) -> RankingLot:
    """The supervisor witnesses the lot that orders tied bids (QQ-DRAW-1 over the bidder ids)."""
    witness_entropy = (witness_entropy or "").strip()
    if len(witness_entropy) > 200:
        raise DomainError("见证人输入不能超过200个字符", field="witness_entropy")
    with transaction.atomic():
        lot = RankingLot.objects.select_for_update().get(pk=lot.pk)
        if lot.witnessed_at is not None:
            raise ConflictError("该抽签已见证")
        lot.witness_entropy = witness_entropy
        lot.witnessed_by = actor
        lot.witnessed_at = timezone.now()
        lot.save(update_fields=["witness_entropy", "witnessed_by", "witnessed_at"])
        audit_log(
            actor=actor,
            action="lot.witness",
            obj=lot,
            organisation=lot.session.host_centre,
            detail={"draw_id": lot.draw_id, "witness_entropy": witness_entropy},
        )
        done = _summarise(
            lot.session,
            rules.Lot(
                draw_id=lot.draw_id,
                server_nonce=bytes.fromhex(crypto.decrypt(lot.server_nonce_cipher)),
                witness_entropy=witness_entropy,
            ),
        )
        assert done  # a witnessed lot orders every tie
    return lot


def lot_proof(lot: RankingLot) -> dict:
    """The lot's proof: public once the lot is witnessed (the bids, not people, are drawn)."""
    proof = {
        "algorithm": draw_rules.ALGORITHM,
        "draw_id": lot.draw_id,
        "tied": lot.tied,
        "commitment": lot.commitment,
    }
    if lot.witnessed_at is not None:
        proof["server_nonce"] = crypto.decrypt(lot.server_nonce_cipher)
        proof["witness_entropy"] = lot.witness_entropy
    return proof


# --- the K coefficient drawn at the opening ---------------------------------------------------


def coefficient_commit(*, actor, session: EvaluationSession) -> CoefficientDraw:
    """The host centre commits the draw of K from the plan's published range at the opening
    (a fresh nonce, its commitment shown before the witness; design: QQ-DRAW-1 steps 2–3).
    The range is then fixed: the plan's formula and range cannot change any more."""
    with transaction.atomic():
        session = EvaluationSession.objects.select_for_update().get(pk=session.pk)
        if session.status in (
            EvaluationSession.Status.IN_PROGRESS,
            EvaluationSession.Status.CLOSED,
        ):
            raise ConflictError("K 值须在评标开始前（开标时）抽取")
        plan = ScoringPlan.objects.filter(session=session).first()
        if plan is None or plan.price_formula != PriceFormula.K_DRAWN:
            raise ConflictError("评标方案的价格分计算方法不是“K 值开标抽取基准价法”")
        if CoefficientDraw.objects.filter(session=session).exists():
            raise ConflictError("K 值抽取已承诺，不能重复")
        try:
            rules.k_values(plan.k_min, plan.k_max, plan.k_step)
        except rules.RuleError as exc:
            raise DomainError(str(exc), field="k_min") from None
        nonce = secrets.token_bytes(draw_rules.NONCE_BYTES)
        draw = CoefficientDraw.objects.create(
            session=session,
            draw_id=f"QQK-{timezone.localtime(session.starts_at):%Y%m%d}-{session.pk:05d}",
            k_min=plan.k_min,
            k_max=plan.k_max,
            k_step=plan.k_step,
            server_nonce_cipher=crypto.encrypt(nonce.hex()),
            commitment=draw_rules.commitment(nonce),
            committed_at=timezone.now(),
        )
        audit_log(
            actor=actor,
            action="coefficient.commit",
            obj=draw,
            organisation=session.host_centre,
            detail={
                "draw_id": draw.draw_id,
                "range": [str(plan.k_min), str(plan.k_max), str(plan.k_step)],
                "commitment": draw.commitment,
            },
        )
    return draw


def coefficient_witness(*, actor, draw: CoefficientDraw, witness_entropy: str) -> CoefficientDraw:
    """The supervising department witnesses the K draw: K = QQ-DRAW-1 over the range's values
    (``rules.k_draw``), reproducible from the proof once witnessed."""
    witness_entropy = (witness_entropy or "").strip()
    if len(witness_entropy) > 200:
        raise DomainError("见证人输入不能超过200个字符", field="witness_entropy")
    with transaction.atomic():
        draw = CoefficientDraw.objects.select_for_update().get(pk=draw.pk)
        if draw.witnessed_at is not None:
            raise ConflictError("该 K 值抽取已见证")
        lot = rules.Lot(
            draw_id=draw.draw_id,
            server_nonce=bytes.fromhex(crypto.decrypt(draw.server_nonce_cipher)),
            witness_entropy=witness_entropy,
        )
        draw.k = rules.k_draw(draw.k_min, draw.k_max, draw.k_step, lot)
        draw.witness_entropy = witness_entropy
        draw.witnessed_by = actor
        draw.witnessed_at = timezone.now()
        draw.save(update_fields=["k", "witness_entropy", "witnessed_by", "witnessed_at"])
        audit_log(
            actor=actor,
            action="coefficient.witness",
            obj=draw,
            organisation=draw.session.host_centre,
            detail={"draw_id": draw.draw_id, "witness_entropy": witness_entropy, "k": str(draw.k)},
        )
    return draw


def coefficient_proof(draw: CoefficientDraw) -> dict:
    """What anyone needs to recompute K: public once witnessed (K is published at the opening)."""
    proof = {
        "algorithm": draw_rules.ALGORITHM,
        "draw_id": draw.draw_id,
        "pool": [str(v) for v in rules.k_values(draw.k_min, draw.k_max, draw.k_step)],
        "commitment": draw.commitment,
    }
    if draw.witnessed_at is not None:
        proof["server_nonce"] = crypto.decrypt(draw.server_nonce_cipher)
        proof["witness_entropy"] = draw.witness_entropy
        proof["k"] = str(draw.k)
    return proof
