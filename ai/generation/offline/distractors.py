"""Distractors for the offline generator: the pool of terms of each kind drawn from a sample
of the material, wrong terms of the key's kind ranked by embedding similarity to it (term
vectors cached per process), and near values for numbers. Also the state of one ``generate``
call (``_Run``), which holds the pool."""

from __future__ import annotations

import math
import random
import re
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from ..checks import NUMBER_WORDS, content_words, fold
from ..types import GenerationSpec, Passage
from .terms import _analyse, _Analysis, _cache_lock
from .text import _numbers_of

# Passages whose terms make the distractor pool, and terms per kind embedded from it.
POOL_PASSAGES = 60
POOL_PER_KIND = 100
# Cosine similarity from which a term is a variant of the key rather than a wrong answer.
TOO_CLOSE = 0.92
VECTOR_CACHE_SIZE = 20_000


@dataclass
class _Run:
    spec: GenerationSpec
    rng: random.Random
    order: list[Passage]
    pool: dict[str, list[str]]
    frequency: Counter
    numbers: list[tuple[float, str]]
    used: set[str] = field(default_factory=set)
    # Content words of the sentences used so far: a sentence that says nearly the same (a
    # repeated phrase of the manual, an overlapping chunk) is skipped too.
    used_words: list[frozenset] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def analysis(self, position: int) -> _Analysis:
        # Analysed when first reached: a long document's later passages may never be.
        return _analyse(self.order[position])


_vector_cache: OrderedDict[tuple, tuple[float, ...]] = OrderedDict()


def _format_number(value: float, like: str) -> str:
    """``value`` written the way the key is: digits with the same decimals, or a number word."""
    if like.lower() in NUMBER_WORDS and value.is_integer() and 0 <= value <= 20:
        word = next(w for w, v in NUMBER_WORDS.items() if v == int(value))
        return word.capitalize() if like[0].isupper() else word
    decimals = len(like.split(".", 1)[1].rstrip("%")) if "." in like else 0
    text = f"{value:,.{decimals}f}" if "," in like else f"{value:.{decimals}f}"
    return text + ("%" if like.endswith("%") else "")


