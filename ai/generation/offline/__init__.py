"""The built-in offline quiz generator: questions drawn from the material itself, so quiz
generation works with no network and no key.

How it chooses:

- **Sentences.** Each passage is cut into sentences (segtok). A sentence can carry a question
  when it reads as a self-contained statement: 8–40 words, starts with a capital letter and ends
  with a full stop, holds at least five content words, is not a question, a heading, a list
  item or code (few symbols, mostly letters), and does not open with a word that points back
  to an earlier sentence ("It", "This", "In the latter case", "The default", …). Sentences
  already used (``exclude_evidence``, and earlier questions of the same call) are skipped, and
  so is one that shares 60% of its content words with a used one.
- **Never asked about** (``text.boilerplate``): licence, copyright and authorship notices
  ("Permission is granted…", "Copyright ©", GNU FDL text, "Written by …"; a passage under a
  licence heading or 30% notices is left out whole) and instructions planted for an AI
  (``ai.injection.is_instruction``). Their words are no terms either.
- **Coverage.** Each passage, then each section (``Passage.section``), gets a question before
  any gets a second (``_Run.per_passage``/``per_section``).
- **Key terms** are runs of one to three words between stop words, verbs (a list, plus the
  passage's own "to X"/"it Xs" verbs), generic words and punctuation, as in RAKE; a run is kept
  when YAKE ranks it among the passage's key phrases, when it has several words, or when the
  passage repeats it. Capitalised names, acronyms and code identifiers are terms too, and
  numbers. A term is one of six kinds: ``number``, ``identifier``, ``acronym``, ``name``,
  ``phrase`` or ``word``. A word or phrase is a key only when it ends in a noun as far as the
  material tells (its last word follows a determiner somewhere; ``terms.noun_like``).
- **Distractors** are terms of the key's kind, number and length class from the call's passages
  and the ``pool`` the caller lends (the job: 60 passages spread over its scope), ranked by
  cosine similarity to the key with the configured embedding model and kept in a band
  (0.3 ≤ similarity < 0.92; 0.1 for a small material); none shares a word with the key or
  another option, is stated by the evidence or shown in the stem; rare names (fewer than three
  passages) are left out. Numbers are ranked by closeness of value.
- **Guessable keys are refused** (``guards.guessable``): the key in the stem or the material's
  title, the only option of its grammatical form (plural, capital, "an"), a length outlier, the
  only statement with (or without) a negation.
- **False statements** swap a multi-word term for a sibling (similarity 0.3–0.65), flip the
  negation of the first auxiliary verb (one per question), or change the number.
- **Styles per kind** (``Candidate.style``, read back from a stem by ``style_of``): single —
  ``definition`` ("Which term does the material describe as …?"), ``cause_effect`` ("What
  happens if …?", the wrong options being the consequences of other conditions),
  ``true_statement`` (one sentence and three made false), ``cloze``; multiple —
  ``multiple_answer`` (two sentences, two made false from other sentences); true_false;
  short_answer — ``definition`` or ``cloze`` (specific terms first; the head noun of a two-word
  term accepted too); numeric; fill_blank — ``cloze``.

Measured on 2026-12-08 (``make eval --generate 12``, 36 questions judged by hand in
bench/eval/judged-questions.yaml): grounded 100%, unambiguous 89%, plausible distractor sets 65%
(the swapped terms of false statements are the weak point), 5 styles.

Every candidate cites its passage (``chunk_id``) and quotes the sentence(s) that support the key
(``evidence``); it is checked by ``checks.check_grounding`` and the content gate the caller
passes in (``content_check``: quizzes.content's, which ai does not import) before it is
returned, so a question that would be graded wrongly is never offered. The output is a pure
function of the input: the random choices are seeded from the passages and the request.

Cost: YAKE runs once per passage looked at (cached per process); only the distractor pool of a
sample of passages is embedded, in batches, and term vectors are cached per process.

Layout: ``text`` (sentences: which can carry a question, blanking, numbers), ``terms`` (key
terms, their kinds, a passage's cached analysis), ``distractors`` (the pool, embeddings, wrong
answers), ``guards`` (guessable keys, styles), ``questions`` (one builder per kind and style);
``OfflineGenerator`` here ties them together.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterable, Sequence

# Re-exported (``as``): the tests and the bench read NUMBER_WORDS and clear the caches.
from ..checks import NUMBER_WORDS as NUMBER_WORDS
from ..checks import (
    check_grounding,
    content_words,
    evidence_sentences,
    normalize_evidence,
)
from ..types import Batch, Candidate, ContentCheck, GenerationSpec, Passage
from .distractors import _Run, conditional
from .distractors import _vector_cache as _vector_cache
from .guards import guessable, style_of
from .questions import Questions
from .terms import _analysis_cache as _analysis_cache
from .terms import answer_variants, term_kind

__all__ = ["OfflineGenerator", "normalize_evidence", "term_kind", "answer_variants", "style_of"]

NAME = "offline/extractive"
KINDS = ("single", "multiple", "true_false", "short_answer", "numeric", "fill_blank")
DIFFICULTIES = ("easy", "medium", "hard")
KIND_LABELS = {
    "single": "multiple-choice",
    "multiple": "multiple-answer",
    "true_false": "true/false",
    "short_answer": "short-answer",
    "numeric": "numeric",
    "fill_blank": "fill-in-the-blank",
}

# Share of content words (Jaccard) from which two sentences say nearly the same thing.
NEAR_REPEAT = 0.6


def _seed(spec: GenerationSpec, passages, want, kinds, exclude) -> int:
    digest = hashlib.sha256()
    for part in (
        repr((spec.count, tuple(spec.kinds), spec.difficulty, spec.topic, tuple(spec.objectives))),
        repr((want, tuple(kinds))),
        *(f"{p.chunk_id}:{hashlib.sha1(p.text.encode()).hexdigest()}" for p in passages),
        *sorted(exclude),
    ):
        digest.update(part.encode())
        digest.update(b"\0")
    return int.from_bytes(digest.digest()[:8], "big")


class OfflineGenerator(Questions):
    """Extractive questions from the passages, with distractors from the material's related
    terms. ``embed`` (texts → unit vectors) defaults to the configured embedder; ``self_check``
    (default on) drops candidates that fail grounding or ``content_check`` (a candidate → None,
    or the reason its content would be refused; the caller's content gate, none by default);
    ``pool``: more passages of the same course, whose terms and conditions may be distractors
    (questions are only drawn from the passages ``generate`` is given)."""

    name = NAME

    def __init__(
        self,
        *,
        embed: Callable[[list[str]], list[list[float]]] | None = None,
        self_check: bool = True,
        content_check: ContentCheck | None = None,
        pool: Sequence[Passage] = (),
    ) -> None:
        self._embed = embed
        self._pool = list(pool)
        self._self_check = self_check
        self._content_check = content_check
        # What the last call dropped, and why (for benches and debugging; not user-facing).
        self.last_skipped: list[tuple[str, str]] = []

    # --- the contract --------------------------------------------------------------------------

    def generate(
        self,
        spec: GenerationSpec,
        passages: list[Passage],
        *,
        want: int,
        kinds: Sequence[str],
        exclude_evidence: Iterable[str] = frozenset(),
    ) -> Batch:
        """Up to ``want`` candidates from ``passages``, kinds taking turns in the order of
        ``kinds``; none reuses a sentence in ``exclude_evidence`` (normalized with
        ``normalize_evidence`` or ``checks.evidence_sentences``). Deterministic."""
        batch = Batch()
        kinds = [k for k in (kinds or spec.kinds or ["single"]) if k in KINDS] or ["single"]
        passages = [p for p in passages if p.text and p.text.strip()]
        if want <= 0 or not passages:
            return batch
        excluded = set()
        for entry in exclude_evidence:
            excluded.add(normalize_evidence(entry))
            excluded.update(evidence_sentences(entry))
        rng = random.Random(_seed(spec, passages, want, kinds, excluded))
        order = list(passages)
        rng.shuffle(order)
        run = self._prepare(spec, order, rng)
        run.used |= excluded
        run.used_words = [frozenset(content_words(e)) for e in excluded]
        exhausted: set[str] = set()
        cursor = 0
        for index in range(want):
            wanted = kinds[index % len(kinds)]
            tries = [wanted] + [k for k in kinds if k != wanted]
            difficulty = spec.difficulty
            if difficulty not in DIFFICULTIES:
                difficulty = DIFFICULTIES[index % 3]
            made = None
            for kind in tries:
                if kind in exhausted:
                    continue
                made, cursor = self._one(run, kind, difficulty, cursor)
                if made is not None:
                    break
                exhausted.add(kind)
            if made is None:
                break
            batch.candidates.append(made)
        # One fixed sentence per type, so a job that calls this many times repeats no note.
        for kind in dict.fromkeys(k for k in kinds if k in exhausted):
            batch.notes.append(
                f"Some passages offered no sentence for a {KIND_LABELS[kind]} question; "
                "other requested types were made from them instead."
            )
        self.last_skipped = run.skipped
        return batch

    # --- choosing ------------------------------------------------------------------------------

    def _one(self, run: _Run, kind: str, difficulty: str, cursor: int):
        """The next candidate of ``kind``: from the passages, then sections, with the fewest
        questions so far (in turn from ``cursor``)."""
        builder = getattr(self, f"_build_{kind}")
        count = len(run.order)
        positions = sorted(
            range(count),
            key=lambda p: (
                run.per_passage[run.order[p].chunk_id],
                run.per_section[run.order[p].section],
                (p - cursor) % count,
            ),
        )
        for position in positions:
            analysis = run.analysis(position)
            order = analysis.usable
            if kind in ("short_answer", "single"):
                # Definitions (and conditions) make the best questions of these kinds: first.
                order = sorted(order, key=lambda i: not (
                    self._DEFINITION.match(analysis.sentences[i])
                    or (kind == "single" and conditional(analysis.sentences[i]))))  # fmt: skip
            for index in order:
                sentence = analysis.sentences[index]
                if normalize_evidence(sentence) in run.used:
                    continue
                words = frozenset(content_words(sentence))
                if any(len(words & w) >= NEAR_REPEAT * len(words | w) for w in run.used_words):
                    continue
                candidate = builder(run, analysis, index, difficulty)
                if candidate is None:
                    continue
                reason = self._verdict(candidate, analysis.passage)
                if reason is not None:
                    run.skipped.append((reason, candidate.stem))
                    continue
                for piece in [sentence, *evidence_sentences(candidate.evidence)]:
                    run.used.add(normalize_evidence(piece))
                    run.used_words.append(frozenset(content_words(piece)))
                candidate.difficulty = difficulty
                candidate.topic = (run.spec.topic or analysis.topic)[:200]
                run.per_passage[analysis.passage.chunk_id] += 1
                run.per_section[analysis.passage.section] += 1
                run.styles[candidate.style] += 1
                return candidate, position + 1
        return None, cursor

    def _verdict(self, candidate: Candidate, passage: Passage) -> str | None:
        if not self._self_check:
            return None
        reason = guessable(candidate, passage) or check_grounding(candidate, passage)
        if reason is not None:
            return reason
        if self._content_check is not None:
            return self._content_check(candidate)
        return None
