"""The text side of the screening, no Django: each opened PDF read with PDFium (its metadata and
the text of each page, or why it could not be read), the text cut into Chinese-character
shingles, candidate pairs found with MinHash/LSH (datasketch), then the exact Jaccard of each
candidate pair of bidders and the longest passages they share, with file and page. The
decisions (what is abnormal) are in rules.py.

Shingles are hashed with numpy, never held as Python strings: a bid of 300 pages is some
300,000 shingles, and twenty of them fit in a few tens of megabytes."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pypdfium2 as pdfium
from datasketch import MinHash, MinHashLSH

from qinqing.bidding.screening import rules

logger = logging.getLogger("qinqing.screening")

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: Pages read per file at most (a bid's file is tens to hundreds of pages).
MAX_PAGES = 3000
#: MinHash permutations (page signatures and bidder signatures).
NUM_PERM = 64
#: A page with fewer shingles than this (the template text left out) is not signed.
MIN_PAGE_SHINGLES = 40
#: Longest passage text kept in the evidence (characters); the length is kept whole.
PASSAGE_TEXT_CHARS = 400

_MAX_HASH = np.uint64((1 << 32) - 1)
_BASE = np.uint64(1_000_003)
_SENTINEL = 0x110000  # above every code point: marks the border between two files


@dataclass
class ReadFile:
    """A PDF as read: readable with its pages' text and metadata, or not with the reason."""

    readable: bool
    reason: str = ""
    author: str = ""
    creator: str = ""
    producer: str = ""
    created: datetime | None = None
    pages: list[str] | None = None


# PDFium (pypdfium2) reads the text: a Chinese bid's fonts map thousands of characters, and
# pypdf parses such a map again on every page (about 36 ms a page here against PDFium's 10;
# decision 0005). PDFium is not thread-safe: one document at a time per process.
_PDFIUM = threading.Lock()
_PDF_DATE = re.compile(
    r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:([Zz+-])(\d{2})?'?(\d{2})?'?)?"
)


def _meta(value) -> str:
    return str(value).strip()[:300] if value else ""


def pdf_date(value: str) -> datetime | None:
    """A PDF date string (ISO 32000-1 §7.9.4: ``D:YYYYMMDDHHmmSSOHH'mm'``, every part after the
    year optional) as an aware datetime; without an offset it is read as Asia/Shanghai. None
    when it is not one."""
    match = _PDF_DATE.match((value or "").strip())
    if not match:
        return None
    year, month, day, hour, minute, second, sign, off_h, off_m = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
        )
    except ValueError:
        return None
    if sign in ("+", "-"):
        offset = timedelta(hours=int(off_h or 0), minutes=int(off_m or 0))
        return moment.replace(tzinfo=timezone(offset if sign == "+" else -offset))
    if sign in ("Z", "z"):
        return moment.replace(tzinfo=UTC)
    return moment.replace(tzinfo=SHANGHAI)


def read_pdf(data: bytes) -> ReadFile:
    """Read a PDF's metadata and its pages' text with PDFium (pypdfium2). A file that is not a
    PDF, is encrypted (an opening password) or is broken comes back unreadable with the reason
    in Chinese; it never raises."""
    if not data.lstrip()[:5].startswith(b"%PDF-"):
        return ReadFile(False, "不是 PDF 文件（文件头不是 %PDF-）")
    with _PDFIUM:
        return _read_pdf(data)


def _read_pdf(data: bytes) -> ReadFile:
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            return ReadFile(False, "文件已加密（设有打开口令），无法读取文本")
        return ReadFile(False, "文件已损坏，无法解析")
    try:
        meta = document.get_metadata_dict(skip_empty=True)
        count = len(document)
        if count == 0:
            return ReadFile(False, "文件没有页面")
        pages: list[str] = []
        failed = 0
        for n in range(min(count, MAX_PAGES)):
            try:
                page = document[n]
                textpage = page.get_textpage()
                pages.append(textpage.get_text_range() or "")
                textpage.close()
                page.close()
            except Exception:  # one broken page does not lose the others
                failed += 1
                pages.append("")
    finally:
        document.close()
    if failed == count:
        return ReadFile(False, "文件已损坏，所有页面的文本都无法读取")
    return ReadFile(
        True,
        f"{failed} 页的文本无法读取" if failed else "",
        author=_meta(meta.get("Author")),
        creator=_meta(meta.get("Creator")),
        producer=_meta(meta.get("Producer")),
        created=pdf_date(meta.get("CreationDate", "")),
        pages=pages,
    )


# --- shingles ---------------------------------------------------------------------------------


