"""The generation job's write path: create (validated, within the school's AI budget), run in
slices on the ``gpu`` queue, fail. The API, the pages and the Celery task all call these.

A job runs as a chain of slices (``generation_job_run``), each at most
GENERATION_SLICE_SECONDS long, so several schools' jobs interleave on the same workers. A slice
picks passages, asks a generator for candidates (the language model when one is configured,
else the built-in offline generator; the offline one takes over for the rest of the job when the
model fails), and puts every candidate through the same gates: quizzes.content, grounding in
its cited passage, near-duplicates in the course's bank. What passes becomes a draft question
citing its passage.

Resumable and idempotent: the job's ``cursor`` records which passages and which evidence
sentences are used, and it is saved in the same transaction as the questions they produced, so a
worker killed mid-slice doubles nothing and the next run carries on where the last commit
left off. A lease in the cursor keeps two deliveries of the task from running one job at once.

Budgets: creating a job reserves ``count`` generated questions (tenants.quotas); a job that
finishes with fewer, or fails, gives the rest back. Tokens the model used are recorded on the job
and on the school's month as each batch is saved.

Regenerating: ``generation_question_regenerate(question)`` queues a one-question job of the same
kind from the same passage (else the same material and topic); when it produces the new draft,
the old one, if still a draft, is rejected with "Replaced by question N"."""

import logging
import math
import re
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from courses.models import Course, Material
from smartedu.metrics import generation_failure_count
from tenants import quotas

from ..ingestion import release_connection
from ..models import Chunk, GenerationJob
from .checks import evidence_sentences
from .types import Batch, Candidate, GenerationSpec, Passage, Rejection

logger = logging.getLogger(__name__)

Report = Callable[[dict], None]

KINDS = ("single", "multiple", "true_false", "short_answer", "numeric", "fill_blank")
DEFAULT_KINDS = ("single",)
REJECTIONS_KEPT = 100
OBJECTIVES_MAX = 20
OBJECTIVE_MAX_CHARS = 300
# Passages a job lines up; a job that has looked at this many without filling its count stops.
PLAN_MAX_PASSAGES = 500
# Questions asked of one generator call per passage sent.
QUESTIONS_PER_PASSAGE = 2


# --- create ---------------------------------------------------------------------------------


def _clean_kinds(kinds) -> list[str]:
    if kinds is None or kinds == "" or kinds == [] or kinds == ():
        return list(DEFAULT_KINDS)
    if isinstance(kinds, str):
        kinds = [kinds]
    cleaned = []
    for kind in kinds:
        if kind not in KINDS:
            raise ValidationError(
                {"kinds": f"Unknown question type {kind!r}; use one of {', '.join(KINDS)}."}
            )
        if kind not in cleaned:
            cleaned.append(kind)
    return cleaned


def _clean_objectives(objectives) -> list[str]:
    if isinstance(objectives, str):
        objectives = [objectives]
    cleaned = []
    for objective in objectives or ():
        text = " ".join(str(objective or "").split())
        if not text:
            continue
        if len(text) > OBJECTIVE_MAX_CHARS:
            raise ValidationError(
                {"objectives": f"Each objective can be at most {OBJECTIVE_MAX_CHARS} characters."}
            )
        cleaned.append(text)
    if len(cleaned) > OBJECTIVES_MAX:
        raise ValidationError({"objectives": f"Give at most {OBJECTIVES_MAX} objectives."})
    return cleaned


def _clean_materials(course: Course, material_ids) -> list[Material]:
    ids = []
    for value in material_ids or ():
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            raise ValidationError({"material_ids": f"{value!r} is not a material id."}) from None
    ids = list(dict.fromkeys(ids))
    materials = {m.pk: m for m in Material.objects.filter(course=course, pk__in=ids)}
    for material_id in ids:
        material = materials.get(material_id)
        if material is None:
            raise ValidationError(
                {"material_ids": f"Material {material_id} is not part of this course."}
            )
        if material.state != Material.State.READY:
            raise ValidationError(
                {
                    "material_ids": f"“{material.title}” is not ready yet (it is "
                    f"{material.state}); generate from it once it is ready."
                }
            )
    return [materials[i] for i in ids]


