"""Charts: server-side inline SVG bars (`bar_chart`), and `Chart`s drawn in the browser."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def bar_chart(rows: list[tuple[str, int]], *, title: str, width: int = 640) -> SafeString:
    """Horizontal bars, one per (label, value); accessible title and values as text."""
    bar_h, gap, label_w = 22, 8, 170
    height = max(1, len(rows)) * (bar_h + gap) + 10
    top = max([v for _, v in rows] + [1])
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(rows):
        y = 5 + i * (bar_h + gap)
        w = int((width - label_w - 60) * value / top)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" font-size="13">'
            f"{escape(label)}</text>"
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="#c8102e" rx="3"/>'
            f'<text x="{label_w + w + 6}" y="{y + 16}" font-size="13">{value}</text>'
        )
    if not rows:
        parts.append('<text x="10" y="20" font-size="13">—</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (every label escaped above)


# --- charts drawn in the browser with Apache ECharts (static/vendor/echarts.min.js) ----------
#
# A page passes `Chart`s to `{% include "core/_chart.html" with chart=... %}`: the data goes
# into the page as JSON (`json_script`, never executed, so the CSP's `script-src 'self'`
# holds), `static/core/charts.js` draws every `[data-chart]` element, and the same numbers
# stand beside the chart as a table (what a screen reader, a printout and a phone without
# JavaScript read). Pages with charts add `{% include "core/_chart_scripts.html" %}` to
# `{% block head %}`.

KINDS = ("bar", "hbar", "line")


@dataclass(frozen=True)
class Chart:
    """One chart and its table: `labels` along the category axis, one value per label in each
    of `series` (name, values). `kind`: "bar" (columns, e.g. months), "hbar" (bars, e.g.
    departments, longest first) or "line" (a trend)."""

    id: str
    title: str
    labels: list[str]
    series: list[tuple[str, list]]
    kind: str = "bar"
    unit: str = ""
    category: str = ""  # heading of the label column of the table

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown chart kind {self.kind!r}")
        for _name, values in self.series:
            if len(values) != len(self.labels):
                raise ValueError("each series needs one value per label")

    @property
    def element_id(self) -> str:
        return f"chart-{self.id}"

    @property
    def rows(self) -> list[tuple[str, list]]:
        return [
            (label, [values[i] for _name, values in self.series])
            for i, label in enumerate(self.labels)
        ]

    @property
    def series_names(self) -> list[str]:
        return [str(name) for name, _values in self.series]

    @property
    def money(self) -> bool:
        """Amounts (元, 万元) read with two decimals in the table, whatever the language."""
        return str(self.unit) in {"元", "万元", gettext("元"), gettext("万元")}

    @property
    def empty(self) -> bool:
        return not self.labels

    @property
    def data(self) -> dict:
        """What charts.js reads (numbers as JSON numbers; the table keeps the exact values)."""
        return {
            "kind": self.kind,
            "title": str(self.title),
            "unit": str(self.unit),
            "labels": [str(label) for label in self.labels],
            "series": [
                {"name": str(name), "values": [_number(v) for v in values]}
                for name, values in self.series
            ],
        }


def _number(value) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, int):
        return value
    return float(value)


def chart(
    id: str,
    title: str,
    rows: list[tuple[str, int | Decimal | None]],
    *,
    kind: str = "bar",
    unit: str = "",
    name: str = "",
    category: str = "",
) -> Chart:
    """A one-series chart from (label, value) rows."""
    return Chart(
        id=id,
        title=title,
        labels=[label for label, _v in rows],
        series=[(name or unit or title, [v for _label, v in rows])],
        kind=kind,
        unit=unit,
        category=category,
    )


def month_labels(start: date, end: date, limit: int = 36) -> list[tuple[str, date, date]]:
    """The calendar months from `start` to `end` (the first and last cut to the period), as
    ("2026-03", first day, last day); at most the last `limit`."""
    months = []
    first = date(start.year, start.month, 1)
    while first <= end:
        nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        months.append((f"{first:%Y-%m}", max(first, start), min(nxt - timedelta(days=1), end)))
        first = nxt
    return months[-limit:]


def period_links(
    today: date, current: tuple, *, start_param: str = "start", end_param: str = "end"
) -> list[dict]:
    """The quick periods a statistics page offers: 本月, 本季度, 今年 (each to today) and 上年,
    with their query strings; `current` (start, end) marks the one shown."""
    quarter = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    periods = [
        (_("本月"), today.replace(day=1), today),
        (_("本季度"), quarter, today),
        (_("今年"), date(today.year, 1, 1), today),
        (_("上年"), date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
    ]
    return [
        {
            "label": label,
            "start": start,
            "end": end,
            "query": urlencode({start_param: start.isoformat(), end_param: end.isoformat()}),
            "current": (start, end) == tuple(current),
        }
        for label, start, end in periods
    ]
