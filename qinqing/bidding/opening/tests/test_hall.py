"""The hall's pages: the host opens it by its form; the K coefficient of the plan is drawn from
the hall (committed by the host centre, witnessed by the supervisor) and the page comes back to
the hall; the scoring page of a section with sealed bids shows the opening's prices and no
price inputs (typing stays for sections without sealed bids, labelled so)."""

from __future__ import annotations

import pytest

from qinqing.bidding.criteria import standard_template
from qinqing.bidding.evaluation import services as evaluation_services
from qinqing.bidding.evaluation.models import CoefficientDraw
from qinqing.bidding.opening.models import Opening
from qinqing.bidding.opening.tests.conftest import pass_deadline, submit

pytestmark = pytest.mark.django_db


def test_the_host_opens_the_hall_by_its_form(client, opening_world):
    w = opening_world
    for who in ("bidder", "bidder2", "bidder4"):
        submit(w, who)
    hall = f"/bidding/openings/sections/{w['section'].pk}/"
    client.force_login(w["agent"])
    # before the deadline: refused with the article, nothing recorded
    client.post(f"{hall}start/", {"window_minutes": "30", "late_treatment": "withdrawn"})
    assert not Opening.objects.exists()
    assert "第三十四条" in client.get(hall).content.decode()
    assert hall in client.get(f"/bidding/bids/received/{w['section'].pk}/").content.decode()
    pass_deadline(w)
    client.force_login(w["bidder"])
    assert hall in client.get("/bidding/bids/").content.decode()  # 我的投标 leads to the hall
    client.force_login(w["agent"])
    # a window outside the bounds is refused
    client.post(f"{hall}start/", {"window_minutes": "241", "late_treatment": "withdrawn"})
    assert not Opening.objects.exists()
    response = client.post(f"{hall}start/", {"window_minutes": "20", "late_treatment": "rejected"})
    assert response.status_code == 302
    opening = Opening.objects.get()
    assert opening.window_minutes == 20 and opening.late_treatment == "rejected"
    page = client.get(hall).content.decode()
    assert "解密中" in page and "示例投标人0" in page  # the roll, for the host
    client.force_login(w["bidder2"])
    page = client.get(hall).content.decode()
    assert 'id="opening-decrypt"' in page and "opening_decrypt.js" in page
    assert "<script>" not in page  # no inline script (CSP script-src 'self')
    assert "示例投标人1" not in page  # another firm's name, before the read-out


def test_the_k_draw_is_reachable_from_the_hall(client, opening_world):
    w = opening_world
    session = w["session"]
    evaluation_services.plan_set(
        actor=w["centre_wh"],
        session=session,
        template=standard_template(session.section.project.method),
        price_formula="k_drawn",
        k_min="0.95",
        k_max="1.05",
        k_step="0.01",
        deduct_above="1",
        deduct_below="0.5",
    )
    hall = f"/bidding/openings/sections/{session.section_id}/"
    client.force_login(w["centre_wh"])
    assert "承诺 K 值抽取" in client.get(hall).content.decode()
    response = client.post(
        f"/bidding/sessions/{session.pk}/coefficient/", {"op": "commit", "next": hall}
    )
    assert response.status_code == 302 and response["Location"] == hall
    client.force_login(w["supervisor"])
    assert "见证并抽取 K 值" in client.get(hall).content.decode()
    response = client.post(
        f"/bidding/sessions/{session.pk}/coefficient/",
        {"op": "witness", "witness_entropy": "开标现场 0917", "next": hall},
    )
    assert response["Location"] == hall
    draw = CoefficientDraw.objects.get()
    assert draw.k is not None and f"{draw.k}" in client.get(hall).content.decode()
    # a `next` elsewhere is not followed
    response = client.post(
        f"/bidding/sessions/{session.pk}/coefficient/",
        {"op": "witness", "witness_entropy": "x", "next": "https://elsewhere.example/"},
    )
    assert response["Location"] == f"/bidding/sessions/{session.pk}/scoring/"


def test_the_scoring_page_takes_a_sealed_sections_prices_from_the_opening(client, opening_world):
    w = opening_world
    session = w["session"]
    client.force_login(w["centre_wh"])
    url = f"/bidding/sessions/{session.pk}/scoring/"
    page = client.get(url).content.decode()
    assert "手工录入" in page and 'name="price-' in page
    submit(w, "bidder")
    page = client.get(url).content.decode()
    assert "取自开标时投标人解密的开标一览表" in page and 'name="price-' not in page


def test_todos_the_host_opens_and_the_bidder_decrypts(client, opening_world):
    from qinqing.bidding.opening.services import opening_start
    from qinqing.bidding.opening.todos import opening_bidder, opening_host

    w = opening_world
    for who in ("bidder", "bidder2", "bidder4"):
        submit(w, who)
    assert opening_host(w["agent"])[0].count == 0  # the deadline is ahead
    pass_deadline(w)
    (item,) = opening_host(w["agent"])
    assert item.count == 1 and item.url == f"/bidding/openings/sections/{w['section'].pk}/"
    assert opening_host(w["centre_wh"])[0].count == 1
    assert opening_host(w["centre_jk"])[0].count == 0  # a guest centre does not host
    assert opening_host(w["bidder"]) == [] and opening_host(w["tenderer"]) == []
    assert opening_bidder(w["bidder"])[0].count == 0  # not opened yet
    opening_start(actor=w["agent"], section=w["section"])
    assert opening_host(w["agent"])[0].count == 0
    (item,) = opening_bidder(w["bidder"])
    assert item.count == 1 and item.url.endswith(f"/openings/sections/{w['section'].pk}/")
    assert item.due is not None
    assert opening_bidder(w["bidder3"])[0].count == 0  # not registered
    assert opening_bidder(w["bidder5"])[0].count == 0  # registered, no bid
    assert opening_bidder(w["agent"]) == []
    client.force_login(w["bidder"])
    assert client.get(item.url).status_code == 200
