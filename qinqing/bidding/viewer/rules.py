"""The workstation viewer's pure rules: the read log's batches from the browser, the pages a
criterion's response points to, and the supervisors' summary of what each member read.

No Django here: dataclasses in, dataclasses out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from qinqing.bidding.rules import RuleError

MAX_BATCH = 200  # entries in one POST of the viewer (it sends every few seconds)
MAX_SECONDS = 120  # seconds one entry may add: a batch covers a few seconds, not hours
MAX_PAGE = 100_000


@dataclass(frozen=True)
class ReadIn:
    """One page on screen since the viewer's last report: the file, the page, for how long."""

    file: int
    page: int
    seconds: int


@dataclass(frozen=True)
class PageRow:
    """One row of the read log as the summary takes it."""

    member: str
    bidder: str
    file: str
    page: int
    seconds: int
    page_count: int | None = None


def reads_check(data) -> list[ReadIn]:
    """The viewer's batch, checked: at most 200 entries of a file id, a page 1–100,000 and
    0–120 seconds; the same file and page twice are added together (电子招标投标办法 Art.33:
    the evaluation is done online under effective monitoring — the log says what each member
    read)."""
    if not isinstance(data, dict) or not isinstance(data.get("reads"), list):
        raise RuleError("阅读记录应为含 reads 列表的 JSON 对象")
    items = data["reads"]
    if len(items) > MAX_BATCH:
        raise RuleError(f"一次最多报送 {MAX_BATCH} 条阅读记录")
    merged: dict[tuple[int, int], int] = {}
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise RuleError(f"第 {n} 条阅读记录应为含 file、page、seconds 的对象")
        values = []
        for field, low, high in (
            ("file", 1, 2**63 - 1),
            ("page", 1, MAX_PAGE),
            ("seconds", 0, MAX_SECONDS),
        ):
            value = item.get(field)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise RuleError(f"第 {n} 条阅读记录的 {field} 须为 {low} 至 {high} 之间的整数")
            values.append(value)
        key = (values[0], values[1])
        merged[key] = min(MAX_SECONDS, merged.get(key, 0) + values[2])
    return [ReadIn(f, p, s) for (f, p), s in merged.items()]


def response_pages(
    responses: Iterable[dict], criterion: str, files: dict[str, int]
) -> list[tuple[int, str, int]]:
    """The pages the bidder's response table (响应表) gives for one criterion, as
    (file id, file name, page), in the table's order; entries naming a file the bid does not
    have are left out (QQ-SEAL-1 §4 `responses`; 招标投标法 Art.27: the bid answers each
    substantive requirement, and says where)."""
    out = []
    for r in responses:
        if not isinstance(r, dict) or r.get("criterion") != criterion:
            continue
        file_id = files.get(r.get("file"))
        page = r.get("page")
        if file_id is None or not isinstance(page, int) or page < 1:
            continue
        out.append((file_id, r["file"], page))
    return out


def page_ranges(pages: Iterable[int]) -> str:
    """Pages as ranges, for the supervisors: [1, 2, 3, 7, 9, 10] → "1–3, 7, 9–10"."""
    ordered = sorted(set(pages))
    parts: list[str] = []
    start = prev = None
    for p in ordered:
        if start is None:
            start = prev = p
        elif p == prev + 1:
            prev = p
        else:
            parts.append(f"{start}" if start == prev else f"{start}–{prev}")
            start = prev = p
    if start is not None:
        parts.append(f"{start}" if start == prev else f"{start}–{prev}")
    return ", ".join(parts)


@dataclass(frozen=True)
class ReadSummary:
    member: str
    bidder: str
    files: int
    pages: int
    page_total: int | None
    seconds: int
    ranges: dict[str, str]


def read_summary(rows: Sequence[PageRow]) -> list[ReadSummary]:
    """Per member and bidder: the files read, the pages read (of how many, where known), the
    seconds on screen and the pages of each file as ranges (招标投标法实施条例 Art.49: each
    member forms their own opinion on the bids; the supervisors see whether they were read)."""
    groups: dict[tuple[str, str], dict[str, dict]] = {}
    for r in rows:
        files = groups.setdefault((r.member, r.bidder), {})
        entry = files.setdefault(r.file, {"pages": set(), "seconds": 0, "count": r.page_count})
        entry["pages"].add(r.page)
        entry["seconds"] += r.seconds
    out = []
    for (member, bidder), files in sorted(groups.items()):
        counts = [f["count"] for f in files.values()]
        out.append(
            ReadSummary(
                member=member,
                bidder=bidder,
                files=len(files),
                pages=sum(len(f["pages"]) for f in files.values()),
                page_total=sum(counts) if all(c is not None for c in counts) else None,
                seconds=sum(f["seconds"] for f in files.values()),
                ranges={name: page_ranges(f["pages"]) for name, f in sorted(files.items())},
            )
        )
    return out