def generation_job_create(
    *,
    course: Course,
    requested_by=None,
    count: int,
    kinds=None,
    difficulty: str = "medium",
    topic: str = "",
    objectives=(),
    material_ids=(),
    via: str = "web",
    replaces=None,
    cursor: dict | None = None,
) -> GenerationJob:
    """Validate the request, reserve ``count`` generated questions from the school's monthly
    budget (QuotaExceeded propagates and nothing is created), create the job and queue it once
    the transaction commits. The caller has checked that ``requested_by`` manages ``course``."""
    limit = settings.GENERATION_MAX_QUESTIONS
    if isinstance(count, bool) or not isinstance(count, int):
        try:
            count = int(count)
        except (TypeError, ValueError):
            raise ValidationError({"count": "The number of questions must be a number."}) from None
    if not 1 <= count <= limit:
        raise ValidationError({"count": f"Ask for 1 to {limit} questions ({count} asked)."})
    kinds = _clean_kinds(kinds)
    if difficulty not in GenerationJob.Difficulty.values:
        raise ValidationError(
            {"difficulty": f"Difficulty is one of {', '.join(GenerationJob.Difficulty.values)}."}
        )
    topic = " ".join(str(topic or "").split())
    topic_limit = GenerationJob._meta.get_field("topic").max_length
    if len(topic) > topic_limit:
        raise ValidationError({"topic": f"The topic can be at most {topic_limit} characters."})
    objectives = _clean_objectives(objectives)
    materials = _clean_materials(course, material_ids)
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
            cursor=cursor or {},
        )
        if materials:
            job.materials.set(materials)
        transaction.on_commit(lambda: _queue(job.pk))
    return job


def _queue(job_id: int) -> None:
    from ..tasks import generate_questions

    generate_questions.delay(job_id)


def generation_question_regenerate(question, *, requested_by=None, via: str = "web"):
    """Queue a job for one new question in place of ``question``: the same kind, drawn first
    from the same passage (a different sentence of it), else from the same material and topic.
    When the job has made its question, ``question`` (if still a draft) is rejected with the
    reason "Replaced by question N." If the job finds nothing new, ``question`` is untouched and
    the job's notes say so."""
    cursor: dict = {}
    if question.source_chunk_id:
        cursor["first"] = [question.source_chunk_id]
    if question.source_quote:
        cursor["evidence"] = evidence_sentences(question.source_quote)
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


# --- run ------------------------------------------------------------------------------------


def _stall_seconds() -> int:
    return int(settings.INGEST_STALL_SECONDS)


def _claim(job_id: int, token: str) -> GenerationJob | None:
    """Take the job's lease for one slice, or None when it is finished or another worker runs
    it now (a duplicate delivery)."""
    now = timezone.now()
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return None
        lease = (job.cursor or {}).get("lease")
        if lease and lease.get("until", 0) > time.time():
            return None
        job.cursor = {**(job.cursor or {}), "lease": _lease(token)}
        job.state = GenerationJob.State.RUNNING
        job.started_at = job.started_at or now
        job.heartbeat_at = now
        job.save(update_fields=["cursor", "state", "started_at", "heartbeat_at"])
    return job


def _lease(token: str) -> dict:
    return {"token": token, "until": time.time() + _stall_seconds()}


def _progress(job: GenerationJob) -> dict:
    return {
        "state": "running",
        "done": job.created_count,
        "total": job.count,
        "duplicates": job.duplicate_count,
        "rejected": job.rejected_count,
    }


def _scope_chunks(job: GenerationJob):
    chunks = Chunk.objects.filter(course_id=job.course_id, material__state=Material.State.READY)
    material_ids = list(job.materials.values_list("pk", flat=True))
    if material_ids:
        chunks = chunks.filter(material_id__in=material_ids)
    return chunks, material_ids


