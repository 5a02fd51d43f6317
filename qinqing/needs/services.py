"""Writes of needs: intake, routing, the work-order state machine, ratings, rectifications."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from qinqing.core import calendar, rows
from qinqing.core.audit import (
    AuditRecord,
    audit_append_sql,
    audit_log,
    audit_log_many,
)
from qinqing.core.errors import ConflictError, DomainError, ThrottledError
from qinqing.core.models import Notification, Organisation, RoleGrant
from qinqing.core.notifier import (
    Message,
    notification_audit_record,
    notification_send,
    notification_send_many,
    notifications_deliver_on_commit,
    notifications_prepare,
)
from qinqing.core.permissions import can
from qinqing.core.roles import Role
from qinqing.core.rules import is_ascii_digits, uscc_is_valid, uscc_normalise
from qinqing.needs import db as intake_db
from qinqing.needs import rules
from qinqing.needs.models import (
    Category,
    Need,
    NeedAttachment,
    NeedStep,
    QrCode,
    Rating,
    Rectification,
    RoutingExample,
)

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


def _check(actor, action: str, need: Need | None = None) -> None:
    """Services called by a person check the policy; `actor=None` is the system itself."""
    if actor is not None and not can(actor, action, need):
        raise PermissionDenied


def _local_date(at: datetime) -> date:
    return timezone.localtime(at).date()


def _set_due(need: Need, start: date, days: int) -> None:
    """The deadline `days` working days after `start`, with what it is computed from."""
    need.due_from, need.due_days = start, days
    need.due_date = rules.due_date(start, days, calendar.add_working_days)


def _step(need: Need, action: str, before: str, at: datetime, by: str, note: str = "") -> None:
    NeedStep.objects.create(
        need=need,
        at=at,
        action=action,
        from_state=before,
        to_state=need.state,
        by_label=by,
        note=note,
    )


def _audit_record(actor, need: Need, verb: str, detail: dict | None = None) -> AuditRecord:
    return AuditRecord(
        f"need.{verb}",
        actor,
        obj=need,
        organisation=need.department,
        detail={"number": need.number, "state": need.state, **(detail or {})},
    )


def _audit(actor, need: Need, verb: str, detail: dict | None = None) -> None:
    audit_log_many([_audit_record(actor, need, verb, detail)])


def _notify_after_commit(**message) -> None:
    """Send once the order is committed: no message for a rolled-back change, and the audit
    chain's head is not held while messages are written (each is its own short transaction)."""
    transaction.on_commit(lambda: notification_send(**message), robust=True)


def progress_url(need: Need) -> str:
    base = getattr(settings, "QINQING_PUBLIC_URL", "").rstrip("/")
    return f"{base}/needs/t/{need.token}/"


def _dept_label(org: Organisation | None) -> str:
    return (org.short_name or org.name) if org else "区营商办"


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


def _dispatch_note(need: Need) -> str:
    return (
        f"派往{_dept_label(need.department)}，办理时限 {need.due_date:%Y-%m-%d}"
        f"{calendar.estimate_note(need.due_date)}"
    )


def _new_order_message(need: Need, user) -> Message:
    return Message(
        "in_app",
        f"新工单 {need.number} 待签收",
        f"{need.category.name}：{need.text[:60]}（时限 {need.due_date:%Y-%m-%d}"
        f"{'，' + calendar.ESTIMATE_LABEL if calendar.is_estimated(need.due_date) else ''}）",
        recipient=user,
    )


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


def _staff_of(department: Organisation) -> list:
    return list(
        get_user_model().objects.filter(
            role_grants__organisation=department, role_grants__role=Role.STAFF, is_active=True
        )
    )


