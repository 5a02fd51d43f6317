"""Excel import of declared claims for the administrator: all rows or none, with a row-level
error report (row, column, reason in Chinese), and a downloadable template."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO

from django.db import transaction

from qinqing.bankruptcy import services
from qinqing.bankruptcy.models import Case, Claim
from qinqing.core import spreadsheets
from qinqing.core.errors import DomainError

COLUMNS = [
    ("creditor_name", "债权人名称"),
    ("phone", "联系电话"),
    ("rank", "债权性质（普通/税款社保）"),
    ("principal", "本金"),
    ("interest", "利息"),
    ("other", "其他"),
    ("secured", "有财产担保（是/否）"),
    ("collateral_value", "担保物价值"),
    ("waived_priority", "放弃优先受偿（是/否）"),
    ("filed_on", "申报日（YYYY-MM-DD）"),
]
RANKS = {
    "普通": Claim.Rank.ORDINARY,
    "普通债权": Claim.Rank.ORDINARY,
    "税款社保": Claim.Rank.TAX_SOCIAL,
}
YES = {"是", "y", "yes", "true", "1"}
NO = {"否", "n", "no", "false", "0", ""}
MAX_ROWS = 2000
MAX_COLUMNS = len(COLUMNS) + 20  # the template's and room for notes of one's own
FIELD_LABELS = dict(COLUMNS)


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str


class ImportFailed(DomainError):
    def __init__(self, errors: list[RowError]):
        super().__init__(f"导入失败，共 {len(errors)} 处错误，未导入任何数据", field="file")
        self.errors = errors


def template_bytes() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "债权申报"
    sheet.append([label for _, label in COLUMNS])
    sheet.append(
        ["武汉示例供应链有限公司", "13800000000", "普通", 100000, 5000, 0, "否", "", "否", ""]
    )
    for column in "ABCDEFGHIJ":
        sheet.column_dimensions[column].width = 20
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _flag(value, column: str, row: int, errors: list[RowError]) -> bool:
    text = str(value if value is not None else "").strip().lower()
    if text in YES:
        return True
    if text not in NO:
        errors.append(RowError(row, column, "应填“是”或“否”"))
    return False


def _date(value, column: str, row: int, errors: list[RowError]) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        errors.append(RowError(row, column, "日期格式应为 YYYY-MM-DD"))
        return None


def parse(data: bytes) -> tuple[list[dict], list[RowError]]:
    try:
        sheet = spreadsheets.open_workbook(data).worksheets[0]
        rows = spreadsheets.sheet_rows(sheet, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS)
    except DomainError as exc:
        return [], [RowError(0, "文件", exc.message)]
    labels = [label for _, label in COLUMNS]
    if not rows or [str(c or "").strip() for c in rows[0][: len(labels)]] != labels:
        return [], [RowError(1, "表头", "表头与模板不一致")]
    parsed, errors = [], []
    for number, raw in enumerate(rows[1:], start=2):
        cells = list(raw[: len(COLUMNS)]) + [None] * (len(COLUMNS) - len(raw))
        if all(c in (None, "") for c in cells):
            continue
        record = dict(zip([name for name, _ in COLUMNS], cells, strict=True))
        label = dict(COLUMNS)
        row: dict = {"row": number, "creditor_name": str(record["creditor_name"] or "").strip()}
        if not row["creditor_name"]:
            errors.append(RowError(number, label["creditor_name"], "不能为空"))
        row["phone"] = str(record["phone"] or "").strip()[:20]
        rank = str(record["rank"] or "普通").strip()
        if rank not in RANKS:
            errors.append(
                RowError(
                    number, label["rank"], "应为“普通”或“税款社保”（职工债权由管理人另行列出）"
                )
            )
        row["rank"] = RANKS.get(rank, Claim.Rank.ORDINARY)
        for name in ("principal", "interest", "other", "collateral_value"):
            try:
                row[name] = services.money(record[name] if record[name] is not None else 0, name)
            except DomainError as exc:
                errors.append(RowError(number, label[name], exc.message))
        row["secured"] = _flag(record["secured"], label["secured"], number, errors)
        row["waived_priority"] = _flag(
            record["waived_priority"], label["waived_priority"], number, errors
        )
        row["filed_on"] = _date(record["filed_on"], label["filed_on"], number, errors)
        parsed.append(row)
    if not parsed and not errors:
        errors.append(RowError(0, "文件", "没有数据行"))
    return parsed, errors


def import_claims(*, actor, case: Case, data: bytes) -> list[Claim]:
    """Create every claim of the workbook in one transaction, or none (``ImportFailed``)."""
    rows, errors = parse(data)
    if errors:
        raise ImportFailed(errors)
    created = []
    with transaction.atomic():
        for row in rows:
            try:
                with transaction.atomic():
                    created.append(
                        services.claim_file(
                            actor=actor,
                            case=case,
                            creditor_name=row["creditor_name"],
                            principal=row["principal"],
                            interest=row["interest"],
                            other=row["other"],
                            rank=row["rank"],
                            secured=row["secured"],
                            collateral_value=row["collateral_value"],
                            waived_priority=row["waived_priority"],
                            phone=row["phone"],
                            filed_on=row["filed_on"],
                        )
                    )
            except DomainError as exc:
                errors.append(
                    RowError(row["row"], FIELD_LABELS.get(exc.field or "", ""), exc.message)
                )
        if errors:
            raise ImportFailed(errors)
    return created
