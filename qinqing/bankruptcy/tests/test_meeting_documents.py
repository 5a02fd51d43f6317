"""A creditor reads what it votes on: the draft agreement and its own term, before the Art.97
vote; it confirms it read them; it sees its vote and when; a changed vote is a change."""

from decimal import Decimal

import pytest
from django.utils import timezone

from qinqing.bankruptcy import demo, services
from qinqing.bankruptcy.models import AgendaItem, AgreementTerm, Ballot, Case, Meeting
from qinqing.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def voting(bk_demo, client):
    case = Case.objects.get(number=demo.VOTING_NUMBER)
    meeting = Meeting.objects.get(case=case)
    client.force_login(bk_demo["creditor"])  # speaks for 武汉示例建材 (demo-supplier)
    creditor = case.creditors.get(organisation__code="demo-supplier")
    services.attendance_sign_in(actor=bk_demo["creditor"], meeting=meeting, creditor=creditor)
    return {
        "case": case,
        "meeting": meeting,
        "url": f"/bankruptcy/meetings/{meeting.pk}/",
        "item": meeting.items.get(kind=AgendaItem.Kind.RECONCILIATION),
        "creditor": creditor,
    }


def _vote(client, voting, vote, **extra):
    return client.post(
        f"/bankruptcy/items/{voting['item'].pk}/vote/",
        {"creditor": voting["creditor"].pk, "vote": vote, **extra},
        follow=True,
    ).content.decode()


def test_the_page_shows_the_draft_and_the_creditors_own_term_before_the_vote(client, voting):
    term = AgreementTerm.objects.get(agreement__case=voting["case"], creditor=voting["creditor"])
    # 320,000 confirmed: 100,000 in full and 75 % of the rest (the demo's plan)
    assert term.confirmed_amount == Decimal("320000.00")
    assert term.agreed_amount == Decimal("265000.00")
    page = client.get(voting["url"]).content.decode()
    assert "普通债权10万元以下部分全额清偿、超出部分按75%清偿" in page
    assert "320,000.00 元" in page and "265,000.00 元" in page
    assert "82.81%" in page  # 265,000 / 320,000
    assert 'name="read" value="1" required' in page
    assert page.index("本人的清偿条件") < page.index('value="yes"')  # read, then vote


def test_the_vote_waits_for_the_confirmation_then_shows_when_it_was_cast(client, voting):
    assert "请先阅读和解协议草案和本人的清偿条件" in _vote(client, voting, "yes")
    assert not Ballot.objects.filter(item=voting["item"], creditor=voting["creditor"]).exists()
    page = _vote(client, voting, "yes", read="1")
    ballot = Ballot.objects.get(item=voting["item"], creditor=voting["creditor"])
    assert (ballot.vote, ballot.changes, ballot.previous_vote) == ("yes", 0, "")
    local = timezone.localtime(ballot.cast_at)
    assert f"已表决：同意（{local:%Y年%-m月%-d日 %H:%M}）" in page


def test_a_changed_vote_is_recorded_as_a_change(client, voting):
    _vote(client, voting, "yes", read="1")
    page = _vote(client, voting, "no", read="1")
    ballot = Ballot.objects.get(item=voting["item"], creditor=voting["creditor"])
    assert (ballot.vote, ballot.previous_vote, ballot.changes) == ("no", "yes", 1)
    assert "已表决：不同意" in page and "已更改，此前为“同意”" in page
    entries = AuditEntry.objects.filter(action="meeting.vote", object_id=str(ballot.pk))
    assert [
        (e.detail["vote"], e.detail["previous"], e.detail["changed"])
        for e in entries.order_by("seq")
    ] == [
        ("yes", "", False),
        ("no", "yes", True),
    ]
    _vote(client, voting, "no", read="1")  # the same vote again changes nothing
    assert entries.count() == 2
    ballot.refresh_from_db()
    assert ballot.changes == 1


def test_the_ordinary_resolution_needs_no_agreement_confirmation(client, voting):
    ordinary = voting["meeting"].items.get(kind=AgendaItem.Kind.ORDINARY)
    client.post(
        f"/bankruptcy/items/{ordinary.pk}/vote/",
        {"creditor": voting["creditor"].pk, "vote": "abstain"},
    )
    assert Ballot.objects.get(item=ordinary, creditor=voting["creditor"]).vote == "abstain"
