"""Expert import from Excel (.xlsx) or CSV: all rows valid, or nothing is saved.

The workbook has three sheets: 专家 (one row per expert), 任职经历 (employment, directorships
and shareholdings with their dates, for the 3-year look-back) and 申报关联单位 (organisations
the expert declares as related). The last two are optional and name experts of the same file
by their code; a CSV file carries the experts only.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook

from qinqing.bidding.models import (
    Expert,
    ExpertDeclaredRelation,
    ExpertRelation,
    ExpertSpeciality,
    Speciality,
)
from qinqing.core import crypto, spreadsheets
from qinqing.core.audit import audit_log
from qinqing.core.errors import DomainError
from qinqing.core.models import Organisation
from qinqing.core.rules import (
    is_ascii_digits,
    resident_id_birth_date,
    resident_id_is_valid,
    uscc_is_valid,
    uscc_normalise,
)

COLUMNS = [
    ("code", "专家编号", "本库内唯一，如 WH-000123"),
    ("name", "姓名", ""),
    ("id_number", "身份证号", "18位；系统只保存密文和后四位"),
    ("phone", "手机号", "11位，用于抽取通知"),
    ("employer_name", "工作单位", ""),
    ("employer_uscc", "工作单位统一社会信用代码", "18位，可留空（退休专家）"),
    ("region_code", "所在地区代码", "6位行政区划代码，如 420111"),
    ("title", "职称", "正高级 / 副高级 / 中级"),
    ("specialities", "评标专业代码", "多个以分号分隔，如 A0101;A0203"),
]
RELATION_COLUMNS = [
    ("code", "专家编号", "“专家”表中本次导入的专家"),
    ("org_uscc", "单位统一社会信用代码", "18位"),
    ("org_name", "单位名称", ""),
    ("kind", "关系", "任职 / 董事 / 监事 / 控股股东"),
    ("start", "起始日期", "如 2019-07-01"),
    ("end", "终止日期", "仍在任可留空"),
]
DECLARED_COLUMNS = [
    ("code", "专家编号", "“专家”表中本次导入的专家"),
    ("org_uscc", "关联单位统一社会信用代码", "18位"),
    ("org_name", "关联单位名称", ""),
]
EXPERTS, RELATIONS, DECLARED = "专家", "任职经历", "申报关联单位"
SHEETS = [(EXPERTS, COLUMNS), (RELATIONS, RELATION_COLUMNS), (DECLARED, DECLARED_COLUMNS)]
OPTIONAL = {"employer_uscc", "end"}
TITLES = {label: value for value, label in Expert.Title.choices}
KINDS = {
    "任职": ExpertRelation.Kind.EMPLOYEE,
    "董事": ExpertRelation.Kind.DIRECTOR,
    "监事": ExpertRelation.Kind.DIRECTOR,
    "董事/监事": ExpertRelation.Kind.DIRECTOR,
    "控股股东": ExpertRelation.Kind.SHAREHOLDER,
    "股东": ExpertRelation.Kind.SHAREHOLDER,
}
MAX_ROWS = 20000
_DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?: 00:00:00)?$")


@dataclass
class ImportFile:
    """The rows of each sheet, keyed by field name; each row also holds its row number in
    its sheet under "_row"."""

    experts: list[dict[str, str]]
    relations: list[dict[str, str]] = field(default_factory=list)
    declared: list[dict[str, str]] = field(default_factory=list)


class ImportErrors(DomainError):
    """Row-level problems: (sheet, row number in that sheet, column label, reason)."""

    def __init__(self, errors: list[tuple[int, str, str]]):
        super().__init__(f"导入未完成：发现 {len(errors)} 处错误，未保存任何数据", code="import")
        self.errors = errors


def template_workbook() -> bytes:
    book = Workbook()
    first = True
    for title, columns in SHEETS:
        sheet = book.active if first else book.create_sheet(title)
        sheet.title, first = title, False
        sheet.append([label for _, label, _ in columns])
    notes = book.create_sheet("填写说明")
    notes.append(["表", "列", "说明"])
    for title, columns in SHEETS:
        for name, label, note in columns:
            required = "选填" if name in OPTIONAL else "必填"
            notes.append([title, label, f"{required}；{note}" if note else required])
    notes.append(["", "", "“任职经历”和“申报关联单位”两表可为空；CSV 文件只能导入“专家”表。"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _sheet_rows(title: str, columns, table: list[list[str]]) -> list[dict[str, str]]:
    """A sheet's rows keyed by field name; its header labels must match the template."""
    if not table:
        if title == EXPERTS:
            raise DomainError("文件是空的", field="file")
        return []
    header = [h.strip() for h in table[0]]
    labels = [label for _, label, _ in columns]
    if missing := [label for label in labels if label not in header]:
        where = "" if title == EXPERTS else f"“{title}”表"
        raise DomainError(f"{where}缺少列：{'、'.join(missing)}（请使用下载的模板）", field="file")
    index = {name: header.index(label) for name, label, _ in columns}
    rows = [
        {"_row": n, **{name: (row[i].strip() if i < len(row) else "") for name, i in index.items()}}
        for n, row in enumerate(table[1:], start=2)
        if any(cell.strip() for cell in row)
    ]
    if len(rows) > MAX_ROWS:
        raise DomainError(f"“{title}”表一次最多导入 {MAX_ROWS} 行", field="file")
    return rows


