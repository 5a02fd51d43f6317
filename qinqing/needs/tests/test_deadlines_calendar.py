"""Deadlines counted through a year whose holiday notice is not entered: marked on every page,
message, export and API field that shows them; moved (and only those counted from an event)
once the notice is saved."""

from datetime import date, datetime, time
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from qinqing.activities import services as activity_services
from qinqing.core.models import AuditEntry, Organisation
from qinqing.core.testing import enter_test_notice_2027
from qinqing.needs import services
from qinqing.needs.models import Need

pytestmark = pytest.mark.django_db

ESTIMATE = "按周一至周五估算"


def _at(d: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(d, time(hour)))


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 12, 7))


def _dispatched(submit, kind, on: date) -> Need:
    need = submit(kind=kind, at=_at(on))
    assert need.due_date is not None, "the rules should dispatch this need at once"
    return need


def test_a_deadline_in_a_year_not_entered_is_marked_everywhere(client, world, submit):
    need = _dispatched(submit, Need.Kind.PROBLEM, date(2026, 12, 28))
    assert (need.due_from, need.due_days) == (date(2026, 12, 28), 15)
    assert need.due_date == date(2027, 1, 18)  # 1 January counted as a working day
    known = _dispatched(submit, Need.Kind.CONSULTATION, date(2026, 12, 21))
    assert known.due_date == date(2026, 12, 24)

    client.force_login(world["dispatcher"])
    page = client.get(f"/needs/{need.pk}/").content.decode()
    assert '办理时限：2027-01-18 <a class="tag estimate"' in page
    assert "办理时限：2026-12-24</p>" in client.get(f"/needs/{known.pk}/").content.decode()
    assert ESTIMATE in client.get(f"/needs/t/{need.token}/").content.decode()
    rows = {n["id"]: n for n in client.get("/api/v1/needs/").json()}
    assert rows[need.pk]["due_date_estimated"] is True
    assert rows[known.pk]["due_date_estimated"] is False
    export = client.get("/needs/export.xlsx", {"start": "2026-12-01", "end": "2026-12-31"})
    sheet = load_workbook(BytesIO(b"".join(export.streaming_content)))["诉求工单"]
    header = [c.value for c in sheet[1]]
    marks = {
        row[0]: row[header.index("时限说明")]
        for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert marks[need.number] == ESTIMATE and not marks[known.number]
    # The department's new-order message and the escalation say so too.
    liaison = world["liaison"]
    assert ESTIMATE in liaison.notifications.get(subject__contains=need.number).body
    services.needs_escalate(today=date(2027, 1, 19))
    urged = liaison.notifications.get(subject=f"【催办】工单 {need.number}")
    assert ESTIMATE in urged.body
    assert ESTIMATE not in liaison.notifications.get(subject=f"【催办】工单 {known.number}").body


def test_entering_the_year_moves_computed_deadlines_only(client, world, submit):
    swj = Organisation.objects.get(code="hs-swj")
    open_need = _dispatched(submit, Need.Kind.PROBLEM, date(2026, 12, 28))
    replied = _dispatched(submit, Need.Kind.PROBLEM, date(2026, 12, 28))
    services.need_sign(actor=world["liaison"], need=replied)
    services.need_reply(
        actor=world["liaison"], need=replied, reply="已答复企业", at=_at(date(2027, 1, 19))
    )
    replied.refresh_from_db()
    assert replied.on_time is False  # late by the estimate (due 18 January)
    untouched = _dispatched(submit, Need.Kind.CONSULTATION, date(2026, 12, 21))
    rect = services.rectification_open(
        actor=None,
        source="supervision",
        department=swj,
        description="测试整改",
        at=_at(date(2026, 12, 28)),
    )
    event = activity_services.event_create(
        actor=None,
        kind="training",
        title="测试培训",
        lead_department=swj,
        starts_at=_at(date(2026, 12, 20)),
        ends_at=_at(date(2026, 12, 20), 12),
        place="区政务服务中心",
    )
    follow_up = activity_services.follow_up_add(
        actor=None, event=event, text="回访企业", due_date=date(2027, 1, 1)
    )
    steps_before = open_need.steps.count()

    saved = enter_test_notice_2027(actor=world["admin"])

    assert saved.moved["诉求与整改时限"] == 3
    for obj in (open_need, replied, untouched, rect, follow_up):
        obj.refresh_from_db()
    assert open_need.due_date == date(2027, 1, 19)
    assert replied.due_date == date(2027, 1, 19) and replied.on_time is True
    assert rect.due_date == date(2027, 1, 19)
    assert untouched.due_date == date(2026, 12, 24)
    assert follow_up.due_date == date(2027, 1, 1)  # a date a person fixed stays
    # The firm sees why on its progress page; the audit chain has each move.
    assert open_need.steps.count() == steps_before + 1
    step = open_need.steps.order_by("-pk").first()
    assert step.action == "recompute_due" and "2027-01-18" in step.note
    moves = AuditEntry.objects.filter(action="need.recompute_due")
    assert {e.object_id for e in moves} == {str(open_need.pk), str(replied.pk)}
    assert AuditEntry.objects.filter(action="rectification.recompute_due").count() == 1
    # The department is told of the open need and the open rectification, not the replied one.
    told = world["liaison"].notifications.filter(subject__contains="时限调整")
    assert sorted(n.subject for n in told) == sorted(
        [f"工单 {open_need.number} 办理时限调整", "整改时限调整"]
    )
    client.force_login(world["dispatcher"])
    page = client.get(f"/needs/{open_need.pk}/").content.decode()
    assert "办理时限：2027-01-19</p>" in page  # no longer marked
    # Saving the same notice again moves nothing.
    assert enter_test_notice_2027(actor=world["admin"]).moved_total == 0


def test_an_extension_counts_on_from_the_recorded_basis(world, submit):
    need = _dispatched(submit, Need.Kind.CONSULTATION, date(2026, 12, 28))
    assert need.due_date == date(2026, 12, 31)
    services.need_sign(actor=world["liaison"], need=need)
    services.need_request_extension(actor=world["liaison"], need=need, days=2, reason="需现场核实")
    need = services.need_decide_extension(actor=world["dispatcher"], need=need, approve=True)
    assert (need.due_from, need.due_days, need.due_date) == (
        date(2026, 12, 28),
        5,
        date(2027, 1, 4),
    )
    enter_test_notice_2027()
    need.refresh_from_db()
    assert need.due_date == date(2027, 1, 5)  # 1 January off
