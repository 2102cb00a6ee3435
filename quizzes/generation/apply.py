"""Checked candidates become drafts in the bank: each candidate passes quizzes.content's gate
and grounding in its cited passage, is embedded and compared with the course's bank
(near-duplicates are counted, not saved), and what is left is created as a draft question citing
its passage, with the job's counters and cursor, in one transaction."""

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ai.generation import (
    Batch,
    Candidate,
    EmbeddingError,
    Passage,
    Rejection,
    check_grounding,
    embed_texts,
    embedding_model,
    evidence_sentences,
    question_embedding_text,
)
from ai.generation import duplicate_flags as _duplicate_flags
from tenants import quotas

from ..content import question_content_clean
from ..models import GenerationJob, Question
from ..selectors import question_neighbours
from ..services import question_create
from .cursor import GenerationCursor, Lease

REJECTIONS_KEPT = 100
# Bank questions embedded again per slice (see bank_refresh).
BANK_REFRESH_BATCH = 200


@dataclass(frozen=True)
class Checked:
    """A candidate that passed the gates: its cleaned content and the passage it cites."""

    candidate: Candidate
    content: dict[str, Any]
    passage: Passage


def content_problem(candidate: Candidate) -> str | None:
    """The offline generator's content gate (``content_check``): None when quizzes.content
    accepts the candidate, else why not."""
    try:
        question_content_clean(
            kind=candidate.kind,
            stem=candidate.stem,
            options=candidate.options,
            answer=candidate.answer,
            explanation=candidate.explanation,
        )
    except ValidationError as exc:
        return "; ".join(exc.messages)
    return None


def candidate_check(
    candidate: Candidate, passages_by_id: dict[int, Passage]
) -> Checked | Rejection:
    """The candidate cleaned by the content gate, with its passage, if it passes the gates;
    else the Rejection that says why."""
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
    return Checked(candidate, content, passage)


def duplicate_flags(
    course_id: int, vectors: list[list[float]], *, threshold: float, model: str | None = None
) -> list[bool]:
    """For each vector (a question's ``question_embedding_text`` embedded by the school's
    model), whether it is a near-duplicate: cosine similarity ≥ ``threshold`` to a question of
    ``course_id``'s bank (any status, rejected included) or to an earlier vector of this list
    that was not itself flagged. One exact nearest-neighbour query per vector, in the current
    school's schema. With ``model``, only bank questions embedded by that model count."""
    return _duplicate_flags(
        vectors,
        threshold=threshold,
        neighbours=lambda unit: question_neighbours(course_id, unit, k=1, model=model),
    )


def _vectors(texts: list[str]) -> tuple[list[list[float]] | None, str]:
    """Embeddings for duplicate detection, or (None, why) when the embedder is unavailable: the
    questions are then kept without the check rather than lost."""
    try:
        return embed_texts(texts), ""
    except EmbeddingError as exc:
        return None, exc.message


def objective_for(job: GenerationJob, passage: Passage) -> str:
    """The learning objective a question serves: the job's only one, or of several the one
    that shares most words with the passage it came from."""
    objectives = [o for o in (job.objectives or []) if o]
    if len(objectives) <= 1:
        return objectives[0] if objectives else ""
    words = set(re.findall(r"[a-z0-9]+", passage.text.lower()))
    return max(objectives, key=lambda o: len(words & set(re.findall(r"[a-z0-9]+", o.lower()))))


def bank_refresh(course_id: int) -> str:
    """Embed again, with the school's current model, the course's bank questions that have no
    vector (written by hand, imported or edited since) or one from another model, so that the
    duplicate check compares like with like. At most BANK_REFRESH_BATCH per call; returns a
    sentence when the embedder failed, else ""."""
    model = embedding_model()
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
        question_embedding_text(q.kind, q.current.stem, q.current.options, q.current.answer)
        for q in stale
    ]
    try:
        vectors = embed_texts(texts)
    except EmbeddingError as exc:
        return exc.message
    for question, vector in zip(stale, vectors, strict=True):
        # An edit since the read changed updated_at: its vector would be stale, leave it.
        Question.objects.filter(pk=question.pk, updated_at=question.updated_at).update(
            embedding=vector, embedding_model=model
        )
    return ""


def batch_apply(
    job: GenerationJob,
    generator_name: str,
    batch: Batch,
    passages: list[Passage],
    batch_ids: list[int],
    token: str,
) -> None:
    """Check a batch's candidates and save what passes, with the job's counters and cursor, in
    one transaction (the job's row locked). Model calls (embeddings) happen before it, with no
    connection held. Saves nothing when the job is finished meanwhile or another worker holds
    its lease (this slice outlived its own); the batch's token usage is recorded with it."""
    passages_by_id = {p.chunk_id: p for p in passages}
    rejections = list(batch.rejections)
    checked: list[Checked] = []
    for candidate in batch.candidates:
        outcome = candidate_check(candidate, passages_by_id)
        if isinstance(outcome, Rejection):
            rejections.append(outcome)
        else:
            checked.append(outcome)
    texts = [
        question_embedding_text(
            c.candidate.kind, c.content["stem"], c.content["options"], c.content["answer"]
        )
        for c in checked
    ]
    vectors, embed_problem = _vectors(texts)
    model = ""
    if vectors is None:
        flags = [False] * len(checked)
    else:
        model = embedding_model()
        embed_problem = bank_refresh(job.course_id) if vectors else ""
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
        cursor = GenerationCursor.from_json(locked.cursor)
        if cursor.lease is not None and cursor.lease.token != token:
            # This slice outlived its lease and another worker has taken the job over: its
            # batch is that worker's to make, so nothing of this one is saved.
            return
        created = duplicates = 0
        new_ids: list[int] = []
        for index, item in enumerate(checked):
            candidate, content, passage = item.candidate, item.content, item.passage
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
                objective=(candidate.objective or objective_for(locked, passage))[:300],
                difficulty=candidate.difficulty
                if candidate.difficulty in ("easy", "medium", "hard")
                else "medium",
            )
            new_ids.append(question.pk)
            created += 1
            cursor.made[candidate.kind] = cursor.made.get(candidate.kind, 0) + 1
            cursor.evidence.extend(evidence_sentences(candidate.evidence))
        cursor.used = [*cursor.used, *batch_ids]
        cursor.lease = Lease.fresh(token)
        if locked.replaces_id and new_ids:
            cursor.replacement = new_ids[0]
        locked.cursor = cursor.to_json()
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
