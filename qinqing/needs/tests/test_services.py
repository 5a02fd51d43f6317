"""The work-order state machine through the services: transitions, permissions, deadlines,
escalation, ratings and rectifications, the public form's rate limit."""

from datetime import date, datetime, time

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from qinqing.core import calendar
from qinqing.core.audit import verify_chain
from qinqing.core.errors import ConflictError, DomainError, ThrottledError
from qinqing.core.models import AuditEntry, Organisation
from qinqing.core.roles import Role
from qinqing.core.services import role_grant_add
from qinqing.core.testing import needs_concurrent_writers, race
from qinqing.needs import services
from qinqing.needs.models import Category, Need, Rating, Rectification, RoutingExample
from qinqing.needs.tests.conftest import FIRM_USCC

pytestmark = pytest.mark.django_db


def _at(d: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(d, time(hour)))


@pytest.fixture
def rsj_staff(world, django_user_model):
    user = django_user_model.objects.create_user("rsj", password="x")
    role_grant_add(
        actor=None, user=user, role=Role.STAFF, organisation=Organisation.objects.get(code="hs-rsj")
    )
    return user


def test_a_confident_need_is_dispatched_at_once_with_a_working_day_deadline(submit):
    need = submit()
    assert need.state == Need.State.PENDING_SIGN
    assert need.category.code == "tax"
    assert need.department.code == "hs-swj"
    assert need.routed_by == "rules"
    assert need.firm.organisation.code == "demo-firm"
    assert need.number.startswith("QQ")
    assert need.due_date is not None


def test_full_lifecycle_is_audited_and_visible_to_the_firm(world, submit):
    liaison, dispatcher = world["liaison"], world["dispatcher"]
    need = submit()
    services.need_sign(actor=liaison, need=need)
    services.need_reply(actor=liaison, need=need, reply="已说明提额办法并指导操作")
    need = services.need_callback(actor=dispatcher, need=need, note="企业满意")
    need = services.need_close(actor=dispatcher, need=need)
    assert need.state == Need.State.CLOSED and need.on_time is True
    rating = services.need_rate(actor=None, need=need, level=5)
    assert not rating.is_bad
    actions = list(need.steps.values_list("action", flat=True))
    assert actions == ["receive", "dispatch", "sign", "reply", "callback", "close", "rate"]
    audited = set(
        AuditEntry.objects.filter(object_type="needs.need", object_id=str(need.pk)).values_list(
            "action", flat=True
        )
    )
    assert {"need.submit", "need.sign", "need.reply", "need.close"} <= audited
    # Received and dispatched by the rules is one event: one entry carries both.
    submitted = AuditEntry.objects.get(action="need.submit", object_id=str(need.pk))
    assert submitted.detail["state"] == Need.State.PENDING_SIGN
    assert submitted.detail["dispatch"]["by"] == "rules"
    assert submitted.detail["dispatch"]["category"] == "tax"
    with pytest.raises(ConflictError):
        services.need_rate(actor=None, need=need, level=4)


def test_only_the_department_signs_and_replies(world, submit, rsj_staff):
    need = submit()
    for user in (rsj_staff, world["dispatcher"], world["enterprise"], world["instructor"]):
        with pytest.raises(PermissionDenied):
            services.need_sign(actor=user, need=need)
    services.need_sign(actor=world["liaison"], need=need)
    with pytest.raises(PermissionDenied):
        services.need_reply(actor=rsj_staff, need=need, reply="不是我们的")


def test_only_the_dispatcher_dispatches_approves_calls_back_closes_and_reopens(world, submit):
    need = submit("园区门口的路灯坏了很久")
    assert need.state == Need.State.PENDING_DISPATCH
    tax = Category.objects.get(code="tax")
    for user in (world["liaison"], world["enterprise"], world["editor"]):
        with pytest.raises(PermissionDenied):
            services.need_dispatch(actor=user, need=need, category=tax)
    services.need_dispatch(actor=world["dispatcher"], need=need, category=tax)
    services.need_sign(actor=world["liaison"], need=need)
    services.need_reply(actor=world["liaison"], need=need, reply="已转交物业处理路灯")
    with pytest.raises(PermissionDenied):
        services.need_callback(actor=world["liaison"], need=need, note="x" * 4)
    with pytest.raises(PermissionDenied):
        services.need_close(actor=world["liaison"], need=need)


