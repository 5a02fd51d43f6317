"""A case's statutory deadlines shifted to a working day in a year whose holiday notice is not
entered are marked as estimates, and moved (audited, officers told) once it is."""

from datetime import date

import pytest
from django.utils import timezone

from qinqing.bankruptcy import selectors, services
from qinqing.core.models import AuditEntry
from qinqing.core.testing import enter_test_notice_2027

pytestmark = pytest.mark.django_db


@pytest.fixture
def december_case(world, monkeypatch):
    """Accepted on Monday 7 December 2026: Art.14's 25 days end on Friday 1 January 2027."""
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 12, 7))
    users, orgs = world["users"], world["orgs"]
    return services.case_create(
        actor=users["judge"],
        number="（2026）鄂0111破99号",
        court=orgs["hs-court"],
        debtor=world["debtor"],
        judge=users["judge"],
        petition_date=date(2026, 12, 1),
        acceptance_date=date(2026, 12, 7),
        administrator=orgs["demo-lawfirm"],
    )


def _art14(case):
    return next(d for d in selectors.case_deadlines(case) if d.article == "第14条")


def test_a_shifted_deadline_in_a_year_not_entered_is_marked(client, world, december_case):
    assert (_art14(december_case).due, _art14(december_case).estimated) == (date(2027, 1, 1), True)
    ruling = next(d for d in selectors.case_deadlines(december_case) if d.article == "第10条")
    assert not ruling.estimated  # in 2026
    client.force_login(world["users"]["judge"])
    page = client.get(f"/bankruptcy/cases/{december_case.pk}/").content.decode()
    assert "按周一至周五估算" in page
    detail = client.get(f"/api/v1/bankruptcy/cases/{december_case.pk}").json()
    marked = {d["article"]: d["estimated"] for d in detail["deadlines"]}
    assert marked["第14条"] is True and marked["第10条"] is False


def test_entering_the_year_moves_it_and_tells_the_officers(world, december_case):
    saved = enter_test_notice_2027(actor=world["users"]["admin"])
    assert saved.moved["破产案件法定期限"] == 1
    assert (_art14(december_case).due, _art14(december_case).estimated) == (date(2027, 1, 4), False)
    entry = AuditEntry.objects.get(action="case.deadline_recompute")
    assert (entry.detail["article"], entry.detail["from"], entry.detail["to"]) == (
        "第14条",
        "2027-01-01",
        "2027-01-04",
    )
    for who in ("judge", "administrator"):
        told = world["users"][who].notifications.get(subject__contains="期限调整")
        assert "2027-01-01" in told.body and "2027-01-04" in told.body
