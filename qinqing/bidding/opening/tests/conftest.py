"""Opening fixtures: the sealed-bid world (bids/tests/conftest.py) with two more registered
firms' accounts (`bidder4`, `bidder5`), so that the demo `bidder`, `bidder2`, `bidder4` and
`bidder5` can each seal a bid; `bidder3`'s firm is not registered. Helpers seal a bid (seal.py
or `qinqing bid_seal`), submit it, pass the deadline and unwrap the content key in Python as
the bidder's browser does."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from qinqing.bidding.bids import seal, services
from qinqing.bidding.bids.tests.conftest import (  # noqa: F401  (fixtures)
    _firm_user,
    bids_world,
    pdf_bytes,
)
from qinqing.bidding.conftest import BIDDER_USCCS
from qinqing.bidding.models import Section

PRICES = {
    "bidder": Decimal("12345678.90"),
    "bidder2": Decimal("11800000.00"),
    "bidder4": Decimal("12990000.50"),
    "bidder5": Decimal("13100000.00"),
}


def passphrase(who: str) -> str:
    return f"{who} 的开标口令 2026"


@pytest.fixture
def opening_world(bids_world):  # noqa: F811  (the fixture imported above)
    w = bids_world
    w["bidder4"] = _firm_user("bidder4", "bidder4-firm", BIDDER_USCCS[1])
    w["bidder5"] = _firm_user("bidder5", "bidder5-firm", BIDDER_USCCS[2])
    w["usccs"] = {
        "bidder": w["firm"].uscc,
        "bidder2": BIDDER_USCCS[0],
        "bidder4": BIDDER_USCCS[1],
        "bidder5": BIDDER_USCCS[2],
    }
    return w


def files_of(who: str) -> list[seal.PlainFile]:
    return [
        seal.PlainFile("商务标", "商务标.pdf", pdf_bytes(f"{who} business", 3000)),
        seal.PlainFile("技术标", "技术标.pdf", pdf_bytes(f"{who} technical", 200_000)),
    ]


def schedule_of(who: str) -> seal.Schedule:
    return seal.Schedule(
        price=PRICES[who],
        duration_days=180,
        quality="合格",
        project_manager=f"{who}项目经理",
        declared_items=(seal.DeclaredItem("安全文明施工费", "120000.00"),),
    )


def submit(w, who: str, version: str = seal.FORMAT):
    """`who` seals (seal.py, QQ-SEAL-2 unless told) and submits its bid; returns the sealed
    bid."""
    section = w["section"]
    sealed = seal.seal(
        section=section.pk,
        bidder=w["usccs"][who],
        passphrase=passphrase(who),
        files=files_of(who),
        schedule=schedule_of(who),
        version=version,
    )
    services.bid_submit(
        actor=w[who],
        section=section,
        manifest=sealed.manifest,
        files=[SimpleUploadedFile(f"f{n}.qqs", c) for n, c in enumerate(sealed.ciphertexts)],
    )
    return sealed


def submit_with_command(w, who: str, tmp_path):
    """`who` seals with `qinqing bid_seal` from files on disk and submits the output."""
    folder = tmp_path / who
    folder.mkdir()
    for f in files_of(who):
        (folder / f.name).write_bytes(f.data)
    schedule = json.loads(seal.schedule_json(schedule_of(who)))
    (folder / "schedule.json").write_text(json.dumps(schedule, ensure_ascii=False), "utf-8")
    (folder / "pass.txt").write_text(passphrase(who) + "\n", "utf-8")
    call_command(
        "bid_seal",
        f"--section={w['section'].pk}",
        f"--bidder={w['usccs'][who]}",
        f"--file=商务标={folder / '商务标.pdf'}",
        f"--file=技术标={folder / '技术标.pdf'}",
        f"--schedule={folder / 'schedule.json'}",
        f"--out={folder / 'sealed'}",
        f"--passphrase-file={folder / 'pass.txt'}",
    )
    manifest = json.loads((folder / "sealed" / "manifest.json").read_text("utf-8"))
    services.bid_submit(
        actor=w[who],
        section=w["section"],
        manifest=manifest,
        files=[
            SimpleUploadedFile(f"f{n}.qqs", (folder / "sealed" / f"file{n}.qqs").read_bytes())
            for n in range(2)
        ],
    )


def pass_deadline(w) -> None:
    Section.objects.filter(pk=w["section"].pk).update(
        bid_deadline=timezone.now() - timedelta(minutes=1)
    )
    w["section"].refresh_from_db()


def browser_key(bid, who: str) -> str:
    """What the bidder's browser sends: the content key unwrapped with the passphrase
    (PBKDF2 + AES-KW, as opening_decrypt.js does), Base64."""
    manifest = seal.manifest_check(bid.manifest, max_file_bytes=1 << 30)
    return base64.b64encode(seal.unwrap_key(manifest, passphrase(who))).decode()
