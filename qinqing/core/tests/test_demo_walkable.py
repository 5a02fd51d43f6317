"""The demo can be walked on the day it is loaded: its dates are relative to today."""

import base64
import io
import re
from datetime import timedelta
from io import StringIO

import pypdf
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from qinqing.activities.models import Appointment, Event
from qinqing.bankruptcy.models import Creditor, Meeting
from qinqing.bidding import demo_bid_texts, demo_bids
from qinqing.bidding.bids import seal
from qinqing.bidding.bids.models import Bid
from qinqing.bidding.demo import SEED_CODE
from qinqing.bidding.evaluation.models import Clarification
from qinqing.bidding.opening import services as opening_services
from qinqing.bidding.opening.models import OpenedFile, Opening, OpeningBid
from qinqing.bidding.projects.models import EvaluationSession
from qinqing.bidding.seating.models import Seat
from qinqing.core.audit_labels import action_label
from qinqing.core.models import AuditEntry


@pytest.mark.django_db
def test_demo_loaded_today_can_be_walked(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
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

    # Its committee includes the tenderer's representative (招标投标法 Art.37), whose review
    # sheet is still open: the one-time workstation code the load printed takes the seat.
    rep_seat = Seat.objects.get(outcome__session=session, outcome__representative__isnull=False)
    code = re.search(r"工位启用码 ([0-9A-F]+)（一次有效）", text).group(1)
    terminal = Client()
    terminal.post("/bidding/signin/", {"op": "terminal", "terminal_code": code})
    assert terminal.session["bidding_seat"] == rep_seat.pk
    assert "填写评分表" in terminal.get("/bidding/workstation/").content.decode()

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

    # Sealed bids: the seed project's five bids were sealed before its deadline and opened
    # at 08:00 on the evaluation day; every one decrypted, the prices scored are those read
    # out; an objection was answered on the spot and the opening record closed.
    seed = Opening.objects.get(section__project__code=SEED_CODE)
    assert seed.status == Opening.Status.CLOSED and seed.record_sha256
    assert timezone.localtime(seed.started_at).date().isoformat() == "2024-08-29"
    assert Bid.objects.filter(section=seed.section, status=Bid.Status.SUBMITTED).count() == 5
    assert all(b.submitted_at < seed.section.bid_deadline for b in seed.section.bids.all())
    opened = list(seed.bids.select_related("bidder"))
    assert len(opened) == 5
    assert {ob.status for ob in opened} == {OpeningBid.Status.DECRYPTED}
    assert all(ob.price == ob.bidder.bid_price for ob in opened)
    assert [b["price"] for b in seed.record["bids"]] == [str(ob.price) for ob in opened]
    assert seed.objections.get().answered_at is not None
    assert OpenedFile.objects.filter(opening_bid__opening=seed).count() == 15
    record_pdf = client.get(f"/bidding/openings/records/{seed.section_id}/pdf/")
    assert record_pdf.status_code == 200

    # Two of its bids were made by one hand: same author, same creation time, the same
    # technical chapter; the others by their own.
    def technical(uscc):
        opened_file = OpenedFile.objects.get(
            opening_bid__opening=seed, opening_bid__bidder__uscc=uscc, bid_file__role="技术标"
        )
        with opened_file.file.open("rb") as fh:
            reader = pypdf.PdfReader(io.BytesIO(fh.read()))
        text = re.sub(r"\s", "", "".join(page.extract_text() for page in reader.pages))
        return reader.metadata.author, reader.metadata.get("/CreationDate"), text

    (copier, source), *_ = demo_bids.COPIED.items()
    first, second = technical(demo_bids.uscc_of(source)), technical(demo_bids.uscc_of(copier))
    assert first[0] == second[0] and first[1] == second[1]
    _title, blocks = demo_bid_texts.APPROACHES[demo_bid_texts.FIRMS[source].approach]
    starts_of = [p.format(project=seed.section.project.name)[:40] for _h, ps in blocks for p in ps]
    assert all(p in first[2] and p in second[2] for p in starts_of)
    honest = technical(demo_bids.uscc_of(201))
    assert honest[0] != first[0] and not any(p in honest[2] for p in starts_of)

    # Today's running session was opened before it began: its experts have documents.
    today_opening = Opening.objects.get(section=session.section)
    assert today_opening.status == Opening.Status.CLOSED
    assert today_opening.closed_at <= session.starts_at
    assert OpenedFile.objects.filter(opening_bid__opening=today_opening).count() == 9
    # Each bid's response table sends the expert from a criterion to its chapter's page.
    for ob in today_opening.bids.all():
        table = {r["criterion"]: (r["file"], r["page"]) for r in ob.responses}
        assert table["T1"] == ("技术标.pdf", 2) and table["Q2"][0] == "资格审查资料.pdf"

    # A hall decrypting now: the `bidder` account's bid waits; its passphrase is printed
    # where the walk starts, and decrypting with it (as the browser does) works.
    live = Opening.objects.get(section__project__code=demo_bids.LIVE_TENDER[0])
    assert live.status == Opening.Status.DECRYPTING and live.decrypt_until > now
    pending = live.bids.get(status=OpeningBid.Status.PENDING)
    assert pending.bidder.uscc == demo_bids.uscc_of(demo_bids.DEMO_BIDDER)
    assert live.bids.filter(status=OpeningBid.Status.DECRYPTED).count() == 3
    starts = text.split("从哪里开始", 1)[1]
    hall = f"/bidding/openings/sections/{live.section_id}/"
    line = next(x for x in starts.splitlines() if hall in x)
    passphrase = re.search(r"解密口令 (\S+?)，", line).group(1)
    client.login(username="bidder", password="qinqing-demo")
    assert client.get(hall).status_code == 200
    manifest = seal.manifest_check(pending.bid.manifest, max_file_bytes=1 << 40)
    key = base64.b64encode(seal.unwrap_key(manifest, passphrase)).decode()
    opening_services.opening_decrypt(
        actor=get_user_model().objects.get(username="bidder"), opening_bid=pending, content_key=key
    )
    pending.refresh_from_db()
    live.refresh_from_db()
    assert pending.status == OpeningBid.Status.DECRYPTED and pending.files.count() == 3
    assert live.status == Opening.Status.READING

    # From the report to the award, a project at each stage: notices issued; reports sealed
    # awaiting publication; one sealed yesterday by a committee with a tenderer's
    # representative, published within Art.54's 3 days (not late) with an objection waiting;
    # the objector's account sees its objection.
    from qinqing.bidding.award.models import AwardNotice, Publication
    from qinqing.bidding.report.models import Report

    issued = Publication.objects.get(section__project__code="WHGGZY-2024-SJ-0829")
    assert issued.notices.filter(kind=AwardNotice.Kind.AWARD).count() == 1
    assert issued.ends_at < now
    waiting = Report.objects.filter(
        status=Report.Status.SEALED, session__section__publication__isnull=True
    )
    assert waiting.count() == 2
    publishing = Publication.objects.get(section__project__code="WHGGZY-DEMO-RECENT")
    assert publishing.published_at < now < publishing.ends_at
    assert not publishing.late
    assert timezone.localdate(publishing.report.sealed_at) == today - timedelta(days=1)
    assert publishing.objections.filter(answered_at__isnull=True).count() == 1
    signed = publishing.report.signatures.filter(seat__outcome__representative__isnull=False)
    assert signed.count() == 1 and signed.get().signed
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
