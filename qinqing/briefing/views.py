from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qinqing.briefing import export, rules, selectors, services
from qinqing.briefing.forms import (
    ArticleForm,
    CommentForm,
    FigureTokenForm,
    ImportForm,
    IssueForm,
    NewArticleForm,
)
from qinqing.briefing.models import Article, Issue, Series
from qinqing.core.documents import document_response
from qinqing.core.errors import DomainError
from qinqing.core.figures import evaluate, get_figure
from qinqing.core.permissions import can, get_visible_or_404, require
from qinqing.core.rules import is_ascii_digits

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _form_error(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _issue(request, pk: int) -> Issue:
    return get_visible_or_404(
        request.user, "briefing.view_issue", selectors.issues_for(request.user), pk=pk
    )


# --- compiling -----------------------------------------------------------------------------


@login_required
def issue_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "briefing.contribute")
    series_qs = selectors.compilable_series(request.user)
    form = None
    if can(request.user, "briefing.compile"):
        form = IssueForm(request.POST or None, series_qs=series_qs)
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            require(request.user, "briefing.compile")
            try:
                issue = services.issue_create(
                    actor=request.user,
                    series=d["series"],
                    number=d["number"],
                    issued_on=d["issued_on"],
                )
            except DomainError as exc:
                _form_error(form, exc)
            else:
                return redirect("briefing:issue_detail", pk=issue.pk)
    elif request.method == "POST":
        require(request.user, "briefing.compile")
    issues = selectors.issues_for(request.user).order_by("series__name", "-number")
    return render(
        request,
        "briefing/issue_list.html",
        {"issues": issues, "form": form, "status": Issue.Status},
        status=400 if form is not None and form.errors else 200,
    )


@login_required
def issue_detail(request: HttpRequest, pk: int) -> HttpResponse:
    issue = _issue(request, pk)
    document = export.build_document(issue)
    articles = list(selectors.articles_for(request.user, issue))
    editable = selectors.editable_article_ids(request.user, issue)
    pairs = list(zip(articles, document.articles, strict=True))
    compiler = can(request.user, "briefing.compile", issue)
    next_steps = [Issue.Status(s) for s in services.TRANSITIONS.get(issue.status, ())]
    return render(
        request,
        "briefing/issue_detail.html",
        {
            "issue": issue,
            "doc": document,
            "pairs": pairs,
            "editable": editable,
            "compiler": compiler,
            "can_contribute": can(request.user, "briefing.contribute")
            and issue.status in services.CONTRIBUTABLE,
            "next_steps": next_steps,
            "snapshots": issue.snapshots.all() if issue.is_published else [],
            "missing_label": rules.MISSING,
        },
    )


@login_required
@require_POST
def issue_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    issue = get_visible_or_404(
        request.user, "briefing.compile", Issue.objects.select_related("series"), pk=pk
    )
    try:
        if action == "approve":
            services.issue_approve(actor=request.user, issue=issue)
        elif action == "publish":
            services.issue_publish(actor=request.user, issue=issue)
            messages.success(request, _("已发布，本期内容和指标值已冻结"))
        elif action in Issue.Status.values:
            services.issue_advance(actor=request.user, issue=issue, to=action)
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("briefing:issue_detail", pk=issue.pk)


