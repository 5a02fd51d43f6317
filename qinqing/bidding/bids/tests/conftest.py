"""Sealed-bid fixtures: the `bidder` demo account's firm registered for the world's section,
a second firm (`bidder2`, also registered) and an unregistered third (`bidder3`), a deadline
two days ahead, files stored under a temporary MEDIA_ROOT."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from qinqing.bidding.bids import seal
from qinqing.bidding.conftest import BIDDER_USCCS
from qinqing.bidding.models import Bidder
from qinqing.core.demo import demo_uscc
from qinqing.core.models import Organisation
from qinqing.core.roles import Role
from qinqing.core.services import organisation_create, role_grant_add

PASSPHRASE = "开标口令-2026-wh"
SCHEDULE = {
    "price": "12345678.90",
    "duration_days": 180,
    "quality": "合格",
    "project_manager": "张建国",
    "declared_items": [{"name": "安全文明施工费", "value": "120000.00"}],
}


def pdf_bytes(text: str, pad: int = 0) -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% "
        + text.encode()
        + b"\n"
        + b"0" * pad
        + b"\n%%EOF\n"
    )


def _firm_user(username: str, code: str, uscc: str):
    firm = organisation_create(
        actor=None, kind=Organisation.Kind.FIRM, name=f"{username} 投标企业", code=code, uscc=uscc
    )
    user = get_user_model().objects.create_user(username, first_name=f"{username} 联系人")
    role_grant_add(actor=None, user=user, role=Role.BIDDER, organisation=firm)
    return user


@pytest.fixture
def bids_world(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    section = world["session"].section
    section.bid_deadline = timezone.now() + timedelta(days=2)
    section.save(update_fields=["bid_deadline"])
    firm = Organisation.objects.get(code="demo-bidder")
    Bidder.objects.create(section=section, uscc=firm.uscc, name=firm.name)
    second = _firm_user("bidder2", "bidder2-firm", BIDDER_USCCS[0])
    third = _firm_user("bidder3", "bidder3-firm", demo_uscc("91420100", 777))
    return {
        **world,
        "section": section,
        "firm": firm,
        "bidder2": second,
        "bidder3": third,
        "media": settings.MEDIA_ROOT,
    }


def sealed_bid(
    section_id: int, uscc: str, passphrase: str = PASSPHRASE, files=None, version=seal.FORMAT
):
    files = files or [
        seal.PlainFile("商务标", "商务标.pdf", pdf_bytes("business", 3000)),
        seal.PlainFile("技术标", "技术标.pdf", pdf_bytes("technical", 70000)),
    ]
    return seal.seal(
        section=section_id,
        bidder=uscc,
        passphrase=passphrase,
        files=files,
        schedule=seal.schedule_check(SCHEDULE),
        version=version,
    )


def upload(client, section_id: int, sealed, manifest=None, ciphertexts=None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    manifest = sealed.manifest if manifest is None else manifest
    ciphertexts = sealed.ciphertexts if ciphertexts is None else ciphertexts
    return client.post(
        "/api/v1/bidding/bids",
        {
            "section": str(section_id),
            "manifest": manifest if isinstance(manifest, str) else json.dumps(manifest),
            "files": [
                SimpleUploadedFile(f"file{n}.qqs", c, "application/octet-stream")
                for n, c in enumerate(ciphertexts)
            ],
        },
    )