@dataclass
class BidderText:
    """A bidder's files as one normalised text: the characters (code points, a sentinel
    between files), and for each character its file and page (1-based), and the shingle hash
    starting at each character (0 where a shingle would cross a file border)."""

    bidder: str
    files: list[str]
    text: str
    codes: np.ndarray
    file_of: np.ndarray
    page_of: np.ndarray
    hashes: np.ndarray
    unique: np.ndarray = None  # sorted distinct shingle hashes (template text left out later)

    @classmethod
    def build(cls, bidder: str, files: Iterable[tuple[str, list[str]]]) -> BidderText:
        names: list[str] = []
        parts: list[str] = []
        file_of: list[np.ndarray] = []
        page_of: list[np.ndarray] = []
        codes: list[np.ndarray] = []
        for index, (name, pages) in enumerate(files):
            names.append(name)
            for number, page in enumerate(pages, start=1):
                norm = rules.normalise_text(page)
                if not norm:
                    continue
                parts.append(norm)
                codes.append(np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32))
                file_of.append(np.full(len(norm), index, dtype=np.int32))
                page_of.append(np.full(len(norm), number, dtype=np.int32))
            # the border: a sentinel per file, never shared with another bidder's file
            parts.append("\x00")
            codes.append(np.array([_SENTINEL], dtype=np.uint32))
            file_of.append(np.array([index], dtype=np.int32))
            page_of.append(np.array([0], dtype=np.int32))
        text = "".join(parts)
        all_codes = np.concatenate(codes) if codes else np.zeros(0, dtype=np.uint32)
        found = cls(
            bidder,
            names,
            text,
            all_codes,
            np.concatenate(file_of) if file_of else np.zeros(0, dtype=np.int32),
            np.concatenate(page_of) if page_of else np.zeros(0, dtype=np.int32),
            shingle_hashes(all_codes),
        )
        found.unique = np.unique(found.hashes[found.hashes != 0])
        return found