def read_file(filename: str, content: bytes) -> ImportFile:
    """Every sheet of an import file (a CSV file: the experts only)."""
    if filename.lower().endswith(".csv"):
        text = content.decode("utf-8-sig")
        return ImportFile(
            experts=_sheet_rows(EXPERTS, COLUMNS, list(csv.reader(io.StringIO(text))))
        )
    if not filename.lower().endswith(".xlsx"):
        raise DomainError("只支持 .xlsx 或 .csv 文件", field="file")
    book = spreadsheets.open_workbook(content)
    tables = {}
    for title, _columns in SHEETS:
        sheet = book[title] if title in book.sheetnames else None
        if sheet is None and title == EXPERTS:
            sheet = book.active  # a file with one sheet under another name
        rows = (
            spreadsheets.sheet_rows(sheet, max_rows=MAX_ROWS, max_columns=30, name=title)
            if sheet
            else []
        )
        tables[title] = [[_cell(v) for v in row] for row in rows]
    return ImportFile(
        experts=_sheet_rows(EXPERTS, COLUMNS, tables[EXPERTS]),
        relations=_sheet_rows(RELATIONS, RELATION_COLUMNS, tables[RELATIONS]),
        declared=_sheet_rows(DECLARED, DECLARED_COLUMNS, tables[DECLARED]),
    )


def read_rows(filename: str, content: bytes) -> list[dict[str, str]]:
    """The rows of the experts sheet, keyed by field name."""
    return read_file(filename, content).experts


def _plain_code(code: str) -> bool:
    """A public code is printed in proofs and joined by line feeds into the pool's digest."""
    return code.isprintable() and not any(ch.isspace() for ch in code)


