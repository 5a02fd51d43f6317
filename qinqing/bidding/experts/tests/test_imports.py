"""The expert import's second and third sheets: employment history and declared relations."""

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from qinqing.bidding.conftest import BIDDER_USCCS, expert_row
from qinqing.bidding.experts import imports
from qinqing.bidding.models import Expert, ExpertDeclaredRelation, ExpertRelation
from qinqing.core.demo import demo_uscc
from qinqing.core.models import AuditEntry
from qinqing.core.testing import xlsx_declaring_every_cell, xlsx_with_part

pytestmark = pytest.mark.django_db

OTHER_USCC = demo_uscc("91420100", 777)
# The same code with another check character: a typo the check must catch.
BAD_USCC = OTHER_USCC[:-1] + ("1" if OTHER_USCC[-1] != "1" else "2")


def _workbook(experts, relations=(), declared=(), *, with_sheets=True) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = imports.EXPERTS
    sheet.append([label for _, label, _ in imports.COLUMNS])
    for row in experts:
        sheet.append([row[name] for name, _, _ in imports.COLUMNS])
    if with_sheets:
        for title, columns, rows in (
            (imports.RELATIONS, imports.RELATION_COLUMNS, relations),
            (imports.DECLARED, imports.DECLARED_COLUMNS, declared),
        ):
            extra = book.create_sheet(title)
            extra.append([label for _, label, _ in columns])
            for row in rows:
                extra.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _import(world, content: bytes) -> int:
    sheets = imports.read_file("experts.xlsx", content)
    return imports.experts_import(
        actor=world["centre_wh"],
        database=world["orgs"]["whggzy-experts"],
        rows=sheets.experts,
        relations=sheets.relations,
        declared=sheets.declared,
    )


def test_histories_and_declarations_are_saved_with_the_experts(world):
    bidder = BIDDER_USCCS[0]
    content = _workbook(
        [expert_row("H-1", 601), expert_row("H-2", 602)],
        relations=[
            # An Excel date cell and a typed date, a director and a supervisor (both 董事/监事).
            ("H-1", bidder, "示例投标人0", "任职", datetime(2019, 7, 1), "2023/06/30"),
            ("H-1", OTHER_USCC, "某咨询公司", "监事", "2021-01-01", None),
            ("H-2", bidder, "示例投标人0", "控股股东", "2015年3月9日", ""),
        ],
        declared=[("H-2", OTHER_USCC, "某咨询公司")],
    )
    assert _import(world, content) == 2
    h1 = Expert.objects.get(code="H-1")
    history = sorted(h1.relations.values_list("org_uscc", "kind", "start", "end"))
    assert history == sorted(
        [
            (bidder, "employee", date(2019, 7, 1), date(2023, 6, 30)),
            (OTHER_USCC, "director", date(2021, 1, 1), None),
        ]
    )
    h2 = Expert.objects.get(code="H-2")
    assert list(h2.relations.values_list("kind", "start")) == [("shareholder", date(2015, 3, 9))]
    assert list(h2.declared_relations.values_list("org_uscc", "org_name")) == [
        (OTHER_USCC, "某咨询公司")
    ]
    entry = AuditEntry.objects.filter(action="expert.import").order_by("-seq").first()
    assert entry.detail["relations"] == 3 and entry.detail["declared_relations"] == 1


def test_a_file_without_the_extra_sheets_still_imports(world):
    assert _import(world, _workbook([expert_row("S-1", 611)], with_sheets=False)) == 1
    assert not ExpertRelation.objects.filter(expert__code="S-1").exists()


