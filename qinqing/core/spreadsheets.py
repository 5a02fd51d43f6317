"""Excel files in and out, safe against hostile content.

Out: `workbook_bytes(book)` saves a workbook with every text cell that a spreadsheet program
would take for a formula (a leading ``= + - @``, tab or carriage return: OWASP "CSV injection")
stored as a string cell with Excel's quote prefix, the file format's own form of the leading
apostrophe: the text is shown as typed and is not evaluated, not even when the cell is edited.
Numbers, dates and other non-text values are written unchanged. A large export writes its
rows one by one with `StreamedWorkbook` (same neutralisation), in bounded memory.

In: `open_workbook(content)` inspects the zip before openpyxl reads a byte of it (number of
parts, total uncompressed size, compression ratio: a zip bomb is refused), then opens it
read-only; `sheet_rows(sheet, ...)` streams a sheet's rows, ignoring the dimensions the file
declares, and refuses a sheet with more rows or columns than the importer takes. Every refusal
is a `DomainError` on the field "file" with a Chinese message naming the limit.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NoReturn

from django.utils import timezone
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


# --- streaming out: a sheet of a million rows in bounded memory --------------------------------

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = date(1899, 12, 30)  # day 0 of the 1900 date system, as Excel counts after 1900-03-01
_EPOCH_TIME, _DAY = datetime(1899, 12, 30), timedelta(days=1)
_DATE, _QUOTED, _DATETIME = 1, 2, 3  # the cell formats of STYLES, by index
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XLSX_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
STYLES = (
    _HEAD + f'<styleSheet xmlns="{_NS}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)


def _column(n: int) -> str:
    """The letters of column n (0 → A, 26 → AA)."""
    letters = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_FORMULA_FIRST = frozenset(p[0] for p in FORMULA_PREFIXES)
_QUOTE_STYLE = f' s="{_QUOTED}"'
_PRESERVE = ' xml:space="preserve"'
# Anything `_text` changes: markup, carriage returns, characters XML cannot carry.
_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    if _ILLEGAL_XML.search(value):
        value = _ILLEGAL_XML.sub("", value)
    if "&" in value or "<" in value or ">" in value:
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if "\r" in value:  # a parser reads a bare carriage return as a line feed
        value = value.replace("\r", "&#13;")
    return value


class StreamedSheet:
    """A sheet being written by `StreamedWorkbook`: `append(values)` writes one row."""

    FLUSH_EVERY = 500

    def __init__(self, book: StreamedWorkbook, title: str, header: Sequence) -> None:
        self._book, self.title, self._header = book, title, list(header)
        self._columns = [_column(i) for i in range(max(len(header), 1))]
        self._part = 0
        self.rows = 0  # data rows written, header not counted
        self._start_part()

    def _start_part(self) -> None:
        self._part += 1
        title = self.title if self._part == 1 else f"{self.title[:25]} ({self._part})"
        self._stream = self._book._open_part(title)
        self._row = 0
        self._buffer: list[str] = [
            _HEAD + f'<worksheet xmlns="{_NS}"><sheetViews><sheetView workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            "</sheetView></sheetViews><sheetData>"
        ]
        self._write(self._header)

    def append(self, values: Sequence) -> None:
        if self._row >= EXCEL_MAX_ROW:  # the sheet is full: go on in the next, header again
            self._end_part()
            self._start_part()
        self._write(values)
        self.rows += 1

    def _write(self, values: Sequence) -> None:
        # The hot loop of a million-row export: plain text first, one test per character class.
        self._row += 1
        r = str(self._row)
        columns = self._columns
        if len(values) > len(columns):
            columns.extend(_column(i) for i in range(len(columns), len(values)))
        cells = ['<row r="', r, '">']
        add = cells.append
        for i, value in enumerate(values):
            if type(value) is not str:
                if value is None:
                    continue
                if isinstance(value, bool):
                    add(f'<c r="{columns[i]}{r}" t="b"><v>{int(value)}</v></c>')
                    continue
                if isinstance(value, int | float | Decimal):
                    add(f'<c r="{columns[i]}{r}"><v>{value}</v></c>')
                    continue
                if isinstance(value, datetime):
                    if value.tzinfo is not None:
                        value = timezone.localtime(value).replace(tzinfo=None)
                    serial = (value - _EPOCH_TIME) / _DAY
                    add(f'<c r="{columns[i]}{r}" s="{_DATETIME}"><v>{serial!r}</v></c>')
                    continue
                if isinstance(value, date):
                    add(f'<c r="{columns[i]}{r}" s="{_DATE}"><v>{(value - _EPOCH).days}</v></c>')
                    continue
                value = str(value)  # choices, lazy translations, anything else: as text
            if not value:
                continue
            style = _QUOTE_STYLE if value[0] in _FORMULA_FIRST else ""
            if _SPECIAL.search(value):
                value = _text(value)
                if not value:
                    continue
            space = _PRESERVE if value[0].isspace() or value[-1].isspace() else ""
            add(f'<c r="{columns[i]}{r}"{style} t="inlineStr"><is><t{space}>{value}</t></is></c>')
        add("</row>")
        self._buffer.append("".join(cells))
        if len(self._buffer) >= self.FLUSH_EVERY:
            self._flush()

    def _flush(self) -> None:
        self._stream.write("".join(self._buffer).encode())
        self._buffer = []

    def _end_part(self) -> None:
        self._buffer.append("</sheetData></worksheet>")
        self._flush()
        self._stream.close()


class StreamedWorkbook:
    """An .xlsx written row by row straight into its zip, for exports of any size in bounded
    memory (openpyxl's write-only mode holds no rows either, but writes some 6,000 rows a
    second: a year of a million needs took minutes).

    Every text cell is written as an inline string; one that a spreadsheet program would take
    for a formula (see `is_formula_like`) carries Excel's quote prefix, as `workbook_bytes`
    does. Dates and times are written as dates (formats yyyy-mm-dd, yyyy-mm-dd hh:mm; aware
    times in local time), numbers as numbers, None and "" as empty cells. A sheet that reaches
    Excel's last row goes on in a new sheet, "title (2)", under the same header.

        with StreamedWorkbook(file) as book:
            sheet = book.sheet("诉求工单", header)
            for row in rows:
                sheet.append(row)
            book.sheet("活动", header2) ...  # one sheet at a time
    """

    def __init__(self, file) -> None:
        self._zip = zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=3)
        self._titles: list[str] = []
        self._sheet: StreamedSheet | None = None

    def _open_part(self, title: str):
        self._titles.append(title)
        name = f"xl/worksheets/sheet{len(self._titles)}.xml"
        return self._zip.open(name, "w", force_zip64=True)

    def sheet(self, title: str, header: Sequence) -> StreamedSheet:
        """A new sheet (the previous one is finished), its first row `header`."""
        if self._sheet is not None:
            self._sheet._end_part()
        self._sheet = StreamedSheet(self, title[:31], header)
        return self._sheet

    def close(self) -> None:
        if self._sheet is not None:
            self._sheet._end_part()
            self._sheet = None
        n = len(self._titles)
        sheets = "".join(
            f'<sheet name="{_text(t).replace(chr(34), "&quot;")}" sheetId="{i}" r:id="rId{i}"/>'
            for i, t in enumerate(self._titles, start=1)
        )
        parts = {
            "[Content_Types].xml": (
                _HEAD
                + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/'
                'vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                f'<Override PartName="/xl/workbook.xml" ContentType="{_XLSX_CT}.sheet.main+xml"/>'
                f'<Override PartName="/xl/styles.xml" ContentType="{_XLSX_CT}.styles+xml"/>'
                + "".join(
                    f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                    f'ContentType="{_XLSX_CT}.worksheet+xml"/>'
                    for i in range(1, n + 1)
                )
                + "</Types>"
            ),
            "_rels/.rels": (
                _HEAD + f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
                f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
            ),
            "xl/workbook.xml": (
                _HEAD + f'<workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets>{sheets}</sheets>'
                "</workbook>"
            ),
            "xl/_rels/workbook.xml.rels": (
                _HEAD
                + f'<Relationships xmlns="{_PKG_REL}">'
                + "".join(
                    f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" '
                    f'Target="worksheets/sheet{i}.xml"/>'
                    for i in range(1, n + 1)
                )
                + f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
                "</Relationships>"
            ),
            "xl/styles.xml": STYLES,
        }
        for name, xml in parts.items():
            self._zip.writestr(name, xml)
        self._zip.close()

    def __enter__(self) -> StreamedWorkbook:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is None:
            self.close()
        else:
            self._zip.close()


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
