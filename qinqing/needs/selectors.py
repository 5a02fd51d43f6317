"""Reads of needs, restricted to what the user may see."""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from qinqing.core.permissions import require, visible
from qinqing.needs import db as intake_db
from qinqing.needs import rules
from qinqing.needs.models import (
    Category,
    CommonSummary,
    CommonSummaryItem,
    Need,
    QrCode,
    Rectification,
)


def overdue(qs: QuerySet) -> QuerySet:
    """Orders past their reply deadline and not yet answered (to sign or in progress)."""
    return qs.filter(
        state__in=[Need.State.PENDING_SIGN, Need.State.IN_PROGRESS],
        due_date__lt=timezone.localdate(),
    )


def needs(*, user, state: str = "", category: str = "", late: bool = False) -> QuerySet:
    qs = Need.objects.select_related("category", "department", "firm__organisation")
    if state:
        qs = qs.filter(state=state)
    if late:
        qs = overdue(qs)
    if category:
        qs = qs.filter(category__code=category)
    return visible(user, "needs.view_need", qs.order_by("-received_at"))


def active_qr(key: str) -> QrCode | None:
    """The active QR code with this key, or None. Read on every public submission: one plain
    query on the unique key index (the ORM, even a raw queryset, spends more compiling it and
    mapping its columns than the database spends answering it). The creation time is not
    read: it loads on access, as with `.only()`."""
    qn = connection.ops.quote_name
    fields = [f for f in QrCode._meta.concrete_fields if f.attname != "created_at"]
    sql = "SELECT {columns} FROM {table} WHERE {key} = %s AND {active}".format(  # noqa: S608
        columns=", ".join(qn(f.column) for f in fields),
        table=qn(QrCode._meta.db_table),
        key=qn("key"),
        active=qn("is_active"),
    )
    with intake_db.cursor() as cursor:
        cursor.execute(sql, [key])
        row = cursor.fetchone()
    if row is None:
        return None
    return QrCode.from_db(connection.alias, [f.attname for f in fields], row)


def need_by_number_and_phone(number: str, phone: str) -> Need | None:
    """The need with this number whose contact phone is this one (as typed: spaces and dashes
    dropped), or None: the public look-up, which needs both."""
    number = (number or "").strip().upper()
    phone = (phone or "").strip().replace(" ", "").replace("-", "")
    if not number or not phone:
        return None
    return Need.objects.filter(number=number, contact_phone=phone).only("token").first()


def rectifications(*, user) -> QuerySet:
    return visible(
        user,
        "needs.view_rectification",
        Rectification.objects.select_related("department").order_by("state", "due_date"),
    )


def common_summary(*, user) -> CommonSummary | None:
    """The common-needs summary of the usual window (`commons`), or None before the first
    computation. Drawn from every department's needs: only for those who plan the trainings
    (`needs.view_dashboard`)."""
    require(user, "needs.view_dashboard")
    return CommonSummary.objects.filter(window_days=rules.COMMON_WINDOW_DAYS).first()


def common_items(summary: CommonSummary | None) -> list[CommonSummaryItem]:
    """The summary's items (without their full lists of needs), each with `name` (the
    category's) and `recent`: (id, text) of its most recent needs — one query for all."""
    if summary is None:
        return []
    items = list(summary.items.defer("need_ids"))
    wanted = {pk for item in items for pk in item.recent_ids}
    texts = dict(Need.objects.filter(pk__in=wanted).values_list("pk", "text")) if wanted else {}
    names = dict(Category.objects.values_list("code", "name"))
    for item in items:
        item.recent = [(pk, texts[pk]) for pk in item.recent_ids if pk in texts]
        item.name = names.get(item.category, item.category)
    return items