@login_required
def issue_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    issue = _issue(request, pk)
    if fmt not in CONTENT_TYPES:
        raise Http404
    if fmt == "pdf" and issue.is_published and issue.pdf:  # the frozen PDF: nothing to render
        response = HttpResponse(export.render(issue, fmt), content_type=CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="{export.filename(issue, fmt)}"'
        return response
    # Rendered on the task queue; this address shows "生成中" until the file is ready.
    document = export.request_document(actor=request.user, issue=issue, fmt=fmt)
    return document_response(
        request,
        document,
        title=_("导出 %(name)s") % {"name": export.filename(issue, fmt)},
        back_url=reverse("briefing:issue_detail", args=[issue.pk]),
        inline=False,
    )


@login_required
def article_new(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "briefing.contribute")
    issue = _issue(request, pk)
    departments = selectors.contributing_departments(request.user)
    form = NewArticleForm(request.POST or None, departments=departments)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            article = services.article_create(
                actor=request.user,
                issue=issue,
                title=d["title"],
                body=d["body"],
                department=d["department"],
                contributor=d["contributor"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            return redirect("briefing:article_edit", pk=article.pk)
    return render(
        request,
        "briefing/article_new.html",
        {"issue": issue, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    qs = Article.objects.select_related("issue__series", "department")
    article = get_visible_or_404(request.user, "briefing.contribute", qs, pk=pk)
    issue = article.issue
    form = ArticleForm(
        request.POST if request.POST.get("op") == "save" else None,
        initial={"title": article.title, "body": article.body},
    )
    comment_form = CommentForm(request.POST if request.POST.get("op") == "comment" else None)
    status = 200
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "save" and form.is_valid():
                d = form.cleaned_data
                services.article_update(
                    actor=request.user,
                    article=article,
                    title=d["title"],
                    body=d["body"],
                    note=d["note"],
                )
                messages.success(request, _("已保存为新版本"))
                return redirect("briefing:article_edit", pk=article.pk)
            if op == "comment" and comment_form.is_valid():
                services.comment_add(
                    actor=request.user, article=article, text=comment_form.cleaned_data["text"]
                )
                return redirect("briefing:article_edit", pk=article.pk)
            if op == "submit":
                services.article_submit(actor=request.user, article=article)
                return redirect("briefing:article_edit", pk=article.pk)
            if op in ("up", "down", "accept"):
                require(request.user, "briefing.compile", issue)
                if op == "accept":
                    services.article_accept(actor=request.user, article=article)
                else:
                    services.article_move(
                        actor=request.user, article=article, delta=-1 if op == "up" else 1
                    )
                return redirect("briefing:issue_detail", pk=issue.pk)
        except DomainError as exc:
            target = comment_form if op == "comment" else form
            if target.is_bound:
                _form_error(target, exc)
            else:
                messages.error(request, exc.message)
        status = 400
    token_form = FigureTokenForm(request.GET if "figure" in request.GET else None)
    token = value = None
    if token_form.is_bound and token_form.is_valid():
        d = token_form.cleaned_data
        token = rules.figure_token(d["figure"], d["start"], d["end"], d["scale"] or "")
        value = rules.format_value(
            evaluate(get_figure(d["figure"]), d["start"], d["end"]), d["scale"] or ""
        )
    return render(
        request,
        "briefing/article_edit.html",
        {
            "article": article,
            "issue": issue,
            "form": form,
            "comment_form": comment_form,
            "token_form": token_form,
            "token": token,
            "token_value": value,
            "versions": article.versions.select_related("author")[:20],
            "comments": article.comments.select_related("author"),
            "preview": export.build_document(issue).articles[
                list(issue.articles.values_list("pk", flat=True)).index(article.pk)
            ],
            "readonly": issue.is_published,
        },
        status=status,
    )


@login_required
def import_view(request: HttpRequest) -> HttpResponse:
    require(request.user, "briefing.compile")
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        series_qs=selectors.compilable_series(request.user),
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            issue = services.issue_import(
                actor=request.user, series=d["series"], text=d["text"], number=d["number"]
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("已导入为编辑中的期次，请逐篇核对标题、段落和供稿单位"))
            return redirect("briefing:issue_detail", pk=issue.pk)
    return render(
        request, "briefing/import.html", {"form": form}, status=400 if form.errors else 200
    )


# --- archive and public pages --------------------------------------------------------------


@login_required
def archive(request: HttpRequest) -> HttpResponse:
    require(request.user, "briefing.view_issue")
    q = request.GET.get("q", "").strip()
    series = (
        Series.objects.filter(pk=request.GET.get("series") or None).first()
        if is_ascii_digits(request.GET.get("series", ""))
        else None
    )
    issues = selectors.archive(request.user, q=q, series=series)
    return render(
        request,
        "briefing/archive.html",
        {"issues": issues, "q": q, "series": series, "all_series": Series.objects.all()},
    )


def _public_series(code: str) -> Series:
    return get_object_or_404(Series, code=code, is_public=True)


def public_list(request: HttpRequest, code: str) -> HttpResponse:
    series = _public_series(code)
    q = request.GET.get("q", "").strip()
    return render(
        request,
        "briefing/public_list.html",
        {"series": series, "issues": selectors.public_issues(series, q=q), "q": q},
    )


def public_issue(request: HttpRequest, code: str, number: int) -> HttpResponse:
    series = _public_series(code)
    issue = get_object_or_404(series.issues, number=number, status=Issue.Status.PUBLISHED)
    return render(
        request,
        "briefing/public_issue.html",
        {"series": series, "issue": issue, "doc": export.build_document(issue)},
    )


def public_pdf(request: HttpRequest, code: str, number: int) -> HttpResponse:
    series = _public_series(code)
    issue = get_object_or_404(series.issues, number=number, status=Issue.Status.PUBLISHED)
    response = HttpResponse(export.render(issue, "pdf"), content_type=CONTENT_TYPES["pdf"])
    response["Content-Disposition"] = f'inline; filename="{export.filename(issue, "pdf")}"'
    return response
