"""Step 1: the question → the course passages that may support an answer, and whether the
material answers the question at all.

Every hit is kept for the trace; only those whose closest sentence is near enough the question
in meaning become numbered sources the answer may cite. The answerability check refuses before
anything is written when the material cannot hold the answer: the question names something the
course's material never mentions ("ripgrep" asked of a grep manual), or no sentence of the
retrieved passages comes near it in meaning. Similar words alone are not an answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict

from django.conf import settings

if TYPE_CHECKING:
    from ..sentences import ScoredSentence


@dataclass(frozen=True)
class Source:
    n: int
    chunk_id: int
    material_id: int
    material_title: str
    page: int | None
    section: str
    text: str
    similarity: float | None
    # The passage's sentences with their similarity to the question, in passage order.
    sentences: tuple[ScoredSentence, ...] = ()


class RetrievedPassage(TypedDict):
    """One retrieved chunk with its scores, as TutorTurn.retrieved stores it."""

    chunk_id: int
    material_id: int
    material_title: str
    page: int | None
    section: str
    score: float
    similarity: float | None
    vector_rank: int | None
    text_rank: int | None
    sentence_similarity: float | None
    supports: bool


@dataclass(frozen=True)
class Refusal:
    """Why the material does not answer the question, for the student and the trace."""

    reason: str  # "not_mentioned" | "not_close_enough" | "nothing_found"
    message: str
    missing_words: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Retrieval:
    retrieved: list[RetrievedPassage]
    sources: list[Source]
    refusal: Refusal | None = None


def supports(best_sentence: float | None) -> bool:
    return best_sentence is not None and best_sentence >= settings.TUTOR_MIN_SIMILARITY


def not_covered_message(missing: list[str], nearby: list[str]) -> str:
    """The refusal the student reads: what the material lacks, and what it covers nearby."""
    if missing:
        named = ", ".join(f"“{w}”" for w in missing[:3])
        opening = f"Your course material doesn't mention {named}, so I can't answer this from it."
    else:
        opening = "The course material does not cover this, so I can't answer it from your course."
    if nearby:
        opening += " Nearby, it covers: " + "; ".join(nearby[:3]) + "."
    return opening + " Try rephrasing, or ask your teacher."


def retrieve(question: str, *, course_id: int) -> Retrieval:
    """Search the course for ``question`` (TUTOR_TOP_K hits), score each hit's sentences,
    number the supporting ones, and refuse when the material does not answer it."""
    from ..embeddings import embed_query
    from ..fulltext import words_not_in_material
    from ..retrieval import chunk_search
    from ..sentences import scored_sentences

    query_vector = embed_query(question)
    hits = chunk_search(
        question, course_ids=[course_id], k=settings.TUTOR_TOP_K, query_vector=query_vector
    )
    by_chunk = scored_sentences(query_vector, [(h.chunk_id, h.section, h.text) for h in hits])
    best = {
        h.chunk_id: max((s.similarity for s in by_chunk.get(h.chunk_id, [])), default=None)
        for h in hits
    }
    retrieved: list[RetrievedPassage] = [
        {
            "chunk_id": h.chunk_id,
            "material_id": h.material_id,
            "material_title": h.material_title,
            "page": h.page,
            "section": h.section,
            "score": round(h.score, 6),
            "similarity": None if h.similarity is None else round(h.similarity, 4),
            "vector_rank": h.vector_rank,
            "text_rank": h.text_rank,
            "sentence_similarity": _rounded(best[h.chunk_id]),
            "supports": supports(best[h.chunk_id]),
        }
        for h in hits
    ]
    nearby = list(dict.fromkeys(h.section for h in hits if h.section))
    missing = words_not_in_material(question, course_ids=[course_id]) if hits else []
    supporting = [h for h in hits if supports(best[h.chunk_id])]
    refusal = None
    if not hits:
        refusal = Refusal("nothing_found", not_covered_message([], []))
    elif missing:
        refusal = Refusal("not_mentioned", not_covered_message(missing, nearby), missing)
    elif not supporting:
        refusal = Refusal("not_close_enough", not_covered_message([], nearby))
    if refusal is not None:
        for passage in retrieved:
            passage["supports"] = False
        return Retrieval(retrieved=retrieved, sources=[], refusal=refusal)
    sources = [
        Source(
            n=i,
            chunk_id=h.chunk_id,
            material_id=h.material_id,
            material_title=h.material_title,
            page=h.page,
            section=h.section,
            text=h.text,
            similarity=h.similarity,
            sentences=tuple(by_chunk.get(h.chunk_id, [])),
        )
        for i, h in enumerate(supporting, start=1)
    ]
    return Retrieval(retrieved=retrieved, sources=sources)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
