"""Publication, objections, complaints and the sealed notices, through the services."""

from __future__ import annotations

import shutil
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from qinqing.bidding.award import services
from qinqing.bidding.award.models import AwardNotice, Complaint, Publication
from qinqing.bidding.conftest import BIDDER_USCCS
from qinqing.bidding.report.tests.test_signed_report import _one_byte_changed, _pdfsig
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import AuditEntry
from qinqing.core.signing import pdf as signing_pdf


def _bidder(w, n):
    return w["section"].bidders.get(uscc=BIDDER_USCCS[n])


def publish(w, **kw):
    return services.publication_publish(actor=w["tenderer"], section=w["section"], **kw)


def end_publication(publication, *, ago=timedelta(minutes=1)):
    """Move the publication into the past (no clock library here: the dates are set)."""
    ends = timezone.now() - ago
    Publication.objects.filter(pk=publication.pk).update(
        published_at=ends - timedelta(days=4), ends_at=ends
    )
    publication.refresh_from_db()
    return publication


def test_publication_holds_the_ranked_candidates_and_no_expert(award_world):
    w = award_world
    publication = publish(w)
    assert [c["rank"] for c in publication.candidates] == [1, 2]
    first = publication.candidates[0]
    assert first["uscc"] == BIDDER_USCCS[1] and first["total"] == "81.90"
    assert first["bid_price"] == "950000.00"
    text = str(publication.candidates)
    for member in w["report"].content["members"]:
        assert member["name"] not in text
    assert not publication.late
    ends = timezone.localtime(publication.ends_at)
    start = timezone.localtime(publication.published_at)
    assert ends.date() == start.date() + timedelta(days=4) and ends.hour == 0
    assert AuditEntry.objects.filter(action="award.publish").count() == 1
    with pytest.raises(ConflictError):
        publish(w)


def test_publication_refuses_a_short_period(award_world):
    with pytest.raises(DomainError):
        publish(award_world, period_days=2)


def test_late_publication_is_recorded_as_late(award_world):
    w = award_world
    report = w["report"]
    type(report).objects.filter(pk=report.pk).update(
        built_at=report.built_at - timedelta(days=5), sealed_at=report.sealed_at - timedelta(days=4)
    )
    publication = publish(w)
    assert publication.late
    assert publication.received_on == timezone.localdate() - timedelta(days=4)


def test_objection_pauses_the_award_until_answered(award_world):
    w = award_world
    publication = publish(w)
    objection = services.objection_raise(
        actor=w["second"], publication=publication, bidder=_bidder(w, 0), text="第一名业绩不实"
    )
    assert timezone.localtime(objection.answer_due).date() == (
        timezone.localdate(objection.raised_at) + timedelta(days=4)
    )
    end_publication(publication)
    with pytest.raises(ConflictError) as exc:
        services.award_issue(actor=w["tenderer"], section=w["section"])
    assert "异议未答复" in str(exc.value.message)
    with pytest.raises(ConflictError):  # the publication is over: no more objections
        services.objection_raise(
            actor=w["second"], publication=publication, bidder=_bidder(w, 0), text="再议"
        )
    services.objection_answer(actor=w["tenderer"], objection=objection, answer="经核查属实无误")
    notices = services.award_issue(actor=w["tenderer"], section=w["section"])
    assert [n.kind for n in notices] == ["award", "result", "result"]
    assert notices[0].bidder.uscc == BIDDER_USCCS[1]
    assert notices[0].price == Decimal("950000.00")


def test_award_waits_for_the_end_of_the_publication(award_world):
    w = award_world
    publication = publish(w)
    with pytest.raises(ConflictError):
        services.award_issue(actor=w["tenderer"], section=w["section"])
    end_publication(publication, ago=timedelta(0))
    assert len(services.award_issue(actor=w["tenderer"], section=w["section"])) == 3


