"""Key terms of a passage (RAKE-style runs between stop words and verbs, ranked by YAKE, plus
names, acronyms and identifiers), their kinds, and the accepted variants of a term as an answer.
A passage's analysis is cached per process."""

from __future__ import annotations

import hashlib
import re
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass

from ..checks import NUMBER_WORDS, content_words, fold, split_sentences
from ..types import Passage
from .text import _NUMBER_RE, DANGLING, _occurrences, _usable, boilerplate, notice

ANALYSIS_CACHE_SIZE = 4_000

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
_IDENT_RE = re.compile(
    r"(?<![\w.])(?:[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+(?:\(\))?"
    r"|[a-z][a-z0-9]*_[a-z0-9_]+(?:\(\))?|[a-z]+[A-Z][A-Za-z0-9]+(?:\(\))?|[A-Za-z_]\w*\(\))"
)
# Not after "-" or ".": "-C NUM" is an option with its argument, not the name "C NUM".
_CAPS_RE = re.compile(r"(?<![-.\w])[A-Z][a-zA-Z0-9]*(?:\s+[A-Z][a-zA-Z0-9]*){0,2}\b")
_OPTION_RE = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*(?:[ =][A-Z][A-Z0-9_]*\b)?")


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


def _accepted(term: str, sentence: str, match: re.Match) -> list[str]:
    """Accepted answers for a blanked term: its variants, unless the material quotes it as
    code ("unicodedata" has no plural)."""
    before = sentence[match.start() - 1 : match.start()]
    after = sentence[match.end() : match.end() + 1]
    if before in "\"'`*" and before and after == before:
        return [term]
    variants = answer_variants(term)
    words = term.split()
    if term_kind(term) == "phrase" and len(words) == 2 and len(words[-1]) >= 4:
        # "input file": "file" is a defensible answer too.
        variants += [v for v in answer_variants(words[-1]) if v not in variants]
    return variants


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
    # Words the passage uses as nouns: right after a determiner ("the pattern", "a list").
    nouns: frozenset[str] = frozenset()


_analysis_cache: OrderedDict[tuple, _Analysis] = OrderedDict()
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


# Words that describe rather than name (no tagger offline): never the end of a key term.
ADJECTIVES = frozenset(
    """full empty available possible impossible certain sure aware free lost found left kept
    held able unable likely unlikely own whole entire main major minor simple easy hard
    useful usual unusual similar necessary sufficient""".split()
)
_ADJECTIVE_ENDINGS = ("ible", "ous", "ful", "less")


def noun_like(word: str, nouns: frozenset[str]) -> bool:
    """Whether ``word`` (the last of a term) is used as a noun: the material puts it after a
    determiner, and it has no adjective's ending. Names, acronyms and code always are."""
    if not re.fullmatch(r"[a-z][a-z-]*", word):
        return True
    return word in nouns and word not in ADJECTIVES and not word.endswith(_ADJECTIVE_ENDINGS)


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


_NOTICE_SECTION = re.compile(
    r"licen[cs]e|copying|copyright|permissions?\b|authors?\b|credits|acknowledg", re.IGNORECASE
)
_AFTER_DETERMINER = re.compile(
    r"\b(?:the|a|an|each|every|this|that|these|those|its|their|your|our|any|no|some)\s+"
    r"(?:([A-Za-z][\w-]*)(?=\s*(?:[.,;:!?)]|\s(?:is|are|was|were|of|in|for|to|that|which|"
    r"with|on|by|from|as|has|have|can|will|may|must|should|does|do)\b))|"
    r"[a-z][\w-]*\s+([a-z][\w-]*s)(?=\s+(?:of|in|for|to|that|which|are|were|with)\b))",
    re.IGNORECASE,
)
_DETERMINERS = frozenset("the a an its their this these those his her our your".split())


def _runs(sentence: str, verbs: set[str]) -> list[str]:
    """Candidate terms of a sentence: runs of one to three words between stop words, verbs,
    punctuation and numbers."""
    runs: list[str] = []
    current: list[str] = []

    def close():
        if 1 <= len(current) <= 3 and (len(current) == 1 or min(map(len, current)) > 1):
            words = [w.lower() for w in current]
            # Participles and gerunds at the edges are verbs more often than terms
            # ("target occurring", "reading messenger RNA", "implemented").
            if not (words[-1].endswith(("ed", "ing")) or words[0].endswith("ing")):
                runs.append(" ".join(current))
        current.clear()

    # A command-line option and its argument ("-C NUM") is one unit, never part of a term.
    for token in _RUN_TOKEN.findall(_OPTION_RE.sub(" ; ", sentence)):
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
            or lower.endswith("n't")
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
    # A licence or notice section (the GNU FDL a manual carries) gives neither questions nor
    # terms; elsewhere, its sentences are left out one by one.
    notices = sum(notice(s) for s in sentences)
    flagged = [boilerplate(s) for s in sentences]
    if _NOTICE_SECTION.search(passage.section or "") or notices * 10 >= 3 * len(sentences) > 0:
        flagged = [True] * len(sentences)
    content = [s for s, bad in zip(sentences, flagged, strict=True) if not bad]
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
        keywords = _yake().extract_keywords(" ".join(content)) if content else []
    except Exception:  # YAKE fails on some degenerate inputs; the regexes still find terms
        keywords = []
    central = {fold(phrase): rank for rank, (phrase, _) in enumerate(keywords)}
    verbs = _verbs_in(text)
    runs = Counter(run for sentence in content for run in _runs(sentence, verbs))
    for run, count in runs.items():
        folded = fold(run)
        if folded in central:
            add(run, central[folded])
        elif " " in run or count > 1:
            # A noun phrase YAKE did not rank, or a word the passage repeats.
            add(run, 20 - min(count, 5))
    for sentence in content:
        for match in _IDENT_RE.finditer(sentence):
            add(match.group(0), 8)
    for sentence in content:
        for match in _CAPS_RE.finditer(sentence):
            if match.start() > 0 and all(fold(w) not in verbs for w in match.group(0).split()):
                add(match.group(0), 10)
    terms = sorted(found.values(), key=lambda t: (t.score, t.text))
    scored = []
    for index, sentence in enumerate(sentences):
        if flagged[index] or not _usable(sentence):
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
    nouns = frozenset(
        (first or second).lower() for first, second in _AFTER_DETERMINER.findall(" ".join(content))
    )
    analysis = _Analysis(passage, sentences, usable, terms, topic, nouns)
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
