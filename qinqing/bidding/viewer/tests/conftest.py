"""Viewer fixtures: a section opened online whose bids are real PDFs made by WeasyPrint (Chinese
text, headings that become the PDF's outline), sealed with seal.py (one with a response table),
decrypted at the opening and closed; the committee seated, signed in, declared; the evaluation
started. `seats` are the five members' seats; `files` the opened files by bidder account."""

from __future__ import annotations

import functools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from qinqing.bidding.bids import seal
from qinqing.bidding.bids import services as bid_services
from qinqing.bidding.criteria import standard_template
from qinqing.bidding.evaluation import services as evaluation_services
from qinqing.bidding.models import EvaluationSession, Opening
from qinqing.bidding.opening import services as opening_services
from qinqing.bidding.opening.models import OpenedFile, OpeningBid
from qinqing.bidding.opening.tests.conftest import (  # noqa: F401  (fixtures)
    bids_world,
    browser_key,
    opening_world,
    pass_deadline,
    passphrase,
    schedule_of,
)
from qinqing.bidding.seating.tests.test_evaluation_day import full_committee
from qinqing.bidding.seating.workstation import SEAT_KEY
from qinqing.core.documents import pdf_from_html

BIDDERS = ("bidder", "bidder2", "bidder4")
# The word the browser test searches for: on the technical file's page 3 only.
NEEDLE = "装配式钢结构"


@functools.cache  # WeasyPrint takes a second a file: each test reuses the same bytes
def bid_pdf(who: str, kind: str, pages: int = 4) -> bytes:
    """A bid file of `pages` A4 pages, each with an h2 heading (the outline) and Chinese text;
    the technical file names the NEEDLE on page 3."""
    body = []
    for n in range(1, pages + 1):
        extra = f"<p>本章采用{NEEDLE}施工工艺。</p>" if kind == "技术标" and n == 3 else ""
        body.append(
            f'<section style="page-break-after:always"><h2>第{n}章 {kind}内容</h2>'
            f"<p>{who} 的{kind}第 {n} 页：施工组织设计、质量保证措施与安全文明施工。</p>"
            f"{extra}</section>"
        )
    html = (
        '<html><head><meta charset="utf-8"><style>body{font-family:"Noto Sans CJK SC",'
        '"Noto Serif CJK SC",sans-serif;font-size:14pt}</style></head><body>'
        f"<h1>{who} {kind}</h1>{''.join(body)}</body></html>"
    )
    return pdf_from_html(html)


def files_for(who: str, pages: int = 4) -> list[seal.PlainFile]:
    return [
        seal.PlainFile("商务标", "商务标.pdf", bid_pdf(who, "商务标", pages)),
        seal.PlainFile("技术标", "技术标.pdf", bid_pdf(who, "技术标", pages)),
    ]


def submit_pdf_bid(w, who: str, pages: int = 4, responses=()) -> None:
    base = schedule_of(who)
    schedule = seal.Schedule(
        price=base.price,
        duration_days=base.duration_days,
        quality=base.quality,
        project_manager=base.project_manager,
        declared_items=base.declared_items,
        responses=tuple(responses),
    )
    sealed = seal.seal(
        section=w["section"].pk,
        bidder=w["usccs"][who],
        passphrase=passphrase(who),
        files=files_for(who, pages),
        schedule=schedule,
    )
    bid_services.bid_submit(
        actor=w[who],
        section=w["section"],
        manifest=sealed.manifest,
        files=[SimpleUploadedFile(f"f{n}.qqs", c) for n, c in enumerate(sealed.ciphertexts)],
    )


def open_and_close(w) -> None:
    """The opening run through its services: started, every bid decrypted, closed."""
    pass_deadline(w)
    opening = opening_services.opening_start(actor=w["agent"], section=w["section"])
    for ob in OpeningBid.objects.filter(opening=opening).select_related("bid"):
        who = next(k for k, v in w["usccs"].items() if v == ob.bidder.uscc)
        opening_services.opening_decrypt(
            actor=w[who], opening_bid=ob, content_key=browser_key(ob.bid, who)
        )
    opening_services.opening_close(actor=w["agent"], opening=Opening.objects.get(pk=opening.pk))


RESPONSES = (
    seal.ResponseRef("F1", "商务标.pdf", 1),
    seal.ResponseRef("T1", "技术标.pdf", 3),
    seal.ResponseRef("B1", "商务标.pdf", 2),
)


def evaluation_started(w, pages: int = 4) -> dict:
    for who in BIDDERS:
        submit_pdf_bid(w, who, pages, RESPONSES if who == "bidder" else ())
    open_and_close(w)
    session, seats = full_committee(w)
    evaluation_services.plan_set(
        actor=w["centre_wh"],
        session=session,
        template=standard_template(session.section.project.method),
    )
    session = evaluation_services.session_start(actor=w["centre_wh"], session=session)
    files = {
        who: list(
            OpenedFile.objects.filter(opening_bid__bidder__uscc=w["usccs"][who]).order_by(
                "bid_file__position"
            )
        )
        for who in BIDDERS
    }
    return {**w, "session": session, "seats": seats, "files": files}


@pytest.fixture
def viewer_world(opening_world):  # noqa: F811
    return evaluation_started(opening_world)


def seat_client(seat) -> Client:
    """A browser at the seat's signed-in workstation."""
    client = Client()
    session = client.session
    session[SEAT_KEY] = seat.pk
    session.save()
    return client


def session_in_progress(session) -> bool:
    return EvaluationSession.objects.get(pk=session.pk).status == "evaluating"