def need_dispatch(
    *,
    actor,
    need: Need,
    category: Category,
    department: Organisation | None = None,
    kind: str | None = None,
    at: datetime | None = None,
    routed_by: str = "dispatcher",
) -> Need:
    _check(actor, "needs.dispatch")
    now = at or timezone.now()
    with transaction.atomic():
        need = Need.objects.select_for_update().get(pk=need.pk)
        before = need.state
        try:
            need.state = rules.next_state(before, "dispatch")
        except rules.RuleError as exc:
            raise ConflictError(str(exc), code="state") from None
        if kind:
            if kind not in Need.Kind.values:
                raise DomainError("未知的诉求性质", field="kind")
            need.kind = kind
        need.category = category
        need.department = department or category.lead_department
        need.dispatched_at = now
        need.signed_at = None
        _set_due(need, _local_date(now), rules.SLA_DAYS[need.kind])
        need.routed_by = routed_by
        need.reminded = False
        need.escalation_level = 0
        need.save(
            update_fields=[
                "state",
                "kind",
                "category",
                "department",
                "dispatched_at",
                "signed_at",
                "due_date",
                "due_from",
                "due_days",
                "routed_by",
                "reminded",
                "escalation_level",
            ]
        )
        if routed_by == "dispatcher" and need.routed_category != category.code:
            RoutingExample.objects.update_or_create(
                need=need,
                defaults={
                    "text": need.text,
                    "predicted": need.routed_category,
                    "label": category.code,
                },
            )
        by = "系统自动派单" if routed_by == "rules" else "区营商办"
        _step(need, "dispatch", before, now, by, _dispatch_note(need))
        notification_send_many(
            actor=actor,
            messages=[_new_order_message(need, user) for user in _staff_of(need.department)],
        )
        _audit(
            actor,
            need,
            "dispatch",
            {"category": category.code, "department": need.department_id, "by": routed_by},
        )
    return need


def _transition(actor, need: Need, action: str, policy: str) -> tuple[Need, str]:
    _check(actor, policy, need)
    need = Need.objects.select_for_update().get(pk=need.pk)
    before = need.state
    try:
        need.state = rules.next_state(before, action)
    except rules.RuleError as exc:
        raise ConflictError(str(exc), code="state") from None
    return need, before


def need_sign(*, actor, need: Need, at: datetime | None = None) -> Need:
    now = at or timezone.now()
    with transaction.atomic():
        need, before = _transition(actor, need, "sign", "needs.handle")
        need.signed_at = now
        need.save(update_fields=["state", "signed_at"])
        _step(need, "sign", before, now, _dept_label(need.department))
        _audit(actor, need, "sign")
    return need


def need_return(*, actor, need: Need, reason: str, at: datetime | None = None) -> Need:
    """退单: back to the dispatcher with the reason (e.g. the legal basis of another remit)."""
    if len((reason or "").strip()) < 4:
        raise DomainError("退单须说明理由（如职责依据）", field="reason")
    now = at or timezone.now()
    with transaction.atomic():
        need, before = _transition(actor, need, "return", "needs.handle")
        dept = need.department
        need.department, need.signed_at = None, None
        need.due_date, need.due_from, need.due_days = None, None, 0
        need.save(
            update_fields=["state", "department", "due_date", "due_from", "due_days", "signed_at"]
        )
        _step(need, "return", before, now, _dept_label(dept), reason.strip())
        audit_log(
            actor=actor,
            action="need.return",
            obj=need,
            organisation=dept,
            detail={"number": need.number, "reason": reason.strip()},
        )
    return need


def need_request_extension(
    *, actor, need: Need, days: int, reason: str, at: datetime | None = None
) -> Need:
    if not 1 <= days <= rules.MAX_EXTENSION_DAYS:
        raise DomainError(f"延期应为 1 至 {rules.MAX_EXTENSION_DAYS} 个工作日", field="days")
    if len((reason or "").strip()) < 4:
        raise DomainError("请说明延期理由", field="reason")
    now = at or timezone.now()
    with transaction.atomic():
        need, before = _transition(actor, need, "request_extension", "needs.handle")
        if need.extension_state == Need.Extension.REQUESTED:
            raise ConflictError("已有待审批的延期申请", code="state")
        need.extension_state = Need.Extension.REQUESTED
        need.extension_days, need.extension_reason = days, reason.strip()
        need.save(update_fields=["extension_state", "extension_days", "extension_reason"])
        _step(need, "request_extension", before, now, _dept_label(need.department), reason.strip())
        _audit(actor, need, "request_extension", {"days": days})
    return need


