"""What the offline generator refuses before grounding: questions whose key a student could
pick without reading (``guessable``), and the style a stem was written in (``style_of``: the
style is not stored with a question, its stem tells it)."""

from __future__ import annotations

import re

from ..checks import content_words, is_statement
from ..types import Candidate, Passage
from .distractors import _outlier
from .text import BLANK, _plural

# The stems of each style, as the builders write them.
_STYLE_STEMS = [
    ("definition", "Which term does the material describe as"),
    ("cause_effect", "According to the material, what happens"),
    ("true_statement", "Which of these statements is true"),
    ("multiple_answer", "Which of these statements are true"),
    ("true_false", "True or false:"),
    ("numeric", "Which number goes in the blank"),
    ("cloze", "Which option completes"),
    ("cloze", "Which term is missing"),
    ("cloze", "Fill in the blank"),
]


def style_of(stem: str, kind: str = "") -> str:
    """The item style of an offline generator's stem (cloze, definition, true_statement,
    cause_effect, true_false, multiple_answer, numeric), else ``kind``."""
    for style, start in _STYLE_STEMS:
        if stem.startswith(start):
            return style
    return kind


def _title_words(passage: Passage) -> set[str]:
    return set(content_words(re.sub(r"[-_.]", " ", passage.material_title or "")))


def guessable(candidate: Candidate, passage: Passage) -> str | None:
    """Why a student could get ``candidate`` right without reading, or None: the key (or a word
    of it) shows in the stem or the material's title; it is the only option of its grammatical
    form (the only plural, the only capitalised one, the only one that fits "an"); or it is
    much longer or shorter than every wrong option."""
    title = _title_words(passage)
    stem = candidate.stem.replace(BLANK, " ")
    if candidate.kind in ("short_answer", "fill_blank"):
        for answer in (candidate.answer or {}).get("accepted") or []:
            if set(content_words(answer)) & title:
                return "The answer is in the material's title."
        return None
    if candidate.kind != "single":
        return None
    keys = [str(o["text"]) for o in candidate.options if o.get("correct") is True]
    wrong = [str(o["text"]) for o in candidate.options if o.get("correct") is not True]
    if len(keys) != 1 or not wrong:
        return None
    key = keys[0]
    if is_statement(key) and all(is_statement(w) for w in wrong):
        if _outlier(key, wrong, 2.0):
            return "The correct statement is much longer or shorter than every other."
        negated = [content_words(o).count("not") > 0 for o in [key, *wrong]]
        if all(n != negated[0] for n in negated[1:]):
            return "The correct statement is the only one with (or without) a negation."
        return None
    key_words = set(content_words(key))
    if key_words & set(content_words(stem)):
        return "The key shows in the stem."
    if key_words & title:
        return "The key is in the material's title."
    if _outlier(key, wrong):
        return "The key is much longer or shorter than every distractor."
    if all(_plural(w) != _plural(key) for w in wrong):
        return "The key is the only option in its number (singular or plural)."
    if key[:1].isupper() != wrong[0][:1].isupper() and all(
        w[:1].isupper() == wrong[0][:1].isupper() for w in wrong
    ):
        return "The key is the only option written with (or without) a capital."
    if re.search(r"\ban\s+" + re.escape(BLANK), candidate.stem):
        vowel = [o[:1].lower() in "aeiou" for o in [key, *wrong]]
        if vowel[0] and not any(vowel[1:]):
            return "The key is the only option that fits “an”."
    return None