def _validate(rows: list[dict[str, str]]) -> tuple[list, list]:
    errors: list[tuple[str, int, str, str]] = []
    known = set(Speciality.objects.values_list("code", flat=True))
    codes_in_db = set(
        Expert.objects.filter(code__in=[row["code"] for row in rows]).values_list("code", flat=True)
    )
    seen_codes: dict[str, int] = {}
    seen_ids: dict[str, int] = {}
    prepared = []
    for i, row in enumerate(rows):
        n = row.get("_row", i + 2)  # row 1 is the header
        row_errors = []
        for name, label, _ in COLUMNS:
            if not row[name] and name not in OPTIONAL:
                row_errors.append((EXPERTS, n, label, "必填"))
        id_number = row["id_number"].upper()
        if row["id_number"] and not resident_id_is_valid(id_number):
            row_errors.append((EXPERTS, n, "身份证号", "号码或校验位不正确"))
        uscc = uscc_normalise(row["employer_uscc"]) if row["employer_uscc"] else ""
        if uscc and not uscc_is_valid(uscc):
            row_errors.append((EXPERTS, n, "工作单位统一社会信用代码", "格式或校验位不正确"))
        if row["phone"] and not (len(row["phone"]) == 11 and is_ascii_digits(row["phone"])):
            row_errors.append((EXPERTS, n, "手机号", "应为11位数字"))
        if row["region_code"] and not (
            len(row["region_code"]) == 6 and is_ascii_digits(row["region_code"])
        ):
            row_errors.append((EXPERTS, n, "所在地区代码", "应为6位数字"))
        if row["title"] and row["title"] not in TITLES:
            row_errors.append((EXPERTS, n, "职称", "应为 正高级、副高级 或 中级"))
        specialities = sorted(
            {
                s.strip().upper()
                for s in row["specialities"].replace("；", ";").split(";")
                if s.strip()
            }
        )
        if unknown := [s for s in specialities if s not in known]:
            row_errors.append((EXPERTS, n, "评标专业代码", f"未知代码：{'、'.join(unknown)}"))
        code = row["code"]
        if code and not _plain_code(code):
            row_errors.append((EXPERTS, n, "专家编号", "不能含空格、换行等空白或控制字符"))
        elif code in codes_in_db:
            row_errors.append((EXPERTS, n, "专家编号", "专家库中已存在"))
        elif code in seen_codes:
            row_errors.append((EXPERTS, n, "专家编号", f"与第 {seen_codes[code]} 行重复"))
        seen_codes.setdefault(code, n)
        id_hash = crypto.keyed_hash(id_number) if id_number else ""
        if id_hash:
            if id_hash in seen_ids:
                row_errors.append((EXPERTS, n, "身份证号", f"与第 {seen_ids[id_hash]} 行重复"))
            seen_ids.setdefault(id_hash, n)
        errors.extend(row_errors)
        if not row_errors:
            prepared.append((row, id_number, id_hash, uscc, specialities))
    duplicates = set(
        Expert.objects.filter(id_number_hash__in=list(seen_ids)).values_list(
            "id_number_hash", flat=True
        )
    )
    for id_hash in duplicates:
        errors.append((EXPERTS, seen_ids[id_hash], "身份证号", "该专家已在库中（身份证号重复）"))
    return errors, prepared


def _date(value: str) -> date | None:
    match = _DATE_RE.match(value)
    if match is None:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _organisation(sheet: str, n: int, row: dict, uscc_label: str, errors: list) -> str:
    uscc = uscc_normalise(row["org_uscc"]) if row["org_uscc"] else ""
    if uscc and not uscc_is_valid(uscc):
        errors.append((sheet, n, uscc_label, "格式或校验位不正确"))
    return uscc


def _required(sheet: str, columns, n: int, row: dict, errors: list) -> None:
    for name, label, _ in columns:
        if not row[name] and name not in OPTIONAL:
            errors.append((sheet, n, label, "必填"))


def _validate_relations(rows: list[dict[str, str]], codes: set[str]) -> tuple[list, list]:
    """任职经历: (errors, [(expert code, uscc, name, kind, start, end)])."""
    errors: list[tuple[str, int, str, str]] = []
    prepared, seen = [], {}
    today = timezone.localdate()
    for i, row in enumerate(rows):
        n, row_errors = row.get("_row", i + 2), []
        _required(RELATIONS, RELATION_COLUMNS, n, row, row_errors)
        if row["code"] and row["code"] not in codes:
            row_errors.append((RELATIONS, n, "专家编号", "不是“专家”表中本次导入的专家"))
        uscc = _organisation(RELATIONS, n, row, "单位统一社会信用代码", row_errors)
        kind = KINDS.get(row["kind"].replace(" ", ""))
        if row["kind"] and kind is None:
            row_errors.append((RELATIONS, n, "关系", "应为 任职、董事、监事 或 控股股东"))
        start = _date(row["start"])
        if row["start"] and start is None:
            row_errors.append((RELATIONS, n, "起始日期", "日期格式应为 2019-07-01"))
        elif start is not None and start > today:
            row_errors.append((RELATIONS, n, "起始日期", "不能晚于今天"))
        end = _date(row["end"]) if row["end"] else None
        if row["end"] and end is None:
            row_errors.append((RELATIONS, n, "终止日期", "日期格式应为 2019-07-01"))
        elif end is not None and start is not None and end < start:
            row_errors.append((RELATIONS, n, "终止日期", "不能早于起始日期"))
        key = (row["code"], uscc, kind, start)
        if not row_errors and key in seen:
            row_errors.append((RELATIONS, n, "单位统一社会信用代码", f"与第 {seen[key]} 行重复"))
        seen.setdefault(key, n)
        errors.extend(row_errors)
        if not row_errors:
            prepared.append((row["code"], uscc, row["org_name"], kind, start, end))
    return errors, prepared


