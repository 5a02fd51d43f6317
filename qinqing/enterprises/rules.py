"""Pure checks of the firm register (no Django): one import row → its errors.

GB 32100-2015 (统一社会信用代码) is checked through `qinqing.core.rules`.
"""

from __future__ import annotations

from dataclasses import dataclass

from qinqing.core.rules import is_ascii_digits, uscc_is_valid, uscc_normalise

# Column header (Chinese, as in the template) → field name.
IMPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("统一社会信用代码", "uscc"),
    ("企业名称", "name"),
    ("主体类型", "kind"),
    ("集聚区", "cluster"),
    ("行业", "industry"),
    ("街道", "street"),
    ("规模", "size"),
    ("纳税信用等级", "credit_grade"),
    ("党组织", "party_org"),
    ("标签", "tags"),
    ("联系人", "contact_name"),
    ("联系电话", "contact_phone"),
)
REQUIRED = ("uscc", "name", "kind")


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    reason: str


def check_row(
    row_no: int,
    values: dict[str, str],
    *,
    kinds: dict[str, str],
    sizes: dict[str, str],
    grades: set[str],
    party_orgs: dict[str, str],
    clusters: set[str],
    industries: set[str],
) -> tuple[dict[str, str], list[RowError]]:
    """Normalise one import row and list what is wrong with it (GB 32100-2015 for the USCC).

    `kinds`, `sizes`, `party_orgs` map the Chinese label to the stored code; `clusters` and
    `industries` are the known names. Returns the cleaned row (labels turned into codes).
    """
    errors: list[RowError] = []
    clean = {k: (v or "").strip() for k, v in values.items()}
    for field in REQUIRED:
        if not clean.get(field):
            errors.append(RowError(row_no, field, "必填项为空"))
    if clean.get("uscc"):
        clean["uscc"] = uscc_normalise(clean["uscc"])
        if not uscc_is_valid(clean["uscc"]):
            errors.append(RowError(row_no, "uscc", "统一社会信用代码格式或校验位不正确"))
    for field, mapping in (("kind", kinds), ("size", sizes), ("party_org", party_orgs)):
        value = clean.get(field, "")
        if value:
            if value in mapping:
                clean[field] = mapping[value]
            elif value not in mapping.values():
                errors.append(RowError(row_no, field, f"取值“{value}”不在可选范围内"))
    grade = clean.get("credit_grade", "").upper()
    clean["credit_grade"] = grade
    if grade and grade not in grades:
        errors.append(RowError(row_no, "credit_grade", f"纳税信用等级“{grade}”应为 A/B/M/C/D"))
    if clean.get("cluster") and clean["cluster"] not in clusters:
        errors.append(RowError(row_no, "cluster", f"未登记的集聚区“{clean['cluster']}”"))
    if clean.get("industry") and clean["industry"] not in industries:
        errors.append(RowError(row_no, "industry", f"未登记的行业“{clean['industry']}”"))
    phone = clean.get("contact_phone", "")
    if phone and not is_ascii_digits(phone.replace("-", "")):
        errors.append(RowError(row_no, "contact_phone", "联系电话只能包含数字和“-”"))
    return clean, errors