def test_low_confidence_waits_for_the_dispatcher_and_the_correction_is_kept(world, submit):
    need = submit("园区门口的路灯坏了，晚上很不安全")
    assert need.state == Need.State.PENDING_DISPATCH and need.routed_category == "other"
    housing = Category.objects.get(code="housing")
    services.need_dispatch(actor=world["dispatcher"], need=need, category=housing)
    assert AuditEntry.objects.filter(action="need.dispatch", object_id=str(need.pk)).exists()
    example = RoutingExample.objects.get(need=need)
    assert (example.predicted, example.label) == ("other", "housing")


def test_return_needs_a_reason_and_goes_back_to_the_dispatcher(world, submit):
    need = submit()
    with pytest.raises(DomainError):
        services.need_return(actor=world["liaison"], need=need, reason="")
    need = services.need_return(actor=world["liaison"], need=need, reason="属人社局职责，请改派")
    assert need.state == Need.State.PENDING_DISPATCH and need.department is None
    assert need.steps.last().note == "属人社局职责，请改派"
    services.need_dispatch(
        actor=world["dispatcher"], need=need, category=Category.objects.get(code="hr")
    )
    need.refresh_from_db()
    assert need.department.code == "hs-rsj"


def test_wrong_state_is_a_conflict(world, submit):
    need = submit()
    with pytest.raises(ConflictError):
        services.need_reply(actor=world["liaison"], need=need, reply="还没签收就答复")
    with pytest.raises(ConflictError):
        services.need_dispatch(
            actor=world["dispatcher"], need=need, category=Category.objects.get(code="tax")
        )


def test_deadline_across_national_day_2024_and_an_approved_extension(world, submit):
    need = submit(kind=Need.Kind.CONSULTATION, at=_at(date(2024, 9, 27)))
    assert need.due_date == date(2024, 10, 8)  # 29 (make-up Sunday), 30, then 8 October
    services.need_sign(actor=world["liaison"], need=need, at=_at(date(2024, 9, 29)))
    services.need_request_extension(actor=world["liaison"], need=need, days=3, reason="需调取档案")
    with pytest.raises(ConflictError):
        services.need_request_extension(
            actor=world["liaison"], need=need, days=3, reason="再次申请延期"
        )
    need = services.need_decide_extension(actor=world["dispatcher"], need=need, approve=True)
    assert need.due_date == date(2024, 10, 11)
    need = services.need_reply(
        actor=world["liaison"], need=need, reply="已办理完毕", at=_at(date(2024, 10, 12))
    )
    assert need.on_time is False  # 12 October (a make-up Saturday) is after the 11th


def test_close_requires_a_callback_and_reopen_sets_a_fresh_deadline(world, submit):
    need = submit(kind=Need.Kind.CONSULTATION, at=_at(date(2024, 9, 2)))
    services.need_sign(actor=world["liaison"], need=need, at=_at(date(2024, 9, 2), 11))
    services.need_reply(
        actor=world["liaison"], need=need, reply="已答复企业", at=_at(date(2024, 9, 3))
    )
    with pytest.raises(ConflictError, match="回访"):
        services.need_close(actor=world["dispatcher"], need=need)
    services.need_callback(actor=world["dispatcher"], need=need, note="企业认可")
    services.need_close(actor=world["dispatcher"], need=need)
    need = services.need_reopen(
        actor=world["dispatcher"], need=need, reason="企业反映仍未解决", at=_at(date(2024, 9, 27))
    )
    assert need.state == Need.State.IN_PROGRESS
    assert need.reopen_count == 1 and need.closed_at is None
    assert need.due_date == date(2024, 10, 8)


def test_escalation_reminds_urges_then_supervises(world, submit):
    need = submit(kind=Need.Kind.CONSULTATION, at=_at(date(2024, 9, 27)))
    assert need.due_date == date(2024, 10, 8)
    assert services.needs_escalate(today=date(2024, 9, 29)).reminded == 0
    assert services.needs_escalate(today=date(2024, 9, 30)).reminded == 1
    assert services.needs_escalate(today=date(2024, 10, 8)).urged == 0
    assert services.needs_escalate(today=date(2024, 10, 9)).urged == 1
    # urged 10-09; five working days later: 10, 11, 12 (make-up Saturday), 14, 15
    call_command("needs_escalate", "--today", "2024-10-14")
    need.refresh_from_db()
    assert need.escalation_level == 1
    assert services.needs_escalate(today=date(2024, 10, 15)).supervised == 1
    need.refresh_from_db()
    assert need.escalation_level == 2
    assert list(
        need.steps.filter(action__in=["urge", "supervise"]).values_list("action", flat=True)
    ) == ["urge", "supervise"]
    assert world["liaison"].notifications.filter(subject__contains="督办").exists()