def _validate_declared(rows: list[dict[str, str]], codes: set[str]) -> tuple[list, list]:
    """申报关联单位: (errors, [(expert code, uscc, name)])."""
    errors: list[tuple[str, int, str, str]] = []
    prepared, seen = [], {}
    for i, row in enumerate(rows):
        n, row_errors = row.get("_row", i + 2), []
        _required(DECLARED, DECLARED_COLUMNS, n, row, row_errors)
        if row["code"] and row["code"] not in codes:
            row_errors.append((DECLARED, n, "专家编号", "不是“专家”表中本次导入的专家"))
        uscc = _organisation(DECLARED, n, row, "关联单位统一社会信用代码", row_errors)
        key = (row["code"], uscc)
        if not row_errors and key in seen:
            row_errors.append((DECLARED, n, "关联单位统一社会信用代码", f"与第 {seen[key]} 行重复"))
        seen.setdefault(key, n)
        errors.extend(row_errors)
        if not row_errors:
            prepared.append((row["code"], uscc, row["org_name"]))
    return errors, prepared


def _sheet_order(error: tuple[str, int, str, str]) -> tuple:
    return ([title for title, _ in SHEETS].index(error[0]), error[1])


def experts_import(
    *,
    actor,
    database: Organisation,
    rows: list[dict[str, str]],
    relations: list[dict[str, str]] = (),
    declared: list[dict[str, str]] = (),
) -> int:
    """Validate every row of every sheet, then save all of them in one transaction, or none.
    Returns the number of experts."""
    if database.kind != Organisation.Kind.EXPERT_DATABASE:
        raise DomainError("请选择专家库", field="database")
    if not rows:
        raise DomainError("文件中没有数据行", field="file")
    errors, prepared = _validate(rows)
    codes = {row["code"] for row in rows if row["code"]}
    relation_errors, relation_rows = _validate_relations(list(relations), codes)
    declared_errors, declared_rows = _validate_declared(list(declared), codes)
    errors = sorted([*errors, *relation_errors, *declared_errors], key=_sheet_order)
    if errors:
        raise ImportErrors(errors)
    with transaction.atomic():
        experts = Expert.objects.bulk_create(
            [
                Expert(
                    database=database,
                    code=row["code"],
                    name=row["name"],
                    id_number_cipher=crypto.encrypt(id_number),
                    id_number_hash=id_hash,
                    id_last4=id_number[-4:],
                    phone=row["phone"],
                    employer_uscc=uscc,
                    employer_name=row["employer_name"],
                    region_code=row["region_code"],
                    title=TITLES[row["title"]],
                    birth_date=resident_id_birth_date(id_number),
                )
                for row, id_number, id_hash, uscc, _ in prepared
            ]
        )
        by_code = {e.code: e.pk for e in Expert.objects.filter(code__in=[e.code for e in experts])}
        ExpertSpeciality.objects.bulk_create(
            [
                ExpertSpeciality(expert_id=by_code[row["code"]], speciality_id=code)
                for row, _, _, _, specialities in prepared
                for code in specialities
            ]
        )
        ExpertRelation.objects.bulk_create(
            [
                ExpertRelation(
                    expert_id=by_code[code],
                    org_uscc=uscc,
                    org_name=name,
                    kind=kind,
                    start=start,
                    end=end,
                )
                for code, uscc, name, kind, start, end in relation_rows
            ]
        )
        ExpertDeclaredRelation.objects.bulk_create(
            [
                ExpertDeclaredRelation(expert_id=by_code[code], org_uscc=uscc, org_name=name)
                for code, uscc, name in declared_rows
            ]
        )
        audit_log(
            actor=actor,
            action="expert.import",
            obj=database,
            organisation=database,
            detail={
                "count": len(prepared),
                "codes": [row["code"] for row, *_ in prepared],
                "relations": len(relation_rows),
                "declared_relations": len(declared_rows),
            },
        )
    return len(prepared)
