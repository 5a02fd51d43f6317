"""The plain-text importer on the seed (issue 7), and the small Chinese helpers."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from qinqing.briefing import rules

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "hongshan-brief-2024-07.txt"


@pytest.fixture(scope="module")
def brief():
    return rules.parse_brief(SEED.read_text(encoding="utf-8"))


def test_header(brief):
    assert brief.series_name == "洪山区优化营商环境工作简报"
    assert brief.number == 7
    assert brief.issuer == "洪山区发展和改革局"
    assert brief.issued_on == date(2024, 9, 30)
    assert brief.warnings == ()


def test_three_articles_with_titles_and_contributors(brief):
    assert [a.title_lines for a in brief.articles] == [
        ("点燃两新组织“红色引擎”", "激活辖区经济“发展动能”"),
        ("招投标领域创新举措落地洪山",),
        ("洪山法院“四个强化”创新破产和解机制", "助力危困企业脱困重生"),
    ]
    assert [a.contributor for a in brief.articles] == [
        "区税务局",
        "区自然资源和城乡建设局",
        "区法院",
    ]


def test_paragraphs_are_reflowed(brief):
    tax, bidding, court = brief.articles
    assert [len(a.paragraphs) for a in brief.articles] == [4, 4, 5]
    # the paragraph runs over the page break "— 2 —" and is joined without it
    assert (
        "参与警示教育学习，邀请8名“近邻监督员”及税收志愿者参与税务体验师及宣传活动。"
        in (tax.paragraphs[1])
    )
    assert tax.paragraphs[1].endswith("宣传活动。")
    assert tax.paragraphs[2].startswith("专项培训精准赋能")
    # a short first line (25 characters) that does not end a sentence continues
    assert bidding.paragraphs[3].startswith("洪山区自然资源和城乡建设局等行政监督部门将会持续推进")
    assert bidding.paragraphs[3].endswith("不断优化招投标领域营商环境。")
    assert [p[:2] for p in court.paragraphs[1:]] == ["一是", "二是", "三是", "四是"]
    assert "春风暖洪山" in tax.paragraphs[3] and " 春风" not in tax.paragraphs[3]


def test_no_page_number_or_contributor_lines_left(brief):
    text = "\n".join(p for a in brief.articles for p in a.paragraphs)
    assert "— 1 —" not in text and "— 2 —" not in text
    assert "供稿" not in text
    for a in brief.articles:
        for p in a.paragraphs:
            assert not rules.is_page_number(p)


def test_page_number_lines():
    assert rules.is_page_number("— 12 —")
    assert rules.is_page_number("-3-")
    assert not rules.is_page_number("— 年度 —")


def test_headings_are_blocks():
    text = "第 8 期\n洪山区发展和改革局 2024年10月31日\n标题\n一、总体情况\n" + (
        "正文第一段内容较长需要换行排版以便测试重排是否正确处理，\n"
        "这里是第二行内容到此结束。\n（区税务局供稿）\n"
    )
    parsed = rules.parse_brief(text)
    (article,) = parsed.articles
    assert article.title_lines == ("标题",)
    assert [b.kind for b in article.blocks] == ["h1", "p"]


def test_missing_header_warns():
    parsed = rules.parse_brief("标题\n正文。\n")
    assert parsed.number is None
    assert any("期号" in w for w in parsed.warnings)
    with pytest.raises(rules.RuleError):
        rules.parse_brief("\n— 1 —\n")


@pytest.mark.parametrize(
    ("n", "zh"),
    [(1, "一"), (10, "十"), (12, "十二"), (20, "二十"), (105, "一百零五"), (1010, "一千零一十")],
)
def test_chinese_numerals_round_trip(n, zh):
    assert rules.chinese_numeral(n) == zh
    assert rules.parse_chinese_numeral(zh) == n


def test_dates():
    assert rules.parse_chinese_date("2024年 9月30日") == date(2024, 9, 30)
    assert rules.format_chinese_date(date(2024, 9, 3)) == "2024年9月3日"
    with pytest.raises(rules.RuleError):
        rules.parse_chinese_date("2024年2月30日")


def test_figure_tokens():
    token = rules.figure_token("firms_visited", date(2024, 1, 1), date(2024, 9, 30))
    assert token == "{{fig:firms_visited:2024-01-01:2024-09-30}}"
    text = (
        f"走访企业 {token} 家，化解债务 {{{{fig:debts_resolved:2021-10-01:2024-09-30:万}}}} 余万元"
    )
    refs = rules.figure_refs(text)
    assert [r.name for r in refs] == ["firms_visited", "debts_resolved"]
    values = {refs[0].key: 6, refs[1].key: Decimal("2315000.00")}
    assert rules.render_tokens(text, values) == "走访企业 6 家，化解债务 231 余万元"
    assert "指标未登记" in rules.render_tokens(text, values, missing={"debts_resolved"})
    with pytest.raises(rules.RuleError):
        rules.figure_token("x", date(2024, 2, 1), date(2024, 1, 1))
    assert rules.format_value(Decimal("80.00")) == "80"
    assert rules.format_value(Decimal("80.50")) == "80.5"
    assert rules.format_value(None) == "—"


def test_spaces_between_chinese_and_digits_are_dropped(brief):
    bidding = brief.articles[1]
    assert bidding.paragraphs[0].startswith("8月29日，“武汉城市职业学院")
    assert "走访税务师行业企业6家，开展联学共建活动3次" in brief.articles[0].paragraphs[1]
    assert rules.tidy_spacing("达到 80%，挽救") == "达到80%，挽救"
    assert rules.tidy_spacing("Word 文档 and PDF") == "Word 文档 and PDF"


def test_the_kept_copy_is_the_projects_seed():
    seed = Path(__file__).resolve().parents[4] / "shared" / "seed" / "000_98f30b9acbdfafad.txt"
    if not seed.exists():
        pytest.skip("the project's shared/ folder is not beside this checkout")
    assert SEED.read_bytes() == seed.read_bytes()
