"""The text side of the screening, no Django: each opened PDF read with pypdf (its metadata and
the text of each page, or why it could not be read), the text cut into Chinese-character
shingles, candidate pairs found with MinHash/LSH (datasketch), then the exact Jaccard of each
candidate pair of bidders and the longest passages they share, with file and page. The
decisions (what is abnormal) are in rules.py.

Shingles are hashed with numpy, never held as Python strings: a bid of 300 pages is some
300,000 shingles, and twenty of them fit in a few tens of megabytes."""

from __future__ import annotations

import contextvars
import io
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
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


# pypdf parses a font's ToUnicode map again on every page that uses it (pypdf 6-7:
# `_page.Font.from_font_resource`, called per page). A Chinese bid's fonts map thousands of
# characters, which made that parse ~0.2 s a page. While one document is read, `read_pdf`
# keeps each font parsed once, by the identity of its dictionary (pypdf's reader resolves an
# indirect object once, so every page sees the same dictionary). Outside `read_pdf`, and if a
# later pypdf changes these names, pypdf behaves as shipped.
_fonts: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "screening_fonts", default=None
)


def _install_font_cache() -> None:
    try:
        from pypdf import _page
    except ImportError:  # pragma: no cover
        return
    shipped = getattr(_page, "Font", None)
    if shipped is None or not hasattr(shipped, "from_font_resource"):
        return
    if getattr(shipped, "_qinqing_cached", False):
        return

    class CachedFont(shipped):
        _qinqing_cached = True

        @classmethod
        def from_font_resource(cls, pdf_font_dict):
            cache = _fonts.get()
            if cache is None:
                return shipped.from_font_resource(pdf_font_dict)
            hit = cache.get(id(pdf_font_dict))
            if hit is not None and hit[0] is pdf_font_dict:
                return hit[1]
            font = shipped.from_font_resource(pdf_font_dict)
            cache[id(pdf_font_dict)] = (pdf_font_dict, font)
            return font

    _page.Font = CachedFont


_install_font_cache()


def _meta(value) -> str:
    return str(value).strip()[:300] if value else ""


def read_pdf(data: bytes) -> ReadFile:
    """Read a PDF's metadata and its pages' text with pypdf. A file that is not a PDF, is
    encrypted (beyond an empty user password) or is broken comes back unreadable with the
    reason in Chinese; it never raises."""

    if not data.lstrip()[:5].startswith(b"%PDF-"):
        return ReadFile(False, "不是 PDF 文件（文件头不是 %PDF-）")
    token = _fonts.set({})
    try:
        return _read_pdf(data)
    finally:
        _fonts.reset(token)


def _read_pdf(data: bytes) -> ReadFile:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception:  # an unsupported cipher
                opened = 0
            if not opened:
                return ReadFile(False, "文件已加密（设有打开口令），无法读取文本")
        meta = reader.metadata or {}
        created = None
        try:
            created = reader.metadata.creation_date if reader.metadata else None
        except Exception:  # a malformed date is no date
            created = None
        if created is not None and created.tzinfo is None:
            created = created.replace(tzinfo=SHANGHAI)
        count = len(reader.pages)
    except (PdfReadError, Exception) as exc:  # pypdf raises many kinds on broken files
        return ReadFile(False, f"文件已损坏，无法解析（{type(exc).__name__}）")
    if count == 0:
        return ReadFile(False, "文件没有页面")
    pages: list[str] = []
    failed = 0
    for n in range(min(count, MAX_PAGES)):
        try:
            pages.append(reader.pages[n].extract_text() or "")
        except Exception:  # one broken page does not lose the others
            failed += 1
            pages.append("")
    if failed == count:
        return ReadFile(False, "文件已损坏，所有页面的文本都无法读取")
    return ReadFile(
        True,
        f"{failed} 页的文本无法读取" if failed else "",
        author=_meta(meta.get("/Author")),
        creator=_meta(meta.get("/Creator")),
        producer=_meta(meta.get("/Producer")),
        created=created,
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