def test_complaint_after_the_answer_suspends_until_decided(award_world):
    w = award_world
    publication = publish(w)
    bidder = _bidder(w, 0)
    with pytest.raises(DomainError):  # Art.60 para.2: the objection first
        services.complaint_lodge(
            actor=w["second"],
            section=w["section"],
            bidder=bidder,
            objection=None,
            text="评标结果不公",
            knew_on=timezone.localdate(),
        )
    objection = services.objection_raise(
        actor=w["second"], publication=publication, bidder=bidder, text="第一名业绩不实"
    )
    with pytest.raises(DomainError):  # not answered yet
        services.complaint_lodge(
            actor=w["second"],
            section=w["section"],
            bidder=bidder,
            objection=objection,
            text="评标结果不公",
            knew_on=timezone.localdate(),
        )
    services.objection_answer(actor=w["tenderer"], objection=objection, answer="业绩真实")
    complaint = services.complaint_lodge(
        actor=w["second"],
        section=w["section"],
        bidder=bidder,
        objection=objection,
        text="对答复不满意",
        knew_on=timezone.localdate(),
    )
    complaint = services.complaint_accept(actor=w["supervisor"], complaint=complaint, suspend=True)
    assert complaint.decision_due > timezone.localdate() + timedelta(days=30)
    end_publication(publication)
    with pytest.raises(ConflictError) as exc:
        services.award_issue(actor=w["tenderer"], section=w["section"])
    assert "暂停" in str(exc.value.message)
    services.complaint_decide(
        actor=w["supervisor"],
        complaint=complaint,
        outcome=Complaint.Outcome.DISMISSED,
        decision="经调查，投诉不成立",
    )
    assert services.award_issue(actor=w["tenderer"], section=w["section"])


def _issued(w):
    end_publication(publish(w))
    return services.award_issue(actor=w["tenderer"], section=w["section"])


def test_each_notice_is_sealed_by_the_host_centre_and_a_changed_byte_breaks_it(award_world):
    w = award_world
    notices = _issued(w)
    centre = w["section"].project.host_centre
    for notice in notices:
        pdf = notice.pdf.read()
        found = signing_pdf.pdf_signatures(pdf, validate=True)
        assert [s.signer for s in found] == [centre.name]
        assert found[0].field == "Seal" and found[0].intact and found[0].valid and found[0].trusted
        assert notice.kind in ("award", "result")
        broken = signing_pdf.pdf_signatures(_one_byte_changed(pdf), validate=True)
        assert len(broken) == 1 and not broken[0].intact
    assert (
        AuditEntry.objects.filter(action="pdf.sign")
        .filter(detail__document="bidding.award_notice")
        .count()
        == 1
    )
    assert AwardNotice.objects.filter(kind="award").count() == 1


@pytest.mark.skipif(not shutil.which("pdfsig"), reason="poppler-utils missing")
def test_pdfsig_reports_the_notice_seal_valid_and_a_changed_byte_invalid(award_world, tmp_path):
    notice = _issued(award_world)[0]
    pdf = notice.pdf.read()
    out = _pdfsig(pdf, tmp_path)
    assert out.count("Signature is Valid") == 1, out
    assert award_world["section"].project.host_centre.name in out
    out = _pdfsig(_one_byte_changed(pdf), tmp_path)
    assert "Signature is Valid" not in out, out


# --- the contract (招标投标法 Art.46; 实施条例 Art.57) ----------------------------------------


def test_the_contract_is_recorded_once_at_the_winning_price_and_flagged_when_late(award_world):
    from qinqing.bidding.award.models import Contract

    w = award_world
    today = timezone.localdate()
    with pytest.raises(ConflictError, match="中标通知书尚未发出"):
        services.contract_record(
            actor=w["tenderer"],
            section=w["section"],
            number="HT-1",
            signed_on=today,
            amount=Decimal("950000.00"),
        )
    notices = _issued(w)
    award = next(n for n in notices if n.kind == "award")
    with pytest.raises(DomainError, match="中标价") as excinfo:
        services.contract_record(
            actor=w["tenderer"],
            section=w["section"],
            number="HT-1",
            signed_on=today,
            amount=Decimal("940000.00"),
        )
    assert excinfo.value.field == "amount" and not Contract.objects.exists()
    # the notice went out 31 days ago: signed today, the contract is late but recorded
    AwardNotice.objects.filter(pk=award.pk).update(issued_at=award.issued_at - timedelta(days=31))
    contract = services.contract_record(
        actor=w["agent"],
        section=w["section"],
        number="HT-2026-001",
        signed_on=today,
        amount=Decimal("950000.00"),
    )
    assert contract.late and contract.notice == award
    entry = AuditEntry.objects.get(action="award.contract")
    assert entry.detail["late"] is True and entry.detail["number"] == "HT-2026-001"
    with pytest.raises(ConflictError, match="已登记"):
        services.contract_record(
            actor=w["tenderer"],
            section=w["section"],
            number="HT-2",
            signed_on=today,
            amount=Decimal("950000.00"),
        )
    assert Contract.objects.count() == 1


