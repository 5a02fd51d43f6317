"""Working days in mainland China as pure rules: the calendar, and the State Council's annual
holiday notice (国务院办公厅关于YYYY年部分节假日安排的通知) read, checked and written back.

No Django here. The law:

- 《国务院关于职工工作时间的规定》 Art.7: Saturday and Sunday are the weekly rest days, so a
  working day is Monday to Friday unless the year's notice says otherwise.
- 《全国年节及纪念日放假办法》 (2024 revision, in force 1 January 2025) Art.2: the holidays of all
  citizens (元旦 1 day, 春节 4, 清明节 1, 劳动节 2, 端午节 1, 中秋节 1, 国庆节 3) and Art.6: the
  State Council's annual notice moves rest days (调休), which makes some Saturdays and Sundays
  working days (上班) and some weekdays holidays.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

HOLIDAY = "holiday"
WORKDAY = "workday"
KINDS = (HOLIDAY, WORKDAY)
WEEKDAYS = "一二三四五六日"

# The earliest year a notice may be entered for (chinese-calendar starts in 2004) and the
# longest run of days one item may give off (the longest so far: 9 days, 春节 2026).
FIRST_YEAR = 2004
MAX_RANGE_DAYS = 15


def fixed_holidays(year: int) -> dict[str, tuple[tuple[int, int], ...]]:
    """The Gregorian holidays whose days the law fixes (放假办法 Art.2), as (month, day): the
    item of that name must give them off. 劳动节 is two days from 2025 (the 2024 revision), one
    from 2008 and three before. The lunar ones (春节, 清明节, 端午节, 中秋节) are not checked."""
    labour = (
        ((5, 1), (5, 2))
        if year >= 2025
        else ((5, 1),)
        if year >= 2008
        else ((5, 1), (5, 2), (5, 3))
    )
    return {"元旦": ((1, 1),), "劳动节": labour, "国庆节": ((10, 1), (10, 2), (10, 3))}


class NoticeError(ValueError):
    """A notice that cannot be read or does not hold together; `line` is the item's number."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class SpecialDay:
    """A day that differs from Monday–Friday: a holiday, or a Saturday/Sunday worked (调休上班)."""

    day: date
    kind: str
    name: str = ""


@dataclass(frozen=True)
class NoticeItem:
    """One numbered item of a notice: `name`: `first` to `last` off (共`total`天), and the
    make-up working days (上班) it lists."""

    name: str
    first: date
    last: date
    total: int | None = None
    workdays: tuple[date, ...] = ()
    extra_holidays: tuple[date, ...] = field(default=())  # 补休 days listed apart

    def days(self) -> list[SpecialDay]:
        span = (self.last - self.first).days + 1
        off = [self.first + timedelta(days=i) for i in range(span)]
        off += [d for d in self.extra_holidays if d not in off]
        return [SpecialDay(d, HOLIDAY, self.name) for d in off] + [
            SpecialDay(d, WORKDAY, self.name) for d in self.workdays
        ]


# --------------------------------------------------------------------------------------------
# The calendar
# --------------------------------------------------------------------------------------------

# A fallback answers for the years it covers (chinese-calendar) and None for the others.
Fallback = Callable[[date], bool | None]


def _no_fallback(day: date) -> bool | None:
    return None


