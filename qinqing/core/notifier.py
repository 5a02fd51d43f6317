"""One interface for SMS, e-mail and in-app messages; every message is kept in the database.

The backend is chosen by settings.QINQING_NOTIFIER. The default writes to the database and the
log (a development or intranet deployment); WebhookBackend posts SMS to a gateway over HTTP, on
the task queue: the request records the message `queued` and `notifications_deliver` delivers
it after the commit, retried with back-off, and records `sent` (or `failed` after the last
attempt).
"""

from __future__ import annotations

import json
import logging
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from qinqing.core import crypto, rows
from qinqing.core.audit import AuditRecord, audit_log, audit_log_many
from qinqing.core.errors import DomainError
from qinqing.core.models import Notification
from qinqing.core.tasks import enqueue_after_commit, queued_task

logger = logging.getLogger("qinqing.notifier")


class NotifierBackend:
    # True: delivery leaves the request for the task queue (a gateway over the network).
    queued = False

    def deliver(self, notification: Notification) -> None:
        """Deliver or raise; the caller records the outcome."""
        raise NotImplementedError

    def delivered_by_storing(self, notification: Notification) -> bool:
        """True when keeping the row is the delivery (an in-app inbox, a backend that only
        logs): the row is recorded `sent` as it is written and `deliver` cannot fail, so no
        outcome is written afterwards."""
        return False


class DatabaseLogBackend(NotifierBackend):
    """Keeps the message in the database (in-app inbox) and writes it to the log."""

    def delivered_by_storing(self, notification: Notification) -> bool:
        return True

    def deliver(self, notification: Notification) -> None:
        logger.info(
            "notify channel=%s to=%s subject=%s",
            notification.channel,
            notification.address or notification.recipient_id,
            notification.subject,
        )


