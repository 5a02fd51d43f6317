"""The holiday notice as pure rules: read, checked, written back; the calendar's precedence."""

from datetime import date

import pytest

from qinqing.core.calendar import PACKAGE_YEARS, package_answer, package_days
from qinqing.core.calendar_rules import (
    HOLIDAY,
    WORKDAY,
    HolidayFileError,
    NoticeError,
    NoticeItem,
    SpecialDay,
    WorkCalendar,
    changed_days,
    check_notice,
    holiday_file_years,
    missing_years,
    notice_items,
    notice_text,
    notice_warnings,
    parse_notice,
)

# As the State Council printed them (国务院办公厅, 2025-11-04 and 2016-12-01), with the greeting
# and the closing paragraph the parser must ignore.
NOTICE_2026 = """各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
经国务院批准，现将2026年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
三、清明节：4月4日（周六）至6日（周一）放假，共3天。
四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。
五、端午节：6月19日（周五）至21日（周日）放假，共3天。
六、中秋节：9月25日（周五）至27日（周日）放假，共3天。
七、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。
鼓励单位和个人结合落实带薪年休假等制度，实际形成较长假期，推动错峰出行。节假日期间，各地区、各部门要妥善安排好值班和安全、保卫、疫情防控等工作，遇有重大突发事件，要按规定及时报告并妥善处置，确保人民群众祥和平安度过节日假期。
国务院办公厅
2025年11月4日"""

NOTICE_2017 = """一、元旦：1月1日放假，1月2日（星期一）补休。
二、春节：1月27日至2月2日放假调休，共7天。1月22日（星期日）、2月4日（星期六）上班。
三、清明节：4月2日至4日放假调休，共3天。4月1日（星期六）上班。
四、劳动节：5月1日放假，与周末连休。
五、端午节：5月28日至30日放假调休，共3天。5月27日（星期六）上班。
六、中秋节、国庆节：10月1日至8日放假调休，共8天。9月30日（星期六）上班。"""


def _pairs(days):
    return {(s.day, s.kind) for s in days}


@pytest.mark.parametrize(("year", "text"), [(2026, NOTICE_2026), (2017, NOTICE_2017)])
def test_a_real_notice_reads_as_the_package_has_it(year, text):
    days = check_notice(year, parse_notice(text, year))
    assert _pairs(days) == _pairs(package_days(year))


def test_the_2026_notice_item_by_item():
    items = parse_notice(NOTICE_2026, 2026)
    assert [i.name for i in items] == [
        "元旦",
        "春节",
        "清明节",
        "劳动节",
        "端午节",
        "中秋节",
        "国庆节",
    ]
    spring = items[1]
    assert (spring.first, spring.last, spring.total) == (date(2026, 2, 15), date(2026, 2, 23), 9)
    assert spring.workdays == (date(2026, 2, 14), date(2026, 2, 28))
    # 国庆节 lists a make-up Sunday before the holiday and a Saturday after it.
    assert items[6].workdays == (date(2026, 9, 20), date(2026, 10, 10))
    assert notice_warnings(2026, items) == []


def test_new_year_across_two_years():
    """The 2019 notice gave 30 December 2018 – 1 January 2019 and had Saturday 29 December
    2018 worked: dates with their own year keep it."""
    text = "一、元旦：2018年12月30日至2019年1月1日放假调休，共3天。2018年12月29日（星期六）上班。"
    days = check_notice(2019, parse_notice(text, 2019))
    assert _pairs(days) == {
        (date(2018, 12, 29), WORKDAY),
        (date(2018, 12, 30), HOLIDAY),
        (date(2018, 12, 31), HOLIDAY),
        (date(2019, 1, 1), HOLIDAY),
    }


@pytest.mark.parametrize("year", sorted(PACKAGE_YEARS))
def test_every_known_year_survives_writing_and_reading_back(year):
    days = package_days(year)
    text = notice_text(year, notice_items(year, days))
    assert _pairs(check_notice(year, parse_notice(text, year))) == _pairs(days)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("一、元旦：1月1日至4日放假，共3天。", 1, "是 4 天"),
        ("一、元旦：1月1日至3日放假，共3天。1月5日（周二）上班。", 1, "应为周六或周日"),
        ("一、元旦：1月1日至3日放假。\n二、春节：1月3日至5日放假。", 2, "已出现"),
        ("一、元旦：1月1日至3日放假。\n二、春节：2月1日至20日放假。", 2, "超过 15 天"),
        ("一、国庆节：2028年10月1日至7日放假。", 1, "不在 2027 年"),
        ("一、元旦：1月1日至3日。", 1, "没有找到放假日期"),
        ("一、元旦：2月30日放假。", 1, "日期不存在"),
        ("元旦：1月1日放假。", None, "没有找到编号"),
        ("一、元旦1月1日放假。", 1, "节日名称：日期安排"),
    ],
)
def test_a_notice_that_does_not_hold_together_is_refused_with_its_item(text, line, words):
    with pytest.raises(NoticeError) as caught:
        check_notice(2027, parse_notice(text, 2027))
    assert caught.value.line == line
    assert words in str(caught.value)


