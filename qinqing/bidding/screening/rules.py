"""The law of collusion screening (清标) of the unsealed bids. Pure functions, no Django.

招标投标法实施条例 Art.40 deems bidders to collude when:
  (一) different bidders' documents were made by the same unit or person;
  (二) different bidders entrusted the same unit or person with their bidding;
  (三) different bidders' documents name the same person among the project's managers;
  (四) different bidders' documents are abnormally alike, or their prices differ regularly;
  (五) different bidders' documents are mixed up with each other (相互混装);
  (六) different bidders' bid bonds come from the same account.
招标投标法实施条例 Art.39 names colluding by agreement (e.g. agreeing the prices among bidders).
The screening only SIGNALS these for the committee (暂行规定 Art.20: the committee decides
whether a bid is void); nothing here rejects a bid.

The thresholds are named constants, documented in docs/bidding.md (清标). Money is Decimal.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import combinations

# --- thresholds (docs/bidding.md, 清标) ------------------------------------------------------

#: Files of two bidders made by the same tool (Creator and Producer) within this time.
SAME_TOOL_WINDOW = timedelta(minutes=10)
#: Length of the Chinese-character shingles compared (characters).
SHINGLE_CHARS = 8
#: A shingle found in at least this share of the bids (and in at least
#: `TEMPLATE_MIN_BIDDERS` of them) is the tender documents' own text (格式文本), not evidence.
TEMPLATE_SHARE = Fraction(1, 2)
TEMPLATE_MIN_BIDDERS = 3
#: Two bidders' texts are abnormally alike from this exact Jaccard of their shingle sets
#: (the template text left out).
SIMILAR_JACCARD = Decimal("0.05")
#: ... or when they share one passage at least this long (characters), whatever the Jaccard.
LONG_PASSAGE_CHARS = 200
#: Pages whose MinHash signatures LSH pairs from this estimated Jaccard are candidates.
PAGE_LSH_THRESHOLD = 0.3
#: How many of the longest shared passages are kept as evidence per pair of bidders.
PASSAGES_KEPT = 5
#: Shared passages shorter than this (characters) are not shown as evidence.
MIN_PASSAGE_CHARS = 30
#: Prices in a regular pattern: differences equal within this many yuan ...
PRICE_DIFF_TOLERANCE = Decimal("1.00")
#: ... or ratios equal within this (absolute) difference of the ratios.
PRICE_RATIO_TOLERANCE = Decimal("0.000001")
#: A pattern needs at least this many bids.
PRICE_PATTERN_MIN_BIDS = 3
#: A bidder's name is looked for in another's text only from this many characters (a short
#: name would match ordinary words).
MIN_NAME_CHARS = 4


class Kind:
    SAME_AUTHOR = "same_author"
    SAME_TOOL_TIME = "same_tool_time"
    SAME_IP = "same_ip"
    SAME_DEVICE = "same_device"
    IDENTICAL_FILE = "identical_file"
    SIMILAR_TEXT = "similar_text"
    SAME_MANAGER = "same_manager"
    PRICE_PATTERN = "price_pattern"
    MIXED_DOCUMENTS = "mixed_documents"


ARTICLES = {
    Kind.SAME_AUTHOR: "实施条例第四十条第（一）项",
    Kind.SAME_TOOL_TIME: "实施条例第四十条第（一）项",
    Kind.SAME_IP: "实施条例第四十条第（二）项",
    Kind.SAME_DEVICE: "实施条例第四十条第（二）项",
    Kind.IDENTICAL_FILE: "实施条例第四十条第（四）项",
    Kind.SIMILAR_TEXT: "实施条例第四十条第（四）项",
    Kind.SAME_MANAGER: "实施条例第四十条第（三）项",
    Kind.PRICE_PATTERN: "实施条例第四十条第（四）项、第三十九条",
    Kind.MIXED_DOCUMENTS: "实施条例第四十条第（五）项",
}


# --- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileFacts:
    """One opened file as the screening read it: its metadata, or why it could not be read."""

    bidder: str  # the bidder's USCC
    name: str
    sha256: str
    readable: bool
    reason: str = ""
    author: str = ""
    creator: str = ""
    producer: str = ""
    created: datetime | None = None
    pages: int = 0


@dataclass(frozen=True)
class BidFacts:
    """One decrypted bid: its bidder, its unsealed schedule and where it was uploaded from."""

    bidder: str  # USCC
    name: str
    price: Decimal | None
    project_manager: str = ""
    client_ip: str = ""
    user_agent: str = ""
    files: tuple[FileFacts, ...] = ()


@dataclass(frozen=True)
class Signal:
    kind: str
    bidders: tuple[str, ...]  # USCCs, sorted
    evidence: dict = field(default_factory=dict)

    @property
    def article(self) -> str:
        return ARTICLES[self.kind]


# --- helpers ----------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def normalise_name(value: str) -> str:
    """A person's or a tool's name compared: NFKC, spaces removed, case folded."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", value or "")).casefold()


