"""The generation job's write path: create (validated, within the school's AI budget), run in
slices on the ``gpu`` queue (``slices``), finish, fail, requeue when stalled. The API, the pages
and the Celery tasks (quizzes.tasks) all call these.

A job runs as a chain of slices (``slices.generation_job_run``), each at most
GENERATION_SLICE_SECONDS long, so several schools' jobs interleave on the same workers. A slice
picks passages (``planning``), asks a generator for candidates (ai.generation: the language model
when one is configured, else the built-in offline generator; the offline one takes over for the
rest of the job when the model fails), and puts every candidate through the same gates
(``apply``): quizzes.content, grounding in its cited passage, near-duplicates in the course's
bank. What passes becomes a draft question citing its passage.

Resumable and idempotent: the job's cursor (``GenerationCursor``) records which passages and
which evidence sentences are used, and it is saved in the same transaction as the questions they
produced, so a worker killed mid-slice doubles nothing and the next run carries on where the last
commit left off. A lease in the cursor keeps two deliveries of the task from running one job at
once.

Budgets: creating a job reserves ``count`` generated questions (tenants.quotas); a job that
finishes with fewer, or fails, gives the rest back. Tokens the model used are recorded on the job
and on the school's month as each batch is saved.

Regenerating: ``generation_question_regenerate(question)`` queues a one-question job of the same
kind from the same passage (else the same material and topic); when it produces the new draft,
the old one, if still a draft, is rejected with "Replaced by question N".

The job's task is queued by name once the transaction commits (``quizzes.tasks.
generate_questions``), so this module never imports the tasks."""

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ai.generation import evidence_sentences
from courses.models import Course, Material
from smartedu.db import current_schema, max_length
from smartedu.metrics import generation_failure_count
from tenants import quotas

from ..models import GenerationJob, Question
from ..services import question_reject
from .cursor import GenerationCursor, stall_seconds
from .validation import clean_kinds, clean_materials, clean_objectives

# Takes a progress payload and publishes it to the job's watchers.
Report = Callable[[dict[str, Any]], None]
GENERATE_TASK = "quizzes.tasks.generate_questions"


# --- create ---------------------------------------------------------------------------------


def generation_job_create(
    *,
    course: Course,
    requested_by: Any = None,
    count: int,
    kinds: str | Iterable[str] | None = None,
    difficulty: str = "medium",
    topic: str = "",
    objectives: str | Iterable[object] = (),
    material_ids: Iterable[object] = (),
    via: str = "web",
    replaces: Question | None = None,
    cursor: GenerationCursor | None = None,
) -> GenerationJob:
    """Validate the request, reserve ``count`` generated questions from the school's monthly
    budget (QuotaExceeded propagates and nothing is created), create the job and queue it once
    the transaction commits. The caller has checked that ``requested_by`` manages ``course``.
    Raises ValidationError (keyed by field) for a request that cannot run."""
    limit = settings.GENERATION_MAX_QUESTIONS
    if isinstance(count, bool) or not isinstance(count, int):
        try:
            count = int(count)
        except (TypeError, ValueError):
            raise ValidationError({"count": "The number of questions must be a number."}) from None
    if not 1 <= count <= limit:
        raise ValidationError({"count": f"Ask for 1 to {limit} questions ({count} asked)."})
    kinds = clean_kinds(kinds)
    if difficulty not in GenerationJob.Difficulty.values:
        raise ValidationError(
            {"difficulty": f"Difficulty is one of {', '.join(GenerationJob.Difficulty.values)}."}
        )
    topic = " ".join(str(topic or "").split())
    topic_limit = max_length(GenerationJob, "topic")
    if len(topic) > topic_limit:
        raise ValidationError({"topic": f"The topic can be at most {topic_limit} characters."})
    objectives = clean_objectives(objectives)
    materials = clean_materials(course, material_ids)
    if (
        not materials
        and not Material.objects.filter(course=course, state=Material.State.READY).exists()
    ):
        raise ValidationError(
            "This course has no ready material to write questions from. Upload material and "
            "wait until it shows as ready."
        )
    with transaction.atomic():
        # Inside the job's transaction: if anything below fails, the reservation rolls back too.
        quotas.ai_usage_reserve(quotas.GENERATED_QUESTIONS, count)
        job = GenerationJob.objects.create(
            course=course,
            requested_by=requested_by,
            via=via,
            count=count,
            kinds=kinds,
            difficulty=difficulty,
            topic=topic,
            objectives=objectives,
            replaces=replaces,
            cursor=(cursor or GenerationCursor()).to_json(),
        )
        if materials:
            job.materials.set(materials)
        transaction.on_commit(lambda: generation_job_queue(job.pk))
    return job


def generation_job_queue(job_id: int) -> None:
    """Queue the job's next slice on the ``gpu`` queue (by name: the task wraps this module)."""
    current_app.send_task(GENERATE_TASK, args=[job_id])