def _spread(ids: list[int], needed: int) -> list[int]:
    """``ids`` reordered so that the first ``needed`` are spread evenly over them (then the
    ones in between): questions come from the whole material, not its first pages."""
    if not ids:
        return []
    stride = max(1, len(ids) // max(1, needed))
    return [ids[i] for i in sorted(range(len(ids)), key=lambda i: (i % stride, i))]


def _plan(job: GenerationJob) -> list[int]:
    """The passages this job draws from, in the order it uses them."""
    chunks, material_ids = _scope_chunks(job)
    first = [cid for cid in (job.cursor or {}).get("first", []) if chunks.filter(pk=cid).exists()]
    query = " ".join([job.topic, *job.objectives]).strip()
    if query:
        from ..embeddings import embed_query
        from ..retrieval import chunk_search

        # The query's embedding is a model call: made without holding a connection.
        release_connection()
        vector = embed_query(query)
        hits = chunk_search(
            query, course_ids=[job.course_id], k=min(PLAN_MAX_PASSAGES, 200), query_vector=vector
        )
        allowed = set(material_ids)
        ranked = [h.chunk_id for h in hits if not allowed or h.material_id in allowed]
    else:
        ordered = list(chunks.order_by("material_id", "ordinal").values_list("pk", flat=True))
        needed = math.ceil(job.count / QUESTIONS_PER_PASSAGE) * 2
        ranked = _spread(ordered, needed)
    return list(dict.fromkeys(first + ranked))[:PLAN_MAX_PASSAGES]


def _bank_evidence(job: GenerationJob, plan: list[int], seed: list[str]) -> list[str]:
    """The sentences questions already in the bank ask about, for the passages this job may
    use: new questions ask about something else (the duplicate check would refuse most of
    them anyway, after the work of writing them)."""
    from quizzes.models import Question

    quotes = (
        Question.objects.filter(course_id=job.course_id, source_chunk_id__in=plan)
        .exclude(source_quote="")
        .values_list("source_quote", flat=True)
    )
    sentences = list(seed)
    for quote in quotes:
        sentences.extend(evidence_sentences(quote))
    return list(dict.fromkeys(sentences))


def _passages(chunk_ids: list[int]) -> list[Passage]:
    rows = {
        c.pk: c
        for c in Chunk.objects.filter(
            pk__in=chunk_ids, material__state=Material.State.READY
        ).select_related("material")
    }
    return [
        Passage(
            chunk_id=c.pk,
            material_id=c.material_id,
            material_title=c.material.title,
            page=c.page,
            section=c.section,
            text=c.text,
        )
        for c in (rows[i] for i in chunk_ids if i in rows)
    ]


def _call_kinds(job: GenerationJob, made: dict[str, int], want: int) -> tuple[str, ...]:
    """The kinds of the next ``want`` questions, those furthest behind their even share first."""
    kinds = list(job.kinds or DEFAULT_KINDS)
    share = {k: job.count // len(kinds) + (1 if i < job.count % len(kinds) else 0)
             for i, k in enumerate(kinds)}  # fmt: skip
    counts = dict(made)
    sequence = []
    for _ in range(want):
        kind = max(kinds, key=lambda k: (share[k] - counts.get(k, 0), -kinds.index(k)))
        sequence.append(kind)
        counts[kind] = counts.get(kind, 0) + 1
    return tuple(sequence)


def _generator(job: GenerationJob):
    """The language model when one is configured and has not failed this job, else offline."""
    if not (job.cursor or {}).get("offline"):
        from ..llm import chat_provider

        provider = chat_provider()
        if provider is not None:
            from .llm import LLMGenerator

            return LLMGenerator(provider)
    from .offline import OfflineGenerator

    return OfflineGenerator()


def generation_job_run(job_id: int, *, report: Report, slice_seconds: float | None = None) -> str:
    """Run one slice of a job. Returns "more" (queue it again), "done" or "failed"; a job that
    is finished, deleted or being run by another worker right now returns "done"/"failed"/
    "busy" without doing anything. No model or provider is called while this holds a database
    connection."""
    token = uuid.uuid4().hex
    job = _claim(job_id, token)
    if job is None:
        current = GenerationJob.objects.filter(pk=job_id).values_list("state", flat=True).first()
        if current in (GenerationJob.State.DONE, GenerationJob.State.FAILED):
            return current
        return "done" if current is None else "busy"
    slice_seconds = settings.GENERATION_SLICE_SECONDS if slice_seconds is None else slice_seconds
    started = time.monotonic()
    cursor = job.cursor
    if "plan" not in cursor:
        cursor["plan"] = _plan(job)
        cursor["evidence"] = _bank_evidence(job, cursor["plan"], cursor.get("evidence", []))
        _save_cursor(job, cursor)
    report(_progress(job))
    spec = GenerationSpec(
        count=job.count,
        kinds=tuple(job.kinds or DEFAULT_KINDS),
        difficulty=job.difficulty,
        topic=job.topic,
        objectives=tuple(job.objectives or ()),
    )
    from ..llm import LLMError

    generator = _generator(job)
    while True:
        job.refresh_from_db()
        if job.is_finished:
            return job.state
        cursor = job.cursor
        if job.created_count >= job.count:
            return _finish(job, report)
        used = set(cursor.get("used", []))
        remaining_ids = [cid for cid in cursor.get("plan", []) if cid not in used]
        if not remaining_ids:
            return _finish(job, report)
        take = max(1, int(settings.GENERATION_PASSAGES_PER_CALL))
        batch_ids = remaining_ids[:take]
        passages = _passages(batch_ids)
        want = min(job.count - job.created_count, max(1, len(passages)) * QUESTIONS_PER_PASSAGE)
        kinds = _call_kinds(job, cursor.get("made", {}), want)
        evidence = list(cursor.get("evidence", []))
        if passages:
            # No model may run while this process holds a database connection.
            release_connection()
            try:
                batch = generator.generate(
                    spec, passages, want=want, kinds=kinds, exclude_evidence=evidence
                )
            except LLMError as exc:
                if not hasattr(generator, "provider"):
                    raise
                logger.warning("Generation job %s: language model failed: %s", job_id, exc.message)
                _fall_back(job, generator.name, exc.message)
                job.refresh_from_db()
                generator = _generator(job)
                continue
        else:  # the passages were deleted meanwhile
            batch = Batch()
        _apply(job, generator.name, batch, passages, batch_ids, token)
        job.refresh_from_db()
        report(_progress(job))
        if job.created_count >= job.count:
            return _finish(job, report)
        if time.monotonic() - started >= slice_seconds:
            _release_lease(job)
            return "more"


def _save_cursor(job: GenerationJob, cursor: dict) -> None:
    job.cursor = cursor
    job.heartbeat_at = timezone.now()
    job.save(update_fields=["cursor", "heartbeat_at"])


def _release_lease(job: GenerationJob) -> None:
    with transaction.atomic():
        locked = GenerationJob.objects.select_for_update().get(pk=job.pk)
        cursor = dict(locked.cursor or {})
        cursor.pop("lease", None)
        _save_cursor(locked, cursor)


def _fall_back(job: GenerationJob, name: str, message: str) -> None:
    with transaction.atomic():
        locked = GenerationJob.objects.select_for_update().get(pk=job.pk)
        cursor = dict(locked.cursor or {})
        cursor["offline"] = True
        locked.notes = [
            *(locked.notes or []),
            f"The language model ({name}) failed: {message} The built-in offline generator "
            "wrote the rest of the questions.",
        ]
        locked.cursor = cursor
        locked.heartbeat_at = timezone.now()
        locked.save(update_fields=["cursor", "notes", "heartbeat_at"])


def _checked(candidate: Candidate, passages_by_id: dict[int, Passage]):
    """(cleaned content, passage) for a candidate that passes the gates, or a Rejection."""
    from quizzes.content import question_content_clean

    from .checks import check_grounding

    passage = passages_by_id.get(candidate.chunk_id)
    if passage is None:
        return Rejection("It cites a passage it was not given.", candidate.stem)
    try:
        content = question_content_clean(
            kind=candidate.kind,
            stem=candidate.stem,
            options=candidate.options,
            answer=candidate.answer,
            explanation=candidate.explanation,
        )
    except ValidationError as exc:
        return Rejection(" ".join(exc.messages), candidate.stem)
    reason = check_grounding(candidate, passage)
    if reason:
        return Rejection(reason, candidate.stem)
    return content, passage


def _vectors(texts: list[str]) -> tuple[list | None, str]:
    """Embeddings for duplicate detection, or (None, why) when the embedder is unavailable: the
    questions are then kept without the check rather than lost."""
    from ..embeddings import EmbeddingError, embedder

    if not texts:
        return [], ""
    release_connection()
    try:
        return embedder().embed(texts), ""
    except EmbeddingError as exc:
        return None, exc.message


# Bank questions embedded again per slice (see _bank_refresh).
BANK_REFRESH_BATCH = 200


def _objective_for(job: GenerationJob, passage: Passage) -> str:
    """The learning objective a question serves: the job's only one, or of several the one
    that shares most words with the passage it came from."""
    objectives = [o for o in (job.objectives or []) if o]
    if len(objectives) <= 1:
        return objectives[0] if objectives else ""
    words = set(re.findall(r"[a-z0-9]+", passage.text.lower()))
    return max(objectives, key=lambda o: len(words & set(re.findall(r"[a-z0-9]+", o.lower()))))


def _bank_refresh(course_id: int) -> str:
    """Embed again, with the school's current model, the course's bank questions that have no
    vector (written by hand, imported or edited since) or one from another model, so that the
    duplicate check compares like with like. At most BANK_REFRESH_BATCH per call; returns a
    sentence when the embedder failed, else ""."""
    from quizzes.models import Question

    from ..embeddings import EmbeddingError, embedder
    from .checks import question_embedding_text

    model = embedder().name
    stale = list(
        Question.objects.filter(course_id=course_id, current_version__isnull=False)
        .exclude(embedding_model=model, embedding__isnull=False)
        .select_related("current_version")
        .only("id", "kind", "updated_at", "current_version")
        .order_by("id")[:BANK_REFRESH_BATCH]
    )
    if not stale:
        return ""
    texts = [
        question_embedding_text(
            q.kind, q.current_version.stem, q.current_version.options, q.current_version.answer
        )
        for q in stale
    ]
    release_connection()
    try:
        vectors = embedder().embed(texts)
    except EmbeddingError as exc:
        return exc.message
    for question, vector in zip(stale, vectors, strict=True):
        # An edit since the read changed updated_at: its vector would be stale, leave it.
        Question.objects.filter(pk=question.pk, updated_at=question.updated_at).update(
            embedding=vector, embedding_model=model
        )
    return ""


def _apply(
    job: GenerationJob,
    generator_name: str,
    batch: Batch,
    passages: list[Passage],
    batch_ids: list[int],
    token: str,
) -> None:
    """Check a batch's candidates and save what passes, with the job's counters and cursor, in
    one transaction."""
    from quizzes.models import Question
    from quizzes.services import question_create

    from .checks import duplicate_flags, question_embedding_text

    passages_by_id = {p.chunk_id: p for p in passages}
    rejections = list(batch.rejections)
    checked = []
    for candidate in batch.candidates:
        outcome = _checked(candidate, passages_by_id)
        if isinstance(outcome, Rejection):
            rejections.append(outcome)
        else:
            checked.append((candidate, *outcome))
    texts = [
        question_embedding_text(c.kind, content["stem"], content["options"], content["answer"])
        for c, content, _ in checked
    ]
    vectors, embed_problem = _vectors(texts)
    model = ""
    if vectors is None:
        flags = [False] * len(checked)
    else:
        from ..embeddings import embedder

        model = embedder().name
        embed_problem = _bank_refresh(job.course_id) if vectors else ""
        flags = (
            duplicate_flags(
                job.course_id,
                vectors,
                threshold=settings.GENERATION_DUPLICATE_SIMILARITY,
                model=model,
            )
            if vectors
            else []
        )
    notes = list(batch.notes)
    if embed_problem:
        notes.append(f"Some questions were not checked for near-duplicates: {embed_problem}")

    with transaction.atomic():
        locked = GenerationJob.objects.select_for_update().get(pk=job.pk)
        if locked.is_finished:
            return
        cursor = dict(locked.cursor or {})
        lease = cursor.get("lease")
        if lease and lease.get("token") != token:
            # This slice outlived its lease and another worker has taken the job over: its
            # batch is that worker's to make, so nothing of this one is saved.
            return
        made = dict(cursor.get("made", {}))
        evidence = list(cursor.get("evidence", []))
        created = duplicates = 0
        new_ids: list[int] = []
        for index, (candidate, content, passage) in enumerate(checked):
            if locked.created_count + created >= locked.count:
                break
            if flags[index]:
                duplicates += 1
                continue
            question = question_create(
                course=locked.course,
                kind=candidate.kind,
                stem=content["stem"],
                options=content["options"],
                answer=content["answer"],
                explanation=content["explanation"],
                created_by=locked.requested_by,
                status=Question.Status.DRAFT,
                origin=Question.Origin.GENERATED,
                source={
                    "chunk_id": passage.chunk_id,
                    "material_id": passage.material_id,
                    "page": passage.page,
                    "section": passage.section,
                    "quote": candidate.evidence,
                },
                generation_job=locked,
                generator=generator_name,
                embedding=vectors[index] if vectors else None,
                embedding_model=model,
                topic=(candidate.topic or locked.topic)[:200],
                objective=(candidate.objective or _objective_for(locked, passage))[:300],
                difficulty=candidate.difficulty
                if candidate.difficulty in ("easy", "medium", "hard")
                else "medium",
            )
            new_ids.append(question.pk)
            created += 1
            made[candidate.kind] = made.get(candidate.kind, 0) + 1
            evidence.extend(evidence_sentences(candidate.evidence))
        cursor.update(
            used=[*cursor.get("used", []), *batch_ids],
            made=made,
            evidence=evidence,
            lease=_lease(token),
        )
        if locked.replaces_id and new_ids:
            cursor["replacement"] = new_ids[0]
        locked.cursor = cursor
        locked.created_count += created
        locked.duplicate_count += duplicates
        locked.rejected_count += len(rejections)
        locked.rejections = (
            (locked.rejections or [])
            + [{"reason": r.reason, "stem": (r.stem or "")[:300]} for r in rejections]
        )[-REJECTIONS_KEPT:]
        for note in notes:
            if note not in (locked.notes or []):
                locked.notes = [*(locked.notes or []), note]
        names = [n for n in locked.generator.split(", ") if n]
        if created and generator_name not in names:
            locked.generator = ", ".join([*names, generator_name])[:200]
        locked.prompt_tokens += batch.prompt_tokens
        locked.completion_tokens += batch.completion_tokens
        locked.heartbeat_at = timezone.now()
        locked.save()
        quotas.ai_tokens_record(batch.prompt_tokens, batch.completion_tokens)


def _finish(job: GenerationJob, report: Report) -> str:
    """Mark the job done, give back the unused part of its reservation, reject the question it
    replaces, and tell its watchers. Runs once: a finished job is left as it is."""
    from quizzes.models import Question
    from quizzes.services import question_reject

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
        replacement = (locked.cursor or {}).get("replacement")
        old = locked.replaces
        if old is not None and replacement:
            if old.status == Question.Status.DRAFT:
                question_reject(old, reason=f"Replaced by question {replacement}.")
        elif old is not None:
            notes.append(f"No new question was found to replace question {old.pk}; it is kept.")
        cursor = dict(locked.cursor or {})
        cursor.pop("lease", None)
        now = timezone.now()
        locked.cursor = cursor
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
    bank; the unused part of its reservation is given back (once)."""
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return
        cursor = dict(job.cursor or {})
        cursor.pop("lease", None)
        now = timezone.now()
        GenerationJob.objects.filter(pk=job_id).update(
            state=GenerationJob.State.FAILED,
            error=reason,
            cursor=cursor,
            finished_at=now,
            heartbeat_at=now,
        )
        quotas.ai_usage_release(
            quotas.GENERATED_QUESTIONS,
            job.count - job.created_count,
            month=quotas.month_start(job.created_at),
        )
    generation_failure_count(connection.schema_name)
    report({"state": "failed", "error": reason, "created": job.created_count})


# --- stalled jobs ---------------------------------------------------------------------------


def generation_jobs_stalled() -> list[int]:
    """Jobs of this school whose worker died: queued or running with no heartbeat for
    INGEST_STALL_SECONDS (a queued one only once it has waited that long)."""
    cutoff = timezone.now() - timedelta(seconds=_stall_seconds())
    rows = GenerationJob.objects.filter(
        state__in=[GenerationJob.State.QUEUED, GenerationJob.State.RUNNING]
    ).filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=cutoff))
    rows = rows.exclude(state=GenerationJob.State.QUEUED, created_at__gte=cutoff)
    return list(rows.values_list("pk", flat=True))


def generation_job_requeue(job_id: int) -> None:
    """Mark a stalled job as queued again (the caller queues its task): the fresh heartbeat
    keeps the next sweep from queueing it twice; its dead worker's lease is dropped."""
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return
        cursor = dict(job.cursor or {})
        cursor.pop("lease", None)
        GenerationJob.objects.filter(pk=job_id).update(cursor=cursor, heartbeat_at=timezone.now())
