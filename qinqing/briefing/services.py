"""Writes of the work brief: each one transaction, validated, saved, audited."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from qinqing.briefing import rules
from qinqing.briefing.models import Article, ArticleVersion, Comment, FigureSnapshot, Issue, Series
from qinqing.core.audit import audit_log
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.figures import all_figures, evaluate, get_figure
from qinqing.core.models import Organisation
from qinqing.core.permissions import require

S = Issue.Status
# The flow of the design: 草稿 → 征稿中 → 编辑中 → 待审核 → 已审核 → 已发布 (review may return).
TRANSITIONS: dict[str, set[str]] = {
    S.DRAFTING: {S.COLLECTING, S.EDITING},
    S.COLLECTING: {S.EDITING},
    S.EDITING: {S.REVIEW, S.COLLECTING},
    S.REVIEW: {S.EDITING},
    S.APPROVED: {S.EDITING},
    S.PUBLISHED: set(),
}
CONTRIBUTABLE = {S.DRAFTING, S.COLLECTING, S.EDITING}


def _guard_mutable(issue: Issue) -> None:
    if issue.status == S.PUBLISHED:
        raise ConflictError("本期简报已发布，内容不可再修改；如需更正请另发一期或更正说明")


def _validate_title(title: str) -> str:
    lines = [ln.strip() for ln in title.replace("\r", "").split("\n") if ln.strip()]
    if not lines:
        raise DomainError("请填写标题", field="title")
    if len(lines) > 2:
        raise DomainError("标题最多两行", field="title")
    return "\n".join(lines)


def _validate_body(body: str) -> str:
    body = "\n".join(ln.strip() for ln in body.replace("\r", "").split("\n") if ln.strip())
    if not body:
        raise DomainError("请填写正文", field="body")
    try:
        refs = rules.figure_refs(body)
        rules.check_markers(body)
    except rules.RuleError as exc:
        raise DomainError(str(exc), field="body") from None
    if unknown := sorted({r.name for r in refs} - {f.name for f in all_figures()}):
        raise DomainError(
            f"正文引用了未登记的指标：{'、'.join(unknown)}（可用的指标见“统计指标”页）",
            field="body",
        )
    return body


# --- series and issues ---------------------------------------------------------------------


def series_create(
    *, actor, name: str, code: str, issuer: Organisation, is_public: bool = False
) -> Series:
    with transaction.atomic():
        if Series.objects.filter(name=name).exists():
            raise DomainError("已有同名简报系列", field="name")
        series = Series.objects.create(name=name, code=code, issuer=issuer, is_public=is_public)
        audit_log(
            actor=actor,
            action="series.create",
            obj=series,
            organisation=issuer,
            detail={"name": name, "code": code, "public": is_public},
        )
    return series


def issue_create(*, actor, series: Series, number: int, issued_on: date) -> Issue:
    with transaction.atomic():
        if number < 1:
            raise DomainError("期号必须是正整数", field="number")
        if Issue.objects.filter(series=series, number=number).exists():
            raise DomainError(f"第 {number} 期已存在", field="number")
        issue = Issue.objects.create(series=series, number=number, issued_on=issued_on)
        audit_log(
            actor=actor,
            action="issue.create",
            obj=issue,
            organisation=series.issuer,
            detail={"series": series.pk, "number": number, "issued_on": issued_on},
        )
    return issue


def issue_update(*, actor, issue: Issue, issued_on: date) -> Issue:
    with transaction.atomic():
        issue = Issue.objects.select_for_update().get(pk=issue.pk)
        _guard_mutable(issue)
        issue.issued_on = issued_on
        issue.save(update_fields=["issued_on"])
        audit_log(
            actor=actor,
            action="issue.update",
            obj=issue,
            organisation=issue.series.issuer,
            detail={"issued_on": issued_on},
        )
    return issue


def issue_advance(*, actor, issue: Issue, to: str) -> Issue:
    """Move an issue along the flow; approval and publishing have their own services."""
    with transaction.atomic():
        issue = Issue.objects.select_for_update().get(pk=issue.pk)
        _guard_mutable(issue)
        if to not in TRANSITIONS.get(issue.status, set()):
            raise ConflictError(
                f"不能从“{S(issue.status).label}”转为“{S(to).label if to in S.values else to}”"
            )
        if to == S.REVIEW and not issue.articles.exists():
            raise ConflictError("本期还没有稿件，不能送审")
        before = issue.status
        issue.status = to
        fields = ["status"]
        if to == S.REVIEW:  # the one who sends it for review may not approve it
            issue.submitted_by, issue.submitted_at = actor, timezone.now()
            fields += ["submitted_by", "submitted_at"]
        if before == S.APPROVED:
            issue.approved_by, issue.approved_at = None, None
            fields += ["approved_by", "approved_at"]
        issue.save(update_fields=fields)
        audit_log(
            actor=actor,
            action="issue.advance",
            obj=issue,
            organisation=issue.series.issuer,
            detail={"from": before, "to": to},
        )
    return issue


def issue_approve(*, actor, issue: Issue) -> Issue:
    with transaction.atomic():
        issue = Issue.objects.select_for_update().get(pk=issue.pk)
        _guard_mutable(issue)
        if issue.status != S.REVIEW:
            raise ConflictError("只有待审核的期次可以审核通过")
        if issue.submitted_by_id == actor.pk:
            raise ConflictError(
                "送审人不能审核自己送审的期次，请由另一位编辑审核", code="same_as_submitter"
            )
        issue.status = S.APPROVED
        issue.approved_by, issue.approved_at = actor, timezone.now()
        issue.save(update_fields=["status", "approved_by", "approved_at"])
        audit_log(actor=actor, action="issue.approve", obj=issue, organisation=issue.series.issuer)
    return issue


def issue_publish(*, actor, issue: Issue) -> Issue:
    """Freeze the issue: snapshot every figure it cites, render the official PDF, store it and
    put its SHA-256 into the audit chain. A published issue never changes again."""
    from qinqing.briefing import export

    with transaction.atomic():
        issue = Issue.objects.select_for_update().get(pk=issue.pk)
        _guard_mutable(issue)
        if issue.status != S.APPROVED:
            raise ConflictError("只有审核通过的期次可以发布")
        articles = list(issue.articles.all())
        if not articles:
            raise ConflictError("本期没有稿件，不能发布")
        refs = {r.key: r for a in articles for r in rules.figure_refs(a.body)}
        snapshots = []
        for ref in refs.values():
            snapshots.append(_snapshot(issue, ref))
        FigureSnapshot.objects.bulk_create(snapshots)
        Article.objects.filter(issue=issue).update(status=Article.Status.ACCEPTED)
        issue.status = S.PUBLISHED
        issue.published_by, issue.published_at = actor, timezone.now()
        document = export.build_document(issue)
        issue.search_text = document.plain_text()
        pdf = export.render_pdf(document)
        issue.pdf = pdf
        issue.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        issue.save(
            update_fields=[
                "status",
                "published_by",
                "published_at",
                "pdf",
                "pdf_sha256",
                "search_text",
            ]
        )
        audit_log(
            actor=actor,
            action="issue.publish",
            obj=issue,
            organisation=issue.series.issuer,
            detail={
                "number": issue.number,
                "pdf_sha256": issue.pdf_sha256,
                "figures": {s.key: s.value for s in snapshots},
                "articles": {
                    a.pk: hashlib.sha256((a.title + "\n" + a.body).encode()).hexdigest()
                    for a in articles
                },
            },
        )
    return issue


def _snapshot(issue: Issue, ref: rules.FigureRef) -> FigureSnapshot:
    try:
        figure = get_figure(ref.name)
    except DomainError:
        return FigureSnapshot(
            issue=issue, name=ref.name, start=ref.start, end=ref.end, registered=False
        )
    value = evaluate(figure, ref.start, ref.end)
    return FigureSnapshot(
        issue=issue,
        name=ref.name,
        start=ref.start,
        end=ref.end,
        label=figure.label,
        unit=figure.unit,
        value=None if value is None else Decimal(value),
    )


# --- articles ------------------------------------------------------------------------------


def _next_position(issue: Issue) -> int:
    return (issue.articles.aggregate(m=Max("position"))["m"] or 0) + 1


def _version(article: Article, actor, note: str) -> ArticleVersion:
    number = (article.versions.aggregate(m=Max("number"))["m"] or 0) + 1
    return ArticleVersion.objects.create(
        article=article,
        number=number,
        title=article.title,
        body=article.body,
        author=actor if getattr(actor, "is_authenticated", False) else None,
        note=note,
    )


def article_create(
    *,
    actor,
    issue: Issue,
    title: str,
    body: str,
    department: Organisation,
    contributor: str = "",
) -> Article:
    with transaction.atomic():
        issue = Issue.objects.select_for_update().get(pk=issue.pk)
        _guard_mutable(issue)
        if issue.status not in CONTRIBUTABLE:
            raise ConflictError("本期已进入审核，不再接收稿件")
        article = Article.objects.create(
            issue=issue,
            position=_next_position(issue),
            title=_validate_title(title),
            body=_validate_body(body),
            department=department,
            contributor=(contributor or department.short_name or department.name).strip(),
            author=actor if getattr(actor, "is_authenticated", False) else None,
        )
        version = _version(article, actor, "初稿")
        audit_log(
            actor=actor,
            action="article.create",
            obj=article,
            organisation=department,
            detail={"issue": issue.pk, "title": article.title, "version": version.number},
        )
    return article


def article_update(*, actor, article: Article, title: str, body: str, note: str = "") -> Article:
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        _guard_mutable(article.issue)
        if article.status != Article.Status.DRAFT and not _is_editor(actor, article.issue):
            raise ConflictError("稿件已报送，只有简报编辑可以再修改")
        title, body = _validate_title(title), _validate_body(body)
        if title == article.title and body == article.body:
            return article
        article.title, article.body = title, body
        article.save(update_fields=["title", "body", "updated_at"])
        version = _version(article, actor, note)
        audit_log(
            actor=actor,
            action="article.update",
            obj=article,
            organisation=article.department,
            detail={"version": version.number, "note": note},
        )
    return article


def _is_editor(actor, issue: Issue) -> bool:
    from qinqing.core.permissions import can

    return can(actor, "briefing.compile", issue)


def article_submit(*, actor, article: Article) -> Article:
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        _guard_mutable(article.issue)
        if article.status != Article.Status.DRAFT:
            raise ConflictError("稿件已报送")
        article.status = Article.Status.SUBMITTED
        article.save(update_fields=["status", "updated_at"])
        audit_log(
            actor=actor, action="article.submit", obj=article, organisation=article.department
        )
    return article


def article_accept(*, actor, article: Article) -> Article:
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        _guard_mutable(article.issue)
        require(actor, "briefing.compile", article.issue)
        article.status = Article.Status.ACCEPTED
        article.save(update_fields=["status", "updated_at"])
        audit_log(
            actor=actor, action="article.accept", obj=article, organisation=article.department
        )
    return article


def article_move(*, actor, article: Article, delta: int) -> Article:
    """Move an article up (−1) or down (+1) in the issue's order."""
    with transaction.atomic():
        issue = Issue.objects.select_for_update().get(pk=article.issue_id)
        _guard_mutable(issue)
        ordered = list(issue.articles.all())
        i = next(n for n, a in enumerate(ordered) if a.pk == article.pk)
        j = i + delta
        if 0 <= j < len(ordered):
            ordered[i], ordered[j] = ordered[j], ordered[i]
        for position, a in enumerate(ordered, start=1):
            if a.position != position:
                a.position = position
                a.save(update_fields=["position"])
        audit_log(
            actor=actor,
            action="article.move",
            obj=article,
            organisation=issue.series.issuer,
            detail={"order": [a.pk for a in ordered]},
        )
    return Article.objects.get(pk=article.pk)


