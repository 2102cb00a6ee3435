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
from .terms import _analyse, _Analysis, _cache_lock, noun_like
from .text import _numbers_of, _plural

# Passages whose terms make the distractor pool, and terms per kind embedded from it.
POOL_PASSAGES = 60
POOL_PER_KIND = 100
# Cosine similarity from which a term is a variant of the key rather than a wrong answer, and
# below which it is about something else (a student who did not read would not pick it).
TOO_CLOSE = 0.92
TOO_FAR = 0.3
LOOSE_FLOOR = 0.1
# Nouns a material must show (after a determiner) before "is it a noun?" is asked of terms.
NOUNS_ENOUGH = 150
# Similarity from which a swapped term reads as a sibling of the one it replaces (a false
# statement a student could believe) rather than as nonsense,
# and below which it is not a synonym ("file"/"document": the statement would still be true).
SWAP_BAND = (0.3, 0.65)
# A key this many times longer than every distractor stands out (and the same the other way).
LENGTH_OUTLIER = 1.8
VECTOR_CACHE_SIZE = 20_000


@dataclass
class _Run:
    spec: GenerationSpec
    rng: random.Random
    order: list[Passage]
    pool: dict[str, list[str]]
    frequency: Counter
    numbers: list[tuple[float, str]]
    # Words the material uses as nouns, and the if/when sentences of the sample (their
    # consequences are the wrong answers of cause-and-effect questions).
    nouns: frozenset[str] = frozenset()
    conditionals: list[tuple[str, str, str]] = field(default_factory=list)
    # Questions made so far per passage and per section: each passage (then section) gets one
    # before any gets a second.
    per_passage: Counter = field(default_factory=Counter)
    per_section: Counter = field(default_factory=Counter)
    styles: Counter = field(default_factory=Counter)
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
    _pool: list[Passage]

    # --- preparation ---------------------------------------------------------------------------

    def _prepare(self, spec: GenerationSpec, order: list[Passage], rng: random.Random) -> _Run:
        # The call's own passages, then the wider material the caller lent (``pool``): the
        # distractors are terms of the same course, not only of the three passages asked about.
        ids = {p.chunk_id for p in order}
        sample = order + [p for p in self._pool if p.chunk_id not in ids]
        sample = sample[: max(POOL_PASSAGES, len(order))]
        analyses = [_analyse(p) for p in sample]
        frequency: Counter = Counter()
        by_kind: dict[str, dict[str, str]] = {}
        numbers: list[tuple[float, str]] = []
        nouns: set[str] = set()
        conditionals: list[tuple[str, str, str]] = []
        for analysis in analyses:
            nouns |= analysis.nouns
            for index in analysis.usable:
                split = conditional(analysis.sentences[index])
                if split is not None:
                    conditionals.append((analysis.sentences[index], *split))
            for term in analysis.terms:
                folded = fold(term.text)
                frequency[folded] += 1
                by_kind.setdefault(term.kind, {}).setdefault(folded, term.text)
            for sentence in analysis.sentences:
                for match, value in _numbers_of(sentence):
                    numbers.append((value, match.group(0)))
        # A single word the material also writes in lower case is a word, not a name
        # ("Address" at the head of a table row); other terms it capitalises in mid-sentence
        # somewhere are names everywhere.
        for folded in set(by_kind.get("name", {})) & set(by_kind.get("word", {})):
            if " " not in folded:
                del by_kind["name"][folded]
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
            nouns=frozenset(nouns),
            conditionals=conditionals,
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
        self,
        run: _Run,
        key: str,
        kind: str,
        sentence: str,
        difficulty: str,
        count: int,
        *,
        shown: str = "",
        floor: float = TOO_FAR,
        ceiling: float = TOO_CLOSE,
    ) -> list[str]:
        """``count`` wrong terms of ``key``'s kind, related to it, none stated by ``sentence``
        nor shown in ``shown`` (the stem): the same kind, number (singular/plural) and length
        class as the key, a noun where the key is one, close in meaning but not a variant of it
        or of each other. None when the material has too few such terms."""
        key_words = set(content_words(key))
        blocked = set(content_words(sentence)) | set(content_words(shown))
        candidates = []
        for term in run.pool.get(kind, []):
            words = set(content_words(term))
            if not words or words & key_words or words <= blocked:
                continue
            if fold(term) in fold(key) or fold(key) in fold(term):
                continue
            if kind in ("word", "phrase"):
                if _plural(term) != _plural(key) or not _noun_like(run, term):
                    continue
            if abs(len(term.split()) - len(key.split())) > 1 or _outlier(key, [term], 2.5):
                continue
            candidates.append(term)
        # Names and acronyms the material uses in one place only (the names in a FAQ's story of
        # the project's name) are unknown to a student: kept only when nothing else is left.
        if kind in ("name", "acronym") and len(run.frequency) > 200:
            candidates = [t for t in candidates if run.frequency[fold(t)] >= 3]
        if len(candidates) < count:
            return []
        vectors = self._vectors([key, *candidates])
        anchor = vectors[key]
        scored = sorted(
            ((sum(a * b for a, b in zip(anchor, vectors[t], strict=True)), t) for t in candidates),
            key=lambda item: (-item[0], item[1]),
        )
        ranked = [term for similarity, term in scored if floor <= similarity < ceiling]
        for loose in (LOOSE_FLOOR, -1.0):
            if len(ranked) >= count or floor != TOO_FAR:
                break
            # A small material has few close terms: a looser band, then any term of its kind.
            ranked = [term for similarity, term in scored if loose <= similarity < ceiling]
        if difficulty == "hard":
            window = ranked[:count]
        elif difficulty == "easy":
            window = ranked[count * 3 : count * 6] or ranked[count:] or ranked
        else:
            window = ranked[: count * 3] or ranked
        chosen: list[str] = []
        seen_words: set[str] = set()
        for term in run.rng.sample(window, len(window)) + ranked:
            words = set(content_words(term))
            if term in chosen or words & seen_words:
                continue
            if any(fold(term) in fold(c) or fold(c) in fold(term) for c in chosen):
                continue
            chosen.append(term)
            seen_words |= words
            if len(chosen) == count:
                break
        if len(chosen) < count or _outlier(key, chosen):
            return []
        return chosen

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


