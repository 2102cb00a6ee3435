"""The built-in offline quiz generator: questions drawn from the material itself, so quiz
generation works with no network and no key.

How it chooses:

- **Sentences.** Each passage is cut into sentences (segtok). A sentence can carry a question
  when it reads as a self-contained statement: 8–40 words, starts with a capital letter and ends
  with a full stop, holds at least five content words, is not a question, a heading, a list
  item or code (few symbols, mostly letters), and does not open with a word that points back
  to an earlier sentence ("It", "This", "In the latter case", …). Sentences already used
  (``exclude_evidence``, and earlier questions of the same call) are skipped, and so is one
  that shares 60% of its content words with a used one. The more content words and key terms
  a sentence holds, the earlier it is used; passages take turns so the questions spread over
  the material.
- **Key terms.** Candidate terms are runs of one to three words between stop words, verbs
  (a list, plus the passage's own "to X"/"it Xs" verbs), generic words and punctuation, as in
  RAKE; a run is kept when YAKE ranks it among the passage's key phrases, when it has several
  words, or when the passage repeats it. Capitalised names, acronyms and code identifiers are
  terms too, and numbers (asked by numeric questions). A term is one of six kinds: ``number``,
  ``identifier``, ``acronym``, ``name``, ``phrase`` (several words) or ``word``. Easy
  questions ask for a passage's most central terms (YAKE's ranking), hard ones for the rarer
  ones of the material.
- **Distractors** are terms *of the key's kind* found elsewhere in the material (numbers with
  numbers, names with names, identifiers with identifiers, phrases with phrases), ranked by
  cosine similarity to the key with the configured embedding model (``ai.embeddings``). Hard
  questions take the closest ones, easy ones farther ones; a term too close to be wrong (≥ 0.92,
  a variant of the key), sharing a word with the key, or stated by the evidence sentence is
  never used. Numbers are ranked by closeness of value (and completed with near values when the
  material has too few), not by embedding.
- **Per kind**: single (the sentence with its key blanked, the key and three distractors);
  multiple ("Which of these statements are true…": two sentences of the passage and two made
  false by swapping a term for a related one of the same kind); true_false (a sentence as it
  is, or with a term swapped, so the answer is False); short_answer (a definition sentence
  "X is …" asks "Which term does the material describe as …?"; else the term missing from a
  sentence), with singular/plural variants accepted; numeric (a number of the sentence blanked;
  decimal numbers get half a unit of their last digit of tolerance; the unit next to it is
  kept); fill_blank (a stem with exactly one ``____``).

Every candidate cites its passage (``chunk_id``) and quotes the sentence(s) that support the key
(``evidence``); it is checked by ``checks.check_grounding`` and ``quizzes.content`` before it is
returned, so a question that would be graded wrongly is never offered. The output is a pure
function of the input: the random choices are seeded from the passages and the request.

Cost: YAKE runs once per passage looked at (cached per process); only the distractor pool of a
sample of passages is embedded, in batches, and term vectors are cached per process.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from .checks import (
    NUMBER_WORDS,
    check_grounding,
    content_words,
    evidence_sentences,
    fold,
    normalize_evidence,
    split_sentences,
    states,
)
from .types import Batch, Candidate, GenerationSpec, Passage

__all__ = ["OfflineGenerator", "normalize_evidence", "term_kind", "answer_variants"]

NAME = "offline/extractive"
BLANK = "____"
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

MIN_WORDS, MAX_WORDS = 8, 40
MAX_SENTENCE_CHARS = 320
# Passages whose terms make the distractor pool, and terms per kind embedded from it.
POOL_PASSAGES = 60
POOL_PER_KIND = 100
# Cosine similarity from which a term is a variant of the key rather than a wrong answer.
TOO_CLOSE = 0.92
# Share of content words (Jaccard) from which two sentences say nearly the same thing.
NEAR_REPEAT = 0.6
VECTOR_CACHE_SIZE = 20_000
ANALYSIS_CACHE_SIZE = 4_000

# Words that make a sentence lean on the one before it.
DANGLING = frozenset(
    """it its this that these those they them their theirs he she his her him such there here
    which also however otherwise then so but and or thus hence therefore instead likewise
    similarly both either neither another other others same former latter""".split()
)
# Words that never belong in a key term (verbs of speech, glue, generic nouns).
GENERIC = frozenset(
    """called known named used using use uses make makes made return returns returned given
    give gives take takes taken following follows new see also way ways thing things kind
    type types case cases example examples default value values number numbers part parts
    result results set sets get gets based instance instances method methods function
    functions object objects argument arguments process called like order form forms time
    times lot lots deal great many much several various different same first second last
    true false none one two well good bad able need needs needed done gone seen shown written
    built insert inserts delete deletes skip skips print prints""".split()
)
UNITS = frozenset(
    """percent per cent seconds second ms milliseconds microseconds nanoseconds minutes minute
    hours hour days day weeks months years year bytes byte bits bit kb mb gb tb kib mib gib
    kilobytes megabytes gigabytes km m cm mm nm kg g mg l ml degrees °c °f k hz khz mhz ghz
    volts watts amps times characters lines pages""".split()
)
# Mostly letters: code and tables fail this.
_SYMBOLS = set("()[]{}=<>_/\\|#@$^~*+`;")
_LIST_START = re.compile(r"^(?:[-*•·]|\d+[.)]|[a-z][.)])\s")
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9'-]*")
_IDENT_RE = re.compile(
    r"(?<![\w.])(?:[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+(?:\(\))?"
    r"|[a-z][a-z0-9]*_[a-z0-9_]+(?:\(\))?|[a-z]+[A-Z][A-Za-z0-9]+(?:\(\))?|[A-Za-z_]\w*\(\))"
)
# Numbers that stand alone as quantities: not part of a name ("utf-8"), a version ("3.11.4") or
# a call ("pow(2,n)").
_NUMBER_RE = re.compile(r"(?<![\w.,(-])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(%?)(?![\w]|[.,]\w|-\w|\))")
_LEANING_OPENER = re.compile(
    r"^(?:In (?:the )?(?:latter|former|this|that|either|both|such|each|which) cases?\b|"
    r"As (?:with|above|mentioned|before|such)\b|For (?:these|this|those|that|such)\b|"
    r"The (?:latter|former|above|following|same|other)\b|See also\b|Note that this\b)"
)
_VERSION_NOTE = re.compile(r"^(?:Changed|New|Added|Deprecated|Removed)\b[^:]{0,40}\d[^:]*:")
_MERGED_HEADING = re.compile(r"[a-z0-9]\s+(?:The|A|An|This|These|It|In|If|When|For)\s+[a-z]")
_CAPS_RE = re.compile(r"\b[A-Z][a-zA-Z0-9]*(?:\s+[A-Z][a-zA-Z0-9]*){0,2}\b")


def term_kind(term: str) -> str:
    """The kind of a term, for drawing distractors of the same kind: number, identifier,
    acronym, name, phrase or word."""
    text = term.strip()
    if _NUMBER_RE.fullmatch(text) or text.lower() in NUMBER_WORDS:
        return "number"
    if _IDENT_RE.fullmatch(text) or "_" in text or "()" in text:
        return "identifier"
    words = text.split()
    letters = [c for c in text if c.isalpha()]
    if len(words) == 1 and len(letters) >= 2:
        upper = sum(c.isupper() for c in letters)
        if upper >= 2 and upper * 2 >= len(letters):
            return "acronym"
    if words and all(w[0].isupper() for w in words):
        return "name"
    return "phrase" if len(words) > 1 else "word"


def answer_variants(term: str) -> list[str]:
    """The term and its simple singular/plural variants (on its last word), which a student's
    typed answer may use: "mitochondrion" is not guessed, "cells"/"cell" and
    "enzymes"/"enzyme" are."""
    term = " ".join(term.split())
    if term_kind(term) in ("number", "identifier", "acronym", "name"):
        return [term]
    head, _, last = term.rpartition(" ")
    prefix = f"{head} " if head else ""
    lower = last.lower()
    variants = [last]
    if lower.endswith("ies") and len(lower) > 4:
        variants.append(last[:-3] + "y")
    elif lower.endswith(("ches", "shes", "sses", "xes", "zes")):
        variants.append(last[:-2])
    elif lower.endswith("s") and not lower.endswith(("ss", "us", "is")) and len(lower) > 3:
        variants.append(last[:-1])
    elif lower.endswith("y") and len(lower) > 2 and lower[-2] not in "aeiou":
        variants.append(last[:-1] + "ies")
    elif lower.endswith(("ch", "sh", "ss", "x", "z")):
        variants.append(last + "es")
    elif lower[-1:].isalpha():
        variants.append(last + "s")
    return [prefix + v for v in variants]


def _replace(sentence: str, match: re.Match, new: str) -> str:
    """``sentence`` with ``match`` replaced by ``new``, and an "a"/"an" right before it made to
    fit (a blank gets "a(n)", which gives nothing away)."""
    before, after = sentence[: match.start()], sentence[match.end() :]
    article = re.search(r"\b([Aa]n?)\s+$", before)
    if article:
        word = article.group(1)
        if new == BLANK:
            fitted = "A(n)" if word[0] == "A" else "a(n)"
        else:
            vowel = new[:1].lower() in "aeiou"
            fitted = ("An" if vowel else "A") if word[0] == "A" else ("an" if vowel else "a")
        before = before[: article.start(1)] + fitted + before[article.end(1) :]
    if match.start() == 0 and new[:1].islower():
        new = new[0].upper() + new[1:]
    return before + new + after


def _accepted(term: str, sentence: str, match: re.Match) -> list[str]:
    """Accepted answers for a blanked term: its variants, unless the material quotes it as
    code ("unicodedata" has no plural)."""
    before = sentence[match.start() - 1 : match.start()]
    after = sentence[match.end() : match.end() + 1]
    if before in "\"'`*" and before and after == before:
        return [term]
    return answer_variants(term)


def _occurrences(term: str, sentence: str) -> list[re.Match]:
    # Whole words only: "low" is not found in "low-water", nor "write" in "write()".
    pattern = r"(?<![\w.-])" + re.escape(term) + r"(?![\w(-]|\.\w)"
    return list(re.finditer(pattern, sentence, flags=re.IGNORECASE))


def _usable(sentence: str) -> bool:
    words = sentence.split()
    if not MIN_WORDS <= len(words) <= MAX_WORDS or len(sentence) > MAX_SENTENCE_CHARS:
        return False
    if not sentence[0].isupper() or not sentence.endswith(".") or "?" in sentence:
        return False
    if _LIST_START.match(sentence) or BLANK[:3] in sentence or "..." in sentence:
        return False
    if words[0].lower().strip(",;:") in DANGLING or _LEANING_OPENER.match(sentence):
        return False
    if _VERSION_NOTE.match(sentence) or sentence.count('"') > 6:
        return False  # "Changed in version 3.8: …" notes, and code-like quoting
    if _MERGED_HEADING.search(sentence):
        return False  # a heading run into the sentence after it ("… the future The original …")
    visible = [c for c in sentence if not c.isspace()]
    if sum(c.isalpha() for c in visible) < 0.8 * len(visible):
        return False
    if sum(c in _SYMBOLS for c in visible) > 3:
        return False
    return len(set(content_words(sentence))) >= 5


@dataclass
class _Term:
    text: str  # the form shown in options: lower case unless a name, acronym or identifier
    kind: str
    score: float  # YAKE score (lower is more central); regex finds get a middling one


@dataclass
class _Analysis:
    passage: Passage
    sentences: list[str]
    usable: list[int]  # indexes of usable sentences, best first
    terms: list[_Term]
    topic: str


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


_analysis_cache: OrderedDict[tuple, _Analysis] = OrderedDict()
_vector_cache: OrderedDict[tuple, tuple[float, ...]] = OrderedDict()
_cache_lock = threading.Lock()


def _yake():
    import yake

    return yake.KeywordExtractor(lan="en", n=3, top=20, dedupLim=0.8)


def _clean_term(raw: str) -> str | None:
    term = " ".join(raw.strip(" .,;:!?\"'`()[]{}").split())
    if not term or len(term) > 60:
        return None
    words = term.split()
    if len(words) > 3:
        return None
    lowered = [w.lower() for w in words]
    if any(w in GENERIC or w in DANGLING for w in lowered):
        return None
    if len(words) > 1 and any(w in _STOP for w in lowered):
        return None
    if len(words) == 1 and (lowered[0] in _STOP or len(term) < 3):
        return None
    if not any(c.isalpha() for c in term):
        return None
    return term


def _canonical(term: str, text: str) -> str:
    """Lower case unless the material writes the term capitalised in mid-sentence (a name)."""
    if term_kind(term) in ("identifier", "acronym", "number"):
        return term
    for match in _occurrences(term, text):
        surface = match.group(0)
        before = text[: match.start()].rstrip()
        sentence_start = not before or before[-1] in ".!?:\n"
        if not sentence_start and surface[0].isupper():
            return surface
    return term.lower()


# Verbs common in course material and documentation: never part of a key term. (There is no
# part-of-speech tagger offline; this list, the passage's own "to X"/"can X" verbs and the stop
# words cut sentences into noun-phrase runs, as RAKE does.)
VERBS = frozenset(
    """accept accepts add adds allow allows apply applies attach attaches become becomes begin
    begins block blocks break breaks build builds call calls cause causes change changes check
    checks close closes come comes compare compares compute computes contain contains control
    controls convert converts create creates define defines describe describes determine
    determines emit emits enter enters exist exists existed find finds fix fixes float floats
    fold folds follow generate generates go goes handle handles happen happens help helps hold
    holds ignore ignores include includes keep keeps lead leads leave leaves let lets look looks
    match matches mean means move moves name names open opens pack packs parse parses pass passes
    produce produces provide provides put puts raise raises read reads receive receives reflect
    reflects absorb absorbs release releases remove removes replace replaces represent represents
    require requires run runs say says send sends separate separates show shows sit sits split
    splits start starts stop stops store stores support supports surround surrounds tell tells
    travel travels try tries turn turns wait waits wake wakes want wants work works write writes
    wound wind winds occur occurs depend depends consist consists refer refers specify specifies
    indicate indicates ensure ensures enable enables avoid avoids affect affects form forms
    increase increases decrease decreases reduce reduces carry carries choose chooses equal
    equals exceed exceeds differ differs belong belongs appear appears remain remains continue
    continues execute executes terminate terminates evaluate evaluates assign assigns bind binds
    invoke invokes yield yields catch catches throw throws load loads save saves""".split()
)
_MODALS = re.compile(
    r"\b(?:to|can|cannot|will|may|must|should|would|could|does|do|did|not)\s+([a-z]+)\b"
)
_RUN_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'][A-Za-z0-9]+)*|\S")


_SUBJECTS = re.compile(r"\b(?:it|they|which|who|he|she)\s+([a-z]+)\b")


def _verbs_in(text: str) -> set[str]:
    """Words the passage uses as verbs ("to fix", "can contain", "it terminates"), with their
    other present-tense form."""
    found = set()
    lowered = text.lower()
    for word in _MODALS.findall(lowered):
        found |= {word, word + "s", word + "es"}
    for word in _SUBJECTS.findall(lowered):
        if word.endswith("s") and word not in _STOP:
            found |= {word, word[:-1], word[:-2] if word.endswith("es") else word}
    return found


_DETERMINERS = frozenset("the a an its their this these those his her our your".split())


def _runs(sentence: str, verbs: set[str]) -> list[str]:
    """Candidate terms of a sentence: runs of one to three words between stop words, verbs,
    punctuation and numbers."""
    runs, current = [], []

    def close():
        if 1 <= len(current) <= 3 and (len(current) == 1 or min(map(len, current)) > 1):
            words = [w.lower() for w in current]
            # Participles and gerunds at the edges are verbs more often than terms
            # ("target occurring", "reading messenger RNA", "implemented").
            if not (words[-1].endswith(("ed", "ing")) or words[0].endswith("ing")):
                runs.append(" ".join(current))
        current.clear()

    for token in _RUN_TOKEN.findall(sentence):
        lower = token.lower()
        if lower in _DETERMINERS and current and current[-1].lower().endswith("s"):
            # A noun is seldom followed by "the": "the transformation inserts the name".
            current.pop()
        if (
            not token[0].isalpha()
            or lower in _STOP
            or lower in GENERIC
            or lower in DANGLING
            or lower in VERBS
            or lower in verbs
            or lower.endswith("'s")
            or (lower.endswith("ly") and len(lower) > 4)
        ):
            close()
            if lower.endswith("'s") and token[0].isalpha():
                current.append(token[:-2])
                close()
            continue
        current.append(token)
    close()
    return runs


def _analyse(passage: Passage) -> _Analysis:
    key = (passage.chunk_id, hashlib.sha1(passage.text.encode()).hexdigest())
    with _cache_lock:
        cached = _analysis_cache.get(key)
        if cached is not None:
            _analysis_cache.move_to_end(key)
            return cached
    text = passage.text
    sentences = split_sentences(text)
    found: dict[str, _Term] = {}

    def add(raw: str, score: float) -> None:
        term = _clean_term(raw)
        if term is None:
            return
        term = _canonical(term, text)
        kind = term_kind(term)
        if kind == "number":
            return
        folded = fold(term)
        if folded not in found or found[folded].score > score:
            found[folded] = _Term(term, kind, score)

    try:
        keywords = _yake().extract_keywords(text)
    except Exception:  # YAKE fails on some degenerate inputs; the regexes still find terms
        keywords = []
    central = {fold(phrase): rank for rank, (phrase, _) in enumerate(keywords)}
    verbs = _verbs_in(text)
    runs = Counter(run for sentence in sentences for run in _runs(sentence, verbs))
    for run, count in runs.items():
        folded = fold(run)
        if folded in central:
            add(run, central[folded])
        elif " " in run or count > 1:
            # A noun phrase YAKE did not rank, or a word the passage repeats.
            add(run, 20 - min(count, 5))
    for match in _IDENT_RE.finditer(text):
        add(match.group(0), 8)
    for sentence in sentences:
        for match in _CAPS_RE.finditer(sentence):
            if match.start() > 0 and all(fold(w) not in verbs for w in match.group(0).split()):
                add(match.group(0), 10)
    terms = sorted(found.values(), key=lambda t: (t.score, t.text))
    scored = []
    for index, sentence in enumerate(sentences):
        if not _usable(sentence):
            continue
        inside = sum(1 for t in terms[:12] if _occurrences(t.text, sentence))
        words = len(set(content_words(sentence)))
        scored.append((-(min(words, 16) + 3 * inside), index))
    usable = [index for _, index in sorted(scored)]
    # The passage's own heading is the best topic; else its most central phrase or name.
    heading = re.split(r"\s*[›>]\s*", passage.section)[-1].strip() if passage.section else ""
    topic = heading or next(
        (t.text for t in terms if t.kind in ("phrase", "name", "acronym")),
        terms[0].text if terms else "",
    )
    analysis = _Analysis(passage, sentences, usable, terms, topic)
    with _cache_lock:
        _analysis_cache[key] = analysis
        while len(_analysis_cache) > ANALYSIS_CACHE_SIZE:
            _analysis_cache.popitem(last=False)
    return analysis


_STOP = frozenset(
    """a about above after again all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had
    has have having he her here hers him his how i if in into is it its itself just me more most
    my no nor not now of off on once only or other our out over own same she should so some such
    than that the their them then there these they this those through to too under until up very
    was we were what when where which while who whom why will with would you your yours may
    might must shall around across along among amongst within upon onto toward towards via per
    inside outside behind beyond near since though although whether unless whose like unlike
    despite except throughout versus every whole certain either neither rather instead else
    even still yet already always often usually sometimes e.g i.e etc""".split()
)


def _numbers_of(sentence: str) -> list[tuple[re.Match, float]]:
    found = []
    for match in _NUMBER_RE.finditer(sentence):
        value = float((match.group(1) + (match.group(2) or "")).replace(",", ""))
        found.append((match, value))
    return found


def _format_number(value: float, like: str) -> str:
    """``value`` written the way the key is: digits with the same decimals, or a number word."""
    if like.lower() in NUMBER_WORDS and value.is_integer() and 0 <= value <= 20:
        word = next(w for w, v in NUMBER_WORDS.items() if v == int(value))
        return word.capitalize() if like[0].isupper() else word
    decimals = len(like.split(".", 1)[1].rstrip("%")) if "." in like else 0
    text = f"{value:,.{decimals}f}" if "," in like else f"{value:.{decimals}f}"
    return text + ("%" if like.endswith("%") else "")


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


class OfflineGenerator:
    """Extractive questions from the passages, with distractors from the material's related
    terms. ``embed`` (texts → unit vectors) defaults to the configured embedder; ``self_check``
    (default on) drops candidates that fail grounding or the content gate."""

    name = NAME

    def __init__(
        self,
        *,
        embed: Callable[[list[str]], list[list[float]]] | None = None,
        self_check: bool = True,
    ) -> None:
        self._embed = embed
        self._self_check = self_check
        # What the last call dropped, and why (for benches and debugging; not user-facing).
        self.last_skipped: list[tuple[str, str]] = []

    # --- the contract --------------------------------------------------------------------------

    def generate(
        self,
        spec: GenerationSpec,
        passages: list[Passage],
        *,
        want: int,
        kinds: list[str],
        exclude_evidence: set[str] = frozenset(),
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

    # --- choosing ------------------------------------------------------------------------------

    def _one(self, run: _Run, kind: str, difficulty: str, cursor: int):
        """The next candidate of ``kind``, trying passages in turn from ``cursor``."""
        builder = getattr(self, f"_build_{kind}")
        count = len(run.order)
        for step in range(count):
            position = (cursor + step) % count
            analysis = run.analysis(position)
            order = analysis.usable
            if kind == "short_answer":
                # Definitions make the best short-answer questions: try them first.
                order = sorted(order, key=lambda i: not self._DEFINITION.match(
                    analysis.sentences[i]))  # fmt: skip
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
                return candidate, position + 1
        return None, cursor

    def _verdict(self, candidate: Candidate, passage: Passage) -> str | None:
        if not self._self_check:
            return None
        reason = check_grounding(candidate, passage)
        if reason is not None:
            return reason
        from django.core.exceptions import ValidationError

        from quizzes.content import question_content_clean

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

    def _keys(self, run: _Run, analysis: _Analysis, sentence: str, difficulty: str):
        """Terms of the passage that occur once in ``sentence``, in the order to try them:
        central ones first for easy questions, rare ones first for hard ones."""
        keys = [t for t in analysis.terms if len(_occurrences(t.text, sentence)) == 1]
        if difficulty == "hard":
            keys.sort(key=lambda t: (run.frequency[fold(t.text)], -len(t.text), t.score))
        elif difficulty == "easy":
            keys.sort(key=lambda t: (t.score, -run.frequency[fold(t.text)]))
        return keys

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
        ranked = sorted(
            ((sum(a * b for a, b in zip(anchor, vectors[t], strict=True)), t) for t in candidates),
            key=lambda item: (-item[0], item[1]),
        )
        ranked = [term for similarity, term in ranked if similarity < TOO_CLOSE]
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

    def _swap(self, run: _Run, analysis: _Analysis, sentence: str, difficulty: str):
        """``sentence`` made false by one term swapped for a related one of the same kind:
        (false statement, the term taken out, the term put in), or None."""
        passage_sentences = analysis.sentences
        for term in self._keys(run, analysis, sentence, difficulty):
            replacement = self._related(run, term.text, term.kind, sentence, difficulty, 1)
            if not replacement:
                continue
            (match,) = _occurrences(term.text, sentence)
            statement = _replace(sentence, match, replacement[0])
            if any(states(s, statement) for s in passage_sentences):
                continue
            return statement, match.group(0), replacement[0]
        return None

    def _source(self, analysis: _Analysis) -> str:
        passage = analysis.passage
        where = passage.material_title or "the material"
        if passage.page:
            where += f", page {passage.page}"
        return where

    # --- the kinds -----------------------------------------------------------------------------

    def _blankable(self, sentence: str, match: re.Match, key: str) -> str | None:
        blanked = _replace(sentence, match, BLANK)
        rest = set(content_words(blanked))
        if len(rest) < 3 or set(content_words(key)) & rest:
            return None  # too little left to go on, or the key shows through
        return blanked

    def _build_single(self, run: _Run, analysis: _Analysis, index: int, difficulty: str):
        sentence = analysis.sentences[index]
        for key_term in self._keys(run, analysis, sentence, difficulty):
            (match,) = _occurrences(key_term.text, sentence)
            blanked = self._blankable(sentence, match, key_term.text)
            if blanked is None:
                continue
            wrong = self._related(run, key_term.text, key_term.kind, sentence, difficulty, 3)
            if not wrong:
                continue
            return self._choice(
                run,
                analysis,
                stem=f"Which option completes this statement from the material? “{blanked}”",
                key=key_term.text,
                wrong=wrong,
                evidence=sentence,
            )
        return self._number_choice(run, analysis, index, difficulty)

    def _number_choice(self, run: _Run, analysis: _Analysis, index: int, difficulty: str):
        sentence = analysis.sentences[index]
        numbers = _numbers_of(sentence)
        if len(numbers) != 1:
            return None
        match, value = numbers[0]
        blanked = self._blankable(sentence, match, "")
        wrong = self._number_distractors(run, value, match.group(0), sentence, difficulty)
        if blanked is None or not wrong:
            return None
        return self._choice(
            run,
            analysis,
            stem=f"Which option completes this statement from the material? “{blanked}”",
            key=match.group(0),
            wrong=wrong,
            evidence=sentence,
        )

    def _choice(self, run, analysis, *, stem, key, wrong, evidence) -> Candidate:
        options = [{"text": key, "correct": True, "feedback": ""}] + [
            {"text": w, "correct": False, "feedback": ""} for w in wrong
        ]
        run.rng.shuffle(options)
        return Candidate(
            kind="single",
            stem=stem,
            chunk_id=analysis.passage.chunk_id,
            options=options,
            explanation=f"The material says: “{evidence}” ({self._source(analysis)}).",
            evidence=evidence,
        )

    def _build_fill_blank(self, run: _Run, analysis: _Analysis, index: int, difficulty: str):
        sentence = analysis.sentences[index]
        for key_term in self._keys(run, analysis, sentence, difficulty):
            if key_term.kind == "number":
                continue
            (match,) = _occurrences(key_term.text, sentence)
            blanked = self._blankable(sentence, match, key_term.text)
            if blanked is None:
                continue
            return Candidate(
                kind="fill_blank",
                stem=f"Fill in the blank: {blanked}",
                chunk_id=analysis.passage.chunk_id,
                answer={"accepted": _accepted(key_term.text, sentence, match)},
                explanation=f"The material says: “{sentence}” ({self._source(analysis)}).",
                evidence=sentence,
            )
        return None

    _DEFINITION = re.compile(
        r"^(?:(?:An?|The)\s+)?(?P<term>[A-Za-z][\w.()-]*(?:\s+[A-Za-z][\w-]*){0,2})\s+"
        r"(?:is|are|refers to|means|is called|denotes)\s+(?P<definition>(?:an?|the|one)\s+.+)\.$"
    )

    def _build_short_answer(self, run: _Run, analysis: _Analysis, index: int, difficulty: str):
        sentence = analysis.sentences[index]
        match = self._DEFINITION.match(sentence)
        if match:
            term = match.group("term")
            definition = match.group("definition")
            term_words = set(content_words(term))
            if (
                _clean_term(term)
                and term_words
                and not term_words & set(content_words(definition))
                and len(set(content_words(definition))) >= 3
            ):
                shown = _canonical(term, analysis.passage.text)
                return Candidate(
                    kind="short_answer",
                    stem=f"Which term does the material describe as “{definition}”?",
                    chunk_id=analysis.passage.chunk_id,
                    answer={"accepted": answer_variants(shown)},
                    explanation=f"The material says: “{sentence}” ({self._source(analysis)}).",
                    evidence=sentence,
                )
        for key_term in self._keys(run, analysis, sentence, difficulty):
            if key_term.kind == "number":
                continue
            (found,) = _occurrences(key_term.text, sentence)
            blanked = self._blankable(sentence, found, key_term.text)
            if blanked is None:
                continue
            return Candidate(
                kind="short_answer",
                stem=f"Which term is missing from this statement from the material? “{blanked}”",
                chunk_id=analysis.passage.chunk_id,
                answer={"accepted": _accepted(key_term.text, sentence, found)},
                explanation=f"The material says: “{sentence}” ({self._source(analysis)}).",
                evidence=sentence,
            )
        return None

    def _build_numeric(self, run: _Run, analysis: _Analysis, index: int, difficulty: str):
        sentence = analysis.sentences[index]
        found = [(m, v) for m, v in _numbers_of(sentence)]
        words = [
            (m, float(NUMBER_WORDS[m.group(0).lower()]))
            for m in re.finditer(r"\b[A-Za-z]+\b", sentence)
            if m.group(0).lower() in NUMBER_WORDS and m.group(0).lower() not in ("one", "zero")
        ]
        if len(found) + len(words) != 1:
            return None  # several numbers: which one is asked would be unclear
        match, value = (found or words)[0]
        surface = match.group(0)
        if re.search(r"\b(?:page|section|chapter|figure|table|version|step|pep|rfc)\s*$",
                     sentence[: match.start()], re.IGNORECASE):  # fmt: skip
            return None  # a label, not a quantity
        blanked = self._blankable(sentence, match, "")
        if blanked is None:
            return None
        decimals = len(surface.rstrip("%").split(".", 1)[1]) if "." in surface else 0
        tolerance = 0.5 * 10**-decimals if decimals else 0
        unit = "%" if surface.endswith("%") else ""
        after = re.match(r"\s*(°?[A-Za-z]+)", sentence[match.end() :])
        if not unit and after and after.group(1).lower() in UNITS:
            unit = after.group(1)
        return Candidate(
            kind="numeric",
            stem=f"Which number goes in the blank? “{blanked}”",
            chunk_id=analysis.passage.chunk_id,
            answer={"value": value, "tolerance": tolerance, "unit": unit},
            explanation=f"The material says: “{sentence}” ({self._source(analysis)}).",
            evidence=sentence,
        )

    def _build_true_false(self, run: _Run, analysis: _Analysis, index: int, difficulty: str):
        sentence = analysis.sentences[index]
        truth = run.rng.random() < 0.5
        if not truth:
            swapped = self._swap(run, analysis, sentence, difficulty)
            if swapped is not None:
                statement, taken, put = swapped
                return Candidate(
                    kind="true_false",
                    stem=f"True or false: {statement}",
                    chunk_id=analysis.passage.chunk_id,
                    options=[
                        {"text": "True", "correct": False, "feedback": ""},
                        {"text": "False", "correct": True, "feedback": ""},
                    ],
                    explanation=(
                        f"False: the material says “{sentence}” ({self._source(analysis)}); "
                        f"it is {taken}, not {put}."
                    ),
                    evidence=sentence,
                )
        return Candidate(
            kind="true_false",
            stem=f"True or false: {sentence}",
            chunk_id=analysis.passage.chunk_id,
            options=[
                {"text": "True", "correct": True, "feedback": ""},
                {"text": "False", "correct": False, "feedback": ""},
            ],
            explanation=f"True: the material says “{sentence}” ({self._source(analysis)}).",
            evidence=sentence,
        )

    def _build_multiple(self, run: _Run, analysis: _Analysis, index: int, difficulty: str):
        first = analysis.sentences[index]
        others = [
            analysis.sentences[i]
            for i in analysis.usable
            if i != index and normalize_evidence(analysis.sentences[i]) not in run.used
        ]
        if not others:
            return None
        true_sentences = [first, others[0]]
        falses = []
        for sentence in others[1:] + true_sentences:
            if len(falses) == 2:
                break
            swapped = self._swap(run, analysis, sentence, difficulty)
            if swapped is not None and swapped[0] not in [f[0] for f in falses]:
                falses.append((swapped[0], sentence))
        if len(falses) < 2:
            return None
        options = [{"text": s, "correct": True, "feedback": ""} for s in true_sentences] + [
            {"text": statement, "correct": False, "feedback": f"The material says: “{original}”"}
            for statement, original in falses
        ]
        run.rng.shuffle(options)
        ordered = [s for s in analysis.sentences if s in true_sentences]
        return Candidate(
            kind="multiple",
            stem="Which of these statements are true according to the material?",
            chunk_id=analysis.passage.chunk_id,
            options=options,
            explanation=(
                "The material says: "
                + " ".join(f"“{s}”" for s in ordered)
                + f" ({self._source(analysis)})."
            ),
            evidence=" ".join(ordered),
        )