def need_decide_extension(*, actor, need: Need, approve: bool, at: datetime | None = None) -> Need:
    now = at or timezone.now()
    with transaction.atomic():
        need, before = _transition(actor, need, "decide_extension", "needs.dispatch")
        if need.extension_state != Need.Extension.REQUESTED:
            raise ConflictError("没有待审批的延期申请", code="state")
        fields = ["extension_state"]
        if approve:
            need.extension_state = Need.Extension.APPROVED
            if need.due_from is None:  # a deadline older than its recorded basis
                need.due_from, need.due_days = need.due_date, 0
            _set_due(need, need.due_from, need.due_days + need.extension_days)
            need.reminded, need.escalation_level = False, 0
            fields += ["due_date", "due_from", "due_days", "reminded", "escalation_level"]
            note = f"同意延期 {need.extension_days} 个工作日，新时限 {need.due_date:%Y-%m-%d}"
        else:
            need.extension_state = Need.Extension.REJECTED
            note = "不同意延期"
        need.save(update_fields=fields)
        _step(need, "decide_extension", before, now, "区营商办", note)
        _audit(actor, need, "decide_extension", {"approve": approve})
    return need


def need_reply(*, actor, need: Need, reply: str, at: datetime | None = None) -> Need:
    if len((reply or "").strip()) < 4:
        raise DomainError("答复内容不能少于 4 个字", field="reply")
    now = at or timezone.now()
    with transaction.atomic():
        need, before = _transition(actor, need, "reply", "needs.handle")
        need.reply, need.replied_at = reply.strip(), now
        need.on_time = rules.is_on_time(_local_date(now), need.due_date)
        need.save(update_fields=["state", "reply", "replied_at", "on_time"])
        _step(need, "reply", before, now, _dept_label(need.department), need.reply)
        _audit(actor, need, "reply", {"on_time": need.on_time})
        _notify_after_commit(
            actor=actor,
            channel="sms",
            address=need.contact_phone,
            subject=f"您的诉求 {need.number} 已答复",
            body=f"{_dept_label(need.department)}已答复您的诉求，查看并评价：{progress_url(need)}",
        )
    return need


def need_callback(*, actor, need: Need, note: str, at: datetime | None = None) -> Need:
    if len((note or "").strip()) < 2:
        raise DomainError("请填写回访记录", field="note")
    now = at or timezone.now()
    with transaction.atomic():
        need, before = _transition(actor, need, "callback", "needs.dispatch")
        need.callback_at, need.callback_note = now, note.strip()
        need.save(update_fields=["callback_at", "callback_note"])
        _step(need, "callback", before, now, "区营商办", need.callback_note)
        _audit(actor, need, "callback")
    return need


def need_close(*, actor, need: Need, at: datetime | None = None) -> Need:
    now = at or timezone.now()
    with transaction.atomic():
        need, before = _transition(actor, need, "close", "needs.dispatch")
        if need.callback_at is None:
            raise ConflictError("办结前须完成回访", code="callback_required")
        need.closed_at = now
        need.save(update_fields=["state", "closed_at"])
        _step(need, "close", before, now, "区营商办")
        _audit(actor, need, "close", {"on_time": need.on_time})
    return need


