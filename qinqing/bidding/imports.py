"""Expert import from Excel (.xlsx) or CSV: all rows valid, or nothing is saved."""

from __future__ import annotations

import csv
import io

from django.db import transaction
from openpyxl import Workbook, load_workbook

from qinqing.bidding.models import Expert, ExpertSpeciality, Speciality
from qinqing.core import crypto
from qinqing.core.audit import audit_log
from qinqing.core.errors import DomainError
from qinqing.core.models import Organisation
from qinqing.core.rules import (
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
TITLES = {label: value for value, label in Expert.Title.choices}
MAX_ROWS = 20000


class ImportErrors(DomainError):
    """Row-level problems: (row number in the file, column label, reason)."""

    def __init__(self, errors: list[tuple[int, str, str]]):
        super().__init__(f"导入未完成：发现 {len(errors)} 处错误，未保存任何数据", code="import")
        self.errors = errors


def template_workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "专家"
    sheet.append([label for _, label, _ in COLUMNS])
    notes = book.create_sheet("填写说明")
    notes.append(["列", "说明"])
    for _, label, note in COLUMNS:
        notes.append([label, note or "必填"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read_rows(filename: str, content: bytes) -> list[dict[str, str]]:
    """Rows keyed by field name; header labels must match the template."""
    if filename.lower().endswith(".csv"):
        text = content.decode("utf-8-sig")
        table = list(csv.reader(io.StringIO(text)))
    elif filename.lower().endswith(".xlsx"):
        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
        except Exception:
            raise DomainError(
                "无法读取该 Excel 文件，请使用模板另存为 .xlsx", field="file"
            ) from None
        table = [
            ["" if v is None else str(v).strip() for v in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    else:
        raise DomainError("只支持 .xlsx 或 .csv 文件", field="file")
    if not table:
        raise DomainError("文件是空的", field="file")
    header = [h.strip() for h in table[0]]
    labels = [label for _, label, _ in COLUMNS]
    if missing := [label for label in labels if label not in header]:
        raise DomainError(f"缺少列：{'、'.join(missing)}（请使用下载的模板）", field="file")
    index = {name: header.index(label) for name, label, _ in COLUMNS}
    rows = [
        {name: (row[i].strip() if i < len(row) else "") for name, i in index.items()}
        for row in table[1:]
        if any(cell.strip() for cell in row)
    ]
    if len(rows) > MAX_ROWS:
        raise DomainError(f"一次最多导入 {MAX_ROWS} 行", field="file")
    return rows


def _validate(rows: list[dict[str, str]]) -> tuple[list, list]:
    errors: list[tuple[int, str, str]] = []
    known = set(Speciality.objects.values_list("code", flat=True))
    codes_in_db = set(
        Expert.objects.filter(code__in=[row["code"] for row in rows]).values_list("code", flat=True)
    )
    seen_codes: dict[str, int] = {}
    seen_ids: dict[str, int] = {}
    prepared = []
    for n, row in enumerate(rows, start=2):  # row 1 is the header
        row_errors = []
        for name, label, _ in COLUMNS:
            if not row[name] and name != "employer_uscc":
                row_errors.append((n, label, "必填"))
        id_number = row["id_number"].upper()
        if row["id_number"] and not resident_id_is_valid(id_number):
            row_errors.append((n, "身份证号", "号码或校验位不正确"))
        uscc = uscc_normalise(row["employer_uscc"]) if row["employer_uscc"] else ""
        if uscc and not uscc_is_valid(uscc):
            row_errors.append((n, "工作单位统一社会信用代码", "格式或校验位不正确"))
        if row["phone"] and not (len(row["phone"]) == 11 and row["phone"].isdigit()):
            row_errors.append((n, "手机号", "应为11位数字"))
        if row["region_code"] and not (
            len(row["region_code"]) == 6 and row["region_code"].isdigit()
        ):
            row_errors.append((n, "所在地区代码", "应为6位数字"))
        if row["title"] and row["title"] not in TITLES:
            row_errors.append((n, "职称", "应为 正高级、副高级 或 中级"))
        specialities = sorted(
            {
                s.strip().upper()
                for s in row["specialities"].replace("；", ";").split(";")
                if s.strip()
            }
        )
        if unknown := [s for s in specialities if s not in known]:
            row_errors.append((n, "评标专业代码", f"未知代码：{'、'.join(unknown)}"))
        code = row["code"]
        if code in codes_in_db:
            row_errors.append((n, "专家编号", "专家库中已存在"))
        elif code in seen_codes:
            row_errors.append((n, "专家编号", f"与第 {seen_codes[code]} 行重复"))
        seen_codes.setdefault(code, n)
        id_hash = crypto.keyed_hash(id_number) if id_number else ""
        if id_hash:
            if id_hash in seen_ids:
                row_errors.append((n, "身份证号", f"与第 {seen_ids[id_hash]} 行重复"))
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
        errors.append((seen_ids[id_hash], "身份证号", "该专家已在库中（身份证号重复）"))
    return sorted(errors), prepared


def experts_import(*, actor, database: Organisation, rows: list[dict[str, str]]) -> int:
    """Validate every row, then save all of them in one transaction, or none."""
    if database.kind != Organisation.Kind.EXPERT_DATABASE:
        raise DomainError("请选择专家库", field="database")
    if not rows:
        raise DomainError("文件中没有数据行", field="file")
    errors, prepared = _validate(rows)
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
        audit_log(
            actor=actor,
            action="expert.import",
            obj=database,
            organisation=database,
            detail={"count": len(prepared), "codes": [row["code"] for row, *_ in prepared]},
        )
    return len(prepared)
