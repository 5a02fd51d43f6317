"""The needs export: this year and what the user may see by default, the list page's filters,
formulas neutralised, no query per row; a large export made on the queue, downloadable by its
requester only, until it expires; every export audited."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from qinqing.core.documents import documents_purge
from qinqing.core.models import AuditEntry, GeneratedDocument, Organisation
from qinqing.core.testing import ANONYMOUS, check_matrix, run_queued_tasks
from qinqing.needs.models import Need
from qinqing.needs.tests.conftest import OTHER_USCC

pytestmark = pytest.mark.django_db
HR_TEXT = "员工工伤认定需要多长时间？"  # routed to 区人社局; the default text to 区税务局


def _sheet(response, name="诉求工单"):
    assert response.status_code == 200, response.status_code
    content = b"".join(response.streaming_content)
    return load_workbook(BytesIO(content))[name]


def _numbers(sheet) -> set[str]:
    return {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}


def _activity(world, n: int) -> None:
    """`n` events of today, each with a registration checked in, materials and an answered
    question (what the export counts per event)."""
    from qinqing.activities.models import Event, MaterialHandout, Question, Registration

    lead = Organisation.objects.get(code="hs-swj")
    now = timezone.now()
    have = Event.objects.count()
    for i in range(have, have + n):
        event = Event.objects.create(
            kind="training",
            title=f"培训{i}",
            lead_department=lead,
            starts_at=now,
            ends_at=now,
            place="区政务中心",
            capacity=30,
            reg_key=f"reg-{i}",
        )
        Registration.objects.create(
            event=event,
            name="张三",
            phone="1",
            secret=f"a{i}",
            registered_at=now,
            checked_in_at=now,
        )
        Registration.objects.create(
            event=event, name="李四", phone="2", secret=f"b{i}", registered_at=now
        )
        MaterialHandout.objects.create(event=event, kind="policy", count=5)
        MaterialHandout.objects.create(event=event, kind="policy", count=2)
        Question.objects.create(event=event, text="问", answer="答")
        Question.objects.create(event=event, text="问二")


def test_by_default_this_year_and_only_what_the_user_may_see(client, world, submit):
    tax, old = submit(), submit()
    hr = submit(HR_TEXT, uscc=OTHER_USCC)
    last_year = date(timezone.localdate().year - 1, 12, 31)
    Need.objects.filter(pk=old.pk).update(
        received_at=timezone.make_aware(datetime(last_year.year, 12, 31, 23, 59))
    )
    # Replied and closed half an hour after local midnight: the previous day in UTC.
    late_night = datetime(2026, 3, 4, 16, 30, tzinfo=UTC)
    Need.objects.filter(pk=tax.pk).update(replied_at=late_night, closed_at=late_night)
    client.force_login(world["dispatcher"])
    sheet = _sheet(client.get("/needs/export.xlsx"))
    assert _numbers(sheet) == {tax.number, hr.number}
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    received = timezone.localtime(tax.received_at).strftime("%Y-%m-%d %H:%M")
    assert rows[tax.number][1] == received
    assert rows[tax.number][9:11] == ("2026-03-05", "2026-03-05")
    # The form shows those defaults.
    page = client.get("/needs/export/").content.decode()
    assert f'value="{timezone.localdate().year}-01-01"' in page and "本人可查看的全部部门" in page
    # A department's staff: their department's orders only, whatever they ask for.
    client.force_login(world["liaison"])
    assert _numbers(_sheet(client.get("/needs/export.xlsx"))) == {tax.number}
    rsj = Organisation.objects.get(code="hs-rsj")
    response = client.get("/needs/export.xlsx", {"department": rsj.pk})
    assert response.status_code == 400  # not one of theirs: a field error on the form
    assert 'role="alert"' in response.content.decode()


def test_the_filters_of_the_list_page_and_a_department(client, world, submit):
    tax, hr = submit(), submit(HR_TEXT, uscc=OTHER_USCC)
    Need.objects.filter(pk=hr.pk).update(state=Need.State.IN_PROGRESS, due_date=date(2026, 1, 5))
    client.force_login(world["dispatcher"])
    rsj = Organisation.objects.get(code="hs-rsj")
    by_department = client.get("/needs/export.xlsx", {"department": rsj.pk})
    assert _numbers(_sheet(by_department)) == {hr.number}
    late = client.get("/needs/export.xlsx", {"late": "1"})
    assert _numbers(_sheet(late)) == {hr.number}
    state = client.get("/needs/export.xlsx", {"state": tax.state})
    assert _numbers(_sheet(state)) == {tax.number}
    # The list page links to the export with its filters.
    html = client.get("/needs/?state=pending_sign&late=1").content.decode()
    assert "/needs/export/?state=pending_sign&amp;late=1" in html
    entry = AuditEntry.objects.filter(action="need.export").latest("seq")
    assert entry.detail["state"] == tax.state and entry.detail["rows"] == 1
    assert entry.detail["queued"] is False


def test_the_export_reads_a_fixed_number_of_queries_however_many_rows(client, world, submit):
    client.force_login(world["dispatcher"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as seen:
            sheet = _sheet(client.get("/needs/export.xlsx"), "活动")
        return len(seen), sheet

    submit()
    _activity(world, 1)
    few, _ = queries()
    for _i in range(5):
        submit(uscc=OTHER_USCC)
    _activity(world, 4)
    many, events = queries()
    assert many == few
    rows = list(events.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 5 and rows[0][6:] == (
        2,
        1,
        7,
        1,
    )  # registered, checked in, copies, answered


def test_a_large_export_is_made_on_the_queue_for_its_requester_only(
    client, world, submit, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    settings.QINQING_EXPORT_QUEUE_ABOVE = 1
    firm = submit(company_name='=HYPERLINK("https://evil.example","点我")')
    submit()
    client.force_login(world["dispatcher"])
    response = client.get("/needs/export.xlsx")
    document = GeneratedDocument.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/needs/exports/{document.pk}/"
    entry = AuditEntry.objects.get(action="need.export")
    assert entry.detail["queued"] is True and entry.detail["rows"] == 2
    # While it waits, its page says so and polls; the export page lists it.
    waiting = client.get(f"/needs/exports/{document.pk}/").content.decode()
    assert "生成中" in waiting and 'hx-trigger="every 2s"' in waiting
    assert f"/needs/exports/{document.pk}/" in client.get("/needs/export/").content.decode()
    assert run_queued_tasks() == 1
    document.refresh_from_db()
    assert document.status == "ready" and document.requested_by == world["dispatcher"]
    kept = document.expires_at - document.created_at
    assert timedelta(hours=24) - timedelta(seconds=1) < kept <= timedelta(hours=24)
    sheet = _sheet(client.get(f"/needs/exports/{document.pk}/"))
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == firm.number)
    assert (row[3].value, row[3].data_type, row[3].quotePrefix) == (firm.company_name, "s", True)
    assert not list(scratch.iterdir())  # the file was written aside, stored, then removed
    url = f"/needs/exports/{document.pk}/"
    check_matrix(
        client,
        {url: {"admin": 404, "editor": 404, "liaison": 404, "enterprise": 403, ANONYMOUS: 302}},
        world,
    )


def test_the_immediate_backend_makes_it_at_the_commit(
    client, world, submit, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    settings.QINQING_EXPORT_QUEUE_ABOVE = 0
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    need = submit()
    client.force_login(world["liaison"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/needs/export.xlsx")
    assert response.status_code == 302
    assert GeneratedDocument.objects.get().status == "ready"
    assert _numbers(_sheet(client.get(response["Location"]))) == {need.number}


def test_an_export_expires_and_the_purge_removes_it(client, world, submit, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.QINQING_EXPORT_QUEUE_ABOVE = 0
    submit()
    client.force_login(world["editor"])
    client.get("/needs/export.xlsx")
    run_queued_tasks()
    document = GeneratedDocument.objects.get()
    stored = tmp_path / document.file.name
    assert stored.exists()
    url = f"/needs/exports/{document.pk}/"
    GeneratedDocument.objects.update(expires_at=timezone.now() + timedelta(seconds=5))
    assert client.get(url).status_code == 200  # not yet expired
    GeneratedDocument.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(url).status_code == 404
    assert url not in client.get("/needs/export/").content.decode()
    assert documents_purge() == 1
    assert not stored.exists() and not GeneratedDocument.objects.exists()
