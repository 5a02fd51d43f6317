"""Excel in and out: formulas are written as text; hostile uploads are refused before reading."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from qinqing.core import spreadsheets
from qinqing.core.errors import DomainError
from qinqing.core.testing import xlsx_declaring_every_cell, xlsx_with_part


def _roundtrip(values: list) -> list:
    book = Workbook()
    book.active.append(values)
    book.active["A3"] = values[0]  # set one way or the other, the cell is neutralised
    return [*load_workbook(io.BytesIO(spreadsheets.workbook_bytes(book))).active.iter_rows()]


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("https://x","y")', "+1+1", "-1-1", "@SUM(A1)", "\t=1", "\r=1"]
)
def test_formula_like_text_is_written_as_quoted_text(text):
    row, _, again = _roundtrip([text])
    for cell in (row[0], again[0]):
        assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)


def test_numbers_dates_and_ordinary_text_are_written_unchanged():
    values = [-5, Decimal("-12.50"), 3.5, date(2025, 1, 2), "1+1", "张三", None]
    row = _roundtrip(values)[0]
    assert [c.data_type for c in row[:6]] == ["n", "n", "n", "d", "s", "s"]
    assert [c.value for c in row[:2]] == [-5, -12.5]
    assert not any(c.quotePrefix for c in row)


def _book(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_rows_come_back_by_sheet_row_with_blank_rows_kept_in_place():
    content = _book([["a", "b"], [1, 2], [], [None, " "], ["x", None], [], []])
    sheet = spreadsheets.open_workbook(content).worksheets[0]
    rows = spreadsheets.sheet_rows(sheet, max_rows=10, max_columns=5)
    assert rows == [
        ("a", "b", None, None, None),
        (1, 2, None, None, None),
        (),
        (),
        ("x", None, None, None, None),
    ]


def test_declared_dimensions_are_ignored_and_the_rows_are_capped_before_reading():
    content = xlsx_declaring_every_cell([["a", "b"], [1, 2]], last_row_value=None)
    sheet = spreadsheets.open_workbook(content).worksheets[0]
    assert spreadsheets.sheet_rows(sheet, max_rows=10, max_columns=3) == [
        ("a", "b", None),
        (1, 2, None),
    ]
    content = xlsx_declaring_every_cell([["a", "b"], [1, 2]])
    sheet = spreadsheets.open_workbook(content).worksheets[0]
    with pytest.raises(DomainError, match="“专家”表数据超过 10 行的上限（第 1048576 行）"):
        spreadsheets.sheet_rows(sheet, max_rows=10, max_columns=3, name="专家")


def test_the_row_limit_counts_data_rows_under_the_header():
    content = _book([["h"], *([i] for i in range(3))])
    sheet = spreadsheets.open_workbook(content).worksheets[0]
    assert len(spreadsheets.sheet_rows(sheet, max_rows=3, max_columns=1)) == 4
    with pytest.raises(DomainError, match="数据超过 2 行的上限（第 4 行）"):
        spreadsheets.sheet_rows(sheet, max_rows=2, max_columns=1)


def test_a_value_beyond_the_column_limit_refuses_the_file():
    content = _book([["a", "b", "c", "d"]])
    sheet = spreadsheets.open_workbook(content).worksheets[0]
    with pytest.raises(DomainError, match="超过 3 列的上限（第 1 行）"):
        spreadsheets.sheet_rows(sheet, max_rows=5, max_columns=3)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (lambda: b"not a zip at all", "无法读取该 Excel 文件"),
        (lambda: xlsx_with_part("xl/worksheets/sheet1.xml", 40 * 1024 * 1024), "解压后超过 32 MB"),
        (lambda: xlsx_with_part("xl/sharedStrings.xml", 2 * 1024 * 1024), "压缩比超过 100 倍"),
    ],
)
def test_a_zip_bomb_or_a_foreign_file_is_refused_before_openpyxl_reads_it(
    content, message, monkeypatch
):
    content = content()

    def never(*args, **kwargs):
        raise AssertionError("openpyxl must not open this file")

    monkeypatch.setattr(spreadsheets, "load_workbook", never)
    with pytest.raises(DomainError, match=message) as refused:
        spreadsheets.open_workbook(content)
    assert refused.value.field == "file"


def test_a_zip_of_too_many_parts_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for n in range(spreadsheets.MAX_PARTS + 1):
            zf.writestr(f"p{n}.xml", "")
    with pytest.raises(DomainError, match="超过 1000 个部件"):
        spreadsheets.open_workbook(out.getvalue())


# --- the streamed writer ----------------------------------------------------------------------


def _streamed(sheets: dict[str, list[list]]) -> Workbook:
    out = io.BytesIO()
    with spreadsheets.StreamedWorkbook(out) as book:
        for title, (header, *rows) in sheets.items():
            sheet = book.sheet(title, header)
            for row in rows:
                sheet.append(row)
    return load_workbook(io.BytesIO(out.getvalue()))


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("https://x","y")', "+1+1", "-1-1", "@SUM(A1)", "\t=1", "\r=1"]
)
def test_the_streamed_writer_writes_formula_like_text_as_quoted_text(text):
    book = _streamed({"表": [[text], [text]]})
    for row in book.active.iter_rows():
        cell = row[0]
        assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)


def test_the_streamed_writer_keeps_values_their_types_and_places():
    when = datetime(2026, 12, 7, 14, 30)
    values = [-5, Decimal("-12.50"), 3.5, date(2025, 1, 2), when, "1+1", None, "", "a<b&c>", True]
    book = _streamed({"诉求工单": [["甲", "乙"], values, ["  前后空格 ", "\x00控制\x1f字符"]]})
    row = next(book.active.iter_rows(min_row=2, max_row=2))
    assert [c.value for c in row] == [
        -5, -12.5, 3.5, datetime(2025, 1, 2), when, "1+1", None, None, "a<b&c>", True
    ]  # fmt: skip
    assert [c.data_type for c in row[:6]] == ["n", "n", "n", "d", "d", "s"]
    assert row[3].number_format == "yyyy-mm-dd" and not any(c.quotePrefix for c in row)
    assert [c.value for c in book.active[3]][:2] == ["  前后空格 ", "控制字符"]
    assert book.sheetnames == ["诉求工单"] and book.active["A1"].value == "甲"


def test_a_sheet_past_excels_last_row_goes_on_in_the_next_under_its_header(monkeypatch):
    monkeypatch.setattr(spreadsheets, "EXCEL_MAX_ROW", 4)  # a header and three rows a sheet
    book = _streamed({"诉求工单": [["号"], *[[i] for i in range(7)]], "活动": [["日期"], [1]]})
    assert book.sheetnames == ["诉求工单", "诉求工单 (2)", "诉求工单 (3)", "活动"]
    columns = [[c.value for c in sheet["A"]] for sheet in book.worksheets]
    assert columns == [["号", 0, 1, 2], ["号", 3, 4, 5], ["号", 6], ["日期", 1]]
