"""The work brief (工作简报): articles, live figures, official PDF and DOCX."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Router, Schema

from qinqing.briefing import export, selectors
from qinqing.core.permissions import get_visible_or_404, require

router = Router(tags=["briefing"])


class IssueOut(Schema):
    id: int
    series: str
    number: int
    issued_on: date
    status: str
    published_at: datetime | None
    pdf_sha256: str


class BlockOut(Schema):
    kind: str
    text: str


class ArticleOut(Schema):
    title_lines: list[str]
    blocks: list[BlockOut]
    contributor: str


class IssueDetailOut(IssueOut):
    articles: list[ArticleOut]
    missing_figures: list[str]


def _issue_out(issue) -> dict:
    return {
        "id": issue.pk,
        "series": issue.series.name,
        "number": issue.number,
        "issued_on": issue.issued_on,
        "status": issue.status,
        "published_at": issue.published_at,
        "pdf_sha256": issue.pdf_sha256,
    }


@router.get(
    "/issues", response=list[IssueOut], summary="可见的简报期次（已发布的，编辑另见在编的）"
)
def issue_list(request, q: str = ""):
    require(request.auth, "briefing.view_issue")
    qs = selectors.issues_for(request.auth).order_by("series__name", "-number")
    if q:
        qs = selectors.archive(request.auth, q=q)
    return [_issue_out(i) for i in qs[:200]]


@router.get(
    "/issues/{issue_id}", response=IssueDetailOut, summary="一期简报的正文（在编为实时指标值）"
)
def issue_detail(request, issue_id: int):
    issue = get_visible_or_404(
        request.auth, "briefing.view_issue", selectors.issues_for(request.auth), pk=issue_id
    )
    doc = export.build_document(issue)
    return {
        **_issue_out(issue),
        "articles": [
            {
                "title_lines": list(a.title_lines),
                "blocks": [{"kind": b.kind, "text": b.text} for b in a.blocks],
                "contributor": a.contributor,
            }
            for a in doc.articles
        ],
        "missing_figures": sorted(doc.missing),
    }
