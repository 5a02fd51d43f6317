"""Excel files in and out, safe against hostile content.

Out: `workbook_bytes(book)` saves a workbook with every text cell that a spreadsheet program
would take for a formula (a leading ``= + - @``, tab or carriage return: OWASP "CSV injection")
stored as a string cell with Excel's quote prefix, the file format's own form of the leading
apostrophe: the text is shown as typed and is not evaluated, not even when the cell is edited.
Numbers, dates and other non-text values are written unchanged.

In: `open_workbook(content)` inspects the zip before openpyxl reads a byte of it (number of
parts, total uncompressed size, compression ratio: a zip bomb is refused), then opens it
read-only; `sheet_rows(sheet, ...)` streams a sheet's rows, ignoring the dimensions the file
declares, and refuses a sheet with more rows or columns than the importer takes. Every refusal
is a `DomainError` on the field "file" with a Chinese message naming the limit.
"""

from __future__ import annotations

import io
import zipfile
from typing import NoReturn

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from qinqing.core.errors import DomainError

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

MAX_PARTS = 1000
MAX_UNCOMPRESSED_BYTES = 32 * 1024 * 1024
# Sheet XML compresses about 5-20 times; a part that inflates more than this is a bomb. Small
# parts are not judged by their ratio (a few kilobytes of repeated markup do no harm).
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_ABOVE_BYTES = 1024 * 1024
EXCEL_MAX_ROW = 1_048_576  # the last row a sheet can have (Excel 2007 and later)

UNREADABLE = "无法读取该 Excel 文件，请使用模板另存为 .xlsx 后上传"


def is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def neutralise_formulas(book: Workbook) -> None:
    """Turn every formula-like text cell of `book` into plain text (see the module docstring).
    Cells the code itself writes as formulas would be turned too: exports compute in Python."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if is_formula_like(cell.value):
                    cell.data_type = "s"
                    cell.quotePrefix = True


def workbook_bytes(book: Workbook) -> bytes:
    """The .xlsx file of `book`, formulas neutralised: every export saves through this."""
    neutralise_formulas(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _refuse(message: str) -> NoReturn:
    raise DomainError(message, field="file", code="file")


def open_workbook(content: bytes):
    """A read-only workbook of an uploaded .xlsx, after checking its zip directory.

    zipfile never inflates a part beyond the size its directory entry declares (a part that
    inflates to more fails its CRC check), so the declared sizes are a safe bound."""
    try:
        parts = zipfile.ZipFile(io.BytesIO(content)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        _refuse(UNREADABLE)
    if len(parts) > MAX_PARTS:
        _refuse(f"文件结构异常：压缩包内超过 {MAX_PARTS} 个部件，不予读取")
    total = sum(part.file_size for part in parts)
    if total > MAX_UNCOMPRESSED_BYTES:
        limit = MAX_UNCOMPRESSED_BYTES // (1024 * 1024)
        _refuse(f"文件解压后超过 {limit} MB 的上限，不予读取；请分批导入")
    for part in parts:
        if (
            part.file_size > RATIO_CHECKED_ABOVE_BYTES
            and part.file_size > MAX_COMPRESSION_RATIO * max(part.compress_size, 1)
        ):
            _refuse(f"文件压缩比超过 {MAX_COMPRESSION_RATIO} 倍的上限（疑似压缩炸弹），不予读取")
    try:
        return load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # whatever openpyxl makes of a corrupt or foreign file
        _refuse(UNREADABLE)


def _blank(row: tuple) -> bool:
    return row.count(None) == len(row) or all(
        value is None or (isinstance(value, str) and not value.strip()) for value in row
    )


def sheet_rows(sheet, *, max_rows: int, max_columns: int, name: str = "") -> list[tuple]:
    """The values of a read-only sheet's rows, the header row first, each cut to `max_columns`
    values (shorter when the file has fewer), trailing blank rows dropped; row n of the sheet
    is item n-1, so callers can name rows as the user sees them.

    The dimensions the file declares are ignored (they may claim a million rows of 16,384
    columns); at most `max_rows` data rows under the header and `max_columns` columns are
    taken, and a value beyond either limit refuses the whole file rather than dropping rows.
    """
    where = f"“{name}”表" if name else "表格"
    sheet.reset_dimensions()
    rows: list[tuple] = []
    values = sheet.iter_rows(max_row=EXCEL_MAX_ROW, max_col=max_columns + 1, values_only=True)
    for number, row in enumerate(values, start=1):
        if _blank(row):
            continue
        if number > max_rows + 1:
            _refuse(f"{where}数据超过 {max_rows} 行的上限（第 {number} 行），请分批导入")
        if len(row) > max_columns and not _blank(row[max_columns:]):
            _refuse(f"{where}超过 {max_columns} 列的上限（第 {number} 行），请使用下载的模板")
        rows.extend([()] * (number - 1 - len(rows)))
        rows.append(tuple(row[:max_columns]))
    return rows
