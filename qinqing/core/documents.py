"""Files rendered on the task queue and kept once: a report's or a brief's PDF, a DOCX, later
the exports of a year.

A page that offers a file asks `document_request(renderer=..., params=...)` for it, after its
own permission checks: the content key (the renderer, its parameters and an optional
fingerprint of the content) finds the document already ready or queued, or records a new one
and enqueues `document_render`. The page then answers with `document_response`: the file when
it is ready, else a "生成中" page that polls (htmx) the same address until it is, and shows the
download. The file is served only through the page that asked for it, so its permission checks
are the document's.

`renderer` is the dotted path of a function `(**params) -> bytes` in this project: parameters
are plain JSON (ids, the HTML to print), read afresh by the task. A renderer that takes a
`progress` argument is given `progress(percent)` to report how far it is. A renderer of a large
file (a year's export) returns instead the `pathlib.Path` of a temporary file it wrote: the file
is stored by streaming (never held in memory) and removed.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from datetime import timedelta
from pathlib import Path

from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.module_loading import import_string

from qinqing.core.models import GeneratedDocument
from qinqing.core.tasks import enqueue_after_commit, queued_task

KEEP = timedelta(days=7)


def document_key(renderer: str, params: dict, fingerprint: str = "") -> str:
    canonical = json.dumps(
        {"renderer": renderer, "params": params, "fingerprint": fingerprint},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def document_request(
    *,
    actor,
    renderer: str,
    params: dict,
    filename: str,
    content_type: str,
    fingerprint: str = "",
    keep: timedelta = KEEP,
) -> GeneratedDocument:
    """The document of this content: the one ready or being rendered, else a new one queued
    for rendering once the caller's transaction commits (a failed one is queued again). It
    expires `keep` after the request (`documents_purge` deletes it then)."""
    if not renderer.startswith("qinqing."):
        raise ValueError(renderer)
    key = document_key(renderer, params, fingerprint)
    document = GeneratedDocument.objects.filter(key=key).first()
    if document is not None and not _to_render_again(document):
        if document.expires_at < timezone.now() + keep / 2:  # still asked for: kept longer
            GeneratedDocument.objects.filter(pk=document.pk).update(
                expires_at=timezone.now() + keep
            )
        return document
    with transaction.atomic():
        if document is None:
            try:
                with transaction.atomic():
                    document = GeneratedDocument.objects.create(
                        key=key,
                        renderer=renderer,
                        params=params,
                        filename=filename,
                        content_type=content_type,
                        requested_by=actor if getattr(actor, "pk", None) else None,
                        expires_at=timezone.now() + keep,
                    )
            except IntegrityError:  # asked for at the same moment by another request
                return GeneratedDocument.objects.get(key=key)
        else:
            again = GeneratedDocument.objects.filter(pk=document.pk, status=document.status).update(
                status=GeneratedDocument.Status.QUEUED, error="", progress=0
            )
            if not again:
                return GeneratedDocument.objects.get(pk=document.pk)
            document.refresh_from_db()
        enqueue_after_commit(document_render, document.pk)
    return document


def _to_render_again(document: GeneratedDocument) -> bool:
    """Failed for good, or ready but its file is gone (uploads not restored, deleted by hand)."""
    if document.status == GeneratedDocument.Status.FAILED:
        return True
    return document.status == GeneratedDocument.Status.READY and not (
        document.file and document.file.storage.exists(document.file.name)
    )


def _render_failed(document_id: int, *, error: str) -> None:
    GeneratedDocument.objects.filter(pk=document_id).exclude(
        status=GeneratedDocument.Status.READY
    ).update(status=GeneratedDocument.Status.FAILED, error=error[:2000])


@queued_task(max_attempts=3, backoff=timedelta(seconds=10), on_give_up=_render_failed)
def document_render(document_id: int) -> str:
    """Render a document and store it once. Idempotent: a document already ready (stored by an
    earlier run, or by a run beside this one) is left as it is."""
    document = GeneratedDocument.objects.filter(pk=document_id).first()
    if document is None or document.status == GeneratedDocument.Status.READY:
        return "ready already"
    render_function = import_string(document.renderer)
    params = dict(document.params)
    if "progress" in inspect.signature(render_function).parameters:
        params["progress"] = lambda percent: document_progress(document_id, percent)
    content = render_function(**params)
    try:
        digest = _sha256(content)
        with transaction.atomic():
            document = GeneratedDocument.objects.select_for_update().get(pk=document_id)
            if document.status == GeneratedDocument.Status.READY:
                return "ready already"
            _store(document, content, f"{digest[:16]}-{document.filename}")
            document.sha256 = digest
            document.status = GeneratedDocument.Status.READY
            document.progress = 100
            document.error = ""
            document.ready_at = timezone.now()
            document.save(
                update_fields=["file", "sha256", "status", "progress", "error", "ready_at"]
            )
    finally:
        if isinstance(content, Path):
            content.unlink(missing_ok=True)
    return digest


def _sha256(content: bytes | Path) -> str:
    if isinstance(content, bytes):
        return hashlib.sha256(content).hexdigest()
    digest = hashlib.sha256()
    with content.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _store(document: GeneratedDocument, content: bytes | Path, name: str) -> None:
    if isinstance(content, bytes):
        document.file.save(name, ContentFile(content), save=False)
        return
    with content.open("rb") as f:
        document.file.save(name, File(f), save=False)


def document_progress(document_id: int, percent: int) -> None:
    GeneratedDocument.objects.filter(pk=document_id).update(progress=max(0, min(99, int(percent))))


def documents_purge(*, now=None) -> int:
    """Delete expired documents and their files (run hourly); returns how many."""
    expired = GeneratedDocument.objects.filter(expires_at__lte=now or timezone.now())
    count = 0
    for document in expired.iterator():
        if document.file:
            document.file.delete(save=False)
        document.delete()
        count += 1
    return count


def pdf_from_html(html: str) -> bytes:
    """A renderer: the HTML printed by WeasyPrint (A4, the fonts the HTML names)."""
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def is_download(request: HttpRequest, document: GeneratedDocument) -> bool:
    """True when `document_response` hands out the file itself (not a status page)."""
    return (
        document.status == GeneratedDocument.Status.READY
        and request.headers.get("HX-Request") != "true"
    )


def document_response(
    request: HttpRequest,
    document: GeneratedDocument,
    *,
    title: str,
    back_url: str = "",
    inline: bool = True,
) -> HttpResponse:
    """The file once it is ready; before, a page that says it is being made and polls this same
    address (htmx) until the download can be offered."""
    if is_download(request, document):
        return FileResponse(
            document.file.open("rb"),
            content_type=document.content_type,
            as_attachment=not inline,
            filename=document.filename,
        )
    polling = request.headers.get("HX-Request") == "true"
    template = "core/_document_status.html" if polling else "core/document_pending.html"
    return render(
        request,
        template,
        {"document": document, "title": title, "back_url": back_url, "url": request.path},
    )
