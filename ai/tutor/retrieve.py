"""Step 1: the question → the course passages that may support an answer.

Every hit is kept for the trace; only those that pass the support threshold become numbered
sources the answer may cite."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from django.conf import settings

if TYPE_CHECKING:
    from ..retrieval import SearchHit


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
    supports: bool


@dataclass(frozen=True)
class Retrieval:
    retrieved: list[RetrievedPassage]
    sources: list[Source]


def supports(hit: SearchHit) -> bool:
    similar = hit.similarity is not None and hit.similarity >= settings.TUTOR_MIN_SIMILARITY
    # Full text matches every word of the question (AND semantics): strong evidence on its own.
    return similar or hit.text_rank is not None


def retrieve(question: str, *, course_id: int) -> Retrieval:
    """Search the course for ``question`` (TUTOR_TOP_K hits) and number the supporting ones."""
    from ..retrieval import chunk_search

    hits = chunk_search(question, course_ids=[course_id], k=settings.TUTOR_TOP_K)
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
            "supports": supports(h),
        }
        for h in hits
    ]
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
        )
        for i, h in enumerate((h for h in hits if supports(h)), start=1)
    ]
    return Retrieval(retrieved=retrieved, sources=sources)
