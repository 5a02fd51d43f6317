"""The bid documents at the workstation: who may read them (a committee member at a signed-in
workstation of a session in progress; everyone else a 404), the bytes served inline and never
cached, opening audited once per member and file, the read log and the supervisors' page, the
response table's links on the score sheet, the API."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from qinqing.bidding.models import DrawOutcome, EvaluationSession, Seat
from qinqing.bidding.viewer.models import DocumentAccess, PageRead
from qinqing.bidding.viewer.tests.conftest import files_for, seat_client
from qinqing.core.models import AuditEntry
from qinqing.core.testing import ANONYMOUS, check_matrix

pytestmark = pytest.mark.django_db

PAGE = "/bidding/workstation/documents/"
READS = "/bidding/workstation/documents/reads/"
API = "/api/v1/bidding/workstation/documents"


def _pdf_url(opened) -> str:
    return f"/bidding/workstation/documents/{opened.pk}/pdf/"


def _read(response) -> bytes:
    return b"".join(response.streaming_content)


def _post(client, body) -> object:
    return client.post(READS, json.dumps(body), content_type="application/json")


def test_a_member_reads_every_decrypted_bid_inline_never_cached(viewer_world):
    w = viewer_world
    client = seat_client(w["seats"][0])
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    for who in ("bidder", "bidder2", "bidder4"):
        for f in w["files"][who]:
            assert f"?file={f.pk}" in html
    assert "vendor/pdfjs/pdf.min" in html and "download" not in html.lower()
    opened = w["files"]["bidder2"][1]
    response = client.get(_pdf_url(opened))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == "inline"
    assert "no-store" in response["Cache-Control"]
    assert _read(response) == files_for("bidder2")[1].data
    # the first open is audited, once per member and file; later opens are counted
    assert client.get(_pdf_url(opened)).status_code == 200
    opens = AuditEntry.objects.filter(action="viewer.open")
    assert opens.count() == 1
    assert opens.get().detail["workstation"] == w["seats"][0].workstation.code
    assert opens.get().detail["sha256"] == opened.sha256
    assert DocumentAccess.objects.get(seat=w["seats"][0], opened_file=opened).fetches == 2
    other = seat_client(w["seats"][1])
    assert other.get(_pdf_url(opened)).status_code == 200
    assert AuditEntry.objects.filter(action="viewer.open").count() == 2
    # the files are never under /media/ for anyone
    assert not opened.file.url.startswith("/bidding/")
    assert Client().get(opened.file.url).status_code == 404


def test_who_may_not_read_gets_a_404(viewer_world):
    w = viewer_world
    seats = w["seats"]
    opened = w["files"]["bidder"][0]
    urls = [PAGE, _pdf_url(opened)]

    def refused(client, label):
        for url in urls:
            assert client.get(url).status_code == 404, (label, url)
        assert _post(client, {"reads": []}).status_code == 404, label

    # anonymous, a bidder's account, the supervisor: no seat in their browser session
    refused(Client(), "anonymous")
    for who in ("bidder", "supervisor", "expert"):
        client = Client()
        client.force_login(w[who])
        refused(client, who)
    # an expert not on the committee: recused (outcome no longer confirmed)
    Seat.objects.filter(pk=seats[1].pk).update(declared_at=None)
    refused(seat_client(seats[1]), "not declared")
    DrawOutcome.objects.filter(pk=seats[2].outcome_id).update(status=DrawOutcome.Status.RECUSED)
    refused(seat_client(seats[2]), "recused")
    # an expert not signed in
    Seat.objects.filter(pk=seats[3].pk).update(signed_in_at=None)
    refused(seat_client(seats[3]), "not signed in")
    # a file id beyond any: 404, never a 500
    member = seat_client(seats[0])
    assert member.get("/bidding/workstation/documents/99999999/pdf/").status_code == 404
    assert member.get(f"{API}/{2**64}").status_code in (404, 422)
    # after the session ended
    assert member.get(_pdf_url(opened)).status_code == 200
    EvaluationSession.objects.filter(pk=w["session"].pk).update(
        status=EvaluationSession.Status.CLOSED
    )
    refused(member, "session closed")
    assert member.get(API).status_code == 404


def test_the_api_lists_and_serves_with_the_same_rules(viewer_world):
    w = viewer_world
    member = seat_client(w["seats"][0])
    listed = member.get(API)
    assert listed.status_code == 200
    body = listed.json()
    assert sorted(b["uscc"] for b in body) == sorted(
        w["usccs"][k] for k in ("bidder", "bidder2", "bidder4")
    )
    first = body[0]["files"]
    assert [f["name"] for f in first] == ["商务标.pdf", "技术标.pdf"]
    # the response table's pages travel with each file
    pages = {
        f["name"]: f["pages"] for b in body for f in b["files"] if b["uscc"] == w["usccs"]["bidder"]
    }
    assert {"criterion": "T1", "page": 3} in pages["技术标.pdf"]
    data = member.get(first[1]["url"])
    assert data.status_code == 200 and data["Cache-Control"].startswith("no-store")
    assert _read(data)[:5] == b"%PDF-"
    # no workstation: 401; a seat not on the committee: 404
    assert Client().get(API).status_code == 401
    client = Client()
    client.force_login(w["bidder"])
    assert client.get(API).status_code == 401
    assert client.get(first[1]["url"]).status_code == 401
    Seat.objects.filter(pk=w["seats"][1].pk).update(declared_at=None)
    assert seat_client(w["seats"][1]).get(API).status_code == 404
    assert seat_client(w["seats"][1]).get(first[1]["url"]).status_code == 404


def test_the_read_log_and_the_supervisors_page(viewer_world):
    w = viewer_world
    seat = w["seats"][0]
    member = seat_client(seat)
    opened = w["files"]["bidder"][1]
    # pages of a file not opened at this workstation are refused
    response = _post(member, {"reads": [{"file": opened.pk, "page": 1, "seconds": 5}]})
    assert response.status_code == 400 and "已打开" in response.json()["detail"]
    assert member.get(_pdf_url(opened)).status_code == 200
    body = {
        "page_counts": {str(opened.pk): 4},
        "reads": [
            {"file": opened.pk, "page": 1, "seconds": 5},
            {"file": opened.pk, "page": 3, "seconds": 4},
        ],
    }
    assert _post(member, body).json() == {"recorded": 2}
    assert (
        _post(member, {"reads": [{"file": opened.pk, "page": 3, "seconds": 6}]}).status_code == 200
    )
    rows = {r.page: r for r in PageRead.objects.filter(access__seat=seat)}
    assert rows[1].seconds == 5 and rows[3].seconds == 10 and rows[3].views == 2
    assert DocumentAccess.objects.get(seat=seat, opened_file=opened).page_count == 4
    # bad input: a clear message, 400, nothing stored
    for bad, words in (
        ({"reads": [{"file": opened.pk, "page": 9, "seconds": 1}]}, "超出"),
        ({"reads": [{"file": opened.pk, "page": 0, "seconds": 1}]}, "page"),
        ({"reads": [{"file": opened.pk, "page": 1, "seconds": 999}]}, "seconds"),
        ({"reads": "x"}, "reads"),
        ([], "reads"),
    ):
        response = _post(member, bad)
        assert response.status_code == 400 and words in response.json()["detail"], bad
    response = member.post(READS, b"{not json", content_type="application/json")
    assert response.status_code == 400 and "JSON" in response.json()["detail"]
    assert PageRead.objects.filter(access__seat=seat).count() == 2
    # the page reads are not audited one by one (the opening is)
    assert not AuditEntry.objects.filter(action__startswith="viewer.read").exists()
    # CSRF: a post without the token is refused
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = member.cookies
    assert strict.post(READS, "{}", content_type="application/json").status_code == 403

    # the supervisors see per member and bidder what was read
    url = f"/bidding/sessions/{w['session'].pk}/reads/"
    client = Client()
    client.force_login(w["supervisor"])
    html = client.get(url).content.decode()
    assert seat.workstation.code in html and opened.opening_bid.bidder.name in html
    assert "1, 3" in html and "2 / 4" in html and "15 秒" in html
    expected = {"supervisor": 200, "centre_wh": 200, "centre_jk": 200, "tenderer": 403}
    check_matrix(
        Client(),
        {url: {**expected, "agent": 403, "bidder": 403, "expert": 403, ANONYMOUS: 302}},
        w,
    )


def test_the_score_sheet_links_each_item_to_the_response_pages(viewer_world):
    w = viewer_world
    member = seat_client(w["seats"][0])
    html = member.get("/bidding/workstation/sheet/review/").content.decode()
    business = w["files"]["bidder"][0]
    assert f"?file={business.pk}&amp;page=1" in html
    assert "查阅投标文件" in html
    # a bidder without a response table gets no link
    for f in w["files"]["bidder2"]:
        assert f"?file={f.pk}&amp;page" not in html
    # the viewer opens at the page asked for
    page = member.get(f"{PAGE}?file={business.pk}&page=1").content.decode()
    assert f'data-file="{business.pk}"' in page and 'data-page="1"' in page
