"""The brief's demo: issue 7 from the seed, published with bound figures; issue 8 in editing."""

from io import StringIO

import pytest

from qinqing.briefing import demo
from qinqing.briefing.models import Article, FigureSnapshot, Issue

pytestmark = pytest.mark.django_db


def test_demo_loads_and_is_idempotent(demo_users):
    demo.load(stdout=StringIO())
    demo.load(stdout=StringIO())
    i7 = Issue.objects.get(number=7)
    assert i7.status == Issue.Status.PUBLISHED
    assert i7.published_at.date().isoformat() == "2024-09-30"
    assert i7.articles.count() == 3
    names = set(FigureSnapshot.objects.filter(issue=i7).values_list("name", flat=True))
    assert {"firms_visited", "training_sessions", "debts_resolved"} <= names
    assert len(names) == 9
    assert "{{fig:firms_visited:2024-01-01:2024-09-30}}" in i7.articles.first().body
    assert i7.articles.first().versions.count() == 2
    i8 = Issue.objects.get(number=8)
    assert i8.status == Issue.Status.EDITING
    assert set(Article.objects.filter(issue=i8).values_list("department__code", flat=True)) == {
        "hs-swj",
        "hs-spj",
    }
    assert Issue.objects.count() == 2


def test_demo_skips_without_seed(demo_users, monkeypatch, tmp_path):
    monkeypatch.setattr(demo, "seed_path", lambda: tmp_path / "missing.txt")
    out = StringIO()
    demo.load(stdout=out)
    assert "未找到种子文件" in out.getvalue()
    assert not Issue.objects.filter(number=7).exists()
    assert Issue.objects.filter(number=8).exists()
