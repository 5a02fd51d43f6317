"""Writes of the collusion screening (清标): asked for when the opening closes (and again by the
host centre's staff), run on the task queue, its report replacing the section's last one.
Every run and its result are audited; no bid is rejected (the committee decides)."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from qinqing.bidding.opening.models import Opening, OpeningBid
from qinqing.bidding.projects.models import Section
from qinqing.bidding.screening import rules, text
from qinqing.bidding.screening.models import ScreenedFile, Screening, ScreeningSignal
from qinqing.core.audit import audit_log
from qinqing.core.errors import ConflictError
from qinqing.core.tasks import enqueue_after_commit, queued_task

#: Files read in a pool of processes from this many bytes in all (settings.SCREENING_PROCESSES).
POOL_FROM_BYTES = 16 << 20
#: A request while a run is queued or running joins it, unless that run is older than this.
STALE_AFTER = timedelta(minutes=15)


def _host_org(section: Section):
    return section.project.host_centre


def screening_request(*, actor, section: Section) -> Screening:
    """Ask for the section's bids to be screened, on the task queue: when the opening closes
    (`actor` None) or again by the host centre's staff. A request while one is queued or
    running joins it. The opening must be over with its bids decrypted (实施条例 Art.40 is
    about the bids' contents)."""
    now = timezone.now()
    with transaction.atomic():
        # The screening's own row is the lock (the section is not locked: opening_close calls
        # this with the opening locked, and opening_start locks the section first).
        section = Section.objects.select_related("project").get(pk=section.pk)
        opening = Opening.objects.filter(section=section).first()
        if opening is None or opening.status != Opening.Status.CLOSED:
            raise ConflictError(
                "开标结束后才能清标（清标的对象是开标时解密的投标文件）", code="state"
            )
        try:
            with transaction.atomic():
                _screening, created = Screening.objects.get_or_create(
                    section=section, defaults={"requested_at": now, "requested_by": actor}
                )
        except IntegrityError:  # created at the same moment by another request
            created = False
        screening = Screening.objects.select_for_update().get(section=section)
        if not created:
            busy = (
                screening.state == Screening.State.QUEUED
                and screening.requested_at >= now - STALE_AFTER
            ) or (
                screening.state == Screening.State.RUNNING
                and screening.started_at is not None
                and screening.started_at >= now - STALE_AFTER
            )
            if busy:
                return screening
            screening.state, screening.progress, screening.error = Screening.State.QUEUED, 0, ""
            screening.requested_at, screening.requested_by = now, actor
            screening.save(
                update_fields=["state", "progress", "error", "requested_at", "requested_by"]
            )
        enqueue_after_commit(screening_run, screening.pk)
        audit_log(
            actor=actor,
            action="screening.request",
            obj=screening,
            organisation=_host_org(section),
            detail={"section": section.code, "automatic": actor is None},
        )
    return screening


# --- the run ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    signals: list[rules.Signal]
    files: list[tuple[int, rules.FileFacts]]  # (opened file id, facts)
    bids: int
    pages: int
    names: dict[str, str]


@dataclass(frozen=True)
class FileIn:
    """A file to screen: its id (the OpenedFile's), name, SHA-256 and how to get its bytes."""

    key: int
    name: str
    sha256: str
    load: Callable[[], bytes]


@dataclass(frozen=True)
class BidIn:
    bidder: str  # USCC
    name: str
    price: Decimal | None
    project_manager: str
    client_ip: str
    user_agent: str
    files: tuple[FileIn, ...]


def _read(f: FileIn) -> text.ReadFile:
    try:
        data = f.load()
    except OSError as exc:
        return text.ReadFile(False, f"文件无法打开（{type(exc).__name__}）")
    return text.read_pdf(data)


def _read_all(bids_in: list[BidIn], processes: int, progress) -> list[text.ReadFile]:
    """Every file read, in order: in this process, or in a pool of `processes` (spawned, so a
    worker's threads and connections are not copied) when the files are large enough
    (`POOL_FROM_BYTES`) for the pool's start-up to pay."""
    files = [f for b in bids_in for f in b.files]
    total = len(files) or 1
    if processes > 1:
        datas: list[bytes | text.ReadFile] = []
        for f in files:
            try:
                datas.append(f.load())
            except OSError as exc:
                datas.append(text.ReadFile(False, f"文件无法打开（{type(exc).__name__}）"))
        if sum(len(d) for d in datas if isinstance(d, bytes)) >= POOL_FROM_BYTES:
            results: list[text.ReadFile] = []
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
                jobs = [pool.submit(text.read_pdf, d) if isinstance(d, bytes) else d for d in datas]
                for n, job in enumerate(jobs, start=1):
                    results.append(job.result() if not isinstance(job, text.ReadFile) else job)
                    if progress:
                        progress(int(60 * n / total))
            return results
        reads = []
        for n, d in enumerate(datas, start=1):
            reads.append(text.read_pdf(d) if isinstance(d, bytes) else d)
            if progress:
                progress(int(60 * n / total))
        return reads
    reads = []
    for n, f in enumerate(files, start=1):
        reads.append(_read(f))
        if progress:
            progress(int(60 * n / total))
    return reads


def screen(
    bids_in: list[BidIn],
    progress: Callable[[int], None] | None = None,
    *,
    processes: int = 1,
) -> Outcome:
    """Screen decrypted bids: every file read (an unreadable one recorded with its reason, the
    others go on), then the signals of rules.py and text.py. No database: the bench calls it
    with files from disk."""
    reads = iter(_read_all(bids_in, processes, progress))
    bids: list[rules.BidFacts] = []
    texts: list[text.BidderText] = []
    files: list[tuple[int, rules.FileFacts]] = []
    pages = 0
    for bid in bids_in:
        facts: list[rules.FileFacts] = []
        readable: list[tuple[str, list[str]]] = []
        for f_in in bid.files:
            read = next(reads)
            f = rules.FileFacts(
                bidder=bid.bidder,
                name=f_in.name,
                sha256=f_in.sha256,
                readable=read.readable,
                reason=read.reason[:300],
                author=read.author,
                creator=read.creator,
                producer=read.producer,
                created=read.created,
                pages=len(read.pages or []),
            )
            facts.append(f)
            files.append((f_in.key, f))
            if read.readable:
                readable.append((f_in.name, read.pages))
                pages += len(read.pages)
        bids.append(
            rules.BidFacts(
                bidder=bid.bidder,
                name=bid.name,
                price=bid.price,
                project_manager=bid.project_manager,
                client_ip=bid.client_ip,
                user_agent=bid.user_agent,
                files=tuple(facts),
            )
        )
        texts.append(text.BidderText.build(bid.bidder, readable))
    signals = rules.screen_metadata(bids)
    pairs = text.compare(
        texts, progress=(lambda p: progress(60 + int(p * 0.35))) if progress else None
    )
    for pair in pairs:
        signals.append(
            rules.Signal(
                rules.Kind.SIMILAR_TEXT,
                tuple(sorted((pair.a, pair.b))),
                {
                    "a": pair.a,
                    "b": pair.b,
                    "jaccard": format(pair.jaccard, "f"),
                    "shared_shingles": pair.shared,
                    "union_shingles": pair.union,
                    "pages_paired": pair.pages_paired,
                    "passages": [
                        {
                            "chars": p.chars,
                            "text": p.text,
                            "a_file": p.a_file,
                            "a_pages": list(p.a_pages),
                            "b_file": p.b_file,
                            "b_pages": list(p.b_pages),
                        }
                        for p in pair.passages
                    ],
                },
            )
        )
    names = {b.bidder: b.name for b in bids}
    signals += text.mixed_documents(texts, {b.bidder: (b.name, b.bidder) for b in bids})
    return Outcome(signals, files, len(bids), pages, names)


def _loader(opened) -> Callable[[], bytes]:
    def load() -> bytes:
        with opened.file.open("rb") as fh:
            return fh.read()

    return load


def screening_compute(section_id: int, progress: Callable[[int], None] | None = None) -> Outcome:
    """Screen the decrypted bids of the section (`screen`), read from their OpenedFiles."""
    opening_bids = (
        OpeningBid.objects.filter(
            opening__section_id=section_id, status=OpeningBid.Status.DECRYPTED
        )
        .select_related("bid", "bidder")
        .prefetch_related("files__bid_file")
        .order_by("position")
    )
    bids_in = [
        BidIn(
            bidder=ob.bidder.uscc,
            name=ob.bidder.name,
            price=ob.price,
            project_manager=ob.project_manager,
            client_ip=ob.bid.client_ip or "",
            user_agent=ob.bid.user_agent or "",
            files=tuple(
                FileIn(o.pk, o.bid_file.name, o.sha256, _loader(o)) for o in ob.files.all()
            ),
        )
        for ob in opening_bids
    ]
    return screen(bids_in, progress, processes=settings.SCREENING_PROCESSES)


_NAMED = {"bidder": "bidder_name", "a": "a_name", "b": "b_name", "owner": "owner_name"}
_NAMED["holder"] = "holder_name"


def _named(value, names: dict[str, str]):
    """The evidence with each bidder's name beside its USCC (for the report's reader)."""
    if isinstance(value, list):
        return [_named(v, names) for v in value]
    if isinstance(value, dict):
        out = {k: _named(v, names) for k, v in value.items()}
        for key, label in _NAMED.items():
            if isinstance(value.get(key), str) and value[key] in names:
                out[label] = names[value[key]]
        return out
    return value


def _progress(screening_id: int, percent: int) -> None:
    Screening.objects.filter(pk=screening_id, state=Screening.State.RUNNING).update(
        progress=max(0, min(99, percent))
    )


def screening_execute(screening_id: int) -> Screening:
    """Run the screening and store its report (replacing the last one); audit the result."""
    started = timezone.now()
    clock = time.monotonic()
    Screening.objects.filter(pk=screening_id).update(
        state=Screening.State.RUNNING, progress=0, started_at=started, error=""
    )
    screening = Screening.objects.select_related("section__project").get(pk=screening_id)
    try:
        outcome = screening_compute(
            screening.section_id, progress=lambda p: _progress(screening_id, p)
        )
    except Exception as exc:
        Screening.objects.filter(pk=screening_id).update(
            state=Screening.State.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    now = timezone.now()
    with transaction.atomic():
        screening = (
            Screening.objects.select_for_update()
            .select_related("section__project")
            .get(pk=screening_id)
        )
        screening.signals.all().delete()
        screening.files.all().delete()
        ScreeningSignal.objects.bulk_create(
            [
                ScreeningSignal(
                    screening=screening,
                    kind=s.kind,
                    article=s.article,
                    bidders=[{"uscc": b, "name": outcome.names.get(b, b)} for b in s.bidders],
                    evidence=_named(s.evidence, outcome.names),
                    found_at=now,
                )
                for s in outcome.signals
            ]
        )
        ScreenedFile.objects.bulk_create(
            [
                ScreenedFile(
                    screening=screening,
                    opened_file_id=opened_id,
                    bidder_uscc=f.bidder,
                    bidder_name=outcome.names.get(f.bidder, f.bidder),
                    name=f.name,
                    readable=f.readable,
                    reason=f.reason,
                    pages=f.pages,
                    author=f.author,
                    creator=f.creator,
                    producer=f.producer,
                    created=f.created,
                )
                for opened_id, f in outcome.files
            ]
        )
        screening.state, screening.progress = Screening.State.DONE, 100
        screening.finished_at = now
        screening.seconds = Decimal(f"{time.monotonic() - clock:.2f}")
        screening.bids_screened = outcome.bids
        screening.files_screened = len(outcome.files)
        screening.pages_screened = outcome.pages
        screening.runs += 1
        screening.save(
            update_fields=[
                "state",
                "progress",
                "finished_at",
                "seconds",
                "bids_screened",
                "files_screened",
                "pages_screened",
                "runs",
            ]
        )
        counts: dict[str, int] = {}
        for s in outcome.signals:
            counts[s.kind] = counts.get(s.kind, 0) + 1
        audit_log(
            actor=None,
            action="screening.run",
            obj=screening,
            organisation=_host_org(screening.section),
            detail={
                "section": screening.section.code,
                "bids": outcome.bids,
                "files": len(outcome.files),
                "unreadable": [f.name for _pk, f in outcome.files if not f.readable],
                "signals": counts,
                "seconds": screening.seconds,
            },
        )
    return screening


def _run_failed(screening_id: int, *, error: str) -> None:
    Screening.objects.filter(pk=screening_id).exclude(state=Screening.State.DONE).update(
        state=Screening.State.FAILED, error=error[:2000]
    )


@queued_task(max_attempts=3, backoff=timedelta(seconds=30), on_give_up=_run_failed)
def screening_run(screening_id: int) -> str:
    """Screen the section's bids. Idempotent: a second run only screens again."""
    screening = screening_execute(screening_id)
    return f"{screening.signals.count()} signals"
