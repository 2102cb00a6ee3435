"""Step 3b: a language model's answer checked sentence by sentence against the sources.

A model may write a sentence no source says, or cite the wrong one. Each sentence of the
answer, with the citations [n] it carries, is checked against the source(s) it cites. A source
supports a sentence when

- every number and every rare term of the sentence (a name, an acronym, a code word such as
  ``--count``: see ``key_terms``) appears in the source: a figure or a name the passage does not
  hold is never supported, however close the sentence sounds; and
- one of the source's sentences is close in meaning (cosine similarity of the school's
  embedding model at or above TUTOR_CHECK_MIN_SIMILARITY, with at least a third of the
  sentence's content words in the source), or the source holds at least
  TUTOR_CHECK_MIN_COVERAGE of the sentence's content words.

A citation whose source does not support its sentence is dropped, and the sentence cites the
retrieved source that does support it instead, if one does (an uncited sentence gets a citation
the same way). A sentence no source supports is removed: a student reads only what the material
says. A sentence without content words ("Here is what the material says:") is connective and
stays. Sentences of the sources that are planted instructions (``ai.injection``) support
nothing, and an answer sentence that is itself an instruction or talks about the prompt is
removed. When no supported sentence remains the answer becomes the refusal.

Every sentence's verdict is kept for the teacher's trace (TutorTurn.answer_check)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings

from ..injection import is_instruction
from .answer_text import CITATION, rebuild, recited, split_answer
from .compose import _STOPWORDS, _stem, _words

if TYPE_CHECKING:
    from .retrieve import Source

SUPPORTED = "supported"
CONNECTIVE = "connective"
UNSUPPORTED = "unsupported"
INSTRUCTION = "instruction"

# A sentence close in meaning still needs this share of its content words in the source: the
# embedding model rates two sentences on one topic as close whatever each says about it.
MEANING_MIN_COVERAGE = 0.34
# The fewest content words a source's sentence needs to be compared with an answer's sentence.
MATCH_MIN_WORDS = 3

_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,:]\d+)*(?![\w])")
_TERM = re.compile(r"[^\W_](?:[\w'’.+/=-]*[^\W_])?|--?[A-Za-z][\w-]*")
# Words that carry no claim about the subject: an answer's framing of itself.
_FRAMING = frozenset(
    """according answer answers course covers described explains following great here
    material materials mentioned note notes question quoted says source sources stated
    states summary sure""".split()
)


@dataclass
class Verdict:
    """One sentence of the answer and what the check found, as TutorTurn.answer_check stores it."""

    sentence: str
    cited: list[int]
    # The citations the final answer gives it (the supporting ones, or the one it was given).
    kept: list[int] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)
    verdict: str = UNSUPPORTED
    reason: str = ""
    # The closest sentence of a source, which source, and its cosine similarity.
    match: str = ""
    match_source: int | None = None
    similarity: float | None = None
    coverage: float | None = None


@dataclass
class Checked:
    text: str
    cited: list[int]
    supported: bool
    verdicts: list[Verdict]

    def as_json(self) -> list[dict[str, Any]]:
        return [asdict(v) for v in self.verdicts]


def key_terms(text: str) -> list[str]:
    """The sentence's numbers and rare terms, which its source must contain: numbers, words
    with a digit or inner punctuation (``package.json``, ``--count``), acronyms, capitalised
    words inside the sentence (names), and words the embedding model has no single token for
    (terms of art, as the answerability check counts rare words)."""
    from ..chunking import token_counter

    count = token_counter()
    terms = list(_NUMBER.findall(text))
    for found in _TERM.finditer(text):
        word = _POSSESSIVE.sub("", found.group(0))
        lower = word.lower()
        before = text[: found.start()].rstrip()
        if (
            lower in _FRAMING
            or lower in _ABBREVIATIONS
            or _NUMBER.fullmatch(word)
            or not any(c.isalpha() for c in word)
        ):
            continue
        if any(c.isdigit() for c in word) or re.search(r"[.+/=_]|^-|\w-\w", word):
            terms.append(word)
        elif len(word) >= 2 and word.isupper() and lower not in _STOPWORDS:
            terms.append(word)
        elif word[0].isupper() and before and before[-1].isalnum() and lower not in _STOPWORDS:
            terms.append(word)  # a capital inside the sentence: a name
        elif len(word) > 3 and lower not in _STOPWORDS and count(lower) > 2:
            terms.append(word)
    return list(dict.fromkeys(terms))


_POSSESSIVE = re.compile(r"['’]s$")
_ABBREVIATIONS = frozenset({"e.g", "i.e", "etc", "vs", "cf", "eg", "ie"})


def _content(text: str) -> set[str]:
    return {_stem(w) for w in _words(text) if w not in _FRAMING and not w.isdigit()}


@dataclass
class _SourceText:
    n: int
    sentences: list[str]
    vectors: list[list[float]]
    lower: str
    stems: set[str]


def _source_texts(sources: list[Source]) -> dict[int, _SourceText]:
    """Each source's sentences and vectors, less any planted instruction: such a sentence
    supports nothing, and its words and figures do not count as the source's."""
    from ..sentences import sentence_vectors

    found = sentence_vectors([(s.chunk_id, s.section, s.text) for s in sources])
    texts = {}
    for source in sources:
        sentences, vectors = found.get(source.chunk_id, ([], []))
        pairs = [(s, v) for s, v in zip(sentences, vectors, strict=True) if not is_instruction(s)]
        clean = " ".join(s for s, _ in pairs)
        # A fragment ("npm-shrinkwrap.json", a table cell) sounds like any sentence naming it;
        # only sentences that say something are compared in meaning.
        pairs = [(s, v) for s, v in pairs if len(_content(s)) >= MATCH_MIN_WORDS]
        haystack = f"{source.section} {clean}"
        texts[source.n] = _SourceText(
            n=source.n,
            sentences=[s for s, _ in pairs],
            vectors=[v for _, v in pairs],
            lower=haystack.lower(),
            stems={_stem(w) for w in _words(haystack)},
        )
    return texts