def _closed(world, submit):
    need = submit()
    services.need_sign(actor=world["liaison"], need=need)
    services.need_reply(actor=world["liaison"], need=need, reply="已答复企业")
    services.need_callback(actor=world["dispatcher"], need=need, note="已回访")
    return services.need_close(actor=world["dispatcher"], need=need)


def test_bad_rating_opens_a_rectification_due_in_15_working_days(world, submit):
    need = _closed(world, submit)
    rating = services.need_rate(actor=None, need=need, level=2, comment="答复敷衍")
    rect = Rectification.objects.get(rating=rating)
    assert rect.department.code == "hs-swj" and rect.callback_required
    assert rect.due_date == calendar.add_working_days(timezone.localdate(), 15)
    with pytest.raises(DomainError, match="回访"):
        services.rectification_complete(
            actor=world["liaison"], rectification=rect, result="已约谈经办人", callback_note=""
        )
    services.rectification_complete(
        actor=world["liaison"], rectification=rect, result="已约谈经办人", callback_note="企业认可"
    )
    rect.refresh_from_db()
    assert rect.state == Rectification.State.DONE


def test_an_upheld_appeal_cancels_the_rectification_and_leaves_the_rate(world, submit):
    from qinqing.needs.figures import satisfaction_rate

    need = _closed(world, submit)
    rating = services.need_rate(actor=None, need=need, level=1)
    today = timezone.localdate()
    assert satisfaction_rate(today, today) == 0
    with pytest.raises(PermissionDenied):
        services.rating_appeal(actor=world["enterprise"], rating=rating, reason="不是我们的问题")
    services.rating_appeal(actor=world["liaison"], rating=rating, reason="企业误操作导致")
    services.rating_appeal_decide(actor=world["dispatcher"], rating=rating, upheld=True)
    assert Rectification.objects.get(rating=rating).state == Rectification.State.CANCELLED
    assert Rating.objects.get(pk=rating.pk).appeal_state == Rating.Appeal.UPHELD
    assert satisfaction_rate(today, today) is None


def test_good_ratings_open_nothing(world, submit):
    need = _closed(world, submit)
    services.need_rate(actor=None, need=need, level=3)
    assert not Rectification.objects.exists()


def test_public_form_is_rate_limited_per_phone_and_per_address(submit):
    for _ in range(settings.QINQING_NEEDS_RATE_PER_PHONE):
        submit(phone="13900001111", ip="10.0.0.1")
    with pytest.raises(ThrottledError):
        submit(phone="13900001111", ip="10.0.0.2")
    for i in range(settings.QINQING_NEEDS_RATE_PER_IP - settings.QINQING_NEEDS_RATE_PER_PHONE):
        submit(phone=f"1380000{i:04d}", ip="10.0.0.1")
    with pytest.raises(ThrottledError):
        submit(phone="13700000000", ip="10.0.0.1")
    submit(phone="13700000000", ip="10.0.0.3")  # another address is not affected


def test_a_limit_of_zero_is_not_checked(submit, settings):
    settings.QINQING_NEEDS_RATE_PER_IP = 0
    for i in range(settings.QINQING_NEEDS_RATE_PER_PHONE + 1):
        submit(phone=f"1360000{i:04d}", ip="10.0.0.9")  # any number of submissions per address
    for _ in range(settings.QINQING_NEEDS_RATE_PER_PHONE):
        submit(phone="13600009999", ip="10.0.0.9")
    with pytest.raises(ThrottledError):  # the per-phone limit still holds
        submit(phone="13600009999", ip="10.0.0.9")
    settings.QINQING_NEEDS_RATE_PER_PHONE = 0
    submit(phone="13600009999", ip="10.0.0.9")


@pytest.mark.parametrize(
    ("field", "value"),
    [("uscc", "91420111MA00000031"), ("phone", "12ab"), ("text", "太短"), ("category_hint", "x")],
)
def test_bad_input_names_the_field(submit, field, value):
    kwargs = {field: value}
    with pytest.raises(DomainError) as info:
        submit(**kwargs)
    assert info.value.field == field