def test_errors_in_any_sheet_name_sheet_row_and_column_and_save_nothing(world):
    tomorrow = timezone.localdate() + timedelta(days=1)
    content = _workbook(
        [expert_row("E-1", 621), expert_row("E-2", 622, phone="12")],
        relations=[
            ("E-1", BIDDER_USCCS[0], "示例投标人0", "任职", "2019-07-01", ""),  # fine
            ("E-9", BIDDER_USCCS[0], "示例投标人0", "任职", "2019-07-01", ""),
            ("E-1", BAD_USCC, "坏代码公司", "任职", "2019-07-01", ""),
            ("E-1", OTHER_USCC, "某公司", "顾问", "2019-07-01", ""),
            ("E-1", OTHER_USCC, "某公司", "任职", "2019-13-01", ""),
            ("E-1", OTHER_USCC, "某公司", "任职", "2020-01-01", "2019-12-31"),
            ("E-1", OTHER_USCC, "某公司", "任职", tomorrow.isoformat(), ""),
            ("E-1", OTHER_USCC, "", "任职", "2019-07-01", ""),
            ("E-1", BIDDER_USCCS[0], "示例投标人0", "任职", "2019-07-01", ""),  # row 2 again
        ],
        declared=[
            ("E-2", OTHER_USCC, "某咨询公司"),
            ("E-2", OTHER_USCC, "某咨询公司"),
        ],
    )
    before = (Expert.objects.count(), ExpertRelation.objects.count())
    with pytest.raises(imports.ImportErrors) as excinfo:
        _import(world, content)
    assert excinfo.value.errors == [
        ("专家", 3, "手机号", "应为11位数字"),
        ("任职经历", 3, "专家编号", "不是“专家”表中本次导入的专家"),
        ("任职经历", 4, "单位统一社会信用代码", "格式或校验位不正确"),
        ("任职经历", 5, "关系", "应为 任职、董事、监事 或 控股股东"),
        ("任职经历", 6, "起始日期", "日期格式应为 2019-07-01"),
        ("任职经历", 7, "终止日期", "不能早于起始日期"),
        ("任职经历", 8, "起始日期", "不能晚于今天"),
        ("任职经历", 9, "单位名称", "必填"),
        ("任职经历", 10, "单位统一社会信用代码", "与第 2 行重复"),
        ("申报关联单位", 3, "关联单位统一社会信用代码", "与第 2 行重复"),
    ]
    assert (Expert.objects.count(), ExpertRelation.objects.count()) == before
    assert not ExpertDeclaredRelation.objects.filter(expert__code__startswith="E-").exists()


def test_a_code_with_blanks_or_control_characters_is_refused(world):
    # Cells are stripped, so the blanks that matter are inside the code; a worksheet cannot
    # hold most control characters, a CSV file can.
    rows = [expert_row("C 1", 631), expert_row("C\n2", 632), expert_row("C\x1f3", 633)]
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow([label for _, label, _ in imports.COLUMNS])
    for row in rows:
        writer.writerow([row[name] for name, _, _ in imports.COLUMNS])
    sheets = imports.read_file("experts.csv", text.getvalue().encode())
    with pytest.raises(imports.ImportErrors) as excinfo:
        imports.experts_import(
            actor=world["centre_wh"],
            database=world["orgs"]["whggzy-experts"],
            rows=sheets.experts,
            relations=sheets.relations,
            declared=sheets.declared,
        )
    reason = "不能含空格、换行等空白或控制字符"
    assert excinfo.value.errors == [
        ("专家", 2, "专家编号", reason),
        ("专家", 3, "专家编号", reason),
        ("专家", 4, "专家编号", reason),
    ]
    assert not Expert.objects.filter(code__startswith="C").exists()


def test_a_start_date_of_today_is_accepted(world):
    today = timezone.localdate().isoformat()
    content = _workbook(
        [expert_row("T-1", 631)],
        relations=[("T-1", OTHER_USCC, "某公司", "董事", today, today)],
    )
    assert _import(world, content) == 1


def test_a_sheet_with_a_wrong_header_is_refused(world):
    book = load_workbook(io.BytesIO(_workbook([expert_row("W-1", 641)])))
    book[imports.RELATIONS]["A1"] = "编号"
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(imports.DomainError, match="“任职经历”表缺少列：专家编号"):
        imports.read_file("x.xlsx", buffer.getvalue())


def test_the_template_has_the_three_sheets_and_their_notes():
    book = load_workbook(io.BytesIO(imports.template_workbook()))
    assert book.sheetnames == ["专家", "任职经历", "申报关联单位", "填写说明"]
    header = [c.value for c in next(book["任职经历"].iter_rows())]
    assert header == [label for _, label, _ in imports.RELATION_COLUMNS]
    notes = [tuple(c.value for c in row) for row in book["填写说明"].iter_rows(min_row=2)]
    assert ("任职经历", "终止日期", "选填；仍在任可留空") in notes


def test_a_file_declaring_every_cell_is_refused_by_its_rows_not_read_in_full(world):
    """A few kilobytes declaring A1:XFD1048576 with a value in the last row: the import names
    the row limit instead of building a million rows of 16,384 cells (memory exhausted)."""
    header = [label for _, label, _ in imports.COLUMNS]
    row = expert_row("D-1", 651)
    rows = [header, [row[name] for name, _, _ in imports.COLUMNS]]
    with pytest.raises(imports.DomainError, match="“专家”表数据超过 20000 行的上限"):
        imports.read_file("experts.xlsx", xlsx_declaring_every_cell(rows))
    assert _import(world, xlsx_declaring_every_cell(rows, last_row_value=None)) == 1
    bomb = xlsx_with_part("xl/worksheets/sheet1.xml", 64 * 1024 * 1024)
    with pytest.raises(imports.DomainError, match="解压后超过 32 MB 的上限"):
        imports.read_file("experts.xlsx", bomb)