def test_full_width_digits_and_ascii_punctuation_are_read():
    text = "一、元旦:１月１日(周五)至３日(周日)放假,共３天."
    (item,) = parse_notice(text, 2027)
    assert (item.first, item.last, item.total) == (date(2027, 1, 1), date(2027, 1, 3), 3)


def test_warnings_name_a_fixed_holiday_left_working():
    """Since 2025 劳动节 is 1 and 2 May (放假办法 Art.2); before, 1 May alone."""
    items = [
        NoticeItem("元旦", date(2027, 1, 1), date(2027, 1, 1)),
        NoticeItem("劳动节", date(2027, 5, 1), date(2027, 5, 1)),
        NoticeItem("国庆节", date(2027, 10, 1), date(2027, 10, 7)),
    ]
    assert notice_warnings(2027, items) == [
        "劳动节应放假的 5月2日 不在放假日期内（放假办法第二条）"
    ]
    older = [
        NoticeItem(i.name, i.first.replace(year=2024), i.last.replace(year=2024)) for i in items
    ]
    assert notice_warnings(2024, older) == []


# --- the calendar's precedence ------------------------------------------------------------


def _entered_2027() -> WorkCalendar:
    # Invented for the test (not a real notice): Friday 1 – Sunday 3 January off, Saturday
    # 9 January worked.
    days = {date(2027, 1, d): False for d in (1, 2, 3)} | {date(2027, 1, 9): True}
    return WorkCalendar(days, [2027], package_answer, PACKAGE_YEARS)


def test_the_table_wins_over_the_package_and_an_entered_year_is_read_from_the_table_alone():
    cal = WorkCalendar(
        {date(2026, 1, 2): True}, [2026], package_answer, PACKAGE_YEARS
    )  # the package says 2 January 2026 is a holiday
    assert cal.is_working_day(date(2026, 1, 2))
    # 1 January 2026 is not in this table: in an entered year that leaves Monday–Friday.
    assert cal.is_working_day(date(2026, 1, 1))
    assert not package_calendar_is_working(date(2026, 1, 1))


def package_calendar_is_working(day):
    return WorkCalendar({}, (), package_answer, PACKAGE_YEARS).is_working_day(day)


def test_a_year_nobody_knows_is_counted_monday_to_friday_and_marked():
    cal = WorkCalendar({}, (), package_answer, PACKAGE_YEARS)
    assert cal.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 1)  # a Friday
    assert cal.is_estimated(date(2027, 1, 1))
    assert not cal.is_estimated(date(2026, 12, 31))
    assert cal.is_estimated(date(2026, 12, 31), since=date(2026, 12, 1)) is False
    entered = _entered_2027()
    assert entered.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert entered.add_working_days(date(2027, 1, 8), 1) == date(2027, 1, 9)  # worked Saturday
    assert not entered.is_estimated(date(2027, 1, 4))


def test_changed_days_are_the_days_whose_status_differs():
    before = WorkCalendar({}, (), package_answer, PACKAGE_YEARS)
    assert changed_days(before, _entered_2027(), [2027]) == [date(2027, 1, 1), date(2027, 1, 9)]


@pytest.mark.parametrize(
    ("today", "missing"),
    [
        (date(2026, 10, 31), []),
        (date(2026, 11, 1), [2027]),
        (date(2026, 12, 7), [2027]),
        (date(2027, 3, 1), [2027]),
    ],
)
def test_the_next_year_is_wanted_from_1_november(today, missing):
    assert missing_years(WorkCalendar({}, (), package_answer, PACKAGE_YEARS), today) == missing
    assert missing_years(_entered_2027(), today) == []


# --- files ------------------------------------------------------------------------------


def test_a_file_groups_its_days_by_notice_year():
    rows = [
        (
            "第 2 行",
            {"date": "2026-12-31", "kind": "holiday", "notice": "关于2027年部分节假日安排的通知"},
        ),
        (
            "第 3 行",
            {
                "date": "2027-01-01",
                "kind": "放假",
                "name": "元旦",
                "number": "国办发明电〔2026〕1号",
            },
        ),
        ("第 4 行", {"date": "2027-01-09", "kind": "workday", "year": "2027"}),
    ]
    (year,) = holiday_file_years(rows)
    assert year.year == 2027
    assert year.number == "国办发明电〔2026〕1号"
    assert [s.day for s in year.days] == [date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 9)]
    assert year.days[1] == SpecialDay(date(2027, 1, 1), HOLIDAY, "元旦")


def test_a_bad_file_reports_every_row_and_reads_nothing():
    rows = [
        ("第 2 行", {"date": "2027-13-01", "kind": "holiday"}),
        ("第 3 行", {"date": "2027-01-01", "kind": "maybe"}),
        ("第 4 行", {"date": "2027-01-02", "kind": "holiday", "year": "二〇二七"}),
        ("第 5 行", {"date": "2027-01-03", "kind": "holiday"}),
        ("第 6 行", {"date": "2027-01-03", "kind": "holiday"}),
    ]
    with pytest.raises(HolidayFileError) as caught:
        holiday_file_years(rows)
    assert [(e.row, e.field) for e in caught.value.errors] == [
        ("第 2 行", "date"),
        ("第 3 行", "kind"),
        ("第 4 行", "year"),
        ("第 6 行", "date"),
    ]
