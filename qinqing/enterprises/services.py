"""Writes of the firm register: firms, contacts, instructors, commitments, Excel import."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from io import BytesIO

from django.db import transaction
from django.utils import timezone

from qinqing.core import limits, spreadsheets
from qinqing.core.audit import audit_log
from qinqing.core.errors import DomainError
from qinqing.core.models import Organisation
from qinqing.core.rules import uscc_check_char, uscc_is_valid, uscc_normalise
from qinqing.core.services import organisation_create
from qinqing.enterprises import rules
from qinqing.enterprises.models import (
    Cluster,
    Contact,
    Firm,
    Industry,
    InstructorAssignment,
    InstructorProfile,
    ServiceCommitment,
    Tag,
)


def _firm_code(uscc: str) -> str:
    return f"firm-{uscc.lower()}"


def cluster_ensure(*, actor, code: str, name: str, party_committee: str = "") -> Cluster:
    with transaction.atomic():
        cluster, created = Cluster.objects.get_or_create(
            code=code, defaults={"name": name, "party_committee": party_committee}
        )
        if created:
            audit_log(actor=actor, action="cluster.create", obj=cluster, detail={"name": name})
    return cluster


def industry_ensure(*, actor, code: str, name: str) -> Industry:
    with transaction.atomic():
        industry, created = Industry.objects.get_or_create(code=code, defaults={"name": name})
        if created:
            audit_log(actor=actor, action="industry.create", obj=industry, detail={"name": name})
    return industry


def firm_create(
    *,
    actor,
    name: str,
    uscc: str,
    kind: str,
    cluster: Cluster | None = None,
    industry: Industry | None = None,
    street: str = "",
    size: str = "",
    credit_grade: str = "",
    party_org: str = Firm.PartyOrg.NONE,
    tags: list[str] | None = None,
    organisation: Organisation | None = None,
) -> Firm:
    """Register a firm; its core Organisation (kind firm) is created, or an existing one linked.

    The USCC is kept once, on the Organisation.
    """
    if kind not in Firm.Kind.values:
        raise DomainError("未知的主体类型", field="kind")
    if credit_grade and credit_grade not in Firm.CreditGrade.values:
        raise DomainError("纳税信用等级应为 A/B/M/C/D", field="credit_grade")
    if size and size not in Firm.Size.values:
        raise DomainError("未知的企业规模", field="size")
    if party_org not in Firm.PartyOrg.values:
        raise DomainError("未知的党组织类型", field="party_org")
    limits.check_text(Organisation, name=name)
    limits.check_text(Firm, street=street)
    for tag in tags or ():
        limits.check_text(Tag, name=tag.strip())
    with transaction.atomic():
        if organisation is None:
            uscc = uscc_normalise(uscc or "")
            if not uscc_is_valid(uscc):
                raise DomainError("统一社会信用代码格式或校验位不正确", field="uscc")
            existing = Organisation.objects.filter(uscc=uscc).first()
            if existing is not None:
                organisation = existing
            else:
                organisation = organisation_create(
                    actor=actor,
                    kind=Organisation.Kind.FIRM,
                    name=name,
                    code=_firm_code(uscc),
                    uscc=uscc,
                )
        if organisation.kind != Organisation.Kind.FIRM:
            raise DomainError("只有企业类机构可以登记为服务企业", field="uscc")
        if Firm.objects.filter(organisation=organisation).exists():
            raise DomainError("该企业已登记", field="uscc")
        firm = Firm.objects.create(
            organisation=organisation,
            kind=kind,
            cluster=cluster,
            industry=industry,
            street=street,
            size=size,
            credit_grade=credit_grade,
            party_org=party_org,
        )
        if tags:
            firm.tags.set([Tag.objects.get_or_create(name=t.strip())[0] for t in tags if t.strip()])
        audit_log(
            actor=actor,
            action="firm.create",
            obj=firm,
            organisation=organisation,
            detail={"uscc": organisation.uscc, "kind": kind, "tags": tags or []},
        )
    return firm


def contact_add(*, actor, firm: Firm, name: str, title: str = "", phone: str = "") -> Contact:
    if not name.strip():
        raise DomainError("联系人姓名不能为空", field="name")
    limits.check_text(Contact, name=name.strip(), title=title, phone=phone)
    with transaction.atomic():
        contact = Contact.objects.create(firm=firm, name=name.strip(), title=title, phone=phone)
        audit_log(
            actor=actor,
            action="contact.add",
            obj=contact,
            organisation=firm.organisation,
            detail={"name": contact.name},
        )
    return contact


def instructor_profile_set(
    *, actor, user, department: Organisation, display_name: str, phone: str, email: str = ""
) -> InstructorProfile:
    if not phone.strip():
        raise DomainError("公开电话不能为空", field="phone")
    limits.check_text(InstructorProfile, display_name=display_name, phone=phone, email=email)
    with transaction.atomic():
        profile, _ = InstructorProfile.objects.update_or_create(
            user=user,
            defaults={
                "department": department,
                "display_name": display_name,
                "phone": phone,
                "email": email,
            },
        )
        audit_log(
            actor=actor,
            action="instructor_profile.set",
            obj=profile,
            organisation=department,
            detail={"display_name": display_name},
        )
    return profile


def instructor_assign(
    *, actor, instructor, firm: Firm, since: date | None = None
) -> InstructorAssignment:
    with transaction.atomic():
        assignment, created = InstructorAssignment.objects.get_or_create(
            instructor=instructor,
            firm=firm,
            defaults={"since": since or timezone.localdate()},
        )
        if created:
            audit_log(
                actor=actor,
                action="instructor.assign",
                obj=assignment,
                organisation=firm.organisation,
                detail={"instructor": instructor.get_username(), "firm": firm.pk},
            )
    return assignment


MAX_COMMITMENT_CHARS = 500  # one commitment, shown on the cluster's public page


def commitment_add(
    *, actor, cluster: Cluster, instructor: InstructorProfile, text: str
) -> ServiceCommitment:
    if not text.strip():
        raise DomainError("承诺内容不能为空", field="text")
    if len(text.strip()) > MAX_COMMITMENT_CHARS:
        raise DomainError(f"承诺内容不能超过 {MAX_COMMITMENT_CHARS} 个字", field="text")
    with transaction.atomic():
        commitment, created = ServiceCommitment.objects.get_or_create(
            cluster=cluster,
            instructor=instructor,
            text=text.strip(),
            defaults={"order": cluster.commitments.count()},
        )
        if created:
            audit_log(
                actor=actor,
                action="commitment.add",
                obj=commitment,
                organisation=instructor.department,
                detail={"cluster": cluster.code},
            )
    return commitment


# --- Excel import ---------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: list[Firm]
    errors: list[rules.RowError]

    @property
    def ok(self) -> bool:
        return not self.errors


_EXAMPLE_USCC = "91420111MA0000999" + uscc_check_char("91420111MA0000999")


def import_template() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "企业名录"
    ws.append([header for header, _ in rules.IMPORT_COLUMNS])
    ws.append(
        [
            _EXAMPLE_USCC,
            "武汉示例文化传媒有限公司",
            "民营企业",
            "",
            "",
            "珞南街道",
            "小型",
            "A",
            "独立党支部",
            "文化企业,科技型企业",
            "张三",
            "027-87654321",
        ]
    )
    notes = wb.create_sheet("填写说明")
    notes.append(["主体类型", "、".join(str(c.label) for c in Firm.Kind)])
    notes.append(["规模", "、".join(str(c.label) for c in Firm.Size)])
    notes.append(["纳税信用等级", "A、B、M、C、D"])
    notes.append(["党组织", "、".join(str(c.label) for c in Firm.PartyOrg)])
    notes.append(["标签", "多个标签以逗号分隔"])
    notes.append(["说明", "第二行为示例，导入前请删除；任一行有误则整批不导入。"])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


# Columns read from an import sheet: the template's twelve and room for a few notes of one's own.
MAX_IMPORT_COLUMNS = 30


def _read_rows(content: bytes, max_rows: int) -> list[tuple[int, dict[str, str]]]:
    book = spreadsheets.open_workbook(content)
    table = spreadsheets.sheet_rows(
        book.worksheets[0], max_rows=max_rows, max_columns=MAX_IMPORT_COLUMNS
    )
    if not table:
        raise DomainError("文件为空", field="file")
    header = table[0]
    names = {label: field for label, field in rules.IMPORT_COLUMNS}
    columns = [names.get(str(h).strip()) if h is not None else None for h in header]
    missing = [label for label, field in rules.IMPORT_COLUMNS[:3] if field not in columns]
    if missing:
        raise DomainError(f"缺少必需的列：{'、'.join(missing)}", field="file")
    out = []
    for index, values in enumerate(table[1:], start=2):
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        row = {
            field: ("" if value is None else str(value))
            for field, value in zip(columns, values, strict=False)
            if field
        }
        out.append((index, row))
    return out


def _too_long(row_no: int, clean: dict[str, str]) -> list[rules.RowError]:
    """The row's values longer than the column they are saved in (a 500 on PostgreSQL)."""
    columns = {
        "name": (Organisation, "name"),
        "street": (Firm, "street"),
        "contact_name": (Contact, "name"),
        "contact_phone": (Contact, "phone"),
    }
    errors = []
    for field, (model, column) in columns.items():
        try:
            limits.check_text(model, **{column: clean.get(field, "")})
        except DomainError as exc:
            errors.append(rules.RowError(row_no, field, exc.message))
    longest = Tag._meta.get_field("name").max_length
    if any(len(t.strip()) > longest for t in clean.get("tags", "").replace("，", ",").split(",")):
        errors.append(rules.RowError(row_no, "tags", f"每个标签不能超过 {longest} 个字符"))
    return errors


