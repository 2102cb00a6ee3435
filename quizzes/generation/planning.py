"""What a generation job draws from, and in which order: the passages in scope, the plan
(ranked by the topic/objectives when there are some, else spread evenly over the material), the
sentences the bank already asks about, the passages of one call and the kinds asked of it."""

import math

from django.db.models import QuerySet

from ai.embeddings import embed_query
from ai.generation import GenerationSpec, Passage, evidence_sentences
from ai.ingestion import release_connection
from ai.models import Chunk
from ai.retrieval import chunk_search
from courses.models import Material

from ..models import GenerationJob, Question
from .validation import DEFAULT_KINDS

# Passages a job lines up; a job that has looked at this many without filling its count stops.
PLAN_MAX_PASSAGES = 500
# Questions asked of one generator call per passage sent.
QUESTIONS_PER_PASSAGE = 2
# Passages of the job's scope whose terms the offline generator may use as distractors.
POOL_PASSAGES = 60


def job_spec(job: GenerationJob) -> GenerationSpec:
    """What the teacher asked for, as the generators take it."""
    return GenerationSpec(
        count=job.count,
        kinds=tuple(job.kinds or DEFAULT_KINDS),
        difficulty=job.difficulty,
        topic=job.topic,
        objectives=tuple(job.objectives or ()),
    )


def scope_chunks(job: GenerationJob) -> tuple[QuerySet[Chunk], list[int]]:
    """The ready passages the job may use, and the materials it was limited to (none: all)."""
    chunks = Chunk.objects.filter(course_id=job.course_id, material__state=Material.State.READY)
    material_ids = list(job.materials.values_list("pk", flat=True))
    if material_ids:
        chunks = chunks.filter(material_id__in=material_ids)
    return chunks, material_ids


def spread(ids: list[int], needed: int) -> list[int]:
    """``ids`` reordered so that the first ``needed`` are spread evenly over them (then the
    ones in between): questions come from the whole material, not its first pages."""
    if not ids:
        return []
    stride = max(1, len(ids) // max(1, needed))
    return [ids[i] for i in sorted(range(len(ids)), key=lambda i: (i % stride, i))]


def plan_passages(job: GenerationJob, first: list[int]) -> list[int]:
    """The passages this job draws from, in the order it uses them (``first`` first)."""
    chunks, material_ids = scope_chunks(job)
    first = [cid for cid in first if chunks.filter(pk=cid).exists()]
    query = " ".join([job.topic, *job.objectives]).strip()
    if query:
        # The query's embedding is a model call: made without holding a connection.
        release_connection()
        vector = embed_query(query)
        # No sentence re-ranking: a plan lines up many passages, not the one that answers, and
        # re-ranking would be another model call made while holding a connection.
        hits = chunk_search(
            query,
            course_ids=[job.course_id],
            k=min(PLAN_MAX_PASSAGES, 200),
            query_vector=vector,
            rerank=False,
        )
        allowed = set(material_ids)
        ranked = [h.chunk_id for h in hits if not allowed or h.material_id in allowed]
    else:
        ordered = list(chunks.order_by("material_id", "ordinal").values_list("pk", flat=True))
        needed = math.ceil(job.count / QUESTIONS_PER_PASSAGE) * 2
        ranked = spread(ordered, needed)
    return list(dict.fromkeys(first + ranked))[:PLAN_MAX_PASSAGES]


def bank_evidence(job: GenerationJob, plan: list[int], seed: list[str]) -> list[str]:
    """The sentences questions already in the bank ask about, for the passages this job may
    use: new questions ask about something else (the duplicate check would refuse most of
    them anyway, after the work of writing them)."""
    quotes = (
        Question.objects.filter(course_id=job.course_id, source_chunk_id__in=plan)
        .exclude(source_quote="")
        .values_list("source_quote", flat=True)
    )
    sentences = list(seed)
    for quote in quotes:
        sentences.extend(evidence_sentences(quote))
    return list(dict.fromkeys(sentences))


def distractor_pool(job: GenerationJob) -> list[Passage]:
    """Passages spread evenly over the job's scope (its materials, else the course): the
    offline generator draws wrong options from the whole material, not only the passages of
    one call."""
    chunks, _ = scope_chunks(job)
    ordered = list(chunks.order_by("material_id", "ordinal").values_list("pk", flat=True))
    return passages_for(spread(ordered, POOL_PASSAGES)[:POOL_PASSAGES])


def passages_per_call(plan_left: int, questions_left: int) -> int:
    """Questions asked per passage of the next call: one while the plan has passages enough
    for the rest of the job (every passage gets a question before any gets two), else
    ``QUESTIONS_PER_PASSAGE``."""
    return 1 if plan_left >= 2 * questions_left else QUESTIONS_PER_PASSAGE


def passages_for(chunk_ids: list[int]) -> list[Passage]:
    """The passages of ``chunk_ids`` still there and ready, in that order."""
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


def call_kinds(job: GenerationJob, made: dict[str, int], want: int) -> tuple[str, ...]:
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