def need_reopen(*, actor, need: Need, reason: str, at: datetime | None = None) -> Need:
    """重办: back to the same department with a fresh deadline (after a bad rating, say)."""
    if len((reason or "").strip()) < 4:
        raise DomainError("请说明重办理由", field="reason")
    now = at or timezone.now()
    with transaction.atomic():
        need, before = _transition(actor, need, "reopen", "needs.dispatch")
        need.reopen_count += 1
        need.closed_at = None
        need.replied_at = None
        need.callback_at = None
        need.on_time = None
        _set_due(need, _local_date(now), rules.SLA_DAYS[need.kind])
        need.reminded, need.escalation_level = False, 0
        need.save(
            update_fields=[
                "state",
                "reopen_count",
                "closed_at",
                "replied_at",
                "callback_at",
                "on_time",
                "due_date",
                "due_from",
                "due_days",
                "reminded",
                "escalation_level",
            ]
        )
        _step(need, "reopen", before, now, "区营商办", reason.strip())
        _audit(actor, need, "reopen", {"reason": reason.strip()})
    return need


# --- deadlines moved by a holiday notice entered later -----------------------------------------

OPEN_STATES = (Need.State.PENDING_SIGN, Need.State.IN_PROGRESS)


def _deadlines_moved(model, change: calendar.CalendarChange):
    """The rows of `model` (`due_from`, `due_days`, `due_date`) whose deadline the change
    moves, locked, each with its old deadline (already replaced by the new one)."""
    rows = (
        model.objects.select_for_update(of=("self",))
        .select_related("department")
        .filter(due_date__gte=change.first, due_from__lt=change.last, due_days__gte=1)
        .order_by("pk")
    )
    for row in rows:
        new_due = change.new.add_working_days(row.due_from, row.due_days)
        if new_due != row.due_date:
            old_due, row.due_date = row.due_date, new_due
            yield row, old_due


def needs_deadlines_recompute(change: calendar.CalendarChange) -> int:
    """Move the deadlines of needs and rectifications that were counted across a day whose
    working status the notice changed (counted from their event: `due_from`, `due_days`); a
    reply already given is judged again against the new deadline. Each move is a step the
    firm sees, an audit entry, and a message to the department's staff while it is open."""
    now = timezone.now()
    records: list[AuditRecord] = []
    messages: list[Message] = []
    for need, old_due in _deadlines_moved(Need, change):
        fields = ["due_date"]
        if need.replied_at is not None:
            need.on_time = rules.is_on_time(_local_date(need.replied_at), need.due_date)
            fields.append("on_time")
        need.save(update_fields=fields)
        note = f"依据{change.notice}，办理时限由 {old_due:%Y-%m-%d} 调整为 {need.due_date:%Y-%m-%d}"
        _step(need, "recompute_due", need.state, now, "平台", note)
        detail = {"from": old_due, "to": need.due_date}
        records.append(_audit_record(change.actor, need, "recompute_due", detail))
        if need.state in OPEN_STATES and need.department is not None:
            messages += [
                Message("in_app", f"工单 {need.number} 办理时限调整", note, recipient=user)
                for user in _staff_of(need.department)
            ]
    for rect, old_due in _deadlines_moved(Rectification, change):
        rect.save(update_fields=["due_date"])
        note = f"依据{change.notice}，整改时限由 {old_due:%Y-%m-%d} 调整为 {rect.due_date:%Y-%m-%d}"
        detail = {"from": old_due, "to": rect.due_date}
        records.append(
            AuditRecord(
                "rectification.recompute_due",
                change.actor,
                obj=rect,
                organisation=rect.department,
                detail=detail,
            )
        )
        if rect.state == Rectification.State.OPEN:
            messages += [
                Message("in_app", "整改时限调整", f"{rect.description[:40]}：{note}", recipient=u)
                for u in _staff_of(rect.department)
            ]
    if messages:
        notification_send_many(actor=change.actor, messages=messages, on_commit=True)
    if records:
        audit_log_many(records)
    return len(records)


# --- escalation (periodic) ------------------------------------------------------------------


@dataclass
class EscalationReport:
    reminded: int = 0
    urged: int = 0
    supervised: int = 0


