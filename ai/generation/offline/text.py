"""Sentence-level helpers of the offline generator: which sentences can carry a question, where
a term occurs in one, how a term is replaced (or blanked) in it, and the numbers it states."""

from __future__ import annotations

import re

from ...injection import is_instruction
from ..checks import content_words

BLANK = "____"

MIN_WORDS, MAX_WORDS = 8, 40
MAX_SENTENCE_CHARS = 320

# Words that make a sentence lean on the one before it.
DANGLING = frozenset(
    """it its this that these those they them their theirs he she his her him such there here
    which also however otherwise then so but and or thus hence therefore instead likewise
    similarly both either neither another other others same former latter""".split()
)
# Mostly letters: code and tables fail this.
_SYMBOLS = set("()[]{}=<>_/\\|#@$^~*+`;")
_LIST_START = re.compile(r"^(?:[-*•·]|\d+[.)]|[a-z][.)])\s")
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9'-]*")
# Numbers that stand alone as quantities: not part of a name ("utf-8"), a version ("3.11.4") or
# a call ("pow(2,n)").
_NUMBER_RE = re.compile(
    r"(?<![\w.,(\\$-])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(%?)(?![\w]|[.,]\w|-\w|\))"
)
_LEANING_OPENER = re.compile(
    r"^(?:In (?:the )?(?:latter|former|this|that|either|both|such|each|which) cases?\b|"
    r"As (?:with|above|mentioned|before|such)\b|For (?:these|this|those|that|such)\b|"
    r"The (?:latter|former|above|following|same|other|default|result|rest)\b|See also\b|"
    r"Note that this\b|In (?:the|this|that) (?:following |below |above )?example\b)"
)
_VERSION_NOTE = re.compile(r"^(?:Changed|New|Added|Deprecated|Removed)\b[^:]{0,40}\d[^:]*:")
# Licence, copyright and authorship notices: true of the document, not of its subject.
_BOILERPLATE = re.compile(
    r"\bpermission is granted\b|\bcopyright\b|©|\(c\) \d{4}|\ball rights reserved\b|"
    r"\bfree documentation licen[cs]e\b|\bgeneral public licen[cs]e\b|\bgnu (?:fdl|gpl)\b|"
    r"\binvariant sections?\b|\b(?:front|back)-cover texts?\b|\bartistic licen[cs]e\b|"
    r"\bfree software foundation\b|\b(?:written|maintained|contributed|authored) by\b|"
    r"\bthis licen[cs]e\b|\bthe licen[cs]e\b|\blicen[cs]ed under\b|\bwarranty\b|"
    r"\bverbatim cop(?:y|ies)\b|\bthe (?:authors?|copyright holders?)\b",
    re.IGNORECASE,
)
_MERGED_HEADING = re.compile(r"[a-z0-9]\s+(?:The|A|An|This|These|It|In|If|When|For)\s+[a-z]")


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


def _occurrences(term: str, sentence: str) -> list[re.Match]:
    # Whole words only: "low" is not found in "low-water", nor "write" in "write()".
    pattern = r"(?<![\w.-])" + re.escape(term) + r"(?![\w(-]|\.\w)"
    return list(re.finditer(pattern, sentence, flags=re.IGNORECASE))


def notice(sentence: str) -> bool:
    """Whether a sentence is a licence, copyright or authorship notice."""
    return bool(_BOILERPLATE.search(sentence))


def boilerplate(sentence: str) -> bool:
    """Whether a sentence is a notice, or an instruction planted for an AI model: never a
    question's source, and its names and terms are no distractors."""
    return notice(sentence) or is_instruction(sentence)


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
    if boilerplate(sentence):
        return False
    return len(set(content_words(sentence))) >= 5


def _numbers_of(sentence: str) -> list[tuple[re.Match, float]]:
    found = []
    for match in _NUMBER_RE.finditer(sentence):
        value = float((match.group(1) + (match.group(2) or "")).replace(",", ""))
        found.append((match, value))
    return found


_IRREGULAR_PLURAL_ENDINGS = ("i", "ae", "ia", "men", "children", "people", "data")


def _plural(term: str) -> bool:
    """Whether a term reads as plural ("cells", "nuclei", "algae"), roughly: enough to keep
    "two identical nuclei" from becoming "two four bases" or "a cell" from becoming "a nuclei"."""
    last = term.split()[-1].lower() if term.split() else ""
    if last.endswith(("ss", "us", "is", "ics")):
        return False
    return last.endswith("s") or last.endswith(_IRREGULAR_PLURAL_ENDINGS)
