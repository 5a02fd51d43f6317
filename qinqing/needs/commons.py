"""Common needs (共性需求) at province scale: a summary computed out of the request.

The page `/needs/common/` reads `CommonSummary` and its items; it never reads the needs. The
summary is computed by `common_summary_compute` — every hour by the `needs_common` tick, and on
the queue (`common_summary_refresh`) when staff press 重新计算 (`common_summary_request`) —
from the window's needs, bounded in memory whatever the table holds:

- the common categories (`rules.common_categories`: a category raised by `COMMON_THRESHOLD`
  distinct firms within the window) are counted by the database (one aggregate), then the
  needs of those categories are read as ids, in chunks;
- the near-duplicate groups (`rules.near_duplicate_groups`) are found by `rules.similar_groups`
  from the window's texts streamed in chunks (one entry per distinct text kept, not the texts).

The result equals the direct computation (`qinqing/needs/tests/test_commons.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, F, Q, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from qinqing.core.audit import audit_log
from qinqing.core.tasks import enqueue_after_commit, queued_task
from qinqing.needs import rules
from qinqing.needs.models import CommonSummary, CommonSummaryItem, Need

CHUNK = 2000
RECENT = 20  # needs shown (and offered to plan a training) per item
STALE_AFTER = timedelta(minutes=30)  # a computation running longer has lost its worker
State = CommonSummary.State


def window_bounds(today: date, window_days: int) -> tuple[datetime, datetime]:
    """The window's start and end instants: local midnight of its first day (today counts as
    day one) and of the day after today — the days `rules.common_categories` counts."""
    tz = timezone.get_current_timezone()
    first = today - timedelta(days=window_days - 1)
    return (
        datetime.combine(first, time.min, tzinfo=tz),
        datetime.combine(today + timedelta(days=1), time.min, tzinfo=tz),
    )


def _window(today: date, window_days: int):
    lo, hi = window_bounds(today, window_days)
    return Need.objects.filter(received_at__gte=lo, received_at__lt=hi)


def _category():
    """The category a need counts under, as `selectors` read it: its dispatched category,
    else the one the rules routed it to, else "other"."""
    return Coalesce(F("category__code"), NullIf(F("routed_category"), Value("")), Value("other"))


def _chunks(qs, *fields: str) -> Iterator[tuple]:
    """The rows of `qs` by ascending id, `CHUNK` at a time (keyset: each query starts after the
    last id read, so no query reads more than a chunk, on any database)."""
    after = 0
    while True:
        rows = list(qs.filter(pk__gt=after).order_by("pk").values_list("pk", *fields)[:CHUNK])
        yield from rows
        if len(rows) < CHUNK:
            return
        after = rows[-1][0]


def compute(
    *, today: date, window_days: int, progress: Callable[[int], None] | None = None
) -> tuple[int, list[CommonSummaryItem]]:
    """The items of the summary (unsaved) and the number of needs in the window."""
    window = _window(today, window_days)
    total = window.count()
    tally = (
        window.annotate(cat=_category())
        .exclude(cat="other")
        .values("cat")
        .annotate(firms=Count("uscc", distinct=True), needs=Count("pk"))
    )
    common = {row["cat"]: row["firms"] for row in tally if row["firms"] >= rules.COMMON_THRESHOLD}
    keys: dict[str, list[int]] = {code: [] for code in common}
    if common:
        for pk, cat in _chunks(window.annotate(cat=_category()).filter(cat__in=common), "cat"):
            keys[cat].append(pk)
    items = [
        CommonSummaryItem(
            kind=CommonSummaryItem.Kind.CATEGORY,
            category=code,
            position=position,
            need_count=len(keys[code]),
            firm_count=common[code],
            need_ids=keys[code],
            recent_ids=keys[code][-RECENT:][::-1],
        )
        for position, code in enumerate(sorted(keys, key=lambda c: (-len(keys[c]), c)))
    ]

    def texts() -> Iterator[tuple[int, str]]:
        for done, (pk, text) in enumerate(_chunks(window, "text"), start=1):
            if progress is not None and done % CHUNK == 0:
                progress(10 + 80 * done // max(total, 1))
            yield pk, text

    if progress is not None:
        progress(10)
    groups = rules.similar_groups(texts())
    firms = _firms_per_group(groups)
    items += [
        CommonSummaryItem(
            kind=CommonSummaryItem.Kind.SIMILAR,
            position=position,
            need_count=len(group),
            firm_count=firms[position],
            need_ids=group,
            recent_ids=group[-RECENT:][::-1],
        )
        for position, group in enumerate(groups)
    ]
    return total, items


def _firms_per_group(groups: list[list[int]]) -> list[int]:
    """Distinct firms (credit codes) of each group, reading the groups' needs in chunks."""
    owner = {pk: g for g, group in enumerate(groups) for pk in group}
    firms: list[set[str]] = [set() for _ in groups]
    ids = sorted(owner)
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        for pk, uscc in Need.objects.filter(pk__in=part).values_list("pk", "uscc"):
            firms[owner[pk]].add(uscc)
    return [len(f) for f in firms]