class Distractors:
    """The distractor half of ``OfflineGenerator`` (a mixin): the pool, the embeddings and the
    ranking of wrong answers. Expects ``self._embed`` (texts → unit vectors, or None for the
    configured embedder)."""

    _embed: Callable[[list[str]], list[list[float]]] | None

    # --- preparation ---------------------------------------------------------------------------

    def _prepare(self, spec: GenerationSpec, order: list[Passage], rng: random.Random) -> _Run:
        sample = order[:POOL_PASSAGES]
        analyses = [_analyse(p) for p in sample]
        frequency: Counter = Counter()
        by_kind: dict[str, dict[str, str]] = {}
        numbers: list[tuple[float, str]] = []
        for analysis in analyses:
            for term in analysis.terms:
                folded = fold(term.text)
                frequency[folded] += 1
                by_kind.setdefault(term.kind, {}).setdefault(folded, term.text)
            for sentence in analysis.sentences:
                for match, value in _numbers_of(sentence):
                    numbers.append((value, match.group(0)))
        # A term the material capitalises in mid-sentence somewhere is a name everywhere.
        names = set(by_kind.get("name", {}))
        for kind in ("word", "phrase"):
            for folded in names & set(by_kind.get(kind, {})):
                del by_kind[kind][folded]
        pool = {
            kind: [
                terms[f] for f in sorted(terms, key=lambda f: (-frequency[f], f))[:POOL_PER_KIND]
            ]
            for kind, terms in by_kind.items()
        }
        return _Run(
            spec=spec,
            rng=rng,
            order=order,
            pool=pool,
            frequency=frequency,
            numbers=numbers,
        )

    def _vectors(self, texts: list[str]) -> dict[str, tuple[float, ...]]:
        embed: Callable[[list[str]], list[list[float]]]
        if self._embed is None:
            from ai.embeddings import embedder

            model = embedder()
            embed, model_name = model.embed, model.name
        else:
            embed, model_name = self._embed, f"custom-{id(self._embed)}"
        found, missing = {}, []
        with _cache_lock:
            for text in dict.fromkeys(texts):
                cached = _vector_cache.get((model_name, text))
                if cached is None:
                    missing.append(text)
                else:
                    found[text] = cached
        if missing:
            vectors = embed(missing)
            with _cache_lock:
                for text, vector in zip(missing, vectors, strict=True):
                    norm = math.sqrt(math.fsum(x * x for x in vector)) or 1.0
                    found[text] = _vector_cache[(model_name, text)] = tuple(
                        x / norm for x in vector
                    )
                while len(_vector_cache) > VECTOR_CACHE_SIZE:
                    _vector_cache.popitem(last=False)
        return found

    # --- distractors ----------------------------------------------------------------------------

    def _related(
        self, run: _Run, key: str, kind: str, sentence: str, difficulty: str, count: int
    ) -> list[str]:
        """``count`` wrong terms of ``key``'s kind, related to it, none stated by ``sentence``."""
        key_words = set(content_words(key))
        sentence_words = set(content_words(sentence))
        candidates = []
        for term in run.pool.get(kind, []):
            words = set(content_words(term))
            if not words or words & key_words or words <= sentence_words:
                continue
            if fold(term) in fold(key) or fold(key) in fold(term):
                continue
            candidates.append(term)
        if len(candidates) < count:
            return []
        vectors = self._vectors([key, *candidates])
        anchor = vectors[key]
        scored = sorted(
            ((sum(a * b for a, b in zip(anchor, vectors[t], strict=True)), t) for t in candidates),
            key=lambda item: (-item[0], item[1]),
        )
        ranked = [term for similarity, term in scored if similarity < TOO_CLOSE]
        if difficulty == "hard":
            window = ranked[:count]
        elif difficulty == "easy":
            window = ranked[count * 4 : count * 10] or ranked[count:] or ranked
        else:
            window = ranked[count : count * 4] or ranked
        chosen: list[str] = []
        seen_words: set[str] = set()
        for term in run.rng.sample(window, len(window)) + ranked:
            words = set(content_words(term))
            if term in chosen or words & seen_words:
                continue
            chosen.append(term)
            seen_words |= words
            if len(chosen) == count:
                return chosen
        return []

    def _number_distractors(
        self, run: _Run, value: float, surface: str, sentence: str, difficulty: str
    ) -> list[str]:
        stated = {v for _, v in _numbers_of(sentence)}
        for word, number in NUMBER_WORDS.items():
            if re.search(rf"\b{word}\b", sentence, re.IGNORECASE):
                stated.add(float(number))
        integer = value.is_integer()
        options = {v for v, _ in run.numbers if v.is_integer() == integer}
        step = 1.0 if integer else 10 ** -len(surface.rstrip("%").split(".", 1)[1])
        options |= {value + step, value - step, value + 2 * step, value * 2}
        if value > 2 * step:
            options.add(round(value / 2, 6) if not integer else float(int(value // 2)))
        if 1000 <= value <= 2100 and integer:  # a year
            options |= {value - 10, value + 10, value - 5}
        options = {v for v in options if v >= 0 and v != value and v not in stated}
        if surface.lower() in NUMBER_WORDS:
            options = {v for v in options if v.is_integer() and v <= 20}
        ranked = sorted(options, key=lambda v: (abs(math.log((v + 1) / (value + 1))), v))
        window = {
            "hard": ranked[:3],
            "medium": ranked[:6],
            "easy": ranked[3:12] or ranked,
        }[difficulty]
        if len(window) < 3:
            return []
        chosen = sorted(run.rng.sample(window, 3))
        return [_format_number(v, surface) for v in chosen]
