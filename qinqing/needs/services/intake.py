"""Intake: a firm's need from the public form (QR or web) or entered by staff, classified by the
keyword rules and routed, within the public form's limits."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone

from qinqing.core import rows
from qinqing.core.audit import AuditRecord, audit_append_sql, audit_log_many
from qinqing.core.errors import DomainError, ThrottledError
from qinqing.core.models import Notification, Organisation, RoleGrant
from qinqing.core.notifier import (
    Message,
    notification_audit_record,
    notification_send_many,
    notifications_deliver_on_commit,
    notifications_prepare,
)
from qinqing.core.roles import Role
from qinqing.core.rules import is_ascii_digits, uscc_is_valid, uscc_normalise
from qinqing.needs import db as intake_db
from qinqing.needs import rules
from qinqing.needs.models import Category, Need, NeedAttachment, NeedStep, QrCode
from qinqing.needs.services.common import (
    _audit_record,
    _check,
    _dispatch_note,
    _local_date,
    _new_order_message,
    _set_due,
    progress_url,
)
from qinqing.needs.services.orders import need_dispatch

# Public form limits (per client address and per phone number, counted in the database).
RATE_WINDOW = timedelta(hours=1)
MAX_ATTACHMENTS = 3
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
ALLOWED_TYPES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "application/pdf": (b"%PDF",),
}
PUBLIC_CHANNELS = {Need.Channel.QR, Need.Channel.PORTAL}


# --- intake ---------------------------------------------------------------------------------


# Each count stops at its limit: the check costs no more than the limit, however busy an address.
_COUNT_SQL = (
    "(SELECT COUNT(*) FROM (SELECT 1 FROM {t} WHERE {column} = %s"
    " AND received_at >= %s LIMIT %s) AS {name})"
)


def _rate_limit(ip: str | None, phone: str, now: datetime, *, reserve_id: bool = False) -> int:
    """Submissions of the last hour per client address and per phone number, counted in the
    database (so the limit holds across app servers), each a range scan of its own index
    (`need_ip_at_idx`, `need_phone_at_idx`); a limit set to 0 is not checked. With
    `reserve_id` (PostgreSQL) the same statement draws the new order's id from its sequence
    and returns it: one round trip for both."""
    per_ip, per_phone = settings.QINQING_NEEDS_RATE_PER_IP, settings.QINQING_NEEDS_RATE_PER_PHONE
    since = connection.ops.adapt_datetimefield_value(now - RATE_WINDOW)
    table = connection.ops.quote_name(Need._meta.db_table)
    columns, params, checks = [], [], []
    if per_ip and ip:
        columns.append(_COUNT_SQL.format(t=table, column="submitted_ip", name="by_ip"))
        params += [ip, since, per_ip]
        checks.append((per_ip, "提交过于频繁，请稍后再试"))
    if per_phone:
        columns.append(_COUNT_SQL.format(t=table, column="contact_phone", name="by_phone"))
        params += [phone, since, per_phone]
        checks.append((per_phone, "该手机号提交过于频繁，请一小时后再试"))
    if reserve_id:
        columns.append("nextval(pg_get_serial_sequence(%s, 'id'))")
        params.append(Need._meta.db_table)
    if not columns:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)}", params)
        found = cursor.fetchone()
    for (limit, message), count in zip(checks, found, strict=False):
        if count >= limit:
            raise ThrottledError(message, code="throttled")
    return found[-1] if reserve_id else 0


def _check_upload(upload: UploadedFile) -> str:
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise DomainError("单个附件不能超过 5MB", field="attachments")
    head = upload.read(8)
    upload.seek(0)
    for content_type, magics in ALLOWED_TYPES.items():
        if any(head.startswith(m) for m in magics):
            return content_type
    raise DomainError("附件只能是 JPG、PNG 图片或 PDF 文件", field="attachments")


def _normalise_phone(phone: str) -> str:
    phone = (phone or "").strip().replace(" ", "").replace("-", "")
    if not (is_ascii_digits(phone) and 7 <= len(phone) <= 12):
        raise DomainError("请填写正确的手机号或固定电话", field="phone")
    return phone


def need_submit(
    *,
    actor,
    channel: str,
    uscc: str,
    phone: str,
    text: str,
    category_hint: str = "",
    company_name: str = "",
    kind: str = Need.Kind.PROBLEM,
    qr: QrCode | None = None,
    ip: str | None = None,
    attachments: Sequence[UploadedFile] = (),
    at: datetime | None = None,
    auto_route: bool = True,
) -> Need:
    """Receive a need (public form or staff entry), then route it by the keyword rules."""
    if channel not in Need.Channel.values:
        raise DomainError("未知的渠道", field="channel")
    if channel not in PUBLIC_CHANNELS:
        _check(actor, "needs.enter_need")
    uscc = uscc_normalise(uscc or "")
    if not uscc_is_valid(uscc):
        raise DomainError("统一社会信用代码格式或校验位不正确", field="uscc")
    phone = _normalise_phone(phone)
    text = (text or "").strip()
    if len(text) < 5:
        raise DomainError("请用至少 5 个字描述您的诉求", field="text")
    if len(text) > 2000:
        raise DomainError("诉求内容不能超过 2000 字", field="text")
    if category_hint and category_hint not in rules.CATEGORY_CODES:
        raise DomainError("未知的诉求类别", field="category_hint")
    if kind not in Need.Kind.values:
        raise DomainError("未知的诉求性质", field="kind")
    if len(attachments) > MAX_ATTACHMENTS:
        raise DomainError(f"最多上传 {MAX_ATTACHMENTS} 个附件", field="attachments")
    types = [_check_upload(f) for f in attachments]
    if qr is not None and not qr.is_active:
        raise DomainError("该二维码已停用", field="qr")
    now = at or timezone.now()
    public = channel in PUBLIC_CHANNELS and at is None
    guess = _classify(text, category_hint)
    route = auto_route and not rules.needs_dispatcher(guess)
    submission = _Submission(actor, channel, qr, guess, public, now)
    if connection.vendor == "postgresql" and not attachments:
        return _submit_in_one_statement(
            submission, uscc, phone, text, category_hint, company_name, kind, ip, route
        )
    # Reads first, outside the transaction: the firm (one lookup by USCC), the routing (the
    # rules' guess, its catalogue entry and the lead department's staff, each read once).
    firm = _firm_by_uscc(uscc)
    category, staff = _routing(guess.category) if route else (None, [])
    need, received_state = _new_need(
        submission, firm, category, uscc, phone, text, category_hint, company_name, kind, ip
    )
    # One short transaction: the order, its steps and messages; the audit entries last (the
    # audit chain's head stays locked from the first entry until the commit).
    with transaction.atomic():
        reserve_id = connection.vendor == "postgresql"
        if public:
            # In the transaction: exact under SQLite's write lock.
            need.pk = _rate_limit(ip, phone, now, reserve_id=reserve_id) or None
        _insert_need(need, now, _intake_steps(need, received_state, now, channel))
        for upload, content_type in zip(attachments, types, strict=True):
            NeedAttachment.objects.create(
                need=need,
                file=upload,
                name=upload.name[:200],
                size=upload.size,
                content_type=content_type,
            )
        # Recorded now, delivered once the order is committed (never for a rolled-back one);
        # audited below with the order, in the same append.
        notifications = notification_send_many(
            actor=actor,
            messages=_intake_messages(submission, need, staff, phone),
            on_commit=True,
            audit=False,
        )
        audit_log_many(_intake_records(submission, need, category, notifications))
    return need


@dataclass(frozen=True)
class _Submission:
    """What `need_submit` decided before any read: who, by which channel, the rules' guess."""

    actor: object
    channel: str
    qr: QrCode | None
    guess: rules.Classification
    public: bool
    now: datetime