class WorkCalendar:
    """Working days: the notices entered (`days`, `entered_years`) first, the fallback second,
    Monday–Friday last — and a day answered by Monday–Friday alone is an estimate.

    `days` maps each special day to True (a make-up working day) or False (a holiday). A year in
    `entered_years` is read from `days` alone: its other days follow Monday–Friday, by the
    notice. A notice may list days of the year before (the 2019 notice gave 29–31 December 2018);
    `days` holds those too and they win over the fallback.
    """

    __slots__ = ("_add_memo", "_fallback", "_fallback_years", "days", "entered_years")

    def __init__(
        self,
        days: Mapping[date, bool],
        entered_years: Iterable[int],
        fallback: Fallback = _no_fallback,
        fallback_years: Iterable[int] = (),
    ) -> None:
        self.days = dict(days)
        self.entered_years = frozenset(entered_years)
        self._fallback = fallback
        self._fallback_years = frozenset(fallback_years)
        self._add_memo: dict[tuple[date, int], date] = {}

    def covers(self, year: int) -> bool:
        """True when the year's working days are known (entered, or in the fallback)."""
        return year in self.entered_years or year in self._fallback_years

    def is_estimated(self, day: date, since: date | None = None) -> bool:
        """True when a date computed up to `day` (from `since`) rests on a year not known: its
        working days were counted Monday to Friday (按周一至周五估算)."""
        first = (since or day).year
        return any(not self.covers(year) for year in range(min(first, day.year), day.year + 1))

    def is_working_day(self, day: date) -> bool:
        known = self.days.get(day)
        if known is not None:
            return known
        if day.year not in self.entered_years:
            answer = self._fallback(day)
            if answer is not None:
                return answer
        return day.weekday() < 5

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (`start` itself not counted), n >= 1."""
        if n < 1:
            raise ValueError("n must be >= 1")
        key = (start, n)
        found = self._add_memo.get(key)
        if found is None:
            day, remaining = start, n
            while remaining:
                day += timedelta(days=1)
                if self.is_working_day(day):
                    remaining -= 1
            if len(self._add_memo) > 8192:
                self._add_memo.clear()
            self._add_memo[key] = found = day
        return found

    def next_working_day(self, day: date) -> date:
        """`day` itself when it is a working day, else the first working day after it."""
        return day if self.is_working_day(day) else self.add_working_days(day, 1)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many working days `end` lies after `start`."""
        if end <= start:
            return 0
        return sum(
            self.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1)
        )

    def working_days_in_year(self, year: int) -> int:
        return self.working_days_between(date(year - 1, 12, 31), date(year, 12, 31))


def changed_days(old: WorkCalendar, new: WorkCalendar, years: Iterable[int]) -> list[date]:
    """The days of `years` whose working status differs between two calendars, in order."""
    out = []
    for year in sorted(set(years)):
        day = date(year, 1, 1)
        while day.year == year:
            if old.is_working_day(day) != new.is_working_day(day):
                out.append(day)
            day += timedelta(days=1)
    return out


def missing_years(calendar: WorkCalendar, today: date) -> list[int]:
    """The years whose notice is needed and not known: this year, and from 1 November next
    year too (the State Council publishes the next year's notice in November or December)."""
    wanted = [today.year] + ([today.year + 1] if (today.month, today.day) >= (11, 1) else [])
    return [year for year in wanted if not calendar.covers(year)]


# --------------------------------------------------------------------------------------------
# A year's notice: checked, read from its text, written back as text
# --------------------------------------------------------------------------------------------


def _md(day: date) -> str:
    return f"{day.month}月{day.day}日"


def notice_title(year: int) -> str:
    return f"国务院办公厅关于{year}年部分节假日安排的通知"


def _in_notice_span(year: int, day: date) -> bool:
    # A notice speaks of its year, and of the end of December before it (元旦 across the years).
    return day.year == year or (day.year == year - 1 and day.month == 12)


def check_notice(year: int, items: list[NoticeItem]) -> list[SpecialDay]:
    """The special days of a year's notice, after checking that it holds together: dates in
    the year, each range in order and its 共N天 right, no day both off and worked, make-up
    working days on a Saturday or Sunday. Raises NoticeError naming the item (1-based)."""
    if not FIRST_YEAR <= year <= 2100:
        raise NoticeError(f"年度应在 {FIRST_YEAR}–2100 之间")
    if not items:
        raise NoticeError("通知中没有可识别的放假安排")
    seen: dict[date, tuple[str, int]] = {}
    out: list[SpecialDay] = []
    for number, item in enumerate(items, 1):
        if not item.name.strip():
            raise NoticeError("缺少节日名称", number)
        if item.last < item.first:
            raise NoticeError(f"{item.name}：放假结束日早于开始日", number)
        span = (item.last - item.first).days + 1
        if span > MAX_RANGE_DAYS:
            raise NoticeError(f"{item.name}：连续放假 {span} 天，超过 {MAX_RANGE_DAYS} 天", number)
        if item.total is not None and item.total != span + len(item.extra_holidays):
            raise NoticeError(
                f"{item.name}：{_md(item.first)}至{_md(item.last)}是 {span} 天，"
                f"通知写“共{item.total}天”",
                number,
            )
        for special in item.days():
            if not _in_notice_span(year, special.day):
                raise NoticeError(
                    f"{item.name}：{special.day.year}年{_md(special.day)} 不在 {year} 年（或其前一年的 12 月）内",
                    number,
                )
            if special.kind == WORKDAY and special.day.weekday() < 5:
                raise NoticeError(
                    f"{item.name}：调休上班日 {_md(special.day)} 是周"
                    f"{WEEKDAYS[special.day.weekday()]}，应为周六或周日",
                    number,
                )
            if special.day in seen:
                other, other_number = seen[special.day]
                raise NoticeError(
                    f"{_md(special.day)} 在第 {other_number} 项（{other}）中已出现", number
                )
            seen[special.day] = (item.name, number)
            out.append(special)
    return sorted(out, key=lambda s: s.day)


