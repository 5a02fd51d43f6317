"""The public proof pages: anyone lists the published draws and opens one; before the result is
final only the commitment shows."""

import json
import re

import pytest

from qinqing.bidding.draw import rules, services

pytestmark = pytest.mark.django_db


def _witnessed(world, quota, entropy="7-1-4"):
    admin = world["centre_wh"] if quota.centre.code == "whggzy" else world["centre_jk"]
    draw = services.draw_commit(actor=admin, quota=quota)
    return services.draw_witness(actor=world["supervisor"], draw=draw, witness_entropy=entropy)


def _embedded_proof(html: str) -> dict:
    match = re.search(r'<script id="draw-proof" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the page embeds the proof for the browser to verify"
    return json.loads(match[1])


def test_before_the_result_is_final_only_the_commitment_is_shown(world, client):
    draw = _witnessed(world, world["host"])
    assert client.get("/bidding/proofs/").content.decode().count(draw.draw_id) == 0
    page = client.get(f"/bidding/proofs/{draw.draw_id}/").content.decode()
    assert draw.commitment in page and draw.pool_digest in page
    assert "评标结果确定（评标报告封存）后公布完整证明" in page
    assert 'id="draw-proof"' not in page
    assert world["session"].section.project.name not in page
    assert not any(code in page for code in draw.drawn)


def test_once_final_anyone_lists_and_opens_the_whole_proof(world, client):
    draws = [_witnessed(world, world["host"]), _witnessed(world, world["guest"], "")]
    services.session_close(actor=world["centre_wh"], session=world["session"])
    listing = client.get("/bidding/proofs/").content.decode()
    for draw in draws:
        assert f'href="/bidding/proofs/{draw.draw_id}/"' in listing
    assert world["session"].section.project.name in listing
    page = client.get(f"/bidding/proofs/{draws[0].draw_id}/").content.decode()
    proof = _embedded_proof(page)
    assert proof == services.proof(draws[0])
    assert rules.verify_proof(proof) == []
    assert all(f"<code>{code}</code>" in page for code in draws[0].drawn)


def test_an_unknown_draw_is_404(db, client):
    assert client.get("/bidding/proofs/QQD-20990101-00001-1/").status_code == 404


def test_the_empty_list_says_when_proofs_appear(db, client):
    page = client.get("/bidding/proofs/").content.decode()
    assert "目前还没有公布的抽取证明" in page
