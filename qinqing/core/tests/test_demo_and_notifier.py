import http.server
import json
import threading
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from qinqing.core import notifier
from qinqing.core.audit import verify_chain
from qinqing.core.models import AuditEntry, Notification, Organisation, RoleGrant
from qinqing.core.notifier import notification_send


@pytest.mark.django_db
def test_load_demo_is_idempotent_and_prints_accounts(monkeypatch):
    monkeypatch.setenv("QINQING_DEMO_PASSWORD", "another-pass-2024")
    out = StringIO()
    call_command("load_demo", stdout=out)

    def counts():
        return [m.objects.count() for m in (Organisation, get_user_model(), RoleGrant)]

    before = counts()
    call_command("load_demo", stdout=StringIO())
    assert counts() == before
    text = out.getvalue()
    assert "another-pass-2024" in text
    assert "centre_jk" in text and "武汉经开区公共资源交易中心" in text
    assert get_user_model().objects.get(username="judge").check_password("another-pass-2024")
    assert verify_chain().ok


@pytest.mark.django_db
def test_demo_has_the_districts_organisations():
    call_command("load_demo", stdout=StringIO())
    shorts = set(Organisation.objects.values_list("short_name", flat=True))
    for short in [
        "区发改局", "区营商办", "区税务局", "区行政审批局", "区自然资源和城乡建设局", "区金融办",
        "不动产登记中心", "区房管局", "区人社局", "区医保局", "区法院",
    ]:  # fmt: skip
        assert short in shorts
    assert Organisation.objects.get(code="hs-ysb").parent.short_name == "区发改局"
    assert Organisation.objects.filter(kind="trading_centre").count() == 2


@pytest.mark.django_db
def test_database_backend_keeps_and_audits_every_message(demo_users, settings):
    settings.QINQING_NOTIFIER = "qinqing.core.notifier.DatabaseLogBackend"  # not the tests' own
    with CaptureQueriesContext(connection) as queries:
        note = notification_send(
            actor=None, channel="sms", subject="评标通知", body="请于…", address="13800000000"
        )
    assert note.status == Notification.Status.SENT
    # Storing the row is the delivery: it is written sent, with no update after it.
    written = Notification.objects.get(pk=note.pk)
    assert written.status == Notification.Status.SENT and written.sent_at is not None
    assert not [q for q in queries if q["sql"].startswith('UPDATE "core_notification"')]
    assert AuditEntry.objects.filter(action="notification.send", object_id=str(note.pk)).exists()


@pytest.mark.django_db
def test_notification_needs_a_recipient(db):
    from qinqing.core.errors import DomainError

    with pytest.raises(DomainError):
        notification_send(actor=None, channel="sms", subject="x", body="y")
    with pytest.raises(DomainError):
        notification_send(actor=None, channel="fax", subject="x", body="y", address="1")
    assert Notification.objects.count() == 0


class _Gateway(http.server.BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        type(self).received.append(json.loads(self.rfile.read(length)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("gateway_status", "expected"), [(200, "sent"), (500, "queued")])
def test_webhook_backend_posts_to_a_gateway_from_the_queue(settings, gateway_status, expected):
    """The gateway is called by the worker, not the request; a refusal keeps the message
    queued with the error, for the next attempt (tests/test_tasks.py: retries, giving up)."""
    _Gateway.received, _Gateway.status = [], gateway_status
    server = http.server.HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings.QINQING_NOTIFIER = "qinqing.core.notifier.WebhookBackend"
        settings.QINQING_SMS_WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/sms"
        note = notification_send(
            actor=None, channel="sms", subject="验证码", body="123456", address="13800000000"
        )
        assert note.status == "queued" and not _Gateway.received
        call_command("worker", "--batch", "--no-schedule", verbosity=0)
    finally:
        server.shutdown()
    note.refresh_from_db()
    assert note.status == expected
    assert _Gateway.received[0]["to"] == "13800000000"
    assert _Gateway.received[0]["id"] == note.pk
    if gateway_status == 500:
        assert "500" in note.error


@pytest.mark.django_db
def test_sensitive_messages_are_delivered_but_not_stored(outbox):
    note = notification_send(
        actor=None,
        channel="sms",
        subject="验证码",
        body="验证码 123456",
        address="13800000000",
        sensitive=True,
    )
    assert outbox[-1].body == "验证码 123456"
    note.refresh_from_db()
    assert "123456" not in note.body and note.status == Notification.Status.SENT


class _Failing(notifier.NotifierBackend):
    def deliver(self, notification):
        if notification.channel == Notification.Channel.SMS:
            raise RuntimeError("gateway down")


@pytest.mark.django_db
def test_on_commit_delivery_waits_for_the_commit_and_records_the_outcome(
    demo_users, outbox, django_capture_on_commit_callbacks
):
    messages = [
        notifier.Message("sms", "受理", "您的链接 https://x/t/abc", address="13800000000"),
        notifier.Message("in_app", "新工单", "请签收", recipient=demo_users["liaison"]),
    ]
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        notes = notifier.notification_send_many(actor=None, messages=messages, on_commit=True)
        assert not outbox
        assert {n.status for n in notes} == {Notification.Status.QUEUED}
        entry = AuditEntry.objects.get(action="notification.send_many")
        assert entry.detail["status"] == ["queued", "queued"]
    callbacks[0]()
    assert [m.subject for m in outbox] == ["受理", "新工单"]
    stored = Notification.objects.filter(pk__in=[n.pk for n in notes])
    assert {n.status for n in stored} == {Notification.Status.SENT}
    assert all(n.sent_at is not None for n in stored)

    # Rolled back: nothing is delivered, nothing is kept.
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notifier.notification_send_many(actor=None, messages=messages, on_commit=True)
        raise RuntimeError("the caller's change fails")
    assert len(outbox) == 2 and Notification.objects.count() == 2


@pytest.mark.django_db
def test_a_failed_delivery_after_the_commit_is_recorded(
    demo_users, settings, django_capture_on_commit_callbacks
):
    settings.QINQING_NOTIFIER = f"{__name__}._Failing"
    messages = [
        notifier.Message("sms", "受理", "正文", address="13800000000"),
        notifier.Message("in_app", "新工单", "请签收", recipient=demo_users["liaison"]),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        sms, in_app = notifier.notification_send_many(actor=None, messages=messages, on_commit=True)
    sms.refresh_from_db()
    in_app.refresh_from_db()
    assert sms.status == Notification.Status.FAILED and "gateway down" in sms.error
    assert in_app.status == Notification.Status.SENT
