"""Pure rules of the work brief: the plain-text importer, figure tokens, Chinese dates/numbers.

No Django here. The layout conventions follow GB/T 9704-2012《党政机关公文格式》as adapted for
briefs (22 lines × 28 characters; page numbers "— N —"), see docs/briefing.md.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from qinqing.core.rules import is_ascii_digits

LINE_CHARS = 28  # GB/T 9704-2012 §5.2.2: 每行 28 个字
TITLE_MAX_WIDTH = 22  # a title line is short; a body line is (close to) a full line


class RuleError(ValueError):
    """A rule of the brief is not met; the message is Chinese."""


# --- Chinese numerals and dates -----------------------------------------------------------

_DIGITS = "零一二三四五六七八九"
_DIGIT_VALUE = {c: i for i, c in enumerate(_DIGITS)} | {"〇": 0, "两": 2}


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 105 → 一百零五 (numbering 一、二、; 一是、二是).

    GB/T 9704-2012 §7.3.3: 结构层次序数 一、（一）1.（1）.
    """
    if n < 0 or n > 9999:
        raise RuleError("序号超出范围")
    if n < 10:
        return _DIGITS[n]
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d, n = divmod(n, value)
        if d:
            if zero:
                out += "零"
                zero = False
            out += ("" if (unit == "十" and d == 1 and not out) else _DIGITS[d]) + unit
        elif out:
            zero = True
    return out


def parse_chinese_numeral(text: str) -> int:
    """一 → 1, 十二 → 12, 二十 → 20, 一百零五 → 105; arabic digits pass through."""
    text = text.strip()
    if is_ascii_digits(text):
        return int(text)
    total, current = 0, 0
    units = {"十": 10, "百": 100, "千": 1000}
    if not text:
        raise RuleError("序号为空")
    for ch in text:
        if ch in _DIGIT_VALUE:
            current = _DIGIT_VALUE[ch]
        elif ch in units:
            total += (current or 1) * units[ch]
            current = 0
        else:
            raise RuleError(f"无法识别的中文数字：{text}")
    return total + current


_DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


def parse_chinese_date(text: str) -> date:
    """ "2024年 9月30日" → date(2024, 9, 30); spaces between parts are tolerated."""
    m = _DATE_RE.search(text)
    if not m:
        raise RuleError(f"无法识别的日期：{text}")
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise RuleError(f"日期不存在：{text}") from None


def format_chinese_date(d: date) -> str:
    """GB/T 9704-2012 §7.3.5.2: 成文日期用阿拉伯数字，年份写全，月、日不编虚位 → 2024年9月30日."""
    return f"{d.year}年{d.month}月{d.day}日"


def issue_label(number: int) -> str:
    """The issue line under the brief name: 第 7 期 → "第7期"."""
    return f"第{number}期"


