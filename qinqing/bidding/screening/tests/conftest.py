"""Screening fixtures: small bid PDFs made with WeasyPrint (its `<meta name=author>` and
`<meta name=dcterms.created>` set the PDF's Author and CreationDate), sealed with seal.py,
submitted, decrypted and closed through the opening's services, so that the screening reads
real OpenedFiles; then the queued screening is run in this process."""

from __future__ import annotations

import io
import random
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qinqing.bidding.bids import seal
from qinqing.bidding.bids import services as bid_services
from qinqing.bidding.bids.models import Bid
from qinqing.bidding.opening import services as opening_services
from qinqing.bidding.opening.models import Opening, OpeningBid
from qinqing.bidding.opening.tests.conftest import (  # noqa: F401  (fixtures)
    bids_world,
    browser_key,
    opening_world,
    pass_deadline,
    passphrase,
)
from qinqing.core.testing import run_queued_tasks

SHANGHAI = ZoneInfo("Asia/Shanghai")
WHO = ("bidder", "bidder2", "bidder4", "bidder5")
# The tender documents' own format text, which every bidder's 投标函 repeats: not evidence.
TEMPLATE = (
    "致招标人：根据贵方招标项目的招标文件，我方经考察现场和研究招标文件的投标须知、合同条款、"
    "技术规范、图纸、工程量清单和其他有关文件后，我方愿以上述投标报价按合同约定实施和完成承包"
    "工程，修补工程中的任何缺陷，工程质量达到合格标准。我方承诺在招标文件规定的投标有效期内不"
    "修改、撤销投标文件。"
)


def prose(seed: int, chars: int) -> str:
    """Independent Chinese text: random characters from the common block, so that two
    different seeds share no 8-character run by chance."""
    r = random.Random(seed)
    return "".join(chr(0x4E00 + r.randrange(6000)) for _ in range(chars))


def pdf(pages: list[str], *, author: str = "", created: datetime | None = None) -> bytes:
    from weasyprint import HTML

    meta = f'<meta name="author" content="{author}">' if author else ""
    if created is not None:
        meta += f'<meta name="dcterms.created" content="{created.isoformat()}">'
    body = (
        "".join(f'<p style="page-break-after:always">{page}</p>' for page in pages[:-1])
        + f"<p>{pages[-1]}</p>"
    )
    return HTML(string=f"<html><head>{meta}</head><body>{body}</body></html>").write_pdf()


