"""Step 1: the question → the course passages that may support an answer, and whether the
material answers the question at all.

Every hit is kept for the trace; only those whose closest sentence is near enough the question
in meaning become numbered sources the answer may cite. The answerability check refuses before
anything is written when the material cannot hold the answer: the question names something the
course's material never mentions ("ripgrep" asked of a grep manual), no sentence of the
retrieved passages comes near it in meaning, or the closest passages, read word by word, leave
what it asks uncovered ("on Windows" asked of a passage on installing grep; ai.coverage).
Similar words alone are not an answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NotRequired, TypedDict

from django.conf import settings

if TYPE_CHECKING:
    from ..retrieval import SearchHit
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
    # The coverage check's reading, for the passages it read (ai.coverage).
    coverage: NotRequired[float]
    unanswered_words: NotRequired[list[str]]


@dataclass(frozen=True)
class Refusal:
    """Why the material does not answer the question, for the student and the trace."""

    reason: str  # "not_mentioned" | "not_close_enough" | "not_answered" | "nothing_found"
    message: str
    missing_words: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Retrieval:
    retrieved: list[RetrievedPassage]
    sources: list[Source]
    refusal: Refusal | None = None


def supports(best_sentence: float | None) -> bool:
    return best_sentence is not None and best_sentence >= settings.TUTOR_MIN_SIMILARITY


def not_covered_message(missing: list[str], nearby: list[str], *, unanswered: bool = False) -> str:
    """The refusal the student reads: what the material lacks, and what it covers nearby.
    ``unanswered``: the words are in the material, but not where the question points."""
    named = ", ".join(f"“{w}”" for w in missing[:3])
    if missing and unanswered:
        opening = (
            f"The passages closest to your question say nothing about {named}, so I can't "
            "answer this from your course material."
        )
    elif unanswered:
        opening = (
            "The passages closest to your question don't answer it, so I can't answer this "
            "from your course material."
        )
    elif missing:
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
    else:
        refusal = _unanswered(question, supporting, best, retrieved, nearby, course_id)
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


# Coverage is read for this many supporting passages, the closest by sentence first.
COVERAGE_PASSAGES = 2


def _unanswered(
    question: str,
    supporting: list[SearchHit],
    best: dict[int, float | None],
    retrieved: list[RetrievedPassage],
    nearby: list[str],
    course_id: int,
) -> Refusal | None:
    """The coverage check (ai.coverage): the refusal when the closest supporting passages are
    about the question's subject but leave what it asks unanswered. Records each checked
    passage's coverage for the trace."""
    from ..coverage import question_coverage

    floor = settings.TUTOR_MIN_COVERAGE
    if floor <= 0:
        return None
    closest = sorted(supporting, key=lambda h: -(best[h.chunk_id] or 0.0))[:COVERAGE_PASSAGES]
    coverages = question_coverage(
        question, [(h.chunk_id, h.section, h.text) for h in closest], course_ids=[course_id]
    )
    by_chunk = {c.passage_id: c for c in coverages}
    for passage in retrieved:
        checked = by_chunk.get(passage["chunk_id"])
        if checked is not None:
            passage["coverage"] = round(checked.score, 4)
            passage["unanswered_words"] = checked.unanswered_words()
    top = max(coverages, key=lambda c: c.score)
    if top.score >= floor and not top.unanswered_words():
        return None
    words = top.unanswered_words()
    return Refusal("not_answered", not_covered_message(words, nearby, unanswered=True), words)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