def notice_warnings(year: int, items: list[NoticeItem]) -> list[str]:
    """What a careful reader would check again (not errors: the notice is the authority): a
    fixed Gregorian holiday its item does not give off (放假办法 Art.2), a holiday listed twice."""
    warnings = []
    off = {s.day for item in items for s in item.days() if s.kind == HOLIDAY}
    names = [n for item in items for n in re.split(r"[、，,]", item.name)]
    for name, days in fixed_holidays(year).items():
        if name not in names:
            warnings.append(f"通知中没有“{name}”的安排")
            continue
        missing = [date(year, m, d) for m, d in days if date(year, m, d) not in off]
        if missing:
            listed = "、".join(_md(d) for d in missing)
            warnings.append(f"{name}应放假的 {listed} 不在放假日期内（放假办法第二条）")
    for name in sorted({n for n in names if names.count(n) > 1}):
        warnings.append(f"“{name}”出现在多项中")
    return warnings


_FULL_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)} | {
    ord("："): ":",
    ord("（"): "(",
    ord("）"): ")",
    ord("，"): ",",
    ord("。"): ".",
    ord("；"): ";",
    ord("～"): "至",
    ord("~"): "至",
    ord("—"): "至",
}
_ITEM = re.compile(r"(?:^|\n|\s|[.;。])\s*([一二三四五六七八九十]{1,3})[、.．]\s*")
_DATE = r"(?:(?P<{p}y>\d{{4}})年)?(?:(?P<{p}m>\d{{1,2}})月)?(?P<{p}d>\d{{1,2}})日(?:\([^)]*\))?"
_RANGE = re.compile(
    _DATE.format(p="a") + r"(?:\s*至\s*" + _DATE.format(p="b") + r")?\s*(?:放假|补休)"
)
_ONE_DATE = re.compile(_DATE.format(p="x"))
_TOTAL = re.compile(r"共\s*(\d{1,2})\s*天")


def _pick(match: re.Match, prefix: str, year: int, month: int | None) -> tuple[date, int]:
    y = int(match.group(f"{prefix}y") or year)
    m = match.group(f"{prefix}m")
    if m is None and month is None:
        raise NoticeError("日期缺少月份")
    m = int(m) if m is not None else month
    try:
        return date(y, m, int(match.group(f"{prefix}d"))), m
    except ValueError as exc:
        raise NoticeError(f"日期不存在：{y}年{m}月{match.group(f'{prefix}d')}日") from exc


def _dates_in(text: str, year: int) -> list[date]:
    out, month, y = [], None, year
    for m in _ONE_DATE.finditer(text):
        if m.group("xy"):
            y = int(m.group("xy"))
        day, month = _pick(m, "x", y, month)
        out.append(day)
    return out


