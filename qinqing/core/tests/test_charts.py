"""Charts drawn in the browser: the data a page embeds and the table beside it."""

from datetime import date
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from qinqing.core.charts import Chart, chart, month_labels, period_links


def test_month_labels_cut_the_first_and_last_month_to_the_period():
    months = month_labels(date(2026, 11, 15), date(2027, 2, 3))
    assert months == [
        ("2026-11", date(2026, 11, 15), date(2026, 11, 30)),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
        ("2027-01", date(2027, 1, 1), date(2027, 1, 31)),
        ("2027-02", date(2027, 2, 1), date(2027, 2, 3)),
    ]
    assert len(month_labels(date(2020, 1, 1), date(2026, 12, 31), limit=24)) == 24


def test_quick_periods_end_today_and_mark_the_one_shown():
    today = date(2026, 8, 20)
    periods = period_links(today, (date(2026, 1, 1), today))
    spans = {str(p["label"]): (p["start"], p["end"]) for p in periods}
    assert spans == {
        "本月": (date(2026, 8, 1), today),
        "本季度": (date(2026, 7, 1), today),
        "今年": (date(2026, 1, 1), today),
        "上年": (date(2025, 1, 1), date(2025, 12, 31)),
    }
    assert [str(p["label"]) for p in periods if p["current"]] == ["今年"]
    bankruptcy = period_links(today, (None, None), start_param="from", end_param="to")
    assert bankruptcy[3]["query"] == "from=2025-01-01&to=2025-12-31"


def test_a_series_needs_one_value_per_label():
    with pytest.raises(ValueError):
        Chart(id="x", title="t", labels=["a", "b"], series=[("s", [1])])
    with pytest.raises(ValueError):
        chart("x", "t", [("a", 1)], kind="pie")


def test_chart_embeds_json_data_and_a_table_without_inline_code():
    c = chart(
        "rate",
        "按时办结率<按月>",
        [("2026-01", Decimal("95.5")), ("2026-02", None)],
        kind="line",
        unit="%",
        category="月份",
    )
    assert c.data["series"][0]["values"] == [95.5, None]
    html = render_to_string("core/_chart.html", {"chart": c})
    assert '<script id="chart-rate" type="application/json">' in html
    assert 'data-chart="chart-rate"' in html
    assert (
        "按时办结率&lt;按月&gt;" in html
    )  # escaped in the heading; JSON is escaped by json_script
    assert '<th scope="row">2026-01</th><td class="num">95.5</td>' in html
    assert "—" in html  # a missing value reads as a dash, not "None"
    assert "<script>" not in html and "onclick" not in html


def test_empty_chart_says_so():
    html = render_to_string("core/_chart.html", {"chart": chart("e", "空", [])})
    assert "所选期间没有数据" in html and "data-chart" not in html


@pytest.mark.django_db
def test_figures_page_opens_on_this_year_and_shows_no_codes(client, demo_users):
    client.force_login(demo_users["enterprise"])
    response = client.get("/figures/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/v1/figures" not in text
    assert "<code>" not in text and "working_days" not in text
    assert 'aria-current="true">今年' in text
    assert "vendor/echarts.min.js" in text and "core/charts.js" in text


def test_amounts_keep_two_decimals_in_english_too():
    """The unit is a translated string: 万元 reads "10,000 yuan" in English, still money."""
    with translation.override("en"):
        assert Chart(id="m", title="t", labels=["a"], series=[("s", [1])], unit=_("万元")).money
        assert not Chart(id="n", title="t", labels=["a"], series=[("s", [1])], unit=_("家")).money
