"""A year's holiday notice entered on the platform: the table, the page, the file, who is told
of a missing year. How each module's deadlines are marked and moved: needs/ and bankruptcy/
tests (test_deadlines_calendar.py)."""

import json
from datetime import date
from importlib import import_module

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.utils import timezone

from qinqing.core import calendar
from qinqing.core.models import AuditEntry, CalendarDay, HolidayNotice
from qinqing.core.testing import (
    ANONYMOUS,
    TEST_NOTICE_2027,
    check_matrix,
    enter_test_notice_2027,
)

pytestmark = pytest.mark.django_db

TEST_2027 = TEST_NOTICE_2027


# --- the table and the calendar -----------------------------------------------------------


def test_the_migration_seeds_every_year_the_package_knows():
    seed = import_module("qinqing.core.migrations.0005_holiday_calendar").seed_from_package
    HolidayNotice.objects.all().delete()
    seed(apps, None)
    assert set(HolidayNotice.objects.values_list("year", flat=True)) == set(calendar.PACKAGE_YEARS)
    notice = HolidayNotice.objects.get(year=2026)
    assert notice.source == HolidayNotice.Source.PACKAGE
    assert notice.title == "国务院办公厅关于2026年部分节假日安排的通知"
    assert notice.days.filter(kind="holiday").count() == 33
    assert set(notice.days.filter(kind="workday").values_list("date", flat=True)) == {
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    }
    calendar.invalidate()
    assert calendar.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)


def test_a_year_loaded_from_a_file_moves_working_days(tmp_path):
    rows = ["date,kind,name,notice,number"]
    rows += [f"2027-01-0{d},holiday,元旦,测试用2027年通知,测试〔2026〕1号" for d in (1, 2, 3)]
    rows += [f"2027-02-{d:02d},holiday,春节,测试用2027年通知," for d in range(6, 15)]
    rows += [
        "2027-01-30,workday,春节,测试用2027年通知,",
        "2027-02-20,workday,春节,测试用2027年通知,",
    ]
    path = tmp_path / "2027.csv"
    path.write_text("\n".join(rows), encoding="utf-8")
    assert calendar.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 1)  # estimate
    assert calendar.is_estimated(date(2027, 1, 1))

    call_command("holidays_load", str(path))

    assert calendar.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert calendar.add_working_days(date(2027, 1, 29), 1) == date(2027, 1, 30)  # Saturday worked
    assert calendar.add_working_days(date(2027, 2, 5), 1) == date(2027, 2, 15)
    assert calendar.working_days_between(date(2027, 2, 19), date(2027, 2, 22)) == 2
    assert not calendar.is_estimated(date(2027, 1, 4))
    notice = HolidayNotice.objects.get(year=2027)
    assert (notice.source, notice.number) == ("file", "测试〔2026〕1号")
    assert notice.days.count() == 14
    entry = AuditEntry.objects.get(action="calendar.notice_save")
    assert entry.detail["changed_days"] == [
        "2027-01-01",
        "2027-01-30",
        "2027-02-08",
        "2027-02-09",
        "2027-02-10",
        "2027-02-11",
        "2027-02-12",
        "2027-02-20",
    ]