def comment_add(*, actor, article: Article, text: str) -> Comment:
    with transaction.atomic():
        _guard_mutable(article.issue)
        text = text.strip()
        if not text:
            raise DomainError("请填写修改意见", field="text")
        comment = Comment.objects.create(article=article, author=actor, text=text)
        audit_log(
            actor=actor,
            action="comment.add",
            obj=comment,
            organisation=article.department,
            detail={"article": article.pk},
        )
    return comment


# --- import --------------------------------------------------------------------------------


def _department_for(contributor: str, fallback: Organisation) -> Organisation:
    if contributor:
        found = (
            Organisation.objects.filter(short_name=contributor).first()
            or Organisation.objects.filter(name=contributor).first()
        )
        if found:
            return found
    return fallback


def issue_import(
    *, actor, series: Series, text: str, number: int | None = None, issued_on: date | None = None
) -> Issue:
    """A plain-text brief (pasted or uploaded) becomes an issue in editing, one article per
    contribution, for the editor to correct. All or nothing."""
    try:
        parsed = rules.parse_brief(text)
    except rules.RuleError as exc:
        raise DomainError(str(exc), field="text") from None
    number = number or parsed.number
    if number is None:
        raise DomainError("文本中没有期号（第 N 期），请填写期号", field="number")
    issued_on = issued_on or parsed.issued_on or timezone.localdate()
    if not parsed.articles:
        raise DomainError("没有识别出任何文章", field="text")
    with transaction.atomic():
        issue = issue_create(actor=actor, series=series, number=number, issued_on=issued_on)
        for parsed_article in parsed.articles:
            body = "\n".join(parsed_article.paragraphs)
            article_create(
                actor=actor,
                issue=issue,
                title="\n".join(parsed_article.title_lines) or "（无标题）",
                body=body or "（无正文）",
                department=_department_for(parsed_article.contributor, series.issuer),
                contributor=parsed_article.contributor,
            )
        Article.objects.filter(issue=issue).update(status=Article.Status.SUBMITTED)
        issue.status = S.EDITING
        issue.save(update_fields=["status"])
        audit_log(
            actor=actor,
            action="issue.import",
            obj=issue,
            organisation=series.issuer,
            detail={
                "articles": len(parsed.articles),
                "warnings": list(parsed.warnings),
                "sha256": hashlib.sha256(text.encode()).hexdigest(),
            },
        )
    return issue