def _groups(bids: list[BidFacts], key) -> dict[str, list[BidFacts]]:
    found: dict[str, list[BidFacts]] = {}
    for bid in bids:
        value = key(bid)
        if value:
            found.setdefault(value, [])
            if bid not in found[value]:
                found[value].append(bid)
    return {k: v for k, v in found.items() if len({b.bidder for b in v}) >= 2}


def _sorted_bidders(bids) -> tuple[str, ...]:
    return tuple(sorted({b.bidder for b in bids}))


# --- (一) made by the same person or unit -----------------------------------------------------


def same_author(bids: list[BidFacts]) -> list[Signal]:
    """Files of different bidders whose PDF Author is the same person or unit (实施条例 Art.40
    (一): documents made by the same unit or person). Empty authors are not compared."""
    by_author: dict[str, list[tuple[BidFacts, FileFacts]]] = {}
    for bid in bids:
        for f in bid.files:
            if f.readable and normalise_name(f.author):
                by_author.setdefault(normalise_name(f.author), []).append((bid, f))
    signals = []
    for pairs in by_author.values():
        bidders = {b.bidder for b, _f in pairs}
        if len(bidders) < 2:
            continue
        signals.append(
            Signal(
                Kind.SAME_AUTHOR,
                tuple(sorted(bidders)),
                {
                    "author": pairs[0][1].author,
                    "files": [{"bidder": b.bidder, "file": f.name} for b, f in pairs],
                },
            )
        )
    return signals


def same_tool_close_in_time(
    bids: list[BidFacts], window: timedelta = SAME_TOOL_WINDOW
) -> list[Signal]:
    """Files of two bidders made by the same tool (PDF Creator and Producer, both not empty)
    with creation times at most `window` apart (实施条例 Art.40 (一)): one signal per pair of
    bidders, with the closest pair of files."""
    closest: dict[tuple[str, str], tuple[timedelta, FileFacts, FileFacts]] = {}
    files = [
        (bid, f)
        for bid in bids
        for f in bid.files
        if f.readable and f.created is not None and (f.creator.strip() or f.producer.strip())
    ]
    for (b1, f1), (b2, f2) in combinations(files, 2):
        if b1.bidder == b2.bidder:
            continue
        if normalise_name(f1.creator) != normalise_name(f2.creator):
            continue
        if normalise_name(f1.producer) != normalise_name(f2.producer):
            continue
        gap = abs(f1.created - f2.created)
        if gap > window:
            continue
        key = tuple(sorted((b1.bidder, b2.bidder)))
        if key not in closest or gap < closest[key][0]:
            closest[key] = (gap, f1, f2)
    return [
        Signal(
            Kind.SAME_TOOL_TIME,
            key,
            {
                "creator": f1.creator,
                "producer": f1.producer,
                "seconds_apart": int(gap.total_seconds()),
                "files": [
                    {"bidder": f1.bidder, "file": f1.name, "created": f1.created.isoformat()},
                    {"bidder": f2.bidder, "file": f2.name, "created": f2.created.isoformat()},
                ],
            },
        )
        for key, (gap, f1, f2) in sorted(closest.items())
    ]


# --- (二) the same agent: uploaded from the same address or device ----------------------------


def browser_of(user_agent: str) -> str:
    """The browser identification a device comparison may use: a browser's user agent (every
    browser's starts with ``Mozilla/``); "" for a tool's (``qinqing bid_seal``, an HTTP
    library), which thousands of unrelated bidders share and so identifies no device."""
    agent = (user_agent or "").strip()
    return agent if agent.startswith("Mozilla/") else ""


