"""The reporting pages keep a closed period's figure for a while; a period reaching today is
always computed (issue 24 item 4: a year's monthly trends are read, not recomputed)."""

from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qinqing.core import figures

pytestmark = pytest.mark.django_db

CALLS: list[tuple[date, date]] = []


def _counter(start: date, end: date, organisation=None) -> int:
    CALLS.append((start, end))
    return len(CALLS)


@pytest.fixture
def counter():
    CALLS.clear()
    cache.clear()
    figures.register(
        name="test_cached_counter", label="测试计数", unit="个", definition="测试用：调用次数"
    )(_counter)
    yield figures.get_figure("test_cached_counter")
    figures._REGISTRY.pop("test_cached_counter", None)


def test_a_closed_period_is_computed_once_then_read(counter, settings):
    settings.QINQING_FIGURES_CACHE_SECONDS = 600
    end = timezone.localdate() - timedelta(days=1)
    start = end - timedelta(days=30)
    assert figures.evaluate_for_report(counter, start, end) == 1
    assert figures.evaluate_for_report(counter, start, end) == 1  # read, not recomputed
    assert len(CALLS) == 1
    # Another period, another organisation: their own values.
    assert figures.evaluate_for_report(counter, start, end - timedelta(days=1)) == 2
    assert figures.evaluate(counter, start, end) == 3  # the brief's snapshot: always computed


def test_a_period_reaching_today_is_always_computed(counter, settings):
    settings.QINQING_FIGURES_CACHE_SECONDS = 600
    today = timezone.localdate()
    assert figures.evaluate_for_report(counter, today - timedelta(days=7), today) == 1
    assert figures.evaluate_for_report(counter, today - timedelta(days=7), today) == 2


def test_none_is_kept_as_a_value_and_zero_seconds_turns_the_cache_off(counter, settings):
    settings.QINQING_FIGURES_CACHE_SECONDS = 0
    end = timezone.localdate() - timedelta(days=1)
    assert figures.evaluate_for_report(counter, end, end) == 1
    assert figures.evaluate_for_report(counter, end, end) == 2


def test_the_figures_page_reads_its_closed_months_on_the_second_visit(client, demo_users):
    cache.clear()
    client.force_login(demo_users["admin"])
    last_year = timezone.localdate().year - 1
    url = f"/figures/?start={last_year}-01-01&end={last_year}-12-31"
    with CaptureQueriesContext(connection) as first:
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as second:
        page = client.get(url)
    assert page.status_code == 200
    assert "至多 10 分钟更新一次" in page.content.decode()
    # A whole closed year: every figure and every month came from the cache (what remains is
    # the session, the user's grants and the cache reads themselves).
    assert len(second) < len(first) / 3, (len(first), len(second))
