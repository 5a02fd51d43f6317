"""Writes of the catalogue and the QR codes."""

from __future__ import annotations

import secrets

from django.db import transaction

from qinqing.core.audit import audit_log
from qinqing.core.errors import DomainError
from qinqing.core.models import Organisation
from qinqing.needs import rules
from qinqing.needs.models import Category, QrCode
from qinqing.needs.services.common import _check, _dept_label

# --- catalogue and QR codes -----------------------------------------------------------------


def catalogue_ensure_defaults(*, actor) -> list[Category]:
    """Create the default catalogue for the departments that exist (idempotent)."""
    out = []
    with transaction.atomic():
        for order, code in enumerate(rules.CATEGORY_CODES):
            name, org_code, _short = rules.DEFAULT_CATALOGUE[code]
            dept = Organisation.objects.filter(code=org_code).first()
            if dept is None:
                continue
            category, created = Category.objects.get_or_create(
                code=code, defaults={"name": name, "lead_department": dept, "order": order}
            )
            if created:
                audit_log(
                    actor=actor,
                    action="need_category.create",
                    obj=category,
                    organisation=dept,
                    detail={"code": code},
                )
            out.append(category)
        finance = Category.objects.filter(code="finance").first()
        if finance is not None and not finance.assisting.exists():
            banks = Organisation.objects.filter(kind=Organisation.Kind.BANK)
            finance.assisting.add(*banks)
    return out


def qr_create(*, actor, origin: str, label: str, cluster=None) -> QrCode:
    _check(actor, "needs.manage_qr")
    if origin not in QrCode.Origin.values:
        raise DomainError("未知的二维码来源", field="origin")
    if not label.strip():
        raise DomainError("二维码名称不能为空", field="label")
    with transaction.atomic():
        qr = QrCode.objects.create(
            key=secrets.token_urlsafe(12), origin=origin, label=label.strip(), cluster=cluster
        )
        audit_log(actor=actor, action="need_qr.create", obj=qr, detail={"origin": origin})
    return qr


def department_for(code: str) -> tuple[Category | None, str]:
    category = Category.objects.select_related("lead_department").filter(code=code).first()
    if category is not None:
        return category, _dept_label(category.lead_department)
    return None, rules.DEFAULT_CATALOGUE.get(code, rules.DEFAULT_CATALOGUE["other"])[2]
