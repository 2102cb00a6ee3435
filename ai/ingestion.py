"""The ingestion pipeline: a stored material → extracted, chunked passages → embeddings.

Two steps, each a Celery task that calls one function here:

* ``material_extract`` (``ingest`` queue, CPU): reads the stored file page by page, chunks it and
  writes chunks in batches. Extraction is deterministic and chunks are unique on
  (material, ordinal), so a re-run after a crash writes only what is missing.
* ``material_embed`` (``gpu`` queue): embeds chunks that have no vector from the school's current
  model, a batch at a time, for a bounded slice of time, then asks to be queued again so work
  from other materials and schools interleaves. The database connection is closed while the
  model runs.

Both record a heartbeat; ``materials_requeue_stalled`` queues again any material whose worker
died (its heartbeat stopped) so the job finishes after a restart."""

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from courses.models import Material
from smartedu.db import current_schema
from smartedu.metrics import ingestion_failure_count

from .models import Chunk

logger = logging.getLogger(__name__)

Report = Callable[[dict], None]
CHUNK_WRITE_BATCH = 200


class EmbeddingDeferred(Exception):
    """The embedding provider is briefly unavailable; the job should run again later."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _touch(material_id: int, **fields) -> None:
    Material.objects.filter(pk=material_id).update(heartbeat_at=timezone.now(), **fields)


def material_requeue(material_id: int, step: str) -> None:
    """Mark a stalled job as queued again (the caller queues its task). An interrupted
    extraction goes back to ``queued`` so the next extractor may claim it."""
    if step == "extract":
        _touch(material_id, state=Material.State.QUEUED)
    else:
        _touch(material_id)


def material_fail(material_id: int, *, reason: str, report: Report) -> None:
    """Mark a material failed with a reason a teacher can act on, and tell its watchers."""
    failed = Material.objects.filter(pk=material_id).update(
        state=Material.State.FAILED, error=reason, heartbeat_at=timezone.now()
    )
    if failed:
        ingestion_failure_count(current_schema())
    report({"state": "failed", "error": reason})


@contextmanager
def _stored_file_on_disk(material: Material):
    """Extractors need a local path; object storage gives a stream, so copy it to a temp file."""
    try:
        local = material.file.path  # filesystem storage: read in place
    except NotImplementedError:
        local = None
    if local and os.path.exists(local):
        yield local
        return
    handle, path = tempfile.mkstemp(prefix="smartedu-material-")
    try:
        with os.fdopen(handle, "wb") as out, material.file.open("rb") as source:
            shutil.copyfileobj(source, out, length=1024 * 1024)
        yield path
    finally:
        os.unlink(path)


def material_extract(material_id: int, *, report: Report) -> Material | None:
    """Extract and chunk a queued material. Returns the material (None if it was deleted).

    Idempotent: a ready or failed material is left alone; one already past extraction is
    handed to embedding; an interrupted extraction runs again and inserts only missing chunks.
    A file that stopped the worker INGEST_MAX_EXTRACTION_ATTEMPTS times is failed, so a poison
    file never blocks the queue."""
    from .extraction.common import ExtractionError, ExtractionReport
    from .isolation import extract_isolated

    material = Material.objects.select_related("course").filter(pk=material_id).first()
    if material is None or material.is_finished:
        return material
    if material.state == Material.State.EMBEDDING:
        return material
    # Claim the job: a queued material, or one whose extractor stopped reporting (its worker
    # died). A live extraction elsewhere keeps its claim, so two workers never race.
    now = timezone.now()
    stale = now - timedelta(seconds=settings.INGEST_STALL_SECONDS)
    claimed = (
        Material.objects.filter(pk=material_id)
        .filter(
            Q(state=Material.State.QUEUED)
            | Q(state=Material.State.EXTRACTING, heartbeat_at__isnull=True)
            | Q(state=Material.State.EXTRACTING, heartbeat_at__lt=stale)
        )
        .update(
            state=Material.State.EXTRACTING,
            extraction_attempts=F("extraction_attempts") + 1,
            heartbeat_at=now,
            error="",
        )
    )
    if not claimed:
        return Material.objects.get(pk=material_id)
    attempts = Material.objects.values_list("extraction_attempts", flat=True).get(pk=material_id)
    if attempts > settings.INGEST_MAX_EXTRACTION_ATTEMPTS:
        material_fail(
            material_id,
            reason=(
                "This file could not be read: reading it stopped the worker "
                f"{attempts - 1} times. Try saving it again from the program that made it."
            ),
            report=report,
        )
        return Material.objects.get(pk=material_id)
    report({"state": "extracting", "pages_done": 0, "pages_total": material.page_count})

    known = set(Chunk.objects.filter(material_id=material_id).values_list("ordinal", flat=True))
    extraction = ExtractionReport()
    pending: list[Chunk] = []
    written = len(known)
    last_report = 0.0

    def flush(*, force: bool = True) -> None:
        nonlocal written, last_report
        if pending and force:
            Chunk.objects.bulk_create(pending, ignore_conflicts=True)
            written += len(pending)
            pending.clear()
        now = time.monotonic()
        if now - last_report >= 1.0:
            last_report = now
            _touch(material_id)
            report(
                {
                    "state": "extracting",
                    "pages_done": extraction.pages_done,
                    "pages_total": extraction.pages_total,
                    "chunks": written,
                }
            )

    try:
        with _stored_file_on_disk(material) as path:
            for draft in extract_isolated(path, material.kind, extraction):
                flush(force=False)  # heartbeat and progress, at most once a second
                if draft.ordinal in known:
                    continue
                pending.append(
                    Chunk(
                        material_id=material_id,
                        course_id=material.course_id,
                        ordinal=draft.ordinal,
                        page=draft.page,
                        section=draft.section[:500],
                        text=draft.text,
                        token_count=draft.token_count,
                    )
                )
                if len(pending) >= CHUNK_WRITE_BATCH:
                    flush()
            flush()
    except ExtractionError as exc:
        material_fail(material_id, reason=exc.message, report=report)
        return Material.objects.get(pk=material_id)

    chunk_count = Chunk.objects.filter(material_id=material_id).count()
    if chunk_count == 0:
        material_fail(
            material_id,
            reason="No text was found in this file, so there is nothing for the tutor to use.",
            report=report,
        )
        return Material.objects.get(pk=material_id)
    notes = list(extraction.notes)
    _touch(
        material_id,
        state=Material.State.EMBEDDING,
        chunk_count=chunk_count,
        page_count=extraction.pages_total or material.page_count,
        notes=notes,
    )
    report({"state": "embedding", "embedded": 0, "chunks": chunk_count})
    return Material.objects.get(pk=material_id)


def _chunks_to_embed(material_id: int, model_name: str):
    return Chunk.objects.filter(material_id=material_id).filter(
        Q(embedding__isnull=True) | ~Q(embedding_model=model_name)
    )


def _embedding_input(section: str, text: str) -> str:
    # The heading gives a passage its context ("Mitochondria" for "They make ATP.").
    return f"{section}\n{text}" if section else text


def material_embed(material_id: int, *, report: Report, slice_seconds: float | None = None) -> str:
    """Embed a material's chunks for up to ``slice_seconds``. Returns "done", "more" (queue the
    job again) or "skipped" (deleted, or not waiting for embeddings).

    Never holds a database connection while the model runs. Raises EmbeddingDeferred when the
    provider is briefly unavailable; a permanent provider error fails the material."""
    from .embeddings import EmbeddingError, embedder, embedding_model_name

    material = Material.objects.filter(pk=material_id).first()
    if material is None or material.state != Material.State.EMBEDDING:
        return "skipped"
    model_name = embedding_model_name()
    # One model batch per database round: larger rounds were faster (42 vs 37 chunks/s) but
    # pushed the worker past 1 GB resident (bench/ingestion.py).
    batch_size = settings.EMBEDDING_BATCH_SIZE
    slice_seconds = settings.INGEST_EMBED_SLICE_SECONDS if slice_seconds is None else slice_seconds
    started = time.monotonic()
    total = material.chunk_count or Chunk.objects.filter(material_id=material_id).count()
    while True:
        batch = list(
            _chunks_to_embed(material_id, model_name)
            .order_by("ordinal")
            .values_list("id", "section", "text")[:batch_size]
        )
        if not batch:
            break
        release_connection()
        try:
            vectors = embedder().embed([_embedding_input(s, t) for _, s, t in batch])
        except EmbeddingError as exc:
            if exc.retryable:
                _touch(material_id)
                report({"state": "embedding", "waiting": exc.message})
                raise EmbeddingDeferred(exc.message) from exc
            material_fail(material_id, reason=f"Embedding failed: {exc.message}", report=report)
            return "done"
        with transaction.atomic():
            updated = [
                Chunk(id=chunk_id, embedding=vector, embedding_model=model_name)
                for (chunk_id, _, _), vector in zip(batch, vectors, strict=True)
            ]
            Chunk.objects.bulk_update(updated, ["embedding", "embedding_model"])
            embedded = total - _chunks_to_embed(material_id, model_name).count()
            _touch(material_id, embedded_count=embedded)
        report({"state": "embedding", "embedded": embedded, "chunks": total})
        if not Material.objects.filter(pk=material_id, state=Material.State.EMBEDDING).exists():
            return "skipped"  # deleted or retried meanwhile
        if time.monotonic() - started >= slice_seconds:
            return "more"
    now = timezone.now()
    Material.objects.filter(pk=material_id, state=Material.State.EMBEDDING).update(
        state=Material.State.READY,
        embedding_model=model_name,
        embedded_count=total,
        ready_at=now,
        heartbeat_at=now,
    )
    report({"state": "ready", "embedded": total, "chunks": total})
    return "done"


def materials_needing_work(*, stalled_after: timedelta | None = None) -> list[tuple[int, str]]:
    """(material id, next step) for materials in this school whose job is not running: queued,
    extracting or embedding with no heartbeat for INGEST_STALL_SECONDS."""
    stalled_after = stalled_after or timedelta(seconds=settings.INGEST_STALL_SECONDS)
    cutoff = timezone.now() - stalled_after
    rows = Material.objects.filter(
        state__in=[Material.State.QUEUED, Material.State.EXTRACTING, Material.State.EMBEDDING]
    ).filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=cutoff))
    # A queued material without a heartbeat may simply be waiting in the queue: only count it
    # once it has waited as long as a stalled job.
    rows = rows.exclude(state=Material.State.QUEUED, created_at__gte=cutoff)
    return [
        (pk, "embed" if state == Material.State.EMBEDDING else "extract")
        for pk, state in rows.values_list("pk", "state")
    ]


def materials_reembed(*, model_name: str | None = None) -> list[int]:
    """Put back into embedding every ready material whose vectors come from another model than
    the configured one (after EMBEDDING_MODEL or EMBEDDING_PROVIDER changed); returns their ids
    for the caller to queue. Until re-embedded, such a material is not searchable, because a
    school's vectors must all come from one model to be comparable."""
    from .embeddings import embedding_model_name

    model_name = model_name or embedding_model_name()
    stale = Material.objects.filter(state=Material.State.READY).exclude(embedding_model=model_name)
    ids = list(stale.values_list("pk", flat=True))
    Material.objects.filter(pk__in=ids).update(
        state=Material.State.EMBEDDING, embedded_count=0, heartbeat_at=timezone.now()
    )
    return ids


def release_connection() -> None:
    """Close this thread's database connection before a model runs, so a long model call never
    holds a connection (or a pooler's server slot). Inside a transaction (a test, or a caller that
    chose one) closing would abort it, so the connection is kept there."""
    if not connection.in_atomic_block:
        connection.close()