def generation_question_regenerate(
    question: Question, *, requested_by: Any = None, via: str = "web"
) -> GenerationJob:
    """Queue a job for one new question in place of ``question``: the same kind, drawn first
    from the same passage (a different sentence of it), else from the same material and topic.
    When the job has made its question, ``question`` (if still a draft) is rejected with the
    reason "Replaced by question N." If the job finds nothing new, ``question`` is untouched and
    the job's notes say so."""
    cursor = GenerationCursor()
    if question.source_chunk_id:
        cursor.first = [question.source_chunk_id]
    if question.source_quote:
        cursor.evidence = evidence_sentences(question.source_quote)
    material_ids = []
    if (
        question.source_material_id
        and Material.objects.filter(
            pk=question.source_material_id, course_id=question.course_id, state=Material.State.READY
        ).exists()
    ):
        material_ids = [question.source_material_id]
    return generation_job_create(
        course=question.course,
        requested_by=requested_by,
        count=1,
        kinds=[question.kind],
        difficulty=question.difficulty or "medium",
        topic=question.topic,
        material_ids=material_ids,
        via=via,
        replaces=question,
        cursor=cursor,
    )


# --- end ------------------------------------------------------------------------------------


def generation_job_finish(job: GenerationJob, report: Report) -> str:
    """Mark the job done, give back the unused part of its reservation, reject the question it
    replaces, and tell its watchers. Runs once (the job's row locked): a finished job is left as
    it is and its state returned."""
    with transaction.atomic():
        locked = (
            GenerationJob.objects.select_for_update(of=("self",))
            .select_related("replaces")
            .get(pk=job.pk)
        )
        if locked.is_finished:
            return locked.state
        notes = list(locked.notes or [])
        if locked.created_count < locked.count:
            notes.append(
                f"Made {locked.created_count} of the {locked.count} questions asked for: the "
                "material had nothing more to ask about"
                + (" on this topic." if locked.topic or locked.objectives else ".")
                + (
                    f" {locked.duplicate_count} candidates repeated questions already in the bank."
                    if locked.duplicate_count
                    else ""
                )
            )
        cursor = GenerationCursor.from_json(locked.cursor)
        replacement = cursor.replacement
        old = locked.replaces
        if old is not None and replacement:
            if old.status == Question.Status.DRAFT:
                question_reject(old, reason=f"Replaced by question {replacement}.")
        elif old is not None:
            notes.append(f"No new question was found to replace question {old.pk}; it is kept.")
        cursor.lease = None
        now = timezone.now()
        locked.cursor = cursor.to_json()
        locked.notes = notes
        locked.state = GenerationJob.State.DONE
        locked.finished_at = now
        locked.heartbeat_at = now
        locked.save()
        quotas.ai_usage_release(
            quotas.GENERATED_QUESTIONS,
            locked.count - locked.created_count,
            month=quotas.month_start(locked.created_at),
        )
    report(
        {
            "state": "done",
            "created": locked.created_count,
            "done": locked.created_count,
            "total": locked.count,
            "duplicates": locked.duplicate_count,
            "rejected": locked.rejected_count,
            "notes": locked.notes,
        }
    )
    return "done"


def generation_job_fail(job_id: int, *, reason: str, report: Report) -> None:
    """Fail a job with a reason a teacher can act on. The drafts it already made stay in the
    bank; the unused part of its reservation is given back (once: a finished or deleted job is
    left alone)."""
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return
        cursor = GenerationCursor.from_json(job.cursor)
        cursor.lease = None
        now = timezone.now()
        GenerationJob.objects.filter(pk=job_id).update(
            state=GenerationJob.State.FAILED,
            error=reason,
            cursor=cursor.to_json(),
            finished_at=now,
            heartbeat_at=now,
        )
        quotas.ai_usage_release(
            quotas.GENERATED_QUESTIONS,
            job.count - job.created_count,
            month=quotas.month_start(job.created_at),
        )
    generation_failure_count(current_schema())
    report({"state": "failed", "error": reason, "created": job.created_count})


# --- stalled jobs ---------------------------------------------------------------------------


def generation_jobs_stalled() -> list[int]:
    """Jobs of this school whose worker died: queued or running with no heartbeat for
    INGEST_STALL_SECONDS (a queued one only once it has waited that long)."""
    cutoff = timezone.now() - timedelta(seconds=stall_seconds())
    rows = GenerationJob.objects.filter(
        state__in=[GenerationJob.State.QUEUED, GenerationJob.State.RUNNING]
    ).filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=cutoff))
    rows = rows.exclude(state=GenerationJob.State.QUEUED, created_at__gte=cutoff)
    return list(rows.values_list("pk", flat=True))


def generation_job_requeue(job_id: int) -> None:
    """Mark a stalled job as queued again (the caller queues its task): the fresh heartbeat
    keeps the next sweep from queueing it twice; its dead worker's lease is dropped. A finished
    or deleted job is left alone."""
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return
        cursor = GenerationCursor.from_json(job.cursor)
        cursor.lease = None
        GenerationJob.objects.filter(pk=job_id).update(
            cursor=cursor.to_json(), heartbeat_at=timezone.now()
        )