# --- the winner falls away (实施条例 Art.55, Art.74) -----------------------------------------


def test_the_winner_gives_up_the_next_candidate_is_awarded_then_a_new_tender(award_world):
    from qinqing.bidding.award.models import AwardSuccession

    w = award_world
    with pytest.raises(ConflictError, match="尚未发出"):
        services.award_succession(
            actor=w["tenderer"],
            section=w["section"],
            reason="gave_up",
            explanation="中标人书面声明放弃中标",
            decision="next",
        )
    first = _issued(w)
    with pytest.raises(DomainError, match="第五十五条"):
        services.award_succession(
            actor=w["tenderer"],
            section=w["section"],
            reason="tired",
            explanation="理由",
            decision="next",
        )
    decided = services.award_succession(
        actor=w["agent"],
        section=w["section"],
        reason="gave_up",
        explanation="中标人书面声明放弃中标",
        decision="next",
    )
    assert decided.bidder.uscc == BIDDER_USCCS[1] and decided.next_bidder.uscc == BIDDER_USCCS[0]
    assert all(
        n.superseded_at is not None
        for n in AwardNotice.objects.filter(pk__in=[x.pk for x in first])
    )
    in_force = AwardNotice.objects.filter(superseded_at=None)
    assert in_force.count() == 3  # a new set: the award and two result notices
    award = in_force.get(kind="award")
    assert award.bidder.uscc == BIDDER_USCCS[0] and award.price == Decimal("1000000.00")
    # the former winner now gets a result notice, naming the new winner like every other one
    former = in_force.get(bidder__uscc=BIDDER_USCCS[1])
    assert former.kind == "result"
    assert award.bidder.name in services.notice_html(former, seal=False)
    assert len({n.number for n in AwardNotice.objects.all()}) == 6
    entry = AuditEntry.objects.get(action="award.succession")
    assert entry.detail["next"] == BIDDER_USCCS[0] and len(entry.detail["superseded"]) == 3
    # a contract is recorded against the notice in force only
    # the second candidate refuses to sign (Art.74): the tenderer re-tenders
    decided = services.award_succession(
        actor=w["tenderer"],
        section=w["section"],
        reason="not_signed",
        explanation="中标人无正当理由拒绝签订合同",
        decision="retender",
    )
    assert decided.next_bidder is None
    assert not AwardNotice.objects.filter(superseded_at=None).exists()
    assert AwardSuccession.objects.count() == 2
    with pytest.raises(ConflictError, match="尚未发出"):
        services.contract_record(
            actor=w["tenderer"],
            section=w["section"],
            number="HT-1",
            signed_on=timezone.localdate(),
            amount=Decimal("1000000.00"),
        )
    with pytest.raises(ConflictError):
        services.award_issue(actor=w["tenderer"], section=w["section"])


def test_no_change_of_winner_once_the_contract_is_signed(award_world):
    w = award_world
    _issued(w)
    services.contract_record(
        actor=w["tenderer"],
        section=w["section"],
        number="HT-1",
        signed_on=timezone.localdate(),
        amount=Decimal("950000.00"),
    )
    with pytest.raises(ConflictError, match="合同已签订"):
        services.award_succession(
            actor=w["tenderer"],
            section=w["section"],
            reason="force_majeure",
            explanation="地震",
            decision="next",
        )