def _noun_like(run: _Run, term: str) -> bool:
    """Whether a term ends in a noun, as far as the material tells (a short material, with
    few determiners to go by, tells nothing: every term passes)."""
    if len(run.nouns) < NOUNS_ENOUGH:
        return True
    words = term.split()
    return bool(words) and noun_like(words[-1].lower() if words[-1].islower() else words[-1],
                                     run.nouns)  # fmt: skip


def _outlier(key: str, others: list[str], ratio: float = LENGTH_OUTLIER) -> bool:
    """Whether ``key`` is much longer (or shorter) than every one of ``others``: the option a
    student picks without reading."""
    if not others:
        return False
    size = len(key) + 2
    longest = max(len(o) for o in others) + 2
    shortest = min(len(o) for o in others) + 2
    return size > ratio * longest or size * ratio < shortest


_CONDITIONAL = re.compile(
    r"^(?P<lead>If|When|Whenever|Once|Unless)\s+(?P<condition>[^;:]{8,160}?)"
    r"(?:,\s+then\s+|,\s+(?!then\b))(?P<effect>[a-z][^;:]{12,200})\.$"
)
# A consequence starts with its subject, not with a conjunction or a preposition (the comma
# was inside the condition: "If you have a single executable, and its name …").
_NOT_A_SUBJECT = re.compile(
    r"^(?:and|but|or|so|which|because|as|unless|when|if|while|for|in|to|on|with|by|from|at|"
    r"of|use|see|e\.g|i\.e|etc|except|including|such|even|only|especially)\b",
    re.IGNORECASE,
)


def conditional(sentence: str) -> tuple[str, str] | None:
    """(condition, consequence) of a sentence "If/When X, (then) Y." or None: the condition as
    it reads after "What happens when…", the consequence as an option."""
    match = _CONDITIONAL.match(sentence)
    if match is None:
        return None
    condition = match.group("condition").strip()
    effect = match.group("effect").strip()
    if ", then " in sentence and ", then " not in match.group(0)[: match.start("effect")]:
        return None
    if _NOT_A_SUBJECT.match(effect):
        return None
    lead = match.group("lead").lower()
    condition = ("unless " if lead == "unless" else "") + condition
    return condition, effect