def _new_need(
    sub: _Submission, firm, category, uscc, phone, text, category_hint, company_name, kind, ip
) -> tuple[Need, str]:
    """The new order (not saved) and the state it is received in; above the threshold the
    rules dispatch it at once (design: routing): it is written already dispatched, with the
    same fields and step as `need_dispatch`."""
    actor, now = sub.actor, sub.now
    need = Need(
        routed_category=sub.guess.category,
        routing_confidence=sub.guess.confidence,
        token=secrets.token_urlsafe(24),
        channel=sub.channel,
        qr_code=sub.qr,
        uscc=uscc,
        company_name=(company_name or (firm[2] if firm else ""))[:200],
        firm_id=firm[0] if firm else None,
        firm_org_id=firm[1] if firm else None,
        contact_phone=phone,
        submitted_ip=ip,
        category_hint=category_hint,
        text=text,
        kind=kind,
        received_at=now,
        entered_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    received_state = need.state
    if category is not None:
        need.state = rules.next_state(received_state, "dispatch")
        need.category = category
        need.department = category.lead_department
        need.dispatched_at = now
        _set_due(need, _local_date(now), rules.SLA_DAYS[kind])
        need.routed_by = "rules"
    return need, received_state


def _intake_messages(sub: _Submission, need: Need, staff, phone: str) -> list[Message]:
    """The firm's SMS with its progress link (public channels) and the new-order notice to
    each of the lead department's staff (dispatched by the rules)."""
    messages = [_new_order_message(need, user) for user in staff]
    if sub.public:
        messages.insert(
            0,
            Message(
                "sms",
                f"诉求 {need.number} 已受理",
                f"您的诉求已受理，编号 {need.number}，查询进度：{progress_url(need)}",
                address=phone,
                # The link opens the order (and its rating) to whoever holds it.
                sensitive=True,
            ),
        )
    return messages


def _intake_records(sub: _Submission, need: Need, category, notifications) -> list[AuditRecord]:
    """The audit entries of a submission: its messages, then one entry for the one event:
    received, and (above the threshold) routed by the rules."""
    detail = {
        "channel": sub.channel,
        "qr": sub.qr.pk if sub.qr else None,
        "category": sub.guess.category,
        "confidence": str(sub.guess.confidence),
    }
    if category is not None:
        detail["dispatch"] = {
            "category": category.code,
            "department": need.department_id,
            "due": need.due_date,
            "by": "rules",
        }
    records = [_audit_record(sub.actor, need, "submit", detail)]
    if notifications:
        records.insert(0, notification_audit_record(actor=sub.actor, notifications=notifications))
    return records


# PostgreSQL: one read and one write statement per submission. The read draws the ids (order
# and messages) from their sequences, checks the limits, finds the firm and the routing; the
# write inserts the order, its steps and messages and appends the audit entries (hashed in the
# database) in one statement: in autocommit mode that is the whole transaction, so no BEGIN and
# COMMIT round trips, and the audit chain's head is locked only while that statement runs.


_READ_FROM_SQL = (
    " FROM (SELECT nextval(pg_get_serial_sequence(%s, 'id')) AS need_id, {sms_id} AS sms_id)"
    " ids LEFT JOIN (SELECT f.id AS fid, o.id AS oid, o.name FROM {organisation} o"
    " LEFT JOIN {firm} f ON f.organisation_id = o.id WHERE o.uscc = %s AND o.kind = %s) f ON true"
)
_READ_ROUTING_SQL = (
    " LEFT JOIN (SELECT c.id AS cid, c.code, c.name AS cname, d.id AS did,"
    " d.name AS dname, d.short_name, u.id AS uid FROM {category} c"
    " JOIN {organisation} d ON d.id = c.lead_department_id"
    " LEFT JOIN {grant} g ON g.organisation_id = d.id AND g.role = %s"
    " LEFT JOIN {user} u ON u.id = g.user_id AND u.is_active"
    " WHERE c.code = %s) r ON true ORDER BY r.uid"
)


def _intake_read(sub: _Submission, uscc: str, code: str | None, ip, phone: str):
    """One statement: the order's id and the SMS's (public channels) drawn from their
    sequences, the limits checked (raises ThrottledError), the firm with this USCC, and with
    `code` the catalogue entry, its lead department and that department's active staff, each
    with the id of the notice they will get. Returns (order id, SMS id, firm, category,
    [(user, notice id)])."""
    from qinqing.enterprises.models import Firm

    qn = connection.ops.quote_name
    user_model = get_user_model()
    need_table, note_table = Need._meta.db_table, Notification._meta.db_table
    # The select list and its parameters, then FROM and its parameters (placeholder order).
    columns = ["ids.need_id", "ids.sms_id", "f.fid", "f.oid", "f.name"]
    params: list = []
    checks = []
    if sub.public:
        since = connection.ops.adapt_datetimefield_value(sub.now - RATE_WINDOW)
        per_ip, per_phone = (
            settings.QINQING_NEEDS_RATE_PER_IP,
            settings.QINQING_NEEDS_RATE_PER_PHONE,
        )
        if per_ip and ip:
            columns.append(_COUNT_SQL.format(t=qn(need_table), column="submitted_ip", name="by_ip"))
            params += [ip, since, per_ip]
            checks.append((per_ip, "提交过于频繁，请稍后再试"))
        if per_phone:
            columns.append(
                _COUNT_SQL.format(t=qn(need_table), column="contact_phone", name="by_phone")
            )
            params += [phone, since, per_phone]
            checks.append((per_phone, "该手机号提交过于频繁，请一小时后再试"))
    from_sql = _READ_FROM_SQL.format(
        sms_id="nextval(pg_get_serial_sequence(%s, 'id'))" if sub.public else "NULL::bigint",
        firm=qn(Firm._meta.db_table),
        organisation=qn(Organisation._meta.db_table),
    )
    from_params = [
        need_table,
        *([note_table] if sub.public else []),
        uscc,
        Organisation.Kind.FIRM.value,
    ]
    if code is not None:
        columns += ["r.cid", "r.code", "r.cname", "r.did", "r.dname", "r.short_name", "r.uid"]
        columns.append(
            "CASE WHEN r.uid IS NOT NULL THEN nextval(pg_get_serial_sequence(%s, 'id')) END"
        )
        params.append(note_table)
        from_sql += _READ_ROUTING_SQL.format(
            category=qn(Category._meta.db_table),
            organisation=qn(Organisation._meta.db_table),
            grant=qn(RoleGrant._meta.db_table),
            user=qn(user_model._meta.db_table),
        )
        from_params += [Role.STAFF.value, code]
    with intake_db.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)}{from_sql}", [*params, *from_params])
        found = cursor.fetchall()
    first = found[0]
    for (limit, message), count in zip(checks, first[5 : 5 + len(checks)], strict=True):
        if count >= limit:
            raise ThrottledError(message, code="throttled")
    firm = first[2:5] if first[3] is not None else None
    route = first[5 + len(checks) :]
    if code is None or route[0] is None:
        return first[0], first[1], firm, None, []
    db = connection.alias
    c_id, c_code, c_name, d_id, d_name, d_short = route[:6]
    department = Organisation.from_db(db, ["id", "name", "short_name"], (d_id, d_name, d_short))
    category = Category.from_db(
        db, ["id", "code", "name", "lead_department_id"], (c_id, c_code, c_name, d_id)
    )
    category.lead_department = department
    staff = [
        (user_model.from_db(db, ["id"], (row[-2],)), row[-1])
        for row in found
        if row[-2] is not None
    ]
    return first[0], first[1], firm, category, staff


