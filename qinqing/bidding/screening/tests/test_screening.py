"""The screening on real opened bids: sealed, decrypted and closed through the opening, then
screened by the task the close enqueued. Every sign is found on crafted bids, none on honest
ones; an encrypted file is recorded unreadable with its reason and the rest still screened;
runs and results are audited; the host centre can run it again."""

from __future__ import annotations

import pytest

from qinqing.bidding.opening.models import Opening
from qinqing.bidding.screening import services
from qinqing.bidding.screening.models import ScreenedFile, Screening, ScreeningSignal
from qinqing.core.errors import ConflictError
from qinqing.core.models import AuditEntry
from qinqing.core.testing import run_queued_tasks

pytestmark = pytest.mark.django_db


def _signals(kind: str) -> list[ScreeningSignal]:
    return list(ScreeningSignal.objects.filter(kind=kind))


def _who(w, signal) -> set[str]:
    names = {v: k for k, v in w["usccs"].items()}
    return {names[b["uscc"]] for b in signal.bidders}


def test_every_sign_is_found_on_crafted_bids(collusive):
    w = collusive
    screening = Screening.objects.get(section=w["section"])
    assert screening.state == Screening.State.DONE and screening.runs == 1
    assert screening.bids_screened == 4 and screening.files_screened == 10
    assert screening.requested_by is None  # asked for by the opening's close

    (author,) = _signals("same_author")
    assert _who(w, author) == {"bidder", "bidder2"}  # "王工" and "王 工"
    assert author.article == "实施条例第四十条第（一）项"

    similar = {frozenset(_who(w, s)): s for s in _signals("similar_text")}
    # the copied section; and the identical file's text, reported as alike too
    assert set(similar) == {frozenset({"bidder", "bidder2"}), frozenset({"bidder4", "bidder5"})}
    copied = similar[frozenset({"bidder", "bidder2"})]
    evidence = copied.evidence
    longest = evidence["passages"][0]
    assert longest["chars"] >= 690  # the 700 copied characters, found across a page break
    assert longest["a_file"] == longest["b_file"] == "技术标.pdf"
    assert longest["a_pages"] == [2, 3] and longest["b_pages"] == [2, 2]
    assert {evidence["a_name"], evidence["b_name"]} == {b["name"] for b in copied.bidders}
    # the tender's format text every 商务标 repeats is not counted as copying
    assert not any(p["a_file"] == "商务标.pdf" for p in evidence["passages"])

    (manager,) = _signals("same_manager")
    assert _who(w, manager) == {"bidder", "bidder2"}
    assert manager.article == "实施条例第四十条第（三）项"

    (ip,) = _signals("same_ip")
    assert _who(w, ip) == {"bidder", "bidder2"} and ip.evidence["client_ip"] == "10.1.1.5"
    (device,) = _signals("same_device")
    assert _who(w, device) == {"bidder4", "bidder5"}

    (identical,) = _signals("identical_file")
    assert _who(w, identical) == {"bidder4", "bidder5"}
    assert {f["file"] for f in identical.evidence["files"]} == {"资格审查资料.pdf"}
    (tool,) = _signals("same_tool_time")
    assert _who(w, tool) == {"bidder4", "bidder5"}
    assert tool.evidence["seconds_apart"] == 0

    (prices,) = _signals("price_pattern")
    assert _who(w, prices) == {"bidder", "bidder2", "bidder4"}
    assert prices.evidence["pattern"] == "difference"
    assert prices.evidence["step"] == "300000.00"

    (mixed,) = _signals("mixed_documents")
    assert _who(w, mixed) == {"bidder4", "bidder5"}
    assert mixed.evidence["owner"] == w["usccs"]["bidder5"]
    assert mixed.evidence["holder"] == w["usccs"]["bidder4"]
    assert {h["file"] for h in mixed.evidence["hits"]} == {"技术标.pdf"}
    assert {h["page"] for h in mixed.evidence["hits"]} == {1}
    assert len(mixed.evidence["hits"]) == 2  # the name and the USCC

    assert ScreeningSignal.objects.count() == 10
    # the encrypted file: recorded unreadable with the reason, the rest still screened
    (locked,) = ScreenedFile.objects.filter(readable=False)
    assert locked.bidder_uscc == w["usccs"]["bidder5"] and locked.name == "技术标.pdf"
    assert "加密" in locked.reason
    # nothing is rejected: the bids stay as the opening left them
    assert set(w["opening"].bids.values_list("status", flat=True)) == {"decrypted"}

    actions = list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))
    actions = [a for a in actions if a.startswith(("opening.", "screening."))]  # not the seal's
    assert actions[-3:] == ["opening.close", "screening.request", "screening.run"]
    run = AuditEntry.objects.get(action="screening.run")
    assert run.detail["signals"]["similar_text"] == 2
    assert run.detail["unreadable"] == ["技术标.pdf"]


def test_nothing_is_found_on_honest_bids(honest):
    screening = Screening.objects.get(section=honest["section"])
    assert screening.state == Screening.State.DONE
    assert screening.files_screened == 8
    assert ScreenedFile.objects.filter(readable=True).count() == 8
    assert list(ScreeningSignal.objects.values_list("kind", flat=True)) == []
    authors = set(ScreenedFile.objects.values_list("author", flat=True))
    assert authors == {"编制人0", "编制人1", "编制人2", "编制人3"}


def test_the_host_centre_runs_it_again(honest):
    w = honest
    section = w["section"]
    screening = services.screening_request(actor=w["centre_wh"], section=section)
    assert screening.state == Screening.State.QUEUED
    # a second request while the first is queued joins it
    again = services.screening_request(actor=w["centre_wh"], section=section)
    assert again.pk == screening.pk
    assert AuditEntry.objects.filter(action="screening.request").count() == 2
    run_queued_tasks()
    screening.refresh_from_db()
    assert screening.state == Screening.State.DONE and screening.runs == 2
    assert screening.requested_by == w["centre_wh"]


def test_no_screening_before_the_opening_is_over(opening_world):
    with pytest.raises(ConflictError):
        services.screening_request(actor=None, section=opening_world["section"])
    assert not Opening.objects.exists()


def test_the_report_page_and_api_show_the_evidence(client, collusive):
    w = collusive
    section = w["section"].pk
    client.force_login(w["supervisor"])
    page = client.get(f"/bidding/screening/{section}/").content.decode()
    copied = next(
        s
        for s in ScreeningSignal.objects.filter(kind="similar_text")
        if "技术标.pdf" in str(s.evidence)
    )
    passage = copied.evidence["passages"][0]["text"]
    assert page.count(passage) == 2  # side by side, each with its file and pages
    assert "第 2–3 页" in page and "文本异常相似" in page and "实施条例第四十条第（三）项" in page
    assert "无法读取" in page and "加密" in page
    assert "重新清标" not in page  # the supervisor reads; the host centre re-runs
    data = client.get(f"/api/v1/bidding/sections/{section}/screening").json()
    assert data["state"] == "done" and len(data["signals"]) == 10
    assert {f["readable"] for f in data["files"]} == {True, False}
    client.force_login(w["centre_wh"])
    assert "重新清标" in client.get(f"/bidding/screening/{section}/").content.decode()
    # the hall links to it for those who may see it, not for a bidder
    assert (
        f"/bidding/screening/{section}/"
        in client.get(f"/bidding/openings/sections/{section}/").content.decode()
    )
    client.force_login(w["bidder"])
    assert (
        f"/bidding/screening/{section}/"
        not in client.get(f"/bidding/openings/sections/{section}/").content.decode()
    )
    assert client.get(f"/bidding/screening/{section}/").status_code == 404