def test_attachments_are_checked_by_content(submit):
    png = SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20, "image/png")
    need = submit(attachments=[png])
    assert need.attachments.get().content_type == "image/png"
    fake = SimpleUploadedFile("a.png", b"MZ\x90\x00 not an image", "image/png")
    with pytest.raises(DomainError, match="附件"):
        submit(attachments=[fake])


def test_staff_entry_needs_the_right_role(world):
    with pytest.raises(PermissionDenied):
        services.need_submit(
            actor=world["enterprise"],
            channel=Need.Channel.HOTLINE,
            uscc=FIRM_USCC,
            phone="13900000000",
            text="热线来电咨询数电票开票额度",
        )
    need = services.need_submit(
        actor=world["liaison"],
        channel=Need.Channel.HOTLINE,
        uscc=FIRM_USCC,
        phone="13900000000",
        text="热线来电咨询数电票开票额度",
    )
    assert need.entered_by == world["liaison"]


def test_the_firm_gets_its_progress_link_by_sms(
    submit, world, outbox, django_capture_on_commit_callbacks
):
    from qinqing.core.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        need = submit(phone="13912345678")
    assert world["liaison"].notifications.filter(subject__contains=need.number).exists()
    # The link is delivered …
    delivered = [m for m in outbox if m.address == "13912345678"]
    assert len(delivered) == 1 and f"/needs/t/{need.token}/" in delivered[0].body
    # … but the stored copy does not carry it (whoever holds the link sees and rates the order).
    sms = Notification.objects.get(address="13912345678")
    assert sms.channel == "sms" and sms.status == Notification.Status.SENT
    assert need.token not in sms.body and need.token not in sms.subject
    audited = AuditEntry.objects.filter(action__startswith="notification.").values_list(
        "detail", flat=True
    )
    assert all(need.token not in str(detail) for detail in audited)


def test_intake_messages_go_out_only_after_the_commit(
    submit, world, outbox, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from qinqing.core.models import Notification

    with django_capture_on_commit_callbacks() as callbacks:
        need = submit(phone="13912345678")
        # Recorded (and audited) in the order's transaction, not yet handed to the gateway.
        assert not outbox
        notes = Notification.objects.filter(subject__contains=need.number)
        assert notes.count() == 2
        assert set(notes.values_list("status", flat=True)) == {Notification.Status.QUEUED}
        entry = AuditEntry.objects.get(action="notification.send_many")
        assert sorted(entry.detail["ids"]) == sorted(notes.values_list("pk", flat=True))
        # One append for the order and its messages: consecutive entries of the chain.
        submitted = AuditEntry.objects.get(action="need.submit", object_id=str(need.pk))
        assert submitted.seq == entry.seq + 1 and submitted.prev_hash == entry.hash
    assert len(callbacks) == 1
    callbacks[0]()  # the commit
    assert len(outbox) == 2
    assert set(notes.values_list("status", flat=True)) == {Notification.Status.SENT}

    # A submission whose transaction does not commit sends nothing and keeps nothing.
    class Boom(Exception):
        pass

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(Boom),
        transaction.atomic(),
    ):
        rolled_back = submit(phone="13912345679")
        raise Boom
    assert len(outbox) == 2
    assert not Need.objects.filter(pk=rolled_back.pk).exists()
    assert not Notification.objects.filter(address="13912345679").exists()
    assert verify_chain().ok


def test_a_submission_creates_a_missing_chain_head(submit):
    """The public form appends its audit entries inside its own statement (PostgreSQL); on a
    database whose chain head row does not exist yet it is created and the write retried."""
    from qinqing.core.models import AuditChainHead

    AuditChainHead.objects.all().delete()
    need = submit()
    assert AuditEntry.objects.filter(action="need.submit", object_id=str(need.pk)).exists()
    assert AuditChainHead.objects.get(pk=1).seq == AuditEntry.objects.count()
    assert verify_chain().ok