def needs_escalate(*, today: date | None = None) -> EscalationReport:
    """Reminders, 催办 and 督办 for open orders; run daily by `qinqing needs_escalate`."""
    today = today or timezone.localdate()
    report = EscalationReport()
    open_ids = list(
        Need.objects.filter(
            state__in=[Need.State.PENDING_SIGN, Need.State.IN_PROGRESS], due_date__isnull=False
        ).values_list("pk", flat=True)
    )
    labels = {"remind": "到期提醒", "urge": "催办", "supervise": "督办"}
    for pk in open_ids:
        with transaction.atomic():
            need = (
                Need.objects.select_for_update(of=("self",)).select_related("department").get(pk=pk)
            )
            step = rules.escalation_step(
                due=need.due_date,
                today=today,
                level=need.escalation_level,
                reminded=need.reminded,
                add_working_days=calendar.add_working_days,
                working_days_between=calendar.working_days_between,
            )
            if step is None:
                continue
            if step.action == "remind":
                need.reminded = True
                report.reminded += 1
            else:
                need.escalation_level = step.level
                if step.action == "urge":
                    report.urged += 1
                else:
                    report.supervised += 1
            need.save(update_fields=["reminded", "escalation_level"])
            label = labels[step.action]
            if step.action != "remind":
                _step(need, step.action, need.state, timezone.now(), "区营商办", label)
            _audit(None, need, step.action, {"due": need.due_date, "today": today})
            for user in _staff_of(need.department):
                notification_send(
                    actor=None,
                    channel="in_app",
                    recipient=user,
                    subject=f"【{label}】工单 {need.number}",
                    body=(
                        f"办理时限 {need.due_date:%Y-%m-%d}{calendar.estimate_note(need.due_date)}，"
                        "请及时办理。"
                    ),
                )
    return report


# --- ratings, appeals and rectifications ----------------------------------------------------


def rectification_open(
    *,
    actor,
    source: str,
    department: Organisation,
    description: str,
    rating: Rating | None = None,
    at: datetime | None = None,
    days: int = rules.RECTIFICATION_DAYS,
) -> Rectification:
    """An internal rectification order due in `days` working days (15 for a 差评)."""
    if source not in Rectification.Source.values:
        raise DomainError("未知的整改来源", field="source")
    now = at or timezone.now()
    with transaction.atomic():
        rect = Rectification.objects.create(
            source=source,
            rating=rating,
            department=department,
            description=description.strip(),
            opened_at=now,
            due_date=rules.due_date(_local_date(now), days, calendar.add_working_days),
            due_from=_local_date(now),
            due_days=days,
        )
        audit_log(
            actor=actor,
            action="rectification.open",
            obj=rect,
            organisation=department,
            detail={"source": source, "due": rect.due_date},
        )
    return rect


def rectification_complete(
    *, actor, rectification: Rectification, result: str, callback_note: str
) -> Rectification:
    if actor is not None and not can(actor, "needs.view_rectification", rectification):
        raise PermissionDenied
    if rectification.state != Rectification.State.OPEN:
        raise ConflictError("该整改单已结束", code="state")
    if len((result or "").strip()) < 4:
        raise DomainError("请填写整改结果", field="result")
    if rectification.callback_required and len((callback_note or "").strip()) < 2:
        raise DomainError("整改完成须附回访记录", field="callback_note")
    with transaction.atomic():
        rectification.state = Rectification.State.DONE
        rectification.result, rectification.callback_note = result.strip(), callback_note.strip()
        rectification.done_at = timezone.now()
        rectification.save(update_fields=["state", "result", "callback_note", "done_at"])
        audit_log(
            actor=actor,
            action="rectification.complete",
            obj=rectification,
            organisation=rectification.department,
        )
    return rectification


def _rate(
    *, actor, department, level, comment, need=None, event_id=None, rater_key="", at=None
) -> Rating:
    if level not in rules.RATING_LABELS:
        raise DomainError("评价等级应为 1 至 5", field="level")
    now = at or timezone.now()
    rating = Rating.objects.create(
        need=need,
        event_id=event_id,
        rater_key=rater_key,
        department=department,
        level=level,
        comment=(comment or "").strip()[:1000],
        rated_at=now,
    )
    audit_log(
        actor=actor,
        action="rating.create",
        obj=rating,
        organisation=department,
        detail={"level": level, "need": need.pk if need else None, "event": event_id},
    )
    if rules.is_bad_rating(level):
        subject = f"工单 {need.number}" if need else f"活动 #{event_id}"
        rectification_open(
            actor=actor,
            source=Rectification.Source.RATING,
            department=department,
            description=f"{subject} 收到差评（{rules.RATING_LABELS[level]}）：{rating.comment}",
            rating=rating,
            at=now,
        )
    return rating