def _submit_in_one_statement(
    sub: _Submission, uscc, phone, text, category_hint, company_name, kind, ip, route
) -> Need:
    """`need_submit` on PostgreSQL without attachments: one read (`_intake_read`), then the
    order, its steps, its messages and its audit entries in one statement (the entries hashed
    in the database, `audit_append_sql`). The messages go out once it is committed: at once in
    autocommit mode, where the statement is the transaction; at the caller's commit inside a
    transaction."""
    need_id, sms_id, firm, category, staff = _intake_read(
        sub, uscc, sub.guess.category if route else None, ip, phone
    )
    need, received_state = _new_need(
        sub, firm, category, uscc, phone, text, category_hint, company_name, kind, ip
    )
    need.pk = need_id
    need.number = _need_number(sub.now, need_id)
    steps = _intake_steps(need, received_state, sub.now, sub.channel)()
    messages = _intake_messages(sub, need, [user for user, _ in staff], phone)
    backend, notifications = notifications_prepare(messages)
    for notification, pk in zip(
        notifications, ([sms_id] if sub.public else []) + [pk for _, pk in staff], strict=True
    ):
        notification.pk = pk
    append = audit_append_sql(_intake_records(sub, need, category, notifications))
    groups = [g for g in ([need], steps, notifications) if g]
    parts, params = [], []
    for n, group in enumerate(groups):
        insert, group_params, _fields = rows.insert_sql(group)
        parts.append(f"g{n} AS ({insert})")
        params += group_params
    append.run(parts, params, cursor=intake_db.cursor)
    for obj in (need, *steps, *notifications):
        obj._state.adding = False
        obj._state.db = connection.alias
    if notifications:
        notifications_deliver_on_commit(backend, notifications, messages)
    return need