@dataclass
class _Support:
    n: int
    supported: bool
    similarity: float
    match: str
    coverage: float
    missing: list[str]


def _judge(
    terms: list[str], content: set[str], vector: list[float], source: _SourceText
) -> _Support:
    missing = [t for t in terms if not _holds(source, t)]
    similarity, match = -1.0, ""
    for sentence, other in zip(source.sentences, source.vectors, strict=True):
        value = sum(a * b for a, b in zip(vector, other, strict=True))
        if value > similarity:
            similarity, match = value, sentence
    coverage = len(content & source.stems) / len(content) if content else 0.0
    near = similarity >= settings.TUTOR_CHECK_MIN_SIMILARITY
    if content:
        close = (near and coverage >= MEANING_MIN_COVERAGE) or (
            coverage >= settings.TUTOR_CHECK_MIN_COVERAGE
        )
    else:
        close = near  # only figures or names ("The answer is 42."): their sentence must be near
    return _Support(source.n, close and not missing, similarity, match, coverage, missing)


def _holds(source: _SourceText, term: str) -> bool:
    lower = term.lower().strip("'’")
    if _NUMBER.fullmatch(term):
        # "42" is not in "420" nor in "4.2", but it is in "v42" or "42nd".
        return re.search(rf"(?<![\d.,]){re.escape(lower)}(?![\d]|[.,]\d)", source.lower) is not None
    forms = {lower, lower.replace("-", " "), lower.replace("-", "")}
    return any(f in source.lower for f in forms) or _stem(lower) in source.stems


def check_answer(text: str, sources: list[Source], *, not_covered: str) -> Checked:
    """Check every sentence of a model's ``text`` against ``sources`` (numbered from 1): keep
    the supported ones with their supporting citations, drop the rest. No supported sentence
    left: the answer is ``not_covered``. Embeds the answer's sentences in one batch."""
    from ..embeddings import embedder

    pieces = split_answer(text)
    claims = [p for p in pieces if p.sentence]
    plain = {id(p): CITATION.sub("", p.text).strip() for p in claims}
    by_n = _source_texts(sources)
    vectors = embedder().embed([plain[id(p)] or "." for p in claims]) if claims else []
    verdicts: list[Verdict] = []
    kept_pieces: dict[int, str] = {}
    for piece, vector in zip(claims, vectors, strict=True):
        sentence = plain[id(piece)]
        cited = [int(n) for group in CITATION.findall(piece.text) for n in group.split(",")]
        verdict = _verdict(sentence, cited, _unit(vector), by_n)
        verdicts.append(verdict)
        if verdict.verdict in (SUPPORTED, CONNECTIVE):
            kept_pieces[id(piece)] = recited(piece.text, cited, verdict.kept)
    if not any(v.verdict == SUPPORTED for v in verdicts):
        return Checked(not_covered, [], False, verdicts)
    unchanged = all(kept_pieces.get(id(p)) == p.text for p in claims)
    rebuilt = text.strip() if unchanged else rebuild(pieces, kept_pieces)
    cited_in_text = sorted(
        {n for v in verdicts if v.verdict in (SUPPORTED, CONNECTIVE) for n in v.kept}
    )
    # Every claim left is supported (the others were removed) and there is at least one.
    return Checked(rebuilt, cited_in_text, True, verdicts)