def same_upload_origin(bids: list[BidFacts]) -> list[Signal]:
    """Bids of different bidders uploaded from the same network address, or from the same
    device (the same browser identification) (实施条例 Art.40 (二): the same unit or person
    handled their bidding). Unknown addresses and devices are not compared, nor tools' user
    agents (`browser_of`)."""
    signals = []
    for ip, group in sorted(_groups(bids, lambda b: b.client_ip.strip()).items()):
        signals.append(Signal(Kind.SAME_IP, _sorted_bidders(group), {"client_ip": ip}))
    for _ua, group in sorted(_groups(bids, lambda b: browser_of(b.user_agent)).items()):
        signals.append(
            Signal(Kind.SAME_DEVICE, _sorted_bidders(group), {"user_agent": group[0].user_agent})
        )
    return signals


# --- (三) the same project manager ------------------------------------------------------------


def same_manager(bids: list[BidFacts]) -> list[Signal]:
    """Bids of different bidders naming the same project manager in their opening schedule
    (实施条例 Art.40 (三)). Compared after removing spaces and width differences."""
    groups = _groups(bids, lambda b: normalise_name(b.project_manager))
    return [
        Signal(
            Kind.SAME_MANAGER, _sorted_bidders(group), {"project_manager": group[0].project_manager}
        )
        for _name, group in sorted(groups.items())
    ]


# --- (四) identical files ----------------------------------------------------------------------


def identical_files(bids: list[BidFacts]) -> list[Signal]:
    """Files of different bidders with the same SHA-256: byte for byte the same document
    (实施条例 Art.40 (四): abnormally alike). Checked whether or not the file could be read."""
    by_hash: dict[str, list[tuple[BidFacts, FileFacts]]] = {}
    for bid in bids:
        for f in bid.files:
            by_hash.setdefault(f.sha256, []).append((bid, f))
    signals = []
    for digest, pairs in sorted(by_hash.items()):
        bidders = {b.bidder for b, _f in pairs}
        if len(bidders) >= 2:
            signals.append(
                Signal(
                    Kind.IDENTICAL_FILE,
                    tuple(sorted(bidders)),
                    {
                        "sha256": digest,
                        "files": [{"bidder": b.bidder, "file": f.name} for b, f in pairs],
                    },
                )
            )
    return signals


# --- (四) abnormally similar text --------------------------------------------------------------


def is_template_shingle(bidders_with_it: int, bids: int) -> bool:
    """A shingle in at least half of the bids and in at least three is the tender documents'
    own text (the formats every bidder fills in), not evidence of copying (实施条例 Art.40
    (四) asks for ABNORMAL likeness)."""
    return bidders_with_it >= TEMPLATE_MIN_BIDDERS and Fraction(bidders_with_it, bids) >= (
        TEMPLATE_SHARE
    )


def jaccard(shared: int, union: int) -> Decimal:
    """|A ∩ B| / |A ∪ B| as a Decimal to four places (0 for two empty sets)."""
    if union <= 0:
        return Decimal("0.0000")
    return (Decimal(shared) / Decimal(union)).quantize(Decimal("0.0001"))


def text_alike(*, jaccard_value: Decimal, longest_passage: int) -> bool:
    """Two bidders' texts are abnormally alike (实施条例 Art.40 (四)) when the exact Jaccard of
    their shingle sets (template text left out) reaches `SIMILAR_JACCARD` and they share at
    least one passage of `MIN_PASSAGE_CHARS` (short stock phrases scattered over two short bids
    are no copy: the evidence must show a passage), or when they share a passage of at least
    `LONG_PASSAGE_CHARS` characters."""
    if longest_passage >= LONG_PASSAGE_CHARS:
        return True
    return jaccard_value >= SIMILAR_JACCARD and longest_passage >= MIN_PASSAGE_CHARS


# --- (四) prices in a regular pattern --------------------------------------------------------


@dataclass(frozen=True)
class PricePattern:
    kind: str  # "difference" | "ratio" | "equal"
    step: Decimal
    bidders: tuple[str, ...]  # in price order
    prices: tuple[Decimal, ...]