def firm_import(*, actor, content: bytes, max_rows: int = 5000) -> ImportResult:
    """All-or-nothing import of firms from the Excel template, with a row-level error report."""
    rows = _read_rows(content, max_rows)
    clusters = {c.name: c for c in Cluster.objects.all()}
    industries = {i.name: i for i in Industry.objects.all()}
    kinds = {str(label): code for code, label in Firm.Kind.choices}
    sizes = {str(label): code for code, label in Firm.Size.choices}
    party = {str(label): code for code, label in Firm.PartyOrg.choices}
    errors: list[rules.RowError] = []
    cleaned = []
    seen: dict[str, int] = {}
    for row_no, values in rows:
        clean, row_errors = rules.check_row(
            row_no,
            values,
            kinds=kinds,
            sizes=sizes,
            grades=set(Firm.CreditGrade.values),
            party_orgs=party,
            clusters=set(clusters),
            industries=set(industries),
        )
        row_errors += _too_long(row_no, clean)
        uscc = clean.get("uscc", "")
        if uscc and not any(e.field == "uscc" for e in row_errors):
            if uscc in seen:
                row_errors.append(
                    rules.RowError(row_no, "uscc", f"与第 {seen[uscc]} 行的信用代码重复")
                )
            elif Firm.objects.filter(organisation__uscc=uscc).exists():
                row_errors.append(rules.RowError(row_no, "uscc", "该企业已登记"))
            else:
                org = Organisation.objects.filter(uscc=uscc).first()
                if org is not None and org.kind != Organisation.Kind.FIRM:
                    row_errors.append(rules.RowError(row_no, "uscc", "该信用代码属于非企业类机构"))
            seen.setdefault(uscc, row_no)
        errors.extend(row_errors)
        cleaned.append(clean)
    if not rows:
        errors.append(rules.RowError(0, "file", "没有可导入的数据行"))
    if errors:
        return ImportResult(created=[], errors=errors)
    created = []
    with transaction.atomic():
        for clean in cleaned:
            firm = firm_create(
                actor=actor,
                name=clean["name"],
                uscc=clean["uscc"],
                kind=clean["kind"],
                cluster=clusters.get(clean.get("cluster", "")),
                industry=industries.get(clean.get("industry", "")),
                street=clean.get("street", ""),
                size=clean.get("size", ""),
                credit_grade=clean.get("credit_grade", ""),
                party_org=clean.get("party_org") or Firm.PartyOrg.NONE,
                tags=[t for t in clean.get("tags", "").replace("，", ",").split(",") if t.strip()],
            )
            if clean.get("contact_name"):
                contact_add(
                    actor=actor,
                    firm=firm,
                    name=clean["contact_name"],
                    phone=clean.get("contact_phone", ""),
                )
            created.append(firm)
        audit_log(actor=actor, action="firm.import", detail={"created": len(created)})
    return ImportResult(created=created, errors=[])
