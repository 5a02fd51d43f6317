"""The figures registry: named, documented numbers computed from recorded facts.

A module registers each figure once (at import, from its AppConfig.ready); the brief and the
dashboards read them by name over any period and, optionally, for one organisation's scope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qinqing.core import calendar
from qinqing.core.errors import DomainError

Value = int | Decimal | None
Compute = Callable[[date, date, "object | None"], Value]


@dataclass(frozen=True)
class Figure:
    name: str
    label: str
    unit: str
    definition: str
    compute: Compute
    module: str

    # The registry keeps the Chinese source text (the API and a brief's snapshot show it);
    # pages show these, in the reader's language.
    @property
    def shown_label(self) -> str:
        return gettext(self.label)

    @property
    def shown_unit(self) -> str:
        return gettext(self.unit) if self.unit else ""

    @property
    def shown_definition(self) -> str:
        return gettext(self.definition)


_REGISTRY: dict[str, Figure] = {}


def register(*, name: str, label: str, unit: str, definition: str) -> Callable[[Compute], Compute]:
    """Decorator: register `compute(start, end, organisation)`; both dates are inclusive."""

    def decorate(compute: Compute) -> Compute:
        if name in _REGISTRY and _REGISTRY[name].compute.__qualname__ != compute.__qualname__:
            raise ValueError(f"figure {name!r} registered twice")
        _REGISTRY[name] = Figure(
            name=name,
            label=str(label),
            unit=str(unit),
            definition=str(definition),
            compute=compute,
            module=compute.__module__,
        )
        return compute

    return decorate


def all_figures() -> list[Figure]:
    return sorted(_REGISTRY.values(), key=lambda f: (f.module, f.name))


def get_figure(name: str) -> Figure:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise DomainError(f"没有名为 {name} 的统计指标", field="name", code="unknown") from None


def evaluate(figure: Figure, start: date, end: date, organisation=None) -> Value:
    if end < start:
        raise DomainError("统计区间的结束日期不能早于开始日期", field="to")
    return figure.compute(start, end, organisation)


def evaluate_for_report(figure: Figure, start: date, end: date, organisation=None) -> Value:
    """`evaluate` for the pages that report (the figures page and its monthly trends, the
    dashboards, the figures API): a period that ended before today is kept in the cache for
    QINQING_FIGURES_CACHE_SECONDS (a closed month's facts rarely change; a late correction
    shows within that time), a period that reaches today is always computed. A year's trend
    is a dozen closed months per figure: computed once, then read (issue 24, item 4).

    A brief's snapshot is not a report in this sense: it calls `evaluate`."""
    if end >= timezone.localdate() or not settings.QINQING_FIGURES_CACHE_SECONDS:
        return evaluate(figure, start, end, organisation)
    key = f"qq:figure:{figure.name}:{start:%Y%m%d}:{end:%Y%m%d}:{getattr(organisation, 'pk', '')}"
    cached = cache.get(key)
    if cached is not None:
        return cached[0]
    value = evaluate(figure, start, end, organisation)
    cache.set(key, (value,), settings.QINQING_FIGURES_CACHE_SECONDS)
    return value


@register(
    name="working_days",
    label=_("工作日天数"),
    unit=_("天"),
    definition=_("统计区间内（含首尾两日）的法定工作日天数，含调休上班日，不含节假日和周末。"),
)
def _working_days(start: date, end: date, organisation=None) -> int:
    return calendar.working_days_between(start - timedelta(days=1), end)