def _chains(prices: list[tuple[Decimal, str]], *, ratio: bool) -> list[PricePattern]:
    tolerance = PRICE_RATIO_TOLERANCE if ratio else PRICE_DIFF_TOLERANCE
    found: list[PricePattern] = []
    n = len(prices)
    for i in range(n):
        for j in range(i + 1, n):
            p0, p1 = prices[i][0], prices[j][0]
            if p1 <= p0 or (ratio and p0 <= 0):
                continue
            step = p1 / p0 if ratio else p1 - p0
            chain = [i, j]
            for k in range(j + 1, n):
                last, prev = prices[chain[-1]][0], prices[chain[-2]][0]
                gap = (prices[k][0] / last) if ratio else (prices[k][0] - last)
                # each step compared with the first and with the previous one
                prev_step = last / prev if ratio else last - prev
                if abs(gap - step) <= tolerance and abs(gap - prev_step) <= tolerance:
                    chain.append(k)
            if len(chain) >= PRICE_PATTERN_MIN_BIDS:
                found.append(
                    PricePattern(
                        "ratio" if ratio else "difference",
                        step.quantize(Decimal("0.000001") if ratio else Decimal("0.01")),
                        tuple(prices[c][1] for c in chain),
                        tuple(prices[c][0] for c in chain),
                    )
                )
    # keep the maximal chains only
    keep = []
    for p in found:
        maximal = not any(set(p.bidders) < set(q.bidders) for q in found)
        if maximal and all(set(p.bidders) != set(q.bidders) for q in keep):
            keep.append(p)
    return keep


def price_patterns(prices: dict[str, Decimal]) -> list[PricePattern]:
    """Prices of at least three bids in a regular pattern (实施条例 Art.40 (四): prices that
    differ regularly; Art.39: prices agreed among bidders): sorted, each next price at the same
    difference from the last (within `PRICE_DIFF_TOLERANCE` yuan) or at the same ratio (within
    `PRICE_RATIO_TOLERANCE`), the bids of a pattern not necessarily adjacent; and two or more
    bids with exactly the same price. Only maximal patterns are returned."""
    ordered = sorted((p, b) for b, p in prices.items() if p is not None)
    patterns: list[PricePattern] = []
    same: dict[Decimal, list[str]] = {}
    for p, b in ordered:
        same.setdefault(p, []).append(b)
    for p, group in sorted(same.items()):
        if len(group) >= 2:
            patterns.append(PricePattern("equal", Decimal("0.00"), tuple(group), (p,) * len(group)))
    distinct = [(p, group[0]) for p, group in sorted(same.items())]
    differences = _chains(distinct, ratio=False)
    patterns += differences
    for r in _chains(distinct, ratio=True):
        # a ratio chain inside a difference chain is the same regularity (close prices)
        if not any(set(r.bidders) <= set(d.bidders) for d in differences):
            patterns.append(r)
    return patterns


def price_signals(prices: dict[str, Decimal]) -> list[Signal]:
    return [
        Signal(
            Kind.PRICE_PATTERN,
            tuple(sorted(p.bidders)),
            {
                "pattern": p.kind,
                "step": format(p.step, "f"),
                "prices": [
                    {"bidder": b, "price": format(v, "f")}
                    for b, v in zip(p.bidders, p.prices, strict=True)
                ],
            },
        )
        for p in price_patterns(prices)
    ]


# --- (五) one bidder's documents inside another's ---------------------------------------------


def name_needles(name: str, uscc: str) -> list[str]:
    """What marks a bidder's own document: its USCC, and its name (normalised like the text,
    from `MIN_NAME_CHARS` characters)."""
    needles = [normalise_text(uscc)] if uscc and len(uscc) == 18 else []
    short = normalise_text(name)
    if len(short) >= MIN_NAME_CHARS:
        needles.append(short)
    return needles


_KEPT = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff0-9a-z]")


def normalise_text(text: str) -> str:
    """The text compared: NFKC, lower case, only Chinese characters, Latin letters and digits
    (spaces, punctuation and layout do not hide a copy)."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(_KEPT.findall(folded))


def screen_metadata(bids: list[BidFacts]) -> list[Signal]:
    """Every signal that needs no text: (一), (二), (三), identical files (四) and prices (四)."""
    return [
        *same_author(bids),
        *same_tool_close_in_time(bids),
        *same_upload_origin(bids),
        *same_manager(bids),
        *identical_files(bids),
        *price_signals({b.bidder: b.price for b in bids if b.price is not None}),
    ]