def encrypted_pdf() -> bytes:
    """A PDF with an opening password (the screening cannot read it)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf(["加密的文件"]))))
    writer.encrypt(user_password="secret-口令", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def when(day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def submit(w, who: str, files: list[seal.PlainFile], *, price: str, manager: str, ip: str, ua: str):
    sealed = seal.seal(
        section=w["section"].pk,
        bidder=w["usccs"][who],
        passphrase=passphrase(who),
        files=files,
        schedule=seal.Schedule(
            price=Decimal(price),
            duration_days=180,
            quality="合格",
            project_manager=manager,
            declared_items=(),
        ),
    )
    bid_services.bid_submit(
        actor=w[who],
        section=w["section"],
        manifest=sealed.manifest,
        files=[SimpleUploadedFile(f"f{n}.qqs", c) for n, c in enumerate(sealed.ciphertexts)],
        client_ip=ip,
        user_agent=ua,
    )


def open_and_close(w) -> Opening:
    """The whole opening: start at the deadline, every bidder decrypts, the host closes (which
    asks for the screening); then the queued tasks run here."""
    pass_deadline(w)
    opening = opening_services.opening_start(actor=w["agent"], section=w["section"])
    for ob in OpeningBid.objects.filter(opening=opening).select_related("bidder"):
        who = next(k for k, v in w["usccs"].items() if v == ob.bidder.uscc)
        bid = Bid.objects.get(pk=ob.bid_id)
        opening_services.opening_decrypt(
            actor=w[who], opening_bid=ob, content_key=browser_key(bid, who)
        )
    opening.refresh_from_db()
    opening_services.opening_close(actor=w["agent"], opening=opening)
    run_queued_tasks()
    return opening


@pytest.fixture
def collusive(opening_world):  # noqa: F811  (the fixture imported above)
    """Four bids with every sign: `bidder` and `bidder2` share an author, a copied technical
    section, a project manager and an upload address; `bidder4` and `bidder5` share a file
    byte for byte, a device and a tool at nearly the same time, and `bidder4`'s technical part
    names `bidder5`; the first three prices rise by 300,000 yuan each; `bidder5` also sent an
    encrypted file."""
    w = opening_world
    copied = prose(99, 700)
    tech1 = [prose(1, 600), prose(2, 300) + copied[:300], copied[300:] + prose(3, 200)]
    tech2 = [prose(11, 500), prose(12, 200) + copied + prose(13, 100)]
    shared_file = pdf([prose(50, 400)], created=when(20, 10, 0))
    name5 = w["section"].bidders.get(uscc=w["usccs"]["bidder5"]).name
    files = {
        "bidder": [
            seal.PlainFile(
                "商务标",
                "商务标.pdf",
                pdf([TEMPLATE, prose(4, 500)], author="王工", created=when(2)),
            ),
            seal.PlainFile("技术标", "技术标.pdf", pdf(tech1, author="王工", created=when(2, 11))),
        ],
        "bidder2": [
            seal.PlainFile(
                "商务标",
                "商务标.pdf",
                pdf([TEMPLATE, prose(14, 500)], author="王 工", created=when(5)),
            ),
            seal.PlainFile("技术标", "技术标.pdf", pdf(tech2, author="李工", created=when(8))),
        ],
        "bidder4": [
            seal.PlainFile(
                "商务标",
                "商务标.pdf",
                pdf([TEMPLATE, prose(21, 500)], author="赵工", created=when(12)),
            ),
            seal.PlainFile(
                "技术标",
                "技术标.pdf",
                pdf(
                    [
                        prose(22, 400) + name5 + "项目部，统一社会信用代码" + w["usccs"]["bidder5"],
                        prose(23, 400),
                    ],
                    author="赵工",
                    created=when(12, 15),
                ),
            ),
            seal.PlainFile("资格审查资料", "资格审查资料.pdf", shared_file),
        ],
        "bidder5": [
            seal.PlainFile(
                "商务标",
                "商务标.pdf",
                pdf([TEMPLATE, prose(31, 500)], author="钱工", created=when(16)),
            ),
            seal.PlainFile("技术标", "技术标.pdf", encrypted_pdf()),
            seal.PlainFile("资格审查资料", "资格审查资料.pdf", shared_file),
        ],
    }
    schedule = {
        "bidder": ("12000000.00", "李四", "10.1.1.5", "Mozilla/5.0 A"),
        "bidder2": ("12300000.00", "李 四", "10.1.1.5", "Mozilla/5.0 B"),
        "bidder4": ("12600000.00", "周五", "10.9.9.4", "Mozilla/5.0 (X11) Same"),
        "bidder5": ("13111111.11", "吴六", "10.9.9.5", "Mozilla/5.0 (X11) Same"),
    }
    for who in WHO:
        price, manager, ip, ua = schedule[who]
        submit(w, who, files[who], price=price, manager=manager, ip=ip, ua=ua)
    w["opening"] = open_and_close(w)
    return w


@pytest.fixture
def honest(opening_world):  # noqa: F811  (the fixture imported above)
    """Four honest bids: their own authors, texts, managers, addresses and devices, created
    days apart, irregular prices; every 商务标 repeats the tender documents' format text."""
    w = opening_world
    prices = ("12345678.90", "11800000.00", "12990000.50", "13100000.00")
    for n, who in enumerate(WHO):
        files = [
            seal.PlainFile(
                "商务标",
                "商务标.pdf",
                pdf([TEMPLATE, prose(100 + n, 500)], author=f"编制人{n}", created=when(2 + 5 * n)),
            ),
            seal.PlainFile(
                "技术标",
                "技术标.pdf",
                pdf(
                    [prose(200 + n, 600), prose(300 + n, 600)],
                    author=f"编制人{n}",
                    created=when(3 + 5 * n),
                ),
            ),
        ]
        submit(
            w,
            who,
            files,
            price=prices[n],
            manager=f"经理{n}号",
            ip=f"10.0.{n}.1",
            ua=f"Mozilla/5.0 device {n}",
        )
    w["opening"] = open_and_close(w)
    return w
