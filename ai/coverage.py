"""How much of a question a passage covers, word by word: the answerability check's reading.

Similar is not the same as answering: "How do I install grep on Windows?" lies close to a
passage on installing grep, but nothing in it is about Windows. So each content word of the
question is matched with its closest token of the passage *in context* (the local model's token
vectors, the way BERTScore compares texts), and weighted by how telling it is in the course
(its IDF in the full-text index: "Windows" in a grep course weighs far more than "grep"). A
passage's coverage is the weighted mean of its words' matches; a passage that covers too little
of the question, or leaves one of its rare words with nothing like it, does not answer it.

Measured on make eval (docs/benchmarks/evaluation.md, three third-party manuals): with these
thresholds and TUTOR_MIN_COVERAGE 0.46, near-topic questions the material does not answer are
refused 80 % of the time instead of 47 %, while answerable ones refused go from 2.1 % to 2.9 %.
The weights follow the course, so a small course (a few passages, no rare words) leans on the
coverage floor alone."""

from __future__ import annotations

from dataclasses import dataclass

# A word this telling (IDF; in a course of 600 passages, one that at most 3 of them hold)...
RARE_WORD_WEIGHT = 5.0
# ...with no token of the passage closer to it than this, is left unanswered.
RARE_WORD_MATCH = 0.35


@dataclass(frozen=True)
class WordMatch:
    word: str
    weight: float  # its (smoothed) IDF in the course
    # Cosine similarity of its closest passage token; a word the model cuts into pieces is
    # matched as well as its worst-matched piece ("til" of "tilde" matching "until" is no match).
    match: float


@dataclass(frozen=True)
class Coverage:
    passage_id: int
    score: float  # the weighted mean of the words' matches, 0..1
    words: tuple[WordMatch, ...]

    def unanswered_words(self) -> list[str]:
        """The question's rare words the passage has nothing like."""
        return [
            w.word for w in self.words if w.weight >= RARE_WORD_WEIGHT and w.match < RARE_WORD_MATCH
        ]


def question_coverage(
    question: str, passages: list[tuple[int, str, str]], *, course_ids: list[int]
) -> list[Coverage]:
    """The coverage of ``question`` by each (passage id, heading, text), in the given order.
    Runs the local model once over the question and the passages together."""
    from .embeddings import local_token_vectors
    from .fulltext import WORD_RE, word_weights

    spans = [(m.group(0), m.start(), m.end()) for m in WORD_RE.finditer(question)]
    weights = word_weights([word for word, _, _ in spans], course_ids=course_ids)
    words = [(word, start, end) for word, start, end in spans if word in weights]
    if not words or not passages:
        return [Coverage(pid, 0.0, ()) for pid, _, _ in passages]
    texts = [question] + [
        f"{heading}\n{text}" if heading else text for _, heading, text in passages
    ]
    (question_spans, question_vectors), *passage_tokens = local_token_vectors(texts)
    pieces = [
        [i for i, (a, b) in enumerate(question_spans) if a >= start and b <= end]
        for _, start, end in words
    ]
    coverages = []
    for (passage_id, _, _), (_, passage_vectors) in zip(passages, passage_tokens, strict=True):
        if not len(passage_vectors):
            coverages.append(Coverage(passage_id, 0.0, ()))
            continue
        closest = (question_vectors @ passage_vectors.T).max(axis=1)
        matches = tuple(
            WordMatch(word, weights[word], float(closest[own].min()))
            for (word, _, _), own in zip(words, pieces, strict=True)
            if own
        )
        total = sum(m.weight for m in matches)
        score = sum(m.weight * m.match for m in matches) / total if total else 0.0
        coverages.append(Coverage(passage_id, score, matches))
    return coverages
