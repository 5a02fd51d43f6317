"""The demo can be walked on the day it is loaded: its dates are relative to today."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from qinqing.activities.models import Appointment, Event
from qinqing.bankruptcy.models import Creditor, Meeting
from qinqing.bidding.evaluation.models import Clarification
from qinqing.bidding.projects.models import EvaluationSession
from qinqing.bidding.seating.models import Seat
from qinqing.core.audit_labels import action_label
from qinqing.core.models import AuditEntry


@pytest.mark.django_db
def test_demo_loaded_today_can_be_walked(client, settings, tmp_path):
    settings.QINQING_NOTIFIER = "qinqing.core.notifier.DemoOutboxBackend"
    settings.QINQING_DEMO_OUTBOX = tmp_path / "outbox.jsonl"
    out = StringIO()
    call_command("load_demo", stdout=out)
    now, today = timezone.now(), timezone.localdate()

    # Where each role starts, printed at the end.
    text = out.getvalue()
    assert "从哪里开始" in text and "/bankruptcy/my/" in text and "/demo/outbox/" in text

    # Events: one next week open for registration, one today to check in at.
    upcoming = Event.objects.filter(state=Event.State.PLANNED, starts_at__gt=now)
    assert upcoming.exists()
    assert upcoming.filter(audience_firms__organisation__code="demo-firm").exists()
    today_event = Event.objects.get(
        state=Event.State.PLANNED, starts_at__date__lte=today, ends_at__gt=now
    )
    assert today_event.registrations.filter(checked_in_at__isnull=False).exists()
    assert today_event.registrations.filter(checked_in_at__isnull=True).exists()
    # This year's activity figures are not all zero.
    assert Event.objects.filter(
        state=Event.State.DONE, starts_at__gte=now - timedelta(days=10)
    ).exists()

    # A session running now (it began an hour or so ago, perhaps before midnight), and a
    # clarification waiting for the `bidder` account.
    session = EvaluationSession.objects.get(
        status=EvaluationSession.Status.IN_PROGRESS, starts_at__lte=now, ends_at__gt=now
    )
    assert now - session.starts_at <= timedelta(hours=2)
    waiting = Clarification.objects.get(session=session)
    assert waiting.status == Clarification.Status.AWAITING_ANSWER
    client.login(username="bidder", password="qinqing-demo")
    assert waiting.question[:10] in client.get("/bidding/clarifications/").content.decode()

    # A session starting within the hour, seated, nobody signed in: the workstation sign-in
    # by SMS code can be tried with the phone and ID digits the load printed.
    later = EvaluationSession.objects.get(section__project__code="WHGGZY-DEMO-LATER")
    assert now < later.starts_at <= now + timedelta(hours=1)
    seats = Seat.objects.filter(outcome__session=later)
    assert seats.exists() and not seats.filter(signed_in_at__isnull=False).exists()
    assert "试一试工位签到：/bidding/signin/ 手机号" in text

    # An account-less creditor of today's meeting can identify by phone and vote.
    meeting = Meeting.objects.get(status=Meeting.Status.OPEN, date=today)
    assert Creditor.objects.filter(
        case=meeting.case, user=None, organisation=None, phone="13800009527"
    ).exists()
    assert f"/bankruptcy/public/meetings/{meeting.pk}/" in text

    # The `volunteer` is in office today.
    assert Appointment.objects.filter(
        user__username="volunteer", term_start__lte=today, term_end__gte=today
    ).exists()

    # From the report to the award: one project whose notices are issued, one publishing now
    # with an objection waiting; the objector's account sees its objection.
    from qinqing.bidding.award.models import AwardNotice, Publication

    issued = Publication.objects.get(section__project__code="WHGGZY-2024-SJ-0829")
    assert issued.notices.filter(kind=AwardNotice.Kind.AWARD).count() == 1
    assert issued.ends_at < now
    publishing = Publication.objects.get(section__project__code="WHGGZY-2024-SJ-0830")
    assert publishing.published_at < now < publishing.ends_at
    assert publishing.objections.filter(answered_at__isnull=True).count() == 1
    client.login(username="bidder_award", password="qinqing-demo")
    page = client.get(f"/bidding/sections/{publishing.section_id}/award/").content.decode()
    assert "待答复" in page
    assert client.get(f"/bidding/candidates/{publishing.pk}/").status_code == 200

    # The SMS the demo sent are on the outbox page for staff.
    client.login(username="centre_wh", password="qinqing-demo")
    assert client.get("/demo/outbox/").status_code == 200
    assert settings.QINQING_DEMO_OUTBOX.exists()

    # Every action the demo recorded reads in words.
    actions = set(AuditEntry.objects.values_list("action", flat=True).distinct())
    assert {a for a in actions if action_label(a) == a} == set()