def _verdict(
    sentence: str, cited: list[int], vector: list[float], by_n: dict[int, _SourceText]
) -> Verdict:
    verdict = Verdict(sentence=sentence, cited=cited)
    unknown = [n for n in cited if n not in by_n]
    if is_instruction(sentence):
        verdict.verdict, verdict.dropped = INSTRUCTION, cited
        verdict.reason = "Reads as instructions or talk about the prompt, not course content."
        return verdict
    content = _content(sentence)
    terms = key_terms(sentence)
    if not content and not terms:
        valid = [n for n in cited if n in by_n]
        verdict.verdict, verdict.kept, verdict.dropped = CONNECTIVE, valid, unknown
        verdict.reason = "No content words: a connecting sentence, kept as it is."
        return verdict
    judged = {n: _judge(terms, content, vector, s) for n, s in by_n.items()}
    valid = list(dict.fromkeys(n for n in cited if n in by_n))
    verdict.kept = [n for n in valid if judged[n].supported]
    verdict.dropped = [n for n in cited if n not in verdict.kept]
    if not verdict.kept:
        others = sorted(
            (j for n, j in judged.items() if j.supported and n not in valid),
            key=lambda j: -j.similarity,
        )
        if others:
            verdict.kept = [others[0].n]
    shown = judged[verdict.kept[0]] if verdict.kept else _closest(judged, valid)
    if shown is not None:
        verdict.match, verdict.match_source = shown.match, shown.n
        verdict.similarity = round(shown.similarity, 4)
        verdict.coverage = round(shown.coverage, 4)
    if verdict.kept:
        verdict.verdict = SUPPORTED
        verdict.reason = _supported_reason(verdict, valid, unknown)
    else:
        verdict.reason = _unsupported_reason(shown, valid, unknown)
    return verdict


def _closest(judged: dict[int, _Support], cited: list[int]) -> _Support | None:
    pool = [judged[n] for n in cited] or list(judged.values())
    return max(pool, key=lambda j: j.similarity, default=None)


def _supported_reason(verdict: Verdict, cited: list[int], unknown: list[int]) -> str:
    n = verdict.kept[0]
    if not cited:
        reason = f"Uncited; source [{n}] supports it, so it cites [{n}]."
    elif verdict.kept == cited:
        reason = (
            "The cited source supports it." if len(cited) == 1 else "Each cited source supports it."
        )
    elif set(verdict.kept) <= set(cited):
        wrong = ", ".join(f"[{m}]" for m in cited if m not in verdict.kept)
        reason = f"Supported by [{n}]; {wrong} does not support it and was dropped."
    else:
        wrong = ", ".join(f"[{m}]" for m in cited)
        reason = f"{wrong} does not support it; source [{n}] does, so it cites [{n}] instead."
    if unknown:
        reason += " " + ", ".join(f"[{m}]" for m in unknown) + " names no source."
    return reason


def _unsupported_reason(shown: _Support | None, cited: list[int], unknown: list[int]) -> str:
    where = ", ".join(f"[{m}]" for m in cited) if cited else "no source"
    if shown is None:
        return "No source to check it against; removed."
    if shown.missing:
        named = ", ".join(f"“{t}”" for t in shown.missing[:3])
        return f"No source supports it ({where} does not contain {named}); removed."
    minimum = settings.TUTOR_CHECK_MIN_SIMILARITY
    return (
        f"No source supports it: the closest sentence ({where if cited else f'[{shown.n}]'}) "
        f"has similarity {shown.similarity:.2f} (below {minimum:.2f}) and holds "
        f"{shown.coverage:.0%} of its content words; removed."
    )


def _unit(vector: list[float]) -> list[float]:
    norm = sum(x * x for x in vector) ** 0.5 or 1.0
    return [x / norm for x in vector]


def offline_verdicts(quoted: dict[int, list[str]], sources: list[Source]) -> list[Verdict]:
    """The offline answer's verdicts: each quoted sentence is its source's own words, so it is
    supported by construction; the trace records the similarity to the question it was chosen
    for."""
    by_n = {s.n: s for s in sources}
    verdicts = []
    for n, sentences in sorted(quoted.items()):
        scored = {s.text: s.similarity for s in by_n[n].sentences} if n in by_n else {}
        for sentence in sentences:
            similarity = scored.get(sentence)
            verdicts.append(
                Verdict(
                    sentence=sentence,
                    cited=[n],
                    kept=[n],
                    verdict=SUPPORTED,
                    reason="Quoted word for word from the source"
                    + (f" (similarity {similarity:.2f} to the question)." if similarity else "."),
                    match=sentence,
                    match_source=n,
                    similarity=1.0,
                    coverage=1.0,
                )
            )
    return verdicts