class WebhookBackend(NotifierBackend):
    """POSTs SMS and e-mail as JSON to settings.QINQING_SMS_WEBHOOK_URL; in-app stays local."""

    timeout_seconds = 5
    queued = True

    def delivered_by_storing(self, notification: Notification) -> bool:
        return notification.channel == Notification.Channel.IN_APP

    def deliver(self, notification: Notification) -> None:
        if notification.channel == Notification.Channel.IN_APP:
            return
        url = settings.QINQING_SMS_WEBHOOK_URL
        if not url.startswith(("https://", "http://")):
            raise RuntimeError("QINQING_SMS_WEBHOOK_URL is not configured")
        payload = {
            # The gateway may drop a repeat of one id: a worker stopped between the gateway's
            # answer and recording it sends the message again.
            "id": notification.pk,
            "channel": notification.channel,
            "to": notification.address,
            "subject": notification.subject,
            "body": notification.body,
        }
        request = urllib.request.Request(  # noqa: S310  (scheme checked above)
            url,
            data=json.dumps(payload, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:  # noqa: S310
            if response.status >= 300:
                raise RuntimeError(f"gateway answered {response.status}")


class DemoOutboxBackend(NotifierBackend):
    """For the demo: nothing leaves the machine. SMS and e-mail, with their real text (one-time
    codes included), are appended to a file that the staff's 演示短信 page lists, so a visitor
    can try the codes; in-app messages stay in the inbox as with the default backend."""

    def delivered_by_storing(self, notification: Notification) -> bool:
        return notification.channel == Notification.Channel.IN_APP

    def deliver(self, notification: Notification) -> None:
        if notification.channel == Notification.Channel.IN_APP:
            return
        line = json.dumps(
            {
                "at": timezone.now().isoformat(timespec="seconds"),
                "channel": notification.channel,
                "to": notification.address,
                "recipient": notification.recipient_id,
                "subject": notification.subject,
                "body": notification.body,
            },
            ensure_ascii=False,
        )
        path = demo_outbox_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as file:
            file.write(line + "\n")


def demo_outbox_active() -> bool:
    return issubclass(import_string(settings.QINQING_NOTIFIER), DemoOutboxBackend)


def demo_outbox_path() -> Path:
    return Path(getattr(settings, "QINQING_DEMO_OUTBOX", settings.VAR_DIR / "demo-outbox.jsonl"))


def demo_outbox(limit: int = 200) -> list[dict]:
    """The latest messages of the demo outbox, newest first."""
    path = demo_outbox_path()
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as file:
        lines = file.readlines()[-limit:]
    messages = []
    for line in reversed(lines):
        try:
            row = json.loads(line)
        except ValueError:
            continue
        row["at"] = datetime.fromisoformat(row["at"]) if row.get("at") else None
        messages.append(row)
    return messages


class MemoryBackend(NotifierBackend):
    """For tests: keeps every delivered message (with its real text) in `outbox`."""

    def deliver(self, notification: Notification) -> None:
        outbox.append(
            Message(
                notification.channel,
                notification.subject,
                notification.body,
                recipient=notification.recipient,
                address=notification.address,
            )
        )


class QueuedMemoryBackend(MemoryBackend):
    """For tests: MemoryBackend delivering on the task queue, like WebhookBackend."""

    queued = True


outbox: list[Message] = []


def get_backend() -> NotifierBackend:
    return import_string(settings.QINQING_NOTIFIER)()


@dataclass(frozen=True)
class Message:
    channel: str
    subject: str
    body: str
    recipient: object = None  # a user, for the in-app inbox
    address: str = ""  # a phone number or e-mail address
    # One-time codes and personal links are delivered but never stored in clear.
    sensitive: bool = False

    @property
    def stored_body(self) -> str:
        return (
            "（内容含一次性验证码或个人链接，已发送，不在系统中保存）"
            if self.sensitive
            else self.body
        )


def notification_send_many(
    *, actor, messages: list[Message], on_commit: bool = False, audit: bool = True
) -> list[Notification]:
    """Record messages (one insert) and hand each to the backend; a delivery failure is kept,
    not raised. One audit entry covers the batch (ids, channels and outcomes).

    `on_commit=True`: deliver once the caller's transaction has committed, so nothing goes out
    for a change that is rolled back; the rows are recorded (and audited) as `queued` in the
    transaction and their outcome is written right after delivery (rows the backend delivers
    by storing them are recorded `sent` at once). `audit=False`: the caller appends
    `notification_audit_record(...)` itself, with its own entries (`audit_log_many`)."""
    if not messages:
        return []
    backend, notifications = notifications_prepare(messages)
    # No savepoint: inside the caller's transaction a failure here fails the caller anyway.
    with transaction.atomic(savepoint=False):
        rows.insert(notifications)
        if on_commit or backend.queued:
            notifications_deliver_on_commit(backend, notifications, messages)
        else:
            _deliver(backend, notifications, messages)
        if audit:
            audit_log_many([notification_audit_record(actor=actor, notifications=notifications)])
    return notifications


def notifications_prepare(messages: list[Message]) -> tuple[NotifierBackend, list[Notification]]:
    """Check messages and build their rows (not saved), for a caller that writes them with
    its own statement (`rows.insert`/`insert_sql`) and then calls
    `notifications_deliver_on_commit`. Rows the backend delivers by storing them are `sent`
    already (no outcome is written after delivery); the others are `queued` until delivered."""
    for message in messages:
        if message.channel not in Notification.Channel.values:
            raise DomainError("未知的通知渠道", field="channel")
        if message.recipient is None and not message.address:
            raise DomainError("通知必须指定接收用户或接收地址", field="address")
    backend = get_backend()
    now = timezone.now()
    notifications = []
    for m in messages:
        notification = Notification(
            channel=m.channel,
            recipient=m.recipient,
            address=m.address,
            subject=m.subject,
            body=m.stored_body,
            backend=type(backend).__name__,
        )
        if backend.delivered_by_storing(notification):
            notification.status, notification.sent_at = Notification.Status.SENT, now
        notifications.append(notification)
    return backend, notifications


def notifications_deliver_on_commit(
    backend: NotifierBackend, notifications: list[Notification], messages: list[Message]
) -> None:
    """Hand the recorded rows to the backend once the current transaction commits (at once
    in autocommit mode); the outcome of those not yet `sent` is written then. A queued
    backend's rows go to the task queue instead (`notifications_deliver`)."""
    if backend.queued:
        pending = [(n, m) for n, m in zip(notifications, messages, strict=True)]
        pending = [(n, m) for n, m in pending if n.status != Notification.Status.SENT]
        if pending:
            # The real text of a sensitive message is never stored in clear: the task carries
            # it sealed under the data key.
            sealed = {str(n.pk): crypto.encrypt(m.body) for n, m in pending if m.sensitive}
            enqueue_after_commit(notifications_deliver, [n.pk for n, _ in pending], sealed=sealed)
        return
    transaction.on_commit(lambda: _deliver(backend, notifications, messages), robust=True)


def notification_audit_record(*, actor, notifications: list[Notification]) -> AuditRecord:
    """The audit entry of a batch of messages: the message itself when there is one."""
    if len(notifications) == 1:
        note = notifications[0]
        return AuditRecord(
            "notification.send",
            actor,
            obj=note,
            detail={"channel": note.channel, "status": note.status},
        )
    detail = {"ids": [n.pk for n in notifications], "status": [n.status for n in notifications]}
    return AuditRecord("notification.send_many", actor, detail=detail)


def _deliver(
    backend: NotifierBackend, notifications: list[Notification], messages: list[Message]
) -> None:
    """Hand each message to the backend, then record the outcomes: one update for all the
    delivered ones, one per failure."""
    now = timezone.now()
    sent, failed = [], []
    for notification, message in zip(notifications, messages, strict=True):
        notification.body = message.body  # the backend sends the real text …
        try:
            backend.deliver(notification)
        except Exception as exc:  # a gateway outage must not undo the caller's change
            logger.warning("notification %s failed: %s", notification.pk, exc)
            notification.status, notification.error = Notification.Status.FAILED, str(exc)
            failed.append(notification)
        else:
            if notification.status != Notification.Status.SENT:  # not recorded sent already
                notification.status, notification.sent_at = Notification.Status.SENT, now
                sent.append(notification.pk)
        finally:
            notification.body = message.stored_body  # … the database keeps what may be kept
    if sent:
        _mark_sent(sent, now)
    for notification in failed:
        notification.save(update_fields=["status", "error"])


class DeliveryFailed(RuntimeError):
    pass


def _deliveries_failed(ids: list[int], *, error: str, sealed: dict | None = None) -> None:
    """The last attempt failed: what is still queued is failed for good."""
    Notification.objects.filter(pk__in=ids, status=Notification.Status.QUEUED).update(
        status=Notification.Status.FAILED
    )


@queued_task(max_attempts=6, backoff=timedelta(seconds=30), on_give_up=_deliveries_failed)
def notifications_deliver(ids: list[int], sealed: dict[str, str] | None = None) -> dict:
    """Deliver recorded messages through the backend, each at most once however often this
    runs: a message is delivered under a lock on its row, and only while it is `queued`; it is
    `sent` in the same transaction. A failure keeps the message `queued` with the error, and the
    task raises so that the queue retries what is left."""
    backend = get_backend()
    sent, failed = 0, []
    for pk in ids:
        with transaction.atomic():
            notification = Notification.objects.select_for_update().filter(pk=pk).first()
            if notification is None or notification.status != Notification.Status.QUEUED:
                continue
            stored_body = notification.body
            if sealed and str(pk) in sealed:
                notification.body = crypto.decrypt(sealed[str(pk)])
            try:
                backend.deliver(notification)
            except Exception as exc:
                logger.warning("notification %s failed: %s", pk, exc)
                notification.body, notification.error = stored_body, str(exc)[:2000]
                notification.save(update_fields=["error"])
                failed.append(pk)
                continue
            notification.body = stored_body
            notification.status = Notification.Status.SENT
            notification.sent_at, notification.error = timezone.now(), ""
            notification.save(update_fields=["status", "sent_at", "error"])
            sent += 1
    if failed:
        raise DeliveryFailed(f"{len(failed)} of {len(ids)} not delivered: {failed[:20]}")
    return {"sent": sent}


def _mark_sent(ids: list[int], at) -> None:
    """One plain UPDATE for every delivered message (the hot path of each notification)."""
    connection = transaction.get_connection()
    qn = connection.ops.quote_name
    sent_at = Notification._meta.get_field("sent_at").get_db_prep_save(at, connection)
    sql = (
        f"UPDATE {qn(Notification._meta.db_table)} SET status = %s, sent_at = %s"  # noqa: S608
        f" WHERE id IN ({', '.join(['%s'] * len(ids))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [Notification.Status.SENT.value, sent_at, *ids])


def notification_send(
    *,
    actor,
    channel: str,
    subject: str,
    body: str,
    recipient=None,
    address: str = "",
    sensitive: bool = False,
) -> Notification:
    """Record one message and hand it to the backend (see notification_send_many)."""
    message = Message(
        channel, subject, body, recipient=recipient, address=address, sensitive=sensitive
    )
    return notification_send_many(actor=actor, messages=[message])[0]


def notification_mark_read(*, actor, notification: Notification) -> Notification:
    if notification.recipient_id != actor.pk:
        raise DomainError("只能标记自己的通知")
    if notification.read_at is None:
        with transaction.atomic():
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
            audit_log(actor=actor, action="notification.read", obj=notification)
    return notification
