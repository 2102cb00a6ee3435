"""One slice of a generation job (``generation_job_run``): claim the job's lease, plan its
passages the first time, then call the generator batch by batch and apply what it wrote, until
the job has its count, runs out of passages, or the slice's time is up. The job's other state
changes (create, finish, fail, requeue) are in ``lifecycle``."""

import logging
import time
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ai.generation import Batch, Generator, LLMError, generator_for, is_language_model
from ai.ingestion import release_connection

from ..models import GenerationJob
from . import planning
from .apply import batch_apply, content_problem
from .cursor import GenerationCursor, Lease
from .lifecycle import Report, generation_job_finish

logger = logging.getLogger(__name__)


def generation_job_claim(job_id: int, token: str) -> GenerationJob | None:
    """Take the job's lease for one slice (row locked, marked running, heartbeat now), or None
    when it is finished, deleted, or another worker's lease on it is still valid (a duplicate
    delivery)."""
    now = timezone.now()
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return None
        cursor = GenerationCursor.from_json(job.cursor)
        if cursor.lease is not None and cursor.lease.active:
            return None
        cursor.lease = Lease.fresh(token)
        job.cursor = cursor.to_json()
        job.state = GenerationJob.State.RUNNING
        job.started_at = job.started_at or now
        job.heartbeat_at = now
        job.save(update_fields=["cursor", "state", "started_at", "heartbeat_at"])
    return job


def _progress(job: GenerationJob) -> dict[str, Any]:
    return {
        "state": "running",
        "done": job.created_count,
        "total": job.count,
        "duplicates": job.duplicate_count,
        "rejected": job.rejected_count,
    }


def _generator(job: GenerationJob, cursor: GenerationCursor) -> Generator:
    """The language model when one is configured and has not failed this job, else offline
    (with the job's scope as its distractor pool, read now: no query runs during generation)."""
    return generator_for(
        offline=cursor.offline,
        content_check=content_problem,
        pool=lambda: planning.distractor_pool(job),
    )


def generation_job_run(job_id: int, *, report: Report, slice_seconds: float | None = None) -> str:
    """Run one slice of a job. Returns "more" (queue it again), "done" or "failed"; a job that
    is finished, deleted or being run by another worker right now returns "done"/"failed"/
    "busy" without doing anything. No model or provider is called while this holds a database
    connection. Provider failures other than the language model's (which hands over to the
    offline generator) propagate: the task fails the job."""
    token = uuid.uuid4().hex
    job = generation_job_claim(job_id, token)
    if job is None:
        current = GenerationJob.objects.filter(pk=job_id).values_list("state", flat=True).first()
        if current in (GenerationJob.State.DONE, GenerationJob.State.FAILED):
            return current
        return "done" if current is None else "busy"
    slice_seconds = settings.GENERATION_SLICE_SECONDS if slice_seconds is None else slice_seconds
    started = time.monotonic()
    cursor = GenerationCursor.from_json(job.cursor)
    if cursor.plan is None:
        cursor.plan = planning.plan_passages(job, cursor.first)
        cursor.evidence = planning.bank_evidence(job, cursor.plan, cursor.evidence)
        _save_cursor(job, cursor)
    report(_progress(job))
    spec = planning.job_spec(job)
    generator = _generator(job, cursor)
    while True:
        job.refresh_from_db()
        if job.is_finished:
            return job.state
        cursor = GenerationCursor.from_json(job.cursor)
        if job.created_count >= job.count:
            return generation_job_finish(job, report)
        used = set(cursor.used)
        remaining_ids = [cid for cid in cursor.plan or [] if cid not in used]
        if not remaining_ids:
            return generation_job_finish(job, report)
        take = max(1, int(settings.GENERATION_PASSAGES_PER_CALL))
        batch_ids = remaining_ids[:take]
        passages = planning.passages_for(batch_ids)
        left = job.count - job.created_count
        # The offline generator spreads: one question per passage while the plan allows (a
        # model call is dearer, so the language model keeps writing two per passage).
        per_passage = (
            planning.QUESTIONS_PER_PASSAGE
            if is_language_model(generator)
            else planning.passages_per_call(len(remaining_ids), left)
        )
        want = min(left, max(1, len(passages)) * per_passage)
        kinds = planning.call_kinds(job, cursor.made, want)
        if passages:
            # No model may run while this process holds a database connection.
            release_connection()
            try:
                batch = generator.generate(
                    spec, passages, want=want, kinds=kinds, exclude_evidence=list(cursor.evidence)
                )
            except LLMError as exc:
                if not is_language_model(generator):
                    raise
                logger.warning("Generation job %s: language model failed: %s", job_id, exc.message)
                _fall_back(job, generator.name, exc.message)
                job.refresh_from_db()
                generator = _generator(job, GenerationCursor.from_json(job.cursor))
                continue
        else:  # the passages were deleted meanwhile
            batch = Batch()
        batch_apply(job, generator.name, batch, passages, batch_ids, token)
        job.refresh_from_db()
        report(_progress(job))
        if job.created_count >= job.count:
            return generation_job_finish(job, report)
        if time.monotonic() - started >= slice_seconds:
            _release_lease(job)
            return "more"


def _save_cursor(job: GenerationJob, cursor: GenerationCursor) -> None:
    job.cursor = cursor.to_json()
    job.heartbeat_at = timezone.now()
    job.save(update_fields=["cursor", "heartbeat_at"])


def _release_lease(job: GenerationJob) -> None:
    with transaction.atomic():
        locked = GenerationJob.objects.select_for_update().get(pk=job.pk)
        cursor = GenerationCursor.from_json(locked.cursor)
        cursor.lease = None
        _save_cursor(locked, cursor)


def _fall_back(job: GenerationJob, name: str, message: str) -> None:
    with transaction.atomic():
        locked = GenerationJob.objects.select_for_update().get(pk=job.pk)
        cursor = GenerationCursor.from_json(locked.cursor)
        cursor.offline = True
        locked.notes = [
            *(locked.notes or []),
            f"The language model ({name}) failed: {message} The built-in offline generator "
            "wrote the rest of the questions.",
        ]
        locked.cursor = cursor.to_json()
        locked.heartbeat_at = timezone.now()
        locked.save(update_fields=["cursor", "notes", "heartbeat_at"])