def display_width(text: str) -> float:
    """Width in full-width characters: CJK and full-width punctuation 1, ASCII ½."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WFA" else 0.5 for c in text)


# --- the plain-text importer --------------------------------------------------------------

_PAGE_NUMBER_RE = re.compile(r"^[—\-－–]+\s*\d+\s*[—\-－–]+$")
_ISSUE_RE = re.compile(r"^第\s*([0-9一二三四五六七八九十百〇零]+)\s*期$")
_CONTRIBUTOR_RE = re.compile(r"^[（(](.+?)供稿[）)]$")
_HEADING1_RE = re.compile(r"^[一二三四五六七八九十]+、")
_HEADING2_RE = re.compile(r"^（[一二三四五六七八九十]+）")
_SENTENCE_END = tuple("。！？；：”」』）")


@dataclass(frozen=True)
class Block:
    """A body block: kind "h1" (一、 heading), "h2" (（一） heading) or "p" (paragraph)."""

    kind: str
    text: str


@dataclass(frozen=True)
class ParsedArticle:
    title_lines: tuple[str, ...]
    blocks: tuple[Block, ...]
    contributor: str  # the department, e.g. 区税务局 (from "（区税务局供稿）")

    @property
    def title(self) -> str:
        return "".join(self.title_lines)

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(b.text for b in self.blocks)


@dataclass(frozen=True)
class ParsedBrief:
    series_name: str
    number: int | None
    issuer: str
    issued_on: date | None
    articles: tuple[ParsedArticle, ...]
    warnings: tuple[str, ...] = ()


def is_page_number(line: str) -> bool:
    """ "— 1 —" page-number lines (GB/T 9704-2012 §7.5) are layout, not text."""
    return bool(_PAGE_NUMBER_RE.match(line.strip()))


def contributor_of(line: str) -> str | None:
    """ "（区税务局供稿）" → "区税务局"; None for any other line."""
    m = _CONTRIBUTOR_RE.match(line.strip())
    return m[1].strip() if m else None


def classify_block(text: str) -> str:
    """A standalone line "一、…" without a full stop is a level-1 heading, "（一）…" level 2."""
    ends_sentence = text.endswith(("。", "！", "？"))
    if _HEADING1_RE.match(text) and not ends_sentence:
        return "h1"
    if _HEADING2_RE.match(text) and not ends_sentence:
        return "h2"
    return "p"


def _clean_lines(text: str) -> list[str]:
    lines = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").split("\n"):
        line = raw.strip().replace("\u3000", "")
        if not line or is_page_number(line):
            continue
        lines.append(line)
    return lines


def _join(a: str, b: str) -> str:
    """Join hard-wrapped lines: no space between CJK; one space between two Latin words."""
    if a and b and a[-1].isascii() and a[-1].isalnum() and b[0].isascii() and b[0].isalnum():
        return f"{a} {b}"
    return a + b


_CJK = r"\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’"
_SPACE_CJK_DIGIT = re.compile(rf"(?<=[{_CJK}])[ \t]+(?=[0-9%])|(?<=[0-9%])[ \t]+(?=[{_CJK}])")


def tidy_spacing(text: str) -> str:
    """Drop the spaces a PDF-to-text conversion leaves between Chinese and digits ("企业 6 家" →
    "企业6家"): Chinese official text sets numbers without spaces (GB/T 15835-2011 §4)."""
    return _SPACE_CJK_DIGIT.sub("", text)


def _ends_paragraph(line: str, following: str | None, full: float) -> bool:
    """Does this hard-wrapped line close its paragraph?

    Body lines fill the text block (28 characters); a paragraph's first line is two characters
    shorter (its indent is lost in plain text). So a line closes its paragraph when it is short
    and ends a sentence, when it is very short, or when it ends a sentence and the next line has
    the width of an indented first line. ASCII digits count half, hence the tolerances.
    """
    if following is None:
        return True
    width = display_width(line)
    sentence = line.endswith(_SENTENCE_END)
    if width <= full - 4:
        return True
    if width <= full - 2.5:
        return sentence
    return sentence and full - 2.5 <= display_width(following) <= full - 1.5


def reflow(lines: list[str], full: float = LINE_CHARS) -> tuple[Block, ...]:
    """Re-join hard-wrapped body lines into blocks (paragraphs and headings)."""
    blocks: list[Block] = []
    current = ""
    for n, line in enumerate(lines):
        following = lines[n + 1] if n + 1 < len(lines) else None
        if not current and classify_block(line) != "p" and display_width(line) <= full - 4:
            blocks.append(Block(classify_block(line), tidy_spacing(line)))
            continue
        current = _join(current, line)
        if _ends_paragraph(line, following, full):
            blocks.append(Block("p", tidy_spacing(current)))
            current = ""
    if current:
        blocks.append(Block("p", tidy_spacing(current)))
    return tuple(blocks)


def parse_brief(text: str) -> ParsedBrief:
    """Split a plain-text brief (as pdftotext or a copy-paste gives it) into header and articles.

    Header: brief name, "第 N 期", "issuer date". Each article: one or two short title lines, the
    hard-wrapped body (re-flowed), then its contributor line "（区税务局供稿）". Page-number lines
    "— N —" are dropped wherever they fall (also mid-paragraph).
    """
    lines = _clean_lines(text)
    if not lines:
        raise RuleError("文本为空，没有可导入的简报内容")
    warnings: list[str] = []
    series_name, number, issuer, issued_on = "", None, "", None
    i = 0
    # header: everything up to the issuer/date line
    while i < len(lines) and i < 6:
        line = lines[i]
        m = _ISSUE_RE.match(line.replace(" ", ""))
        if m:
            number = parse_chinese_numeral(m[1])
        elif _DATE_RE.search(line):
            issued_on = parse_chinese_date(line)
            issuer = _DATE_RE.sub("", line).strip()
            i += 1
            break
        elif not series_name:
            series_name = line
        i += 1
    if number is None:
        warnings.append("未识别到期号（第 N 期）")
    if issued_on is None:
        warnings.append("未识别到发文机关和日期")
        i = 1 if series_name else 0
    body_lines = [ln for ln in lines[i:]]
    full = _full_width(body_lines)

    articles: list[ParsedArticle] = []
    chunk: list[str] = []
    for line in body_lines:
        who = contributor_of(line)
        if who is None:
            chunk.append(line)
            continue
        articles.append(_article(chunk, who, full))
        chunk = []
    if chunk:
        warnings.append("最后一篇文章没有供稿单位行（（××供稿））")
        articles.append(_article(chunk, "", full))
    return ParsedBrief(
        series_name=series_name,
        number=number,
        issuer=issuer,
        issued_on=issued_on,
        articles=tuple(a for a in articles if a.title_lines or a.blocks),
        warnings=tuple(warnings),
    )


def _full_width(lines: list[str]) -> float:
    """The width of a full line in this text (28 for GB/T 9704; tolerate other wraps)."""
    widths = sorted(display_width(ln) for ln in lines)
    if not widths:
        return LINE_CHARS
    return max(widths[int(len(widths) * 0.75)], TITLE_MAX_WIDTH + 3)


def _article(lines: list[str], contributor: str, full: float) -> ParsedArticle:
    title: list[str] = []
    rest = list(lines)
    while rest and len(title) < 2 and display_width(rest[0]) <= TITLE_MAX_WIDTH:
        if title and not _looks_like_title(rest[0]):
            break
        title.append(rest.pop(0))
    return ParsedArticle(tuple(title), reflow(rest, full), contributor)


def _looks_like_title(line: str) -> bool:
    return not line.endswith(("。", "，", "；")) and classify_block(line) == "p"


# --- figures in text ----------------------------------------------------------------------

TOKEN_RE = re.compile(
    r"\{\{fig:(?P<name>[a-z0-9_]+):(?P<start>\d{4}-\d{2}-\d{2}):(?P<end>\d{4}-\d{2}-\d{2})"
    r"(?::(?P<scale>万|亿))?\}\}"
)
_SCALES = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}


@dataclass(frozen=True)
class FigureRef:
    """A named figure over an inclusive period, as written in an article body."""

    name: str
    start: date
    end: date
    scale: str = ""

    @property
    def key(self) -> str:
        return f"{self.name}:{self.start.isoformat()}:{self.end.isoformat()}"

    @property
    def token(self) -> str:
        suffix = f":{self.scale}" if self.scale else ""
        return "{{fig:" + self.key + suffix + "}}"


def figure_token(name: str, start: date, end: date, scale: str = "") -> str:
    """The token an editor inserts: {{fig:firms_visited:2024-01-01:2024-09-30}}."""
    if end < start:
        raise RuleError("统计区间的结束日期不能早于开始日期")
    if scale and scale not in _SCALES:
        raise RuleError("换算单位只能是“万”或“亿”")
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise RuleError("指标名只能由小写字母、数字和下划线组成")
    return FigureRef(name, start, end, scale).token


def figure_refs(text: str) -> list[FigureRef]:
    """Every figure token in `text`, in order (duplicates kept once)."""
    seen: dict[str, FigureRef] = {}
    for m in TOKEN_RE.finditer(text):
        try:
            ref = FigureRef(
                m["name"],
                date.fromisoformat(m["start"]),
                date.fromisoformat(m["end"]),
                m["scale"] or "",
            )
        except ValueError:
            raise RuleError(f"指标标记中的日期不存在：{m[0]}") from None
        if ref.end < ref.start:
            raise RuleError(f"指标标记的统计区间颠倒：{m[0]}")
        seen.setdefault(ref.token, ref)
    return list(seen.values())


# Anything an editor meant as a marker: "{{" then "fig" (any case, spaces allowed), up to the
# closing braces or the end of the line when they are missing.
_MARKER_LIKE_RE = re.compile(r"\{\{\s*fig\b[^}\n]*(?:\}\}|$)", re.IGNORECASE | re.MULTILINE)


def check_markers(text: str) -> None:
    """Every figure marker in `text` is well formed, or RuleError names the first that is not
    and its paragraph. A malformed marker would otherwise be printed as it was typed."""
    for number, line in enumerate(text.split("\n"), start=1):
        for m in _MARKER_LIKE_RE.finditer(line):
            if not TOKEN_RE.fullmatch(m[0]):
                raise RuleError(
                    f"第 {number} 段的指标标记格式不正确：{m[0]}"
                    "（应为 {{fig:指标名:起始日期:结束日期}}，日期形如 2024-01-01，"
                    "可加 :万 或 :亿）"
                )


def format_value(value, scale: str = "") -> str:
    """Figures in running text: integers as is, decimals without trailing zeros; 万/亿 scaled
    down (rounded down, as "230 余万元" is written)."""
    if value is None:
        return "—"
    v = Decimal(value)
    if scale:
        v = (v / _SCALES[scale]).quantize(Decimal(1), rounding=ROUND_DOWN)
    if v == v.to_integral_value():
        return str(int(v))
    return format(v.normalize(), "f")


MISSING = "指标未登记"


def render_tokens(text: str, values: dict[str, object], missing: set[str] | None = None) -> str:
    """Replace each token by its value from `values` (keyed by FigureRef.key). A name in
    `missing` (not registered) becomes 〔指标未登记：name〕 so the editor sees it."""
    missing = missing or set()

    def sub(m: re.Match) -> str:
        if m["name"] in missing:
            return f"〔{MISSING}：{m['name']}〕"
        key = f"{m['name']}:{m['start']}:{m['end']}"
        return format_value(values.get(key), m["scale"] or "")

    return TOKEN_RE.sub(sub, text)
