"""The official layout: PDF text and fonts (CJK only), DOCX fonts, grid and footers."""

import io
import re
import shutil
import subprocess
import zipfile

import pytest
from django.core.management import call_command

from qinqing.briefing import export

pytestmark = pytest.mark.django_db
needs_poppler = pytest.mark.skipif(not shutil.which("pdffonts"), reason="poppler-utils missing")


def _poppler(tool: str, path) -> str:
    """Run a poppler tool (absolute path) on a PDF this test wrote."""
    exe = shutil.which(tool)
    args = [exe, str(path), *(["-"] if tool == "pdftotext" else [])]
    result = subprocess.run(args, capture_output=True, text=True, check=True)  # noqa: S603
    return result.stdout


def _pdf(tmp_path, issue7):
    path = tmp_path / "i7.pdf"
    call_command(
        "brief_export", "yshj", "7", "--format", "pdf", "-o", str(path), stdout=io.StringIO()
    )
    return path


@needs_poppler
def test_pdf_text(tmp_path, issue7):
    path = _pdf(tmp_path, issue7)
    text = _poppler("pdftotext", path)
    flat = re.sub(r"\s+", "", text)
    for expected in (
        "洪山区优化营商环境工作简报",
        "第7期",
        "洪山区发展和改革局",
        "2024年9月30日",
        "点燃两新组织“红色引擎”",
        "招投标领域创新举措落地洪山",
        "（区法院供稿）",
        "挽救五家危困企业",
    ):
        assert expected in flat
    pages = text.split("\f")
    assert len([p for p in pages if p.strip()]) >= 3
    # page numbers "— N —" on every page
    for n, page in enumerate([p for p in pages if p.strip()], start=1):
        assert re.search(rf"—\s*{n}\s*—", page), n


@needs_poppler
def test_pdf_fonts_are_cjk_only(tmp_path, issue7):
    path = _pdf(tmp_path, issue7)
    out = _poppler("pdffonts", path)
    names = [line.split()[0] for line in out.splitlines()[2:] if line.strip()]
    assert names, out
    for name in names:
        assert "CJK" in name, f"non-CJK font in the PDF: {name}"
        assert not re.search("DejaVu|Liberation|Helvetica|Times|Arial", name)


def test_pdf_layout_is_gb9704():
    html = export.render_html(export.Document("简报", 1, "发文机关", "2024年9月30日"))
    assert "size: 210mm 297mm" in html
    assert "margin: 37mm 26mm 35mm 28mm" in html  # 210−28−26 = 156, 297−37−35 = 225
    assert "@page :right" in html and "@bottom-right" in html
    assert "@page :left" in html and "@bottom-left" in html
    assert "line-height: 28.95pt" in html  # 225 mm / 22 lines
    assert "DejaVu" not in html and "sans-serif" not in html


def test_docx_fonts_grid_and_footers(tmp_path, issue7):
    path = tmp_path / "i7.docx"
    call_command(
        "brief_export", "yshj", "7", "--format", "docx", "-o", str(path), stdout=io.StringIO()
    )
    with zipfile.ZipFile(path) as z:
        document = z.read("word/document.xml").decode()
        styles = z.read("word/styles.xml").decode()
        settings = z.read("word/settings.xml").decode()
        footers = [z.read(n).decode() for n in z.namelist() if n.startswith("word/footer")]
    assert "点燃两新组织“红色引擎”" in document
    assert 'w:eastAsia="Noto Serif CJK SC"' in document
    assert 'w:eastAsia="Noto Serif CJK SC"' in styles
    assert 'w:eastAsia="zh-CN"' in styles
    assert re.search(r'<w:docGrid[^>]*w:linePitch="579"', document)
    assert 'w:type="linesAndChars"' in document
    assert re.search(r'w:pgMar[^>]*w:top="2098"', document)  # 37 mm
    assert "w:evenAndOddHeaders" in settings
    assert len(footers) == 2
    for footer in footers:
        assert "PAGE" in footer and "— " in footer and " —" in footer
    assert any('w:val="right"' in f for f in footers) and any('w:val="left"' in f for f in footers)


def test_export_command_rejects_unknown(issue7, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("brief_export", "nope", "7", "-o", str(tmp_path / "x.pdf"))
    with pytest.raises(CommandError):
        call_command("brief_export", "yshj", "99", "-o", str(tmp_path / "x.pdf"))