def test_a_bad_file_changes_nothing_and_names_its_rows(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            {
                "year": 2027,
                "days": [
                    {"date": "2027-01-01", "kind": "holiday"},
                    {"date": "2027-01-32", "kind": "holiday"},
                    {"date": "2027-01-05", "kind": "workday"},
                ],
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match=r"days\[1\]，date"):
        call_command("holidays_load", str(path))
    path.write_text(
        json.dumps(
            {
                "year": 2027,
                "days": [
                    {"date": "2027-01-01", "kind": "holiday"},
                    {"date": "2027-01-05", "kind": "workday"},
                ],
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="应为周六或周日"):
        call_command("holidays_load", str(path))
    assert not HolidayNotice.objects.filter(year=2027).exists()
    assert not CalendarDay.objects.filter(date__year=2027).exists()


def test_another_process_sees_a_change_after_the_refresh_interval(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(calendar.time, "monotonic", lambda: clock[0])
    assert calendar.is_working_day(date(2027, 1, 1))
    # Another process saves 2027: this process's copy is still fresh for a while.
    notice = HolidayNotice.objects.create(year=2027, title="测试", source="entered")
    CalendarDay.objects.create(notice=notice, date=date(2027, 1, 1), kind="holiday")
    assert calendar.is_working_day(date(2027, 1, 1))
    clock[0] += calendar.REFRESH_SECONDS + 1
    assert not calendar.is_working_day(date(2027, 1, 1))


# --- who is told that a year is missing -----------------------------------------------------


def test_the_platform_administrator_and_healthz_are_told_of_the_missing_year(
    client, demo_users, monkeypatch
):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 10, 31))
    assert client.get("/healthz").json()["calendar"] == {"status": "ok", "missing_years": []}
    client.force_login(demo_users["admin"])
    assert "待办：录入" not in client.get("/").content.decode()

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 11, 1))
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {
        "status": "warn",
        "database": "ok",
        "static": "ok",
        "calendar": {"status": "missing", "missing_years": [2027]},
        "queue": {"status": "ok", "backend": "database", "late": 0},
        "replica": {"status": "none"},
    }
    home = client.get("/").content.decode()
    assert "待办：录入 2027 年节假日安排" in home and "/calendar/2027/edit/" in home
    client.force_login(demo_users["dispatcher"])
    assert "待办：录入" not in client.get("/").content.decode()

    enter_test_notice_2027()
    client.force_login(demo_users["admin"])
    assert "待办：录入" not in client.get("/").content.decode()
    assert client.get("/healthz").json()["status"] == "ok"


# --- the page: paste, preview, save ---------------------------------------------------------


def test_calendar_pages_permission_matrix(client, demo_users):
    check_matrix(
        client,
        {
            "/calendar/": {ANONYMOUS: 200, "admin": 200, "judge": 200, "enterprise": 200},
            "/calendar/2027/": {ANONYMOUS: 200, "admin": 200, "dispatcher": 200},
            "/calendar/1990/": {ANONYMOUS: 404, "admin": 404},
            "/calendar/2027/edit/": {
                ANONYMOUS: 302,
                "admin": 200,
                "dispatcher": 403,
                "judge": 403,
                "editor": 403,
                "enterprise": 403,
            },
        },
        demo_users,
    )
    response = client.post("/calendar/2027/edit/", {"text": TEST_2027})
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(demo_users["dispatcher"])
    assert client.post("/calendar/2027/edit/", {"text": TEST_2027}).status_code == 403
    assert not HolidayNotice.objects.filter(year=2027).exists()


def test_the_administrator_previews_then_saves(client, demo_users):
    client.force_login(demo_users["admin"])
    preview = client.post("/calendar/2027/edit/", {"text": TEST_2027, "number": "测试〔2026〕1号"})
    assert preview.status_code == 200
    assert not HolidayNotice.objects.filter(year=2027).exists()  # a preview saves nothing
    page = preview.content.decode()
    assert "放假 12 天，调休上班 2 天" in page
    assert "请再核对" in page and "劳动节" in page  # no 劳动节 in the test notice
    digest = preview.context["digest"]

    # Edited after the preview: shown again, not saved.
    edited = TEST_2027.replace("2月20日（周六）", "2月21日（周日）")
    again = client.post("/calendar/2027/edit/", {"text": edited, "confirm": digest})
    assert again.status_code == 200 and again.context["changed_since_preview"]
    assert not HolidayNotice.objects.filter(year=2027).exists()

    saved = client.post(
        "/calendar/2027/edit/", {"text": TEST_2027, "number": "测试〔2026〕1号", "confirm": digest}
    )
    assert saved.status_code == 302 and saved["Location"] == "/calendar/2027/"
    notice = HolidayNotice.objects.get(year=2027)
    assert (notice.source, notice.entered_by, notice.number) == (
        "entered",
        demo_users["admin"],
        "测试〔2026〕1号",
    )
    assert AuditEntry.objects.filter(
        action="calendar.notice_save", actor=demo_users["admin"]
    ).exists()
    year_page = client.get("/calendar/2027/").content.decode()
    assert "测试〔2026〕1号" in year_page and "按周一至周五估算" not in year_page


def test_a_notice_that_does_not_read_is_refused_at_its_field(client, demo_users):
    client.force_login(demo_users["admin"])
    response = client.post("/calendar/2027/edit/", {"text": "一、元旦：1月1日至4日放假，共3天。"})
    assert response.status_code == 400
    assert response.context["form"].errors["text"] == [
        "第 1 项：元旦：1月1日至1月4日是 4 天，通知写“共3天”"
    ]
    assert not HolidayNotice.objects.filter(year=2027).exists()
