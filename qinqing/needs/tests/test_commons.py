"""Common needs at scale: the summary the page reads equals the direct computation over the
window's needs; the page shows when it was computed, what to do before the first computation,
and staff's 重新计算 runs on the queue."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qinqing.core.models import AuditEntry
from qinqing.core.testing import ANONYMOUS, check_matrix, run_queued_tasks
from qinqing.needs import commons, rules
from qinqing.needs.models import Category, CommonSummary, CommonSummaryItem, Need

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 7)
TEXTS = [
    "数电票开票额度不够用，怎么申请提额？",
    "数电票开票额度不够，如何申请提额",
    "稳岗返还今年还有吗",
    "稳岗返还今年还有吗？",
    "园区门口的路灯坏了",
    "想变更营业执照上的经营范围",
    "，",
]
FIRMS = [f"9142011100000000{i:02d}" for i in range(6)]


def _at(days_ago: int, minute: int) -> datetime:
    """A moment `days_ago` days before TODAY, local time (minute 0 is midnight: the window's
    edge)."""
    day = TODAY - timedelta(days=days_ago)
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone()) + timedelta(
        minutes=minute
    )


def _make(rows) -> list[Need]:
    categories = {c.code: c for c in Category.objects.all()}
    return Need.objects.bulk_create(
        Need(
            number=f"T{i:06d}",
            token=f"t-{i}",
            channel=Need.Channel.QR,
            uscc=FIRMS[firm],
            contact_phone="13900000000",
            text=TEXTS[text],
            category=categories[cat] if dispatched else None,
            routed_category="" if cat == "other" and not dispatched else cat,
            received_at=_at(days_ago, minute),
        )
        for i, (firm, cat, dispatched, days_ago, minute, text) in enumerate(rows)
    )


def _direct(today: date) -> tuple[dict, list]:
    """The computation the page used to make on every request, from every need."""
    facts = [
        rules.NeedFact(
            key=pk,
            firm=uscc,
            category=code or routed or "other",
            received=timezone.localtime(at).date(),
            text=text,
        )
        for pk, uscc, code, routed, at, text in Need.objects.values_list(
            "pk", "uscc", "category__code", "routed_category", "received_at", "text"
        )
    ]
    window = [f for f in facts if 0 <= (today - f.received).days < rules.COMMON_WINDOW_DAYS]
    return rules.common_categories(facts, today=today), rules.near_duplicate_groups(window)


def _stored(summary: CommonSummary) -> tuple[dict, list]:
    items = list(summary.items.all())
    categories = {i.category: i.need_ids for i in items if i.kind == "category"}
    groups = [i.need_ids for i in items if i.kind == "similar"]
    return categories, groups


ROW = st.tuples(
    st.integers(0, len(FIRMS) - 1),
    st.sampled_from(["tax", "hr", "finance", "other"]),
    st.booleans(),  # dispatched (its category) or only routed
    st.integers(-1, 32),  # days before TODAY: -1 is tomorrow, 30 and more are outside
    st.sampled_from([0, 1, 24 * 60 - 1]),  # midnight, just after, just before the next day
    st.integers(0, len(TEXTS) - 1),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(ROW, max_size=25))
def test_the_summary_equals_the_direct_computation(world, rows):
    Need.objects.all().delete()
    _make(rows)
    summary = commons.common_summary_compute(today=TODAY)
    assert _stored(summary) == _direct(TODAY)
    window = sum(1 for r in rows if 0 <= r[3] < rules.COMMON_WINDOW_DAYS)
    assert summary.needs_in_window == window and summary.window_end == TODAY
    for item in summary.items.all():
        assert item.need_count == len(item.need_ids)
        assert item.recent_ids == item.need_ids[::-1][: commons.RECENT]
        firms = Need.objects.filter(pk__in=item.need_ids).values("uscc").distinct().count()
        assert item.firm_count == firms


def test_a_category_is_common_from_the_third_firm_inside_the_window(world):
    # Two firms within the window, a third on day 31 (outside): not common.
    needs = _make(
        [(0, "tax", True, 0, 1, 0), (1, "tax", True, 29, 0, 0), (2, "tax", True, 30, 5, 0)]
    )
    summary = commons.common_summary_compute(today=TODAY)
    assert not summary.items.filter(kind="category").exists()
    # A third firm on the window's first day, at its first minute: common.
    Need.objects.filter(pk=needs[2].pk).update(received_at=_at(29, 0))
    summary = commons.common_summary_compute(today=TODAY)
    item = summary.items.get(kind="category")
    assert (item.category, item.firm_count, item.need_ids) == ("tax", 3, [n.pk for n in needs])


def test_a_newer_summary_is_not_overwritten_by_an_older_computation(world):
    _make([(i, "tax", True, 1, 1, 0) for i in range(3)])
    summary = commons.common_summary_compute(today=TODAY)
    later = summary.computed_at + timedelta(hours=1)
    CommonSummary.objects.filter(pk=summary.pk).update(computed_at=later)
    summary = commons.common_summary_compute(today=TODAY)
    assert summary.computed_at == later and summary.items.count() == 2  # kept, category + group


def test_the_hourly_tick_computes_the_summary(world):
    _make([(i, "hr", True, 0, 1, 2) for i in range(3)])
    call_command("needs_common", verbosity=0)
    summary = CommonSummary.objects.get(window_days=rules.COMMON_WINDOW_DAYS)
    assert summary.state == "idle" and summary.computed_at is not None
    assert summary.items.filter(kind="category", category="hr").exists()


def test_the_page_before_the_first_computation_says_what_to_do(client, world):
    client.force_login(world["editor"])
    html = client.get("/needs/common/").content.decode()
    assert "尚未统计共性需求" in html and "重新计算" in html and "统计于" not in html


def test_recompute_runs_on_the_queue_and_the_page_shows_its_result(
    client, world, django_capture_on_commit_callbacks
):
    needs = _make([(i, "tax", True, 0, 1, i % 2) for i in range(3)])
    Need.objects.update(received_at=timezone.now())
    client.force_login(world["dispatcher"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/needs/common/refresh/")
    assert response.status_code == 302
    summary = CommonSummary.objects.get()
    assert summary.state == "queued"
    assert AuditEntry.objects.filter(action="need_common.refresh").count() == 1
    page = client.get("/needs/common/").content.decode()
    assert "重新计算已排队" in page and 'hx-trigger="every 2s"' in page
    # A second press while it waits queues nothing more.
    client.post("/needs/common/refresh/")
    assert AuditEntry.objects.filter(action="need_common.refresh").count() == 1
    assert run_queued_tasks() == 1
    summary.refresh_from_db()
    assert summary.state == "idle" and summary.computed_at is not None
    # The poll sees the new result and reloads the page.
    poll = client.get("/needs/common/?shown=", headers={"HX-Request": "true"})
    assert poll.status_code == 204 and poll["HX-Refresh"] == "true"
    html = client.get("/needs/common/").content.decode()
    assert "统计于" in html and "尚未统计" not in html
    assert "3 件，3 家企业" in html and TEXTS[0] in html
    item = CommonSummaryItem.objects.get(kind="category")
    assert item.need_ids == [n.pk for n in needs]


def test_a_failed_computation_is_shown_and_the_previous_result_kept(world, monkeypatch):
    _make([(i, "tax", True, 0, 1, 0) for i in range(3)])
    good = commons.common_summary_compute(today=TODAY)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(commons.rules, "similar_groups", broken)
    with pytest.raises(RuntimeError):
        commons.common_summary_compute(today=TODAY)
    summary = CommonSummary.objects.get()
    assert summary.state == "failed" and "disk full" in summary.error
    assert summary.computed_at == good.computed_at and summary.items.count() == 2


def test_permission_matrix(client, world):
    check_matrix(
        client,
        {
            "/needs/common/": {"editor": 200, "liaison": 200, "enterprise": 403, ANONYMOUS: 302},
        },
        world,
    )
    for username, status in [("enterprise", 403), ("judge", 403), ("liaison", 302)]:
        client.force_login(world[username])
        assert client.post("/needs/common/refresh/").status_code == status
    client.logout()
    assert client.post("/needs/common/refresh/").status_code == 302  # to the sign-in
    assert client.get("/needs/common/refresh/").status_code in {302, 405}