def parse_notice(text: str, year: int) -> list[NoticeItem]:
    """Read the numbered items of a notice as the State Council prints them, e.g.
    "二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日
    （周六）、2月28日（周六）上班。" Dates without a year are in `year`; a range that runs past 31
    December carries on into the next year. Lines without an item number are ignored (the
    greeting, the closing paragraph). Raises NoticeError with the item's number."""
    plain = text.translate(_FULL_WIDTH)
    marks = list(_ITEM.finditer(plain))
    items = []
    for index, mark in enumerate(marks, 1):
        end = marks[index].start() if index < len(marks) else len(plain)
        body = plain[mark.end() : end].strip()
        if ":" not in body:
            raise NoticeError("应写作“节日名称：日期安排”", index)
        name, rest = (part.strip() for part in body.split(":", 1))
        name = re.sub(r"\s+", "", name)
        try:
            items.append(_parse_item(name, rest, year))
        except NoticeError as exc:
            raise NoticeError(f"{name}：{exc}", index) from None
    if not items:
        raise NoticeError("没有找到编号的放假安排（如“一、元旦：1月1日放假……”）")
    return items


def _parse_item(name: str, rest: str, year: int) -> NoticeItem:
    ranges = list(_RANGE.finditer(rest))
    if not ranges:
        raise NoticeError("没有找到放假日期（如“1月1日至3日放假”）")
    first_match = ranges[0]
    first, month = _pick(first_match, "a", year, None)
    if first_match.group("bd") is not None:
        by = first_match.group("by")
        last, _ = _pick(first_match, "b", int(by) if by else first.year, month)
        if last < first and not by:
            last = last.replace(year=last.year + 1)
    else:
        last = first
    extra = []
    for more in ranges[1:]:  # "1月1日放假，1月2日（星期一）补休": the second day is off too
        day, _ = _pick(more, "a", first.year, month)
        if more.group("bd") is not None:
            raise NoticeError("一项中只能有一段连续的放假日期")
        extra.append(day)
    total = _TOTAL.search(rest)
    tail = rest[ranges[-1].end() :]
    workdays: list[date] = []
    for sentence in re.split(r"[.;]", tail):
        if "上班" in sentence:
            workdays += _dates_in(sentence.split("上班")[0], year)
    return NoticeItem(
        name=name,
        first=first,
        last=last,
        total=int(total.group(1)) if total else None,
        workdays=tuple(workdays),
        extra_holidays=tuple(d for d in extra if not first <= d <= last),
    )


_CN_NUMBERS = "一二三四五六七八九十"