# The firm's organisation by its USCC, and its entry in the firm register when it has one: a
# firm whose users sign in is an organisation, registered for the service work or not, and its
# needs are its own either way.
_FIRM_SQL = (
    "SELECT f.id, o.id, o.name FROM {organisation} o"
    " LEFT JOIN {firm} f ON f.organisation_id = o.id WHERE o.uscc = %s AND o.kind = %s"
)


def _firm_by_uscc(uscc: str) -> tuple[int | None, int, str] | None:
    """(firm register id or None, the organisation's id, name) of the firm with this USCC, or
    None: one lookup on the unique USCC index."""
    from qinqing.enterprises.models import Firm

    qn = connection.ops.quote_name
    sql = _FIRM_SQL.format(
        firm=qn(Firm._meta.db_table), organisation=qn(Organisation._meta.db_table)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [uscc, Organisation.Kind.FIRM.value])
        return cursor.fetchone()


_ROUTING_SQL = (
    "SELECT c.id, c.code, c.name, d.id, d.name, d.short_name, u.id FROM {category} c"
    " JOIN {organisation} d ON d.id = c.lead_department_id"
    " LEFT JOIN {grant} g ON g.organisation_id = d.id AND g.role = %s"
    " LEFT JOIN {user} u ON u.id = g.user_id AND u.is_active"
    " WHERE c.code = %s ORDER BY u.id"
)


