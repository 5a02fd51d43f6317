"""The viewer's pure rules and the optional response table of QQ-SEAL-1."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from qinqing.bidding.bids import seal
from qinqing.bidding.bids.tests.conftest import SCHEDULE, pdf_bytes
from qinqing.bidding.rules import RuleError
from qinqing.bidding.viewer import rules


def test_reads_are_checked_and_merged():
    reads = rules.reads_check(
        {
            "reads": [
                {"file": 7, "page": 2, "seconds": 5},
                {"file": 7, "page": 2, "seconds": 6},
                {"file": 8, "page": 1, "seconds": 0},
            ]
        }
    )
    assert reads == [rules.ReadIn(7, 2, 11), rules.ReadIn(8, 1, 0)]
    assert rules.reads_check({"reads": [{"file": 1, "page": 1, "seconds": 100}] * 2}) == [
        rules.ReadIn(1, 1, rules.MAX_SECONDS)
    ]
    for bad in (
        None,
        {"reads": {}},
        {"reads": [1]},
        {"reads": [{"file": 1, "page": 0, "seconds": 1}]},
        {"reads": [{"file": 1, "page": 1, "seconds": True}]},
        {"reads": [{"file": "1", "page": 1, "seconds": 1}]},
        {"reads": [{"file": 1, "page": 1, "seconds": 121}]},
        {"reads": [{"file": 1, "page": 1, "seconds": 1}] * 201},
    ):
        with pytest.raises(RuleError):
            rules.reads_check(bad)


def test_page_ranges_and_summary():
    assert rules.page_ranges([10, 9, 1, 2, 3, 7, 3]) == "1–3, 7, 9–10"
    assert rules.page_ranges([]) == ""
    rows = [
        rules.PageRow("W01", "甲公司", "技术标.pdf", 1, 5, 4),
        rules.PageRow("W01", "甲公司", "技术标.pdf", 2, 7, 4),
        rules.PageRow("W01", "甲公司", "商务标.pdf", 1, 3, None),
        rules.PageRow("W02", "甲公司", "技术标.pdf", 4, 1, 4),
    ]
    first, second = rules.read_summary(rows)
    assert (first.member, first.files, first.pages, first.seconds) == ("W01", 2, 3, 15)
    assert first.page_total is None  # one file's page count is not known
    assert first.ranges == {"商务标.pdf": "1", "技术标.pdf": "1–2"}
    assert (second.pages, second.page_total) == (1, 4)


def test_response_pages_skip_unknown_files():
    table = [
        {"criterion": "T1", "file": "技术标.pdf", "page": 3},
        {"criterion": "T1", "file": "不存在.pdf", "page": 1},
        {"criterion": "B1", "file": "商务标.pdf", "page": 2},
        "garbage",
    ]
    files = {"技术标.pdf": 11, "商务标.pdf": 12}
    assert rules.response_pages(table, "T1", files) == [(11, "技术标.pdf", 3)]
    assert rules.response_pages(table, "X9", files) == []


def test_the_response_table_is_optional_and_backward_compatible():
    plain = seal.schedule_check(SCHEDULE)
    assert plain.responses == ()
    assert "responses" not in json.loads(seal.schedule_json(plain))
    with_table = seal.schedule_check(
        {**SCHEDULE, "responses": [{"criterion": "T1", "file": "技术标.pdf", "page": 12}]}
    )
    assert with_table.responses == (seal.ResponseRef("T1", "技术标.pdf", 12),)
    assert json.loads(seal.schedule_json(with_table))["responses"] == [
        {"criterion": "T1", "file": "技术标.pdf", "page": 12}
    ]
    for bad in (
        {"criterion": "T1", "file": "a.pdf", "page": 0},
        {"criterion": "", "file": "a.pdf", "page": 1},
        {"criterion": "T1", "file": "a.pdf", "page": "3"},
        "T1",
    ):
        with pytest.raises(RuleError, match="响应表"):
            seal.schedule_check({**SCHEDULE, "responses": [bad]})
    # sealing refuses a table pointing at a file the bid does not have
    schedule = seal.Schedule(
        price=Decimal("1.00"),
        duration_days=1,
        quality="合格",
        project_manager="张三",
        responses=(seal.ResponseRef("T1", "别的文件.pdf", 1),),
    )
    with pytest.raises(RuleError, match="不在本投标文件中"):
        seal.seal(
            section=1,
            bidder="91420100MA4K000001",
            passphrase="口令口令口令口令",
            files=[seal.PlainFile("技术标", "技术标.pdf", pdf_bytes("x"))],
            schedule=schedule,
            iterations=1000,
        )


def test_bid_seal_carries_the_response_table(tmp_path):
    from django.core.management import call_command

    (tmp_path / "技术标.pdf").write_bytes(pdf_bytes("technical"))
    table = [{"criterion": "T1", "file": "技术标.pdf", "page": 2}]
    (tmp_path / "s.json").write_text(json.dumps({**SCHEDULE, "responses": table}), "utf-8")
    (tmp_path / "pass.txt").write_text("开标口令-2026-wh\n", "utf-8")
    call_command(
        "bid_seal",
        "--section=5",
        "--bidder=91420100MA4K000001",
        f"--file=技术标={tmp_path / '技术标.pdf'}",
        f"--schedule={tmp_path / 's.json'}",
        f"--out={tmp_path / 'out'}",
        f"--passphrase-file={tmp_path / 'pass.txt'}",
    )
    manifest = seal.manifest_check(
        json.loads((tmp_path / "out" / "manifest.json").read_text("utf-8")), max_file_bytes=1 << 20
    )
    key = seal.unwrap_key(manifest, "开标口令-2026-wh")
    schedule = seal.unseal_schedule(manifest, key)
    assert schedule.responses == (seal.ResponseRef("T1", "技术标.pdf", 2),)