def need_rate(*, actor, need: Need, level: int, comment: str = "", at=None) -> Rating:
    """好差评 by the firm (via its progress link) after the order is closed."""
    with transaction.atomic():
        need = Need.objects.select_for_update().get(pk=need.pk)
        if need.state != Need.State.CLOSED:
            raise ConflictError("工单办结后才能评价", code="state")
        if Rating.objects.filter(need=need).exists():
            raise ConflictError("该工单已评价", code="duplicate")
        rating = _rate(
            actor=actor, department=need.department, level=level, comment=comment, need=need, at=at
        )
        _step(need, "rate", need.state, rating.rated_at, "企业", rules.RATING_LABELS[level])
    return rating


def event_rate(
    *, actor, event_id: int, department: Organisation, level: int, rater_key: str, comment=""
) -> Rating:
    """好差评 of an event by one participant (`rater_key`: the registration's secret hash);
    a second rating by the same participant, even a concurrent one, is refused
    (`rating_event_rater_unique`)."""
    try:
        with transaction.atomic():
            if Rating.objects.filter(event_id=event_id, rater_key=rater_key).exists():
                raise ConflictError("您已评价过该活动", code="duplicate")
            return _rate(
                actor=actor,
                department=department,
                level=level,
                comment=comment,
                event_id=event_id,
                rater_key=rater_key,
            )
    except IntegrityError:
        raise ConflictError("您已评价过该活动", code="duplicate") from None


def rating_appeal(*, actor, rating: Rating, reason: str) -> Rating:
    """The rated department appeals a mistaken 差评 (once: the rating's row is locked)."""
    if not rating.is_bad:
        raise ConflictError("只能对差评提出申诉", code="state")
    if actor is not None and not (
        can(actor, "needs.decide_appeal") or rating.department_id in _staff_orgs(actor)
    ):
        raise PermissionDenied
    if len((reason or "").strip()) < 4:
        raise DomainError("请说明申诉理由", field="reason")
    with transaction.atomic():
        rating.refresh_from_db(from_queryset=Rating.objects.select_for_update())
        if rating.appeal_state:
            raise ConflictError("该评价已申诉", code="state")
        rating.appeal_state, rating.appeal_reason = Rating.Appeal.PENDING, reason.strip()
        rating.save(update_fields=["appeal_state", "appeal_reason"])
        audit_log(actor=actor, action="rating.appeal", obj=rating, organisation=rating.department)
    return rating


def _staff_orgs(user) -> frozenset[int]:
    from qinqing.core.permissions import grants_of

    return grants_of(user).org_ids(Role.STAFF)


def rating_appeal_decide(*, actor, rating: Rating, upheld: bool) -> Rating:
    """An upheld appeal cancels the rectification; the rating stays on record, marked. One
    decision only: the rating's row is locked while the pending appeal is checked."""
    _check(actor, "needs.decide_appeal")
    with transaction.atomic():
        rating.refresh_from_db(from_queryset=Rating.objects.select_for_update())
        if rating.appeal_state != Rating.Appeal.PENDING:
            raise ConflictError("没有待审核的申诉", code="state")
        rating.appeal_state = Rating.Appeal.UPHELD if upheld else Rating.Appeal.REJECTED
        rating.save(update_fields=["appeal_state"])
        if upheld:
            Rectification.objects.filter(rating=rating, state="open").update(state="cancelled")
        audit_log(
            actor=actor,
            action="rating.appeal_decide",
            obj=rating,
            organisation=rating.department,
            detail={"upheld": upheld},
        )
    return rating
