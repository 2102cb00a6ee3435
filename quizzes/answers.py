"""How a typed answer is read, for grading a student's response and for checking a key alike:
``normalize_answer`` for text, ``parse_number`` for numbers. Both quizzes.grading and
quizzes.content build on these, so neither imports the other."""

import html
import math
import re

_ARTICLE_RE = re.compile(r"^(the|a|an)\s+", re.IGNORECASE)


def normalize_answer(text: str, *, case_sensitive: bool = False) -> str:
    """How typed answers are compared: case (unless ``case_sensitive``), runs of spaces,
    punctuation at the ends and a leading article do not matter ("The Krebs cycle." ==
    "krebs cycle"). Entities are decoded, so a stored "AT&amp;T" matches a typed "AT&T"."""
    text = html.unescape(str(text or ""))
    text = " ".join(text.split() if case_sensitive else text.lower().split())
    text = text.strip(" .,;:!?\"'`()[]{}")
    return _ARTICLE_RE.sub("", text)


_NUMBER_RE = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
_GROUPED_RE = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(?![\d,])")
_DECIMAL_COMMA_RE = re.compile(r"^[-+]?\d+,\d+(?![\d,.])")


def parse_number(value) -> float | None:
    """A number a student typed ("1,000", "3.5 m", " -2e3 ") or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    text = value.strip().replace("\u2212", "-")  # the typographic minus sign
    if _GROUPED_RE.match(text):
        text = text.replace(",", "", text.count(","))
    elif _DECIMAL_COMMA_RE.match(text):
        text = text.replace(",", ".", 1)
    match = _NUMBER_RE.match(text)
    if not match or text[match.end() : match.end() + 1] in (",", "."):
        # "1,23,4" or "1.2.3": not a number a student meant.
        return None
    number = float(match.group(0))
    return number if math.isfinite(number) else None
