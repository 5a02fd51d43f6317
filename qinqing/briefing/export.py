"""The brief as a document: built from an issue (live or frozen figures), rendered to the
official PDF (WeasyPrint) and DOCX (python-docx) layout of GB/T 9704-2012 as adapted for briefs.

Layout: A4, margins top 37 / bottom 35 / left 28 / right 26 mm → text block 156 × 225 mm;
22 lines × 28 characters; body 16 pt serif (仿宋 → Noto Serif CJK SC), titles 22 pt bold
(小标宋 → Noto Serif CJK SC Bold), 一、headings sans (黑体 → Noto Sans CJK SC); page numbers
14 pt "— N —" below the text block, odd pages right, even pages left, one character in.
Only Noto CJK fonts are named, so no Latin fallback font is ever used for Chinese text.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field

from django.template.loader import render_to_string

from qinqing.briefing import rules
from qinqing.briefing.models import Issue

SERIF = "Noto Serif CJK SC"
SANS = "Noto Sans CJK SC"
RED = "D40000"


@dataclass(frozen=True)
class DocArticle:
    title_lines: tuple[str, ...]
    blocks: tuple[rules.Block, ...]
    contributor: str


@dataclass
class Document:
    series_name: str
    number: int
    issuer: str
    date_text: str
    articles: list[DocArticle] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)

    def plain_text(self) -> str:
        out = [self.series_name, rules.issue_label(self.number), f"{self.issuer} {self.date_text}"]
        for a in self.articles:
            out += list(a.title_lines) + [b.text for b in a.blocks] + [f"（{a.contributor}供稿）"]
        return "\n".join(out)


def figure_values(issue: Issue) -> tuple[dict[str, object], set[str]]:
    """Values of the figures the issue cites: frozen snapshots once published, live before."""
    from qinqing.core.errors import DomainError
    from qinqing.core.figures import evaluate, get_figure

    if issue.is_published:
        snaps = list(issue.snapshots.all())
        return {s.key: s.value for s in snaps}, {s.name for s in snaps if not s.registered}
    values: dict[str, object] = {}
    missing: set[str] = set()
    for article in issue.articles.all():
        for ref in rules.figure_refs(article.body):
            if ref.name in missing or ref.key in values:
                continue
            try:
                figure = get_figure(ref.name)
            except DomainError:
                missing.add(ref.name)
            else:
                values[ref.key] = evaluate(figure, ref.start, ref.end)
    return values, missing


def build_document(issue: Issue) -> Document:
    values, missing = figure_values(issue)
    series = issue.series
    doc = Document(
        series_name=series.name,
        number=issue.number,
        issuer=series.issuer.name,
        date_text=rules.format_chinese_date(issue.issued_on),
        missing=missing,
    )
    for article in issue.articles.all():
        blocks = tuple(
            rules.Block(rules.classify_block(line), rules.render_tokens(line, values, missing))
            for line in article.body.splitlines()
            if line.strip()
        )
        doc.articles.append(DocArticle(tuple(article.title_lines), blocks, article.contributor))
    return doc


# --- PDF -----------------------------------------------------------------------------------


def render_html(document: Document) -> str:
    return render_to_string("briefing/print.html", {"doc": document, "red": f"#{RED}"})


def render_pdf(document: Document) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_html(document)).write_pdf()


# --- DOCX ----------------------------------------------------------------------------------


def _set_fonts(run_or_style_element, latin: str, east_asia: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    if hasattr(run_or_style_element, "get_or_add_rPr"):
        rpr = run_or_style_element.get_or_add_rPr()
    else:  # w:rPrDefault
        rpr = run_or_style_element.find(qn("w:rPr"))
        if rpr is None:
            rpr = OxmlElement("w:rPr")
            run_or_style_element.append(rpr)
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr, value in (("ascii", latin), ("hAnsi", latin), ("eastAsia", east_asia)):
        fonts.set(qn(f"w:{attr}"), value)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _page_field(paragraph) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def fld(kind: str):
        run = paragraph.add_run()
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        run._r.append(el)
        return run

    paragraph.add_run("— ")
    fld("begin")
    instr = paragraph.add_run()
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = " PAGE "
    instr._r.append(text)
    fld("separate")
    paragraph.add_run("1")
    fld("end")
    paragraph.add_run(" —")
    for run in paragraph.runs:
        _set_fonts(run._r, SERIF, SERIF)


def render_docx(document: Document) -> bytes:
    from docx import Document as Docx
    from docx.enum.section import WD_SECTION_START
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    d = Docx()
    section = d.sections[0]
    section.start_type = WD_SECTION_START.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(28)
    sect_pr = section._sectPr
    for old in sect_pr.findall(qn("w:docGrid")):
        sect_pr.remove(old)
    grid = OxmlElement("w:docGrid")
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), "579")  # 28.95 pt → 22 lines in 225 mm
    grid.set(qn("w:charSpace"), "-860")  # (156 mm / 28 − 16 pt) × 4096 → 28 characters a line
    sect_pr.append(grid)

    styles = d.styles
    for style in styles:
        if style.type == 1 and hasattr(style.element, "get_or_add_rPr"):  # paragraph styles
            _set_fonts(style.element, SERIF, SERIF)
    normal = styles["Normal"]
    normal.font.size = Pt(16)
    _set_fonts(normal.element, SERIF, SERIF)
    pf = normal.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(28.95)
    pf.space_before = pf.space_after = Pt(0)
    # document defaults too, so that every run (and Word's own styles) has East-Asian fonts
    rpr_default = styles.element.find(qn("w:docDefaults"))
    if rpr_default is not None:
        rpr = rpr_default.find(qn("w:rPrDefault"))
        if rpr is not None:
            _set_fonts(rpr, SERIF, SERIF)

    def para(text: str, *, size=16, bold=False, font=SERIF, align=None, indent=True, color=None):
        p = d.add_paragraph()
        if align is not None:
            p.alignment = align
        else:
            p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        if indent:
            p.paragraph_format.first_line_indent = Pt(size * 2)
        run = p.add_run(text)
        run.font.size = Pt(size)
        run.font.bold = bold
        if color:
            run.font.color.rgb = RGBColor.from_string(color)
        _set_fonts(run._r, font, font)
        return p

    center = WD_ALIGN_PARAGRAPH.CENTER
    head = para(document.series_name, size=30, bold=True, align=center, indent=False, color=RED)
    head.paragraph_format.line_spacing = Pt(57.9)
    para(rules.issue_label(document.number), align=center, indent=False)
    line = para(f"{document.issuer}\t{document.date_text}", indent=False)
    line.alignment = WD_ALIGN_PARAGRAPH.LEFT
    line.paragraph_format.tab_stops.add_tab_stop(Mm(156), alignment=2)  # right
    p_pr = line._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("val", "single"), ("sz", "18"), ("space", "4"), ("color", RED)):
        bottom.set(qn(f"w:{k}"), v)
    border.append(bottom)
    p_pr.append(border)

    for article in document.articles:
        para("", indent=False)
        for title_line in article.title_lines:
            t = para(title_line, size=22, bold=True, align=center, indent=False)
            t.paragraph_format.line_spacing = Pt(28.95 * 1.3)
        para("", indent=False)
        for block in article.blocks:
            if block.kind == "h1":
                para(block.text, font=SANS)
            else:
                para(block.text)
        if article.contributor:
            para(f"（{article.contributor}供稿）", align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)

    d.settings.odd_and_even_pages_header_footer = True
    odd = section.footer.paragraphs[0]
    odd.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    odd.paragraph_format.right_indent = Pt(14)
    _page_field(odd)
    even = section.even_page_footer.paragraphs[0]
    even.alignment = WD_ALIGN_PARAGRAPH.LEFT
    even.paragraph_format.left_indent = Pt(14)
    _page_field(even)
    for p in (odd, even):
        for run in p.runs:
            run.font.size = Pt(14)

    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def render(issue: Issue, fmt: str) -> bytes:
    """The published PDF is the frozen one; anything else is rendered now."""
    if fmt == "pdf" and issue.is_published and issue.pdf:
        return bytes(issue.pdf)
    document = build_document(issue)
    if fmt == "pdf":
        return render_pdf(document)
    if fmt == "docx":
        return render_docx(document)
    raise ValueError(fmt)


def issue_docx(issue: int) -> bytes:
    """A renderer of `qinqing.core.documents`: the issue's DOCX as it stands."""
    return render_docx(build_document(Issue.objects.get(pk=issue)))


def request_document(*, actor, issue: Issue, fmt: str):
    """The issue's PDF or DOCX of its current content, rendered on the task queue (the one
    already ready or queued when the content is unchanged)."""
    from qinqing.core.documents import document_request

    html = render_html(build_document(issue))
    common = {"actor": actor, "filename": filename(issue, fmt)}
    if fmt == "pdf":
        return document_request(
            renderer="qinqing.core.documents.pdf_from_html",
            params={"html": html},
            content_type="application/pdf",
            **common,
        )
    return document_request(
        renderer="qinqing.briefing.export.issue_docx",
        params={"issue": issue.pk},
        # The printed HTML holds every word the DOCX does: it tells one content from another.
        fingerprint=hashlib.sha256(html.encode()).hexdigest(),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        **common,
    )


def filename(issue: Issue, fmt: str) -> str:
    return f"{issue.series.code}-{issue.number:03d}.{fmt}"
