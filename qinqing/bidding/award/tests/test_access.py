"""The permission matrix of every award page and API operation, a bidder's view limited to its
own objections, complaints and notice, and the flow through the pages: publish, object,
answer, complain, accept, decide, issue, open the notice."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from qinqing.bidding.award import services
from qinqing.bidding.award.models import AwardNotice, Complaint, Publication, ResultObjection
from qinqing.bidding.award.tests.test_services import _bidder, end_publication, publish
from qinqing.core.testing import ANONYMOUS, check_matrix

OUTSIDERS = ["editor", "judge", "creditor", "enterprise", "expert"]
PARTIES = {"centre_wh": 200, "centre_jk": 200, "supervisor": 200, "tenderer": 200, "agent": 200}
FIRMS = {"winner": 200, "second": 200, "failed": 200}
API = "/api/v1/bidding"


def _post(client, user, url, data=None, json=False):
    client.force_login(user)
    if json:
        return client.post(url, data or {}, content_type="application/json")
    return client.post(url, data or {})


def test_permission_matrix_before_and_after_publication(client, award_world):
    w = award_world
    s = w["section"].pk
    nobody = {ANONYMOUS: 302, **dict.fromkeys(OUTSIDERS, 403)}
    api_nobody = {ANONYMOUS: 401, **dict.fromkeys(OUTSIDERS, 403)}
    # "bidder": a firm not registered for this section
    page = {**PARTIES, **FIRMS, "bidder": 404, **nobody}
    check_matrix(
        client,
        {
            "/bidding/award/": {**PARTIES, **FIRMS, "bidder": 200, **nobody},
            f"/bidding/sections/{s}/award/": page,
            "/bidding/sections/999999/award/": {"agent": 404, "winner": 404},
            f"{API}/sections/{s}/award": {**PARTIES, **FIRMS, "bidder": 404, **api_nobody},
            "/bidding/candidates/": {ANONYMOUS: 200, "winner": 200},
            f"{API}/candidates": {ANONYMOUS: 200},
        },
        w,
    )
    # publishing: the tenderer, its agency, the host centre; not the guest centre (404)
    refused = {"centre_jk": 404, "supervisor": 403, "winner": 403, "bidder": 404, **nobody}
    check_matrix(client, {f"/bidding/sections/{s}/award/publish/": refused}, w, method="post")
    check_matrix(
        client,
        {f"{API}/sections/{s}/award/publish": {**refused, **api_nobody}},
        w,
        method="post",
        data={},
        content_type="application/json",
    )
    assert not Publication.objects.exists()
    response = _post(client, w["agent"], f"{API}/sections/{s}/award/publish", {}, json=True)
    assert response.status_code == 201, response.content
    publication = Publication.objects.get()
    check_matrix(
        client,
        {
            f"/bidding/candidates/{publication.pk}/": {ANONYMOUS: 200, "bidder": 200},
            f"{API}/candidates/{publication.pk}": {ANONYMOUS: 200},
            "/bidding/candidates/999999/": {ANONYMOUS: 404},
            f"{API}/candidates/999999": {ANONYMOUS: 404},
            f"{API}/candidates/{2**64}": {ANONYMOUS: 422},
        },
        w,
    )
    # objections: a registered firm only
    check_matrix(
        client,
        {f"/bidding/sections/{s}/award/objections/": {"tenderer": 403, "bidder": 404, **nobody}},
        w,
        method="post",
        data={"text": "异议"},
    )
    assert not ResultObjection.objects.exists()
    r = _post(
        client, w["second"], f"{API}/sections/{s}/award/objections", {"text": "业绩不实"}, True
    )
    assert r.status_code == 201, r.content
    objection = ResultObjection.objects.get()
    answer = f"/bidding/award/objections/{objection.pk}/answer/"
    check_matrix(
        client,
        {answer: {"supervisor": 403, "centre_jk": 404, "second": 403, **nobody}},
        w,
        method="post",
        data={"answer": "答复"},
    )
    assert ResultObjection.objects.get().answered_at is None
    # issuing is refused while the objection is open and the publication runs (409 from the API)
    r = _post(client, w["tenderer"], f"{API}/sections/{s}/award/issue", json=True)
    assert r.status_code == 409


def test_a_bidder_sees_only_its_own_objections_and_notice(client, award_world):
    w = award_world
    publication = publish(w)
    mine = services.objection_raise(
        actor=w["second"], publication=publication, bidder=_bidder(w, 0), text="第二名的异议"
    )
    services.objection_raise(
        actor=w["failed"], publication=publication, bidder=_bidder(w, 2), text="未通过者的异议"
    )
    s = w["section"].pk
    client.force_login(w["second"])
    page = client.get(f"/bidding/sections/{s}/award/").content.decode()
    assert "第二名的异议" in page and "未通过者的异议" not in page
    data = client.get(f"{API}/sections/{s}/award").json()
    assert [o["id"] for o in data["objections"]] == [mine.pk]
    client.force_login(w["tenderer"])
    page = client.get(f"/bidding/sections/{s}/award/").content.decode()
    assert "第二名的异议" in page and "未通过者的异议" in page
    for o in ResultObjection.objects.all():
        services.objection_answer(actor=w["tenderer"], objection=o, answer="已核查")
    end_publication(publication)
    notices = services.award_issue(actor=w["tenderer"], section=w["section"])
    award = next(n for n in notices if n.kind == "award")
    other = next(n for n in notices if n.bidder.uscc == _bidder(w, 0).uscc)
    matrix = {
        f"/bidding/award/notices/{award.pk}/": {
            "winner": 200,
            "second": 404,
            "failed": 404,
            "bidder": 404,
            **PARTIES,
            ANONYMOUS: 302,
            "editor": 403,
        },
        f"/bidding/award/notices/{award.pk}/pdf/": {"winner": 200, "second": 404, "tenderer": 200},
        f"/bidding/award/notices/{other.pk}/": {"second": 200, "winner": 404},
        f"{API}/award/notices/{award.pk}": {"winner": 200, "second": 404, ANONYMOUS: 401},
    }
    check_matrix(client, matrix, w)
    client.force_login(w["second"])
    data = client.get(f"{API}/sections/{s}/award").json()
    assert [n["id"] for n in data["notices"]] == [other.pk]


def test_the_whole_flow_through_the_pages(client, award_world):
    w = award_world
    s = w["section"].pk
    client.force_login(w["tenderer"])
    page = client.get(f"/bidding/sections/{s}/award/").content.decode()
    assert "发布公示" in page
    for member in w["report"].content["members"]:
        assert member["name"] not in page
    client.post(f"/bidding/sections/{s}/award/publish/", {"period_days": 3})
    publication = Publication.objects.get()
    public = client.get(f"/bidding/candidates/{publication.pk}/").content.decode()
    assert "示例投标人1" in public and "81.90" in public
    for member in w["report"].content["members"]:
        assert member["name"] not in public
    client.force_login(w["second"])
    client.post(f"/bidding/sections/{s}/award/objections/", {"text": "第一名业绩不实"})
    objection = ResultObjection.objects.get()
    client.force_login(w["tenderer"])
    page = client.get(f"/bidding/sections/{s}/award/").content.decode()
    assert "待答复" in page and "异议未答复" in page
    client.post(f"/bidding/award/objections/{objection.pk}/answer/", {"answer": "业绩属实"})
    client.force_login(w["second"])
    client.post(
        f"/bidding/sections/{s}/award/complaints/",
        {"objection": objection.pk, "knew_on": timezone.localdate().isoformat(), "text": "不服"},
    )
    complaint = Complaint.objects.get()
    client.force_login(w["supervisor"])
    client.post(f"/bidding/award/complaints/{complaint.pk}/accept/", {"suspend": "on"})
    assert Complaint.objects.get().suspended
    end_publication(publication)
    client.force_login(w["tenderer"])
    client.post(f"/bidding/sections/{s}/award/issue/")
    assert not AwardNotice.objects.exists()
    client.force_login(w["supervisor"])
    client.post(
        f"/bidding/award/complaints/{complaint.pk}/decide/",
        {"outcome": "dismissed", "decision": "投诉不成立"},
    )
    client.force_login(w["tenderer"])
    client.post(f"/bidding/sections/{s}/award/issue/")
    assert AwardNotice.objects.count() == 3
    award = AwardNotice.objects.get(kind="award")
    client.force_login(w["winner"])
    page = client.get(f"/bidding/award/notices/{award.pk}/").content.decode()
    centre = w["section"].project.host_centre.name
    assert centre in page and "完好" in page and "电子印章" in page
    pdf = client.get(f"/bidding/award/notices/{award.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_answer_overdue_is_shown(client, award_world):
    w = award_world
    publication = publish(w)
    objection = services.objection_raise(
        actor=w["second"], publication=publication, bidder=_bidder(w, 0), text="异议"
    )
    ResultObjection.objects.filter(pk=objection.pk).update(
        answer_due=timezone.now() - timedelta(minutes=1)
    )
    client.force_login(w["tenderer"])
    page = client.get(f"/bidding/sections/{w['section'].pk}/award/").content.decode()
    assert "已逾期未答复" in page


def _post_matrix(client, w, url, expected, data, *, api):
    """One row of the matrix: JSON to the API, a form to the page."""
    extra = {"content_type": "application/json"} if api else {}
    check_matrix(client, {url: expected}, w, method="post", data=data, **extra)


def test_permission_matrix_of_answers_complaints_and_issuing(client, award_world):
    """Answering is the tenderer's side's, complaining the objecting firm's, handling the
    complaint the supervisor's, issuing the notices the tenderer's side's: everyone else is
    refused (a guest centre or an unregistered firm: 404) and nothing changes."""
    w = award_world
    s = w["section"].pk
    nobody = {ANONYMOUS: 302, **dict.fromkeys(OUTSIDERS, 403)}
    api_nobody = {ANONYMOUS: 401, **dict.fromkeys(OUTSIDERS, 403)}
    publication = publish(w)
    objection = services.objection_raise(
        actor=w["second"], publication=publication, bidder=_bidder(w, 0), text="业绩不实"
    )
    _post_matrix(
        client,
        w,
        f"{API}/award/objections/{objection.pk}/answer",
        {"supervisor": 403, "centre_jk": 404, "second": 403, **api_nobody},
        {"answer": "答复"},
        api=True,
    )
    _post_matrix(
        client,
        w,
        f"{API}/sections/{s}/award/objections",
        {"tenderer": 403, "bidder": 404, **api_nobody},
        {"text": "异议"},
        api=True,
    )
    services.objection_answer(actor=w["tenderer"], objection=objection, answer="已核查")
    today = timezone.localdate().isoformat()
    complaint_refused = {"tenderer": 403, "bidder": 404}
    _post_matrix(
        client,
        w,
        f"{API}/sections/{s}/award/complaints",
        {**complaint_refused, **api_nobody},
        {"objection_id": objection.pk, "knew_on": today, "text": "不服"},
        api=True,
    )
    _post_matrix(
        client,
        w,
        f"/bidding/sections/{s}/award/complaints/",
        {**complaint_refused, **nobody},
        {"objection": objection.pk, "knew_on": today, "text": "不服"},
        api=False,
    )
    assert not Complaint.objects.exists()
    _post_matrix(
        client,
        w,
        f"{API}/sections/{s}/award/complaints",
        {"second": 201},
        {"objection_id": objection.pk, "knew_on": today, "text": "不服"},
        api=True,
    )
    complaint = Complaint.objects.get()
    handling_refused = {"tenderer": 403, "agent": 403, "second": 403}
    for step, body in (
        ("accept", {"suspend": True}),
        ("refuse", {"reason": "不予受理"}),
        ("decide", {"outcome": "dismissed", "decision": "投诉不成立"}),
    ):
        _post_matrix(
            client,
            w,
            f"{API}/award/complaints/{complaint.pk}/{step}",
            {**handling_refused, **api_nobody},
            body,
            api=True,
        )
        _post_matrix(
            client,
            w,
            f"/bidding/award/complaints/{complaint.pk}/{step}/",
            {**handling_refused, **nobody},
            body,
            api=False,
        )
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.LODGED and not complaint.suspended
    end_publication(publication)
    issue_refused = {"supervisor": 403, "winner": 403, "bidder": 404, "centre_jk": 404}
    _post_matrix(
        client, w, f"{API}/sections/{s}/award/issue", {**issue_refused, **api_nobody}, {}, api=True
    )
    _post_matrix(
        client, w, f"/bidding/sections/{s}/award/issue/", {**issue_refused, **nobody}, {}, api=False
    )
    assert not AwardNotice.objects.exists()


def test_contract_matrix_page_and_api(client, award_world):
    """Recording the signed contract (招标投标法 Art.46): the tenderer's side only, after the
    award notice; the page shows it with its deadline, the API returns it."""
    from qinqing.bidding.award.models import Contract

    w = award_world
    s = w["section"].pk
    end_publication(publish(w))
    services.award_issue(actor=w["tenderer"], section=w["section"])
    today = timezone.localdate().isoformat()
    data = {"number": "HT-2026-001", "signed_on": today, "amount": "950000.00"}
    nobody = {ANONYMOUS: 302, **dict.fromkeys(OUTSIDERS, 403)}
    refused = {"centre_jk": 404, "supervisor": 403, "winner": 403, "bidder": 404, **nobody}
    url = f"/bidding/sections/{s}/award/contract/"
    check_matrix(client, {url: refused}, w, method="post", data=data)
    api = f"{API}/sections/{s}/award/contract"
    api_refused = {ANONYMOUS: 401, "supervisor": 403, "winner": 403, "centre_jk": 404}
    check_matrix(
        client, {api: api_refused}, w, method="post", data=data, content_type="application/json"
    )
    assert not Contract.objects.exists()
    client.force_login(w["tenderer"])
    page = client.get(f"/bidding/sections/{s}/award/").content.decode()
    assert "登记合同" in page and "第四十六条" in page
    # a price departing from the bid: refused with the reason, nothing recorded
    r = _post(client, w["tenderer"], api, {**data, "amount": "900000.00"}, json=True)
    assert r.status_code == 400 and "第五十七条" in r.json()["detail"]
    client.post(url, {**data, "amount": "900000.00"})
    assert not Contract.objects.exists()
    client.post(url, data)
    contract = Contract.objects.get()
    assert (contract.number, contract.late) == ("HT-2026-001", False)
    page = client.get(f"/bidding/sections/{s}/award/").content.decode()
    assert "HT-2026-001" in page and "登记合同" not in page
    r = _post(client, w["tenderer"], api, data, json=True)
    assert r.status_code == 409
    client.force_login(w["winner"])
    got = client.get(f"{API}/sections/{s}/award").json()["contract"]
    assert got["number"] == "HT-2026-001" and got["amount"] == "950000.00" and not got["late"]


def test_succession_matrix_and_page(client, award_world):
    """The winner falls away (实施条例 Art.55): the tenderer's side only; the page records it
    and shows the superseded notices."""
    from qinqing.bidding.award.models import AwardSuccession

    w = award_world
    s = w["section"].pk
    end_publication(publish(w))
    services.award_issue(actor=w["tenderer"], section=w["section"])
    data = {"reason": "gave_up", "explanation": "中标人书面声明放弃中标", "decision": "next"}
    nobody = {ANONYMOUS: 302, **dict.fromkeys(OUTSIDERS, 403)}
    refused = {"centre_jk": 404, "supervisor": 403, "winner": 403, "bidder": 404, **nobody}
    url = f"/bidding/sections/{s}/award/succession/"
    check_matrix(client, {url: refused}, w, method="post", data=data)
    assert not AwardSuccession.objects.exists()
    client.force_login(w["tenderer"])
    assert "记录并作出决定" in client.get(f"/bidding/sections/{s}/award/").content.decode()
    client.post(url, data)
    assert AwardSuccession.objects.get().next_bidder.name == "示例投标人0"
    page = client.get(f"/bidding/sections/{s}/award/").content.decode()
    assert "已作废" in page and "放弃中标" in page