def _routing(code: str) -> tuple[Category | None, list]:
    """The catalogue entry `code` with its lead department, and that department's active staff
    (who are told of a new order), in one query. Instances hold the columns read here; any
    other field loads on access, as with `.only()`."""
    user_model = get_user_model()
    qn = connection.ops.quote_name
    sql = _ROUTING_SQL.format(
        category=qn(Category._meta.db_table),
        organisation=qn(Organisation._meta.db_table),
        grant=qn(RoleGrant._meta.db_table),
        user=qn(user_model._meta.db_table),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [Role.STAFF.value, code])
        found = cursor.fetchall()
    if not found:
        return None, []
    db = connection.alias
    c_id, c_code, c_name, d_id, d_name, d_short = found[0][:6]
    department = Organisation.from_db(db, ["id", "name", "short_name"], (d_id, d_name, d_short))
    category = Category.from_db(
        db, ["id", "code", "name", "lead_department_id"], (c_id, c_code, c_name, d_id)
    )
    category.lead_department = department
    staff = [user_model.from_db(db, ["id"], (row[6],)) for row in found if row[6] is not None]
    return category, staff


def _intake_steps(need: Need, received_state: str, now: datetime, channel: str):
    """The steps of a new order (received, and dispatched by the rules when it was), built
    once the order has its id."""

    def steps() -> list[NeedStep]:
        out = [
            NeedStep(
                need=need,
                at=now,
                action="receive",
                from_state="",
                to_state=received_state,
                by_label=str(Need.Channel(channel).label),
            )
        ]
        if need.state != received_state:
            out.append(
                NeedStep(
                    need=need,
                    at=now,
                    action="dispatch",
                    from_state=received_state,
                    to_state=need.state,
                    by_label="系统自动派单",
                    note=_dispatch_note(need),
                )
            )
        return out

    return steps


def _insert_need(need: Need, now: datetime, steps) -> None:
    """Insert the order with its number QQ<date><id>, and its first steps (`steps()` builds
    them). On PostgreSQL the id is drawn from the sequence first, so the number goes in with
    the row (no second UPDATE of a row whose every index would be written again) and the order
    and its steps are one statement; elsewhere the number is set right after the insert."""
    if connection.vendor == "postgresql":
        if need.pk is None:  # not drawn with the rate check
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [Need._meta.db_table]
                )
                need.pk = cursor.fetchone()[0]
        need.number = _need_number(now, need.pk)
        rows.insert_many([need], steps())
    else:
        need.number = secrets.token_hex(8)
        need.save(force_insert=True)
        need.number = _need_number(now, need.pk)
        need.save(update_fields=["number"])
        rows.insert(steps())


def _need_number(now: datetime, pk: int) -> str:
    return f"QQ{_local_date(now):%Y%m%d}{pk:06d}"


def _classify(text: str, hint: str) -> rules.Classification:
    """The rules' category; a firm's own hint wins over a weak guess (still queued)."""
    result = rules.classify(text)
    if hint and hint != result.category and result.confidence < rules.DEFAULT_THRESHOLD:
        return rules.Classification(hint, max(result.confidence, rules.DEFAULT_THRESHOLD / 2))
    return result


def need_route(*, need: Need, at: datetime | None = None) -> Need:
    """Above the confidence threshold dispatch at once to the lead department, else the order
    waits for the dispatcher (its classification was stored when it was received)."""
    result = rules.Classification(need.routed_category, need.routing_confidence)
    if not rules.needs_dispatcher(result):
        category = Category.objects.filter(code=result.category).first()
        if category is not None:
            need_dispatch(actor=None, need=need, category=category, at=at, routed_by="rules")
    return need