def test_one_statement_intake_writes_what_the_orm_would(submit, world):
    """Order, steps, messages and audit entries as the transactional path writes them."""
    from qinqing.core.models import Notification

    need = submit(phone="13912345670")
    need.refresh_from_db()
    assert need.number.endswith(f"{need.pk:06d}") and need.state == Need.State.PENDING_SIGN
    assert need.firm_id is not None and need.company_name
    assert [s.action for s in need.steps.all()] == ["receive", "dispatch"]
    notes = Notification.objects.filter(subject__contains=need.number)
    assert sorted(notes.values_list("channel", flat=True)) == ["in_app", "sms"]
    entry = AuditEntry.objects.get(action="need.submit", object_id=str(need.pk))
    assert entry.detail["dispatch"]["category"] == "tax" and entry.organisation_id
    assert verify_chain().ok


def test_messages_a_backend_delivers_by_storing_are_recorded_sent(
    submit, settings, django_capture_on_commit_callbacks
):
    """DatabaseLogBackend: keeping the row is the delivery; no update after the commit."""
    from qinqing.core.models import Notification

    settings.QINQING_NOTIFIER = "qinqing.core.notifier.DatabaseLogBackend"
    with django_capture_on_commit_callbacks() as callbacks:
        need = submit(phone="13912345671")
        notes = Notification.objects.filter(subject__contains=need.number)
        assert set(notes.values_list("status", flat=True)) == {Notification.Status.SENT}
        assert all(n.sent_at for n in notes)
    assert len(callbacks) == 1  # the log lines, after the commit


@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="the one-statement intake is PostgreSQL's",
)
def test_public_submission_is_three_statements(client, qr, django_assert_num_queries):
    """QR code, one read (ids, limits, firm, routing), one write (order, steps, messages,
    audit); in a test's transaction the write runs under a savepoint (+2)."""
    data = {
        "uscc": FIRM_USCC,
        "phone": "13900000077",
        "text": "数电票开票额度不够用，怎么申请提额？",
    }
    client.post(f"/needs/q/{qr.key}/", {**data, "phone": "13900000076"})  # warm up
    with django_assert_num_queries(5):
        assert client.post(f"/needs/q/{qr.key}/", data).status_code == 302
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="concurrent writers are exercised on PostgreSQL (SQLite serialises writes)",
)
def test_concurrent_submissions_and_other_writers_keep_one_chain(submit):
    """Submissions in autocommit mode (one statement each, hashed in the database) racing
    with ordinary audit appends: one linear chain, every order audited once."""
    import threading

    from django.db import connection

    from qinqing.core.audit import audit_log

    errors, numbers = [], []

    def submitter(w: int) -> None:
        try:
            for i in range(5):
                numbers.append(submit(phone=f"1370000{w}{i:03d}").number)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    def writer() -> None:
        try:
            for i in range(5):
                audit_log(actor=None, action="test.concurrent", detail={"i": i})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submitter, args=(w,)) for w in range(4)]
    threads += [threading.Thread(target=writer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(numbers) == 20
    assert AuditEntry.objects.filter(action="need.submit").count() == 20
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_an_appeal_decided_twice_at_once_is_decided_once(world, submit):
    """Two dispatchers decide the same appeal at the same moment, one upholding it, one
    rejecting it: one decision stands, audited once; the other is refused."""
    needs_concurrent_writers()
    need = _closed(world, submit)
    rating = services.need_rate(actor=None, need=need, level=1)
    services.rating_appeal(actor=world["liaison"], rating=rating, reason="企业误操作导致")

    def decide(i):
        stale = Rating.objects.get(pk=rating.pk)
        return services.rating_appeal_decide(
            actor=world["dispatcher"], rating=stale, upheld=i % 2 == 0
        )

    results = race(4, decide)

    decided = [r for r in results if isinstance(r, Rating)]
    assert len(decided) == 1, results
    assert all(isinstance(r, ConflictError) for r in results if r not in decided), results
    assert Rating.objects.get(pk=rating.pk).appeal_state == decided[0].appeal_state
    assert AuditEntry.objects.filter(action="rating.appeal_decide").count() == 1


def test_a_phone_of_superscript_or_circled_digits_is_refused(submit):
    """str.isdigit() takes "¹³⁹…": such a phone was stored and texted."""
    for phone in ("¹³⁹⁰⁰⁰⁰¹²³⁴", "①③⑨0000①②③④"):
        with pytest.raises(DomainError, match="请填写正确的手机号"):
            submit(phone=phone)
    assert submit(phone="13900001234").contact_phone == "13900001234"