def shingle_hashes(codes: np.ndarray, k: int = rules.SHINGLE_CHARS) -> np.ndarray:
    """The 64-bit polynomial hash of the k characters starting at each position (0 for a
    shingle containing a file border or running past the end)."""
    n = len(codes)
    out = np.zeros(n, dtype=np.uint64)
    if n < k:
        return out
    c = codes.astype(np.uint64)
    h = np.zeros(n - k + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h = h * _BASE + c[j : n - k + 1 + j] + np.uint64(1)
    border = (codes >= _SENTINEL).astype(np.int32)
    crosses = np.convolve(border, np.ones(k, dtype=np.int32), mode="valid") > 0
    h[crosses] = 0
    h[h == 0] = 1  # 0 is reserved for "no shingle"
    h[crosses] = 0
    out[: n - k + 1] = h
    return out


def _minhash(values: np.ndarray) -> MinHash:
    """A datasketch MinHash (its default affine32 scheme) of a set of shingle hashes: each
    item is the low 32 bits of the shingle's hash, given as the item's own hash."""
    signature = MinHash(num_perm=NUM_PERM, seed=1, hashfunc=int)
    signature.update_batch((values & _MAX_HASH).tolist())
    return signature


# --- comparison -------------------------------------------------------------------------------


@dataclass
class Passage:
    chars: int
    text: str
    a_file: str
    a_pages: tuple[int, int]
    b_file: str
    b_pages: tuple[int, int]


@dataclass
class PairResult:
    a: str
    b: str
    jaccard: object  # Decimal
    shared: int
    union: int
    pages_paired: int
    passages: list[Passage]

    @property
    def longest(self) -> int:
        return max((p.chars for p in self.passages), default=0)


def template_hashes(texts: list[BidderText]) -> np.ndarray:
    """The shingles rules.is_template_shingle calls the tender documents' own text."""
    if not texts:
        return np.zeros(0, dtype=np.uint64)
    values, counts = np.unique(np.concatenate([t.unique for t in texts]), return_counts=True)
    n = len(texts)
    floor = next((c for c in range(1, n + 1) if rules.is_template_shingle(c, n)), n + 1)
    return values[counts >= floor]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, length) of each run of True."""
    if not mask.any():
        return []
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return list(zip(starts.tolist(), (ends - starts).tolist(), strict=True))


def _passages(a: BidderText, b: BidderText, template: np.ndarray) -> list[Passage]:
    k = rules.SHINGLE_CHARS
    shared = np.isin(a.hashes, b.unique) & (a.hashes != 0)
    if len(template):
        shared &= ~np.isin(a.hashes, template)
    runs = sorted(_runs(shared), key=lambda r: (-r[1], r[0]))
    order = np.argsort(b.hashes, kind="stable")
    sorted_b = b.hashes[order]
    found: list[Passage] = []
    for start, length in runs:
        chars = length + k - 1
        if chars < rules.MIN_PASSAGE_CHARS or len(found) >= rules.PASSAGES_KEPT:
            break
        end = start + chars - 1
        at = int(np.searchsorted(sorted_b, a.hashes[start]))
        b_start = int(order[at]) if at < len(order) else 0
        b_end = min(b_start + chars - 1, len(b.codes) - 1)
        text = a.text[start : end + 1]
        found.append(
            Passage(
                chars=chars,
                text=text if len(text) <= PASSAGE_TEXT_CHARS else text[:PASSAGE_TEXT_CHARS] + "…",
                a_file=a.files[int(a.file_of[start])],
                a_pages=(int(a.page_of[start]), int(a.page_of[end])),
                b_file=b.files[int(b.file_of[b_start])],
                b_pages=(int(b.page_of[b_start]), int(b.page_of[b_end])),
            )
        )
    return found


def compare(
    texts: list[BidderText], progress: Callable[[int], None] | None = None
) -> list[PairResult]:
    """Every pair of bidders whose texts rules.text_alike calls abnormally alike. Candidates:
    pages paired by MinHash LSH (`rules.PAGE_LSH_THRESHOLD`) and bidders whose whole-text
    MinHash estimate reaches half of `rules.SIMILAR_JACCARD`; then, for each candidate pair,
    the exact Jaccard (template text left out) and the longest shared passages."""
    template = template_hashes(texts)
    lsh = MinHashLSH(threshold=rules.PAGE_LSH_THRESHOLD, num_perm=NUM_PERM)
    own: list[np.ndarray] = []
    signatures: list[MinHash] = []
    pages: list[tuple[int, int, MinHash]] = []
    for i, t in enumerate(texts):
        kept = t.unique[~np.isin(t.unique, template)] if len(template) else t.unique
        own.append(kept)
        signatures.append(_minhash(kept))
        valid = (t.hashes != 0) & ~np.isin(t.hashes, template) if len(template) else t.hashes != 0
        at = np.flatnonzero(valid)
        segment = t.file_of[at].astype(np.int64) * 1_000_000 + t.page_of[at]
        for values in np.split(t.hashes[at], np.flatnonzero(np.diff(segment)) + 1):
            values = np.unique(values)
            if len(values) >= MIN_PAGE_SHINGLES:
                pages.append((i, len(pages), _minhash(values)))
        if progress:
            progress(int(50 * (i + 1) / max(len(texts), 1)))
    for i, key, signature in pages:
        lsh.insert(f"{i}:{key}", signature)
    paired: dict[tuple[int, int], int] = {}
    for i, _key, signature in pages:
        for other in lsh.query(signature):
            j = int(other.split(":", 1)[0])
            if j != i:
                pair = (min(i, j), max(i, j))
                paired[pair] = paired.get(pair, 0) + 1
    candidates = set(paired)
    half = float(rules.SIMILAR_JACCARD) / 2
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            if signatures[i].jaccard(signatures[j]) >= half:
                candidates.add((i, j))
    results = []
    for n, (i, j) in enumerate(sorted(candidates)):
        shared = len(np.intersect1d(own[i], own[j], assume_unique=True))
        union = len(own[i]) + len(own[j]) - shared
        result = PairResult(
            texts[i].bidder,
            texts[j].bidder,
            rules.jaccard(shared, union),
            shared,
            union,
            paired.get((i, j), 0) // 2,
            _passages(texts[i], texts[j], template) if shared else [],
        )
        if rules.text_alike(jaccard_value=result.jaccard, longest_passage=result.longest):
            results.append(result)
        if progress:
            progress(50 + int(50 * (n + 1) / max(len(candidates), 1)))
    return results


def mixed_documents(
    texts: list[BidderText], names: dict[str, tuple[str, str]]
) -> list[rules.Signal]:
    """A bidder's name or USCC in another bidder's text (实施条例 Art.40 (五): documents mixed
    up between bidders): one signal per (owner, holder), with the file and page of the first
    occurrence of each needle. `names` maps a bidder's key to (name, USCC)."""
    signals = []
    for owner, (name, uscc) in names.items():
        needles = rules.name_needles(name, uscc)
        for t in texts:
            if t.bidder == owner:
                continue
            hits = []
            for needle in needles:
                at = t.text.find(needle)
                if at >= 0:
                    hits.append(
                        {
                            "found": needle,
                            "file": t.files[int(t.file_of[at])],
                            "page": int(t.page_of[at]),
                        }
                    )
            if hits:
                signals.append(
                    rules.Signal(
                        rules.Kind.MIXED_DOCUMENTS,
                        tuple(sorted((owner, t.bidder))),
                        {"owner": owner, "holder": t.bidder, "name": name, "hits": hits},
                    )
                )
    return signals