def common_summary_compute(
    *, actor=None, window_days: int = rules.COMMON_WINDOW_DAYS, today: date | None = None
) -> CommonSummary:
    """Compute the summary of the window ending `today` and store it (replacing the items of
    an older computation; a computation that started earlier than the stored one does not
    overwrite it). The state shows `running` with its progress meanwhile; a failure leaves
    `failed` and the reason, and is raised again for the queue to retry."""
    started = timezone.now()
    today = today or timezone.localdate()
    summary, _ = CommonSummary.objects.get_or_create(window_days=window_days)
    CommonSummary.objects.filter(pk=summary.pk).update(
        state=State.RUNNING, progress=0, started_at=started, error=""
    )

    def progress(percent: int) -> None:
        CommonSummary.objects.filter(pk=summary.pk, state=State.RUNNING).update(
            progress=max(0, min(99, percent))
        )

    try:
        total, items = compute(today=today, window_days=window_days, progress=progress)
    except Exception as exc:
        CommonSummary.objects.filter(pk=summary.pk).update(
            state=State.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    with transaction.atomic():
        summary = CommonSummary.objects.select_for_update().get(pk=summary.pk)
        newer = summary.computed_at is not None and summary.computed_at > started
        if not newer:
            summary.items.all().delete()
            for item in items:
                item.summary = summary
            CommonSummaryItem.objects.bulk_create(items, batch_size=500)
            summary.computed_at = started
            summary.window_end = today
            summary.needs_in_window = total
        # A computation started after this one, or one asked for meanwhile, ends on its own.
        if summary.state == State.RUNNING and summary.started_at == started:
            summary.state = State.IDLE
        summary.progress = 0
        summary.save(
            update_fields=[
                "computed_at",
                "window_end",
                "needs_in_window",
                "state",
                "progress",
            ]
        )
    return summary


def _refresh_failed(window_days: int, *, error: str) -> None:
    CommonSummary.objects.filter(window_days=window_days).update(
        state=State.FAILED, error=error[:2000]
    )


@queued_task(max_attempts=3, backoff=timedelta(seconds=30), on_give_up=_refresh_failed)
def common_summary_refresh(window_days: int) -> str:
    """Recompute the summary (asked for by staff). Idempotent: a second run only recomputes."""
    summary = common_summary_compute(window_days=window_days)
    return f"{summary.needs_in_window} needs, {summary.items.count()} items"


def common_summary_request(*, actor, window_days: int = rules.COMMON_WINDOW_DAYS) -> CommonSummary:
    """Staff ask for the summary to be computed now: queued once (a request while one is
    queued or running joins it, unless that one has run for longer than `STALE_AFTER`)."""
    now = timezone.now()
    with transaction.atomic():
        summary, _ = CommonSummary.objects.get_or_create(window_days=window_days)
        waiting = Q(state=State.QUEUED, requested_at__gte=now - STALE_AFTER) | Q(
            state=State.RUNNING, started_at__gte=now - STALE_AFTER
        )
        queued = (
            CommonSummary.objects.filter(pk=summary.pk)
            .exclude(waiting)
            .update(state=State.QUEUED, progress=0, requested_at=now, error="")
        )
        if queued:
            enqueue_after_commit(common_summary_refresh, window_days)
            audit_log(
                actor=actor,
                action="need_common.refresh",
                obj=summary,
                detail={"window_days": window_days},
            )
        summary.refresh_from_db()
    return summary
