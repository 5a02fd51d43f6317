"""Load a year's holiday notice (or several) from a CSV or JSON file of special days."""

import csv
import io
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from qinqing.core import calendar, calendar_rules
from qinqing.core.calendar_rules import HolidayFileError
from qinqing.core.errors import DomainError
from qinqing.core.models import HolidayNotice
from qinqing.core.services import holiday_notice_draft, holiday_notice_save

FIELDS = ("date", "kind", "name", "year", "notice", "number", "published_on")


def _rows_from_csv(text: str) -> list:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    if "date" not in header or "kind" not in header:
        raise CommandError(
            "CSV 第 1 行应为表头，至少含 date 和 kind 两列（另可有 " + "、".join(FIELDS[2:]) + "）"
        )
    return [
        (f"第 {n} 行", {k.strip(): v for k, v in row.items() if k})
        for n, row in enumerate(reader, 2)
    ]


def _rows_from_json(text: str) -> list:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(
            f"JSON 格式错误：第 {exc.lineno} 行第 {exc.colno} 列，{exc.msg}"
        ) from None
    notices = data if isinstance(data, list) else [data]
    rows = []
    for n, notice in enumerate(notices):
        if not isinstance(notice, dict):
            raise CommandError(f"第 {n + 1} 个条目应为对象")
        if "days" not in notice:  # a flat list of day rows
            rows.append((f"第 {n + 1} 条", notice))
            continue
        shared = {k: notice.get(k) for k in ("year", "number", "published_on")}
        shared["notice"] = notice.get("notice") or notice.get("title")
        if not isinstance(notice["days"], list):
            raise CommandError(f"第 {n + 1} 个通知的 days 应为列表")
        for m, day in enumerate(notice["days"]):
            if not isinstance(day, dict):
                raise CommandError(f"第 {n + 1} 个通知 days[{m}] 应为对象")
            rows.append((f"第 {n + 1} 个通知 days[{m}]", {**shared, **day}))
    return rows


class Command(BaseCommand):
    help = (
        "Load the State Council's holiday notice for one or more years from FILE (.csv or "
        ".json: rows of date, kind = holiday|workday, name, and year or notice, number, "
        "published_on). All or nothing; the deadlines computed across changed days are moved."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="check and show, save nothing")

    def handle(self, *args, file: Path, dry_run: bool, **options):
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"无法读取 {file}：{exc}") from None
        rows = _rows_from_json(text) if file.suffix.lower() == ".json" else _rows_from_csv(text)
        try:
            years = calendar_rules.holiday_file_years(rows)
        except HolidayFileError as exc:
            raise CommandError("文件有误，未作任何更改：\n" + str(exc)) from None
        drafts = []
        for entry in years:
            try:
                drafts.append(
                    holiday_notice_draft(
                        year=entry.year,
                        days=list(entry.days),
                        number=entry.number,
                        published_on=entry.published_on,
                    )
                )
            except DomainError as exc:
                raise CommandError(f"{entry.year} 年：{exc.message}（未作任何更改）") from None
        for draft in drafts:
            self.stdout.write(
                f"{draft.year} 年：放假 {draft.holidays} 天，调休上班 {draft.workdays} 天"
                + (f"；请核对：{'；'.join(draft.warnings)}" if draft.warnings else "")
            )
        if dry_run:
            self.stdout.write("（试运行，未保存）")
            return
        with transaction.atomic():
            saved = [
                holiday_notice_save(actor=None, draft=d, source=HolidayNotice.Source.FILE)
                for d in drafts
            ]
        for draft, result in zip(drafts, saved, strict=True):
            moved = "，".join(f"{label} {n} 项" for label, n in result.moved.items() if n)
            self.stdout.write(
                self.style.SUCCESS(
                    f"{draft.year} 年已保存：工作日变化 {len(result.changed_days)} 天"
                    + (f"，期限已重算：{moved}" if moved else "")
                )
            )
        still = calendar.missing_years()
        if still:
            self.stdout.write(self.style.WARNING(f"仍未录入：{'、'.join(map(str, still))} 年"))