def _cn_number(n: int) -> str:
    if n <= 10:
        return _CN_NUMBERS[n - 1]
    return ("" if n < 20 else _CN_NUMBERS[n // 10 - 1]) + "十" + _CN_NUMBERS[n % 10 - 1]


def _day_text(day: date, year: int, month: int | None = None) -> str:
    prefix = f"{day.year}年" if day.year != year else ""
    head = f"{day.month}月" if (prefix or month != day.month) else ""
    return f"{prefix}{head}{day.day}日（周{WEEKDAYS[day.weekday()]}）"


def notice_items(year: int, days: Iterable[SpecialDay]) -> list[NoticeItem]:
    """The items of a year's notice rebuilt from its special days: each run of consecutive
    holidays one item named after its holidays; each make-up day goes to the item of its name
    (else to the nearest item)."""
    days = sorted(days, key=lambda s: s.day)
    runs: list[list[SpecialDay]] = []
    for s in (s for s in days if s.kind == HOLIDAY):
        if runs and (s.day - runs[-1][-1].day).days == 1:
            runs[-1].append(s)
        else:
            runs.append([s])
    items = []
    for run in runs:
        names = list(dict.fromkeys(s.name for s in run if s.name))
        items.append(
            {"name": "、".join(names) or "节假日", "names": names, "run": run, "workdays": []}
        )
    for s in (s for s in days if s.kind == WORKDAY):
        if not items:
            raise NoticeError(f"{_md(s.day)} 调休上班，但没有任何放假日期")
        owner = next((i for i in items if s.name and s.name in i["names"]), None) or min(
            items, key=lambda i: abs((i["run"][0].day - s.day).days)
        )
        owner["workdays"].append(s.day)
    return [
        NoticeItem(
            name=i["name"],
            first=i["run"][0].day,
            last=i["run"][-1].day,
            total=len(i["run"]),
            workdays=tuple(i["workdays"]),
        )
        for i in items
    ]


def notice_text(year: int, items: list[NoticeItem]) -> str:
    """The items written as the notice prints them (what `parse_notice` reads back)."""
    lines = []
    for number, item in enumerate(items, 1):
        when = _day_text(item.first, year)
        if item.last != item.first:
            when += "至" + _day_text(
                item.last, year, item.first.month if item.last.year == item.first.year else None
            )
        total = item.total or (item.last - item.first).days + 1
        line = f"{_cn_number(number)}、{item.name}：{when}放假，共{total}天。"
        if item.workdays:
            worked = "、".join(_day_text(d, year) for d in item.workdays)
            line += f"{worked}上班。"
        lines.append(line)
    return "\n".join(lines)


def month_grid(calendar: WorkCalendar, year: int, month: int) -> list[list[date | None]]:
    """The weeks of a month, Monday first, for a calendar page (None outside the month)."""
    first = date(year, month, 1)
    weeks: list[list[date | None]] = [[None] * first.weekday()]
    day = first
    while day.month == month:
        if len(weeks[-1]) == 7:
            weeks.append([])
        weeks[-1].append(day)
        day += timedelta(days=1)
    weeks[-1] += [None] * (7 - len(weeks[-1]))
    return weeks


# --------------------------------------------------------------------------------------------
# A file of special days (`qinqing holidays_load`): CSV or JSON
# --------------------------------------------------------------------------------------------

KIND_WORDS = {
    "holiday": HOLIDAY,
    "放假": HOLIDAY,
    "休": HOLIDAY,
    "workday": WORKDAY,
    "上班": WORKDAY,
    "调休上班": WORKDAY,
    "班": WORKDAY,
}


@dataclass(frozen=True)
class YearFile:
    """One year's notice as a file gives it."""

    year: int
    days: tuple[SpecialDay, ...]
    number: str = ""
    published_on: date | None = None


@dataclass(frozen=True)
class RowError:
    row: str  # "第 3 行" / "days[2]"
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.row}，{self.field}：{self.message}"


class HolidayFileError(ValueError):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


def _year_of_title(title: str) -> int | None:
    found = re.search(r"(\d{4})\s*年", title or "")
    return int(found.group(1)) if found else None


def holiday_file_years(rows: list[tuple[str, Mapping[str, object]]]) -> list[YearFile]:
    """Group a file's rows (each `(where, {date, kind, name?, year?, notice?, number?,
    published_on?})`) into years: `year`, else the year in the `notice` title, else the date's
    year. All rows are checked; every error is reported (HolidayFileError), none is half-read."""
    errors: list[RowError] = []
    years: dict[int, dict] = {}
    for where, row in rows:
        raw_date = str(row.get("date") or "").strip()
        try:
            day = date.fromisoformat(raw_date)
        except ValueError:
            errors.append(RowError(where, "date", f"“{raw_date}”不是 YYYY-MM-DD 格式的日期"))
            continue
        kind = KIND_WORDS.get(str(row.get("kind") or "").strip().lower())
        if kind is None:
            errors.append(RowError(where, "kind", "应为 holiday（放假）或 workday（调休上班）"))
            continue
        year_text = str(row.get("year") or "").strip()
        if year_text:
            if not year_text.isascii() or not year_text.isdigit():
                errors.append(RowError(where, "year", f"“{year_text}”不是年份"))
                continue
            year = int(year_text)
        else:
            year = _year_of_title(str(row.get("notice") or "")) or day.year
        published = str(row.get("published_on") or "").strip()
        try:
            published_on = date.fromisoformat(published) if published else None
        except ValueError:
            errors.append(RowError(where, "published_on", f"“{published}”不是日期"))
            continue
        entry = years.setdefault(year, {"days": {}, "number": "", "published_on": None})
        if day in entry["days"]:
            errors.append(RowError(where, "date", f"{day} 重复"))
            continue
        entry["days"][day] = SpecialDay(day, kind, str(row.get("name") or "").strip()[:60])
        entry["number"] = entry["number"] or str(row.get("number") or "").strip()[:60]
        entry["published_on"] = entry["published_on"] or published_on
    if not rows:
        errors.append(RowError("文件", "rows", "没有任何日期"))
    if errors:
        raise HolidayFileError(errors)
    return [
        YearFile(
            year,
            tuple(sorted(e["days"].values(), key=lambda s: s.day)),
            e["number"],
            e["published_on"],
        )
        for year, e in sorted(years.items())
    ]
