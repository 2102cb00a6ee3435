"""The one gate every question's content passes, whoever wrote it (a teacher's edit, a
generator, an imported file): the right parts for its kind, sanitised text, a key that grading
can use. A question that fails here is never saved, half-formed or otherwise.

``question_content_clean(kind=…, stem=…, options=…, answer=…, explanation=…)`` returns the
cleaned content as a dict ready for ``QuestionVersion`` or raises ``ValidationError`` whose
messages say, in words a teacher understands, what is wrong."""

import math
import re

from django.core.exceptions import ValidationError

from .answers import normalize_answer, parse_number
from .models import Question
from .rendering import clean_text

STEM_MAX_CHARS = 2000
OPTION_MAX_CHARS = 500
EXPLANATION_MAX_CHARS = 3000
MIN_OPTIONS, MAX_OPTIONS = 2, 8
BLANK = "____"
_BLANK_RE = re.compile(r"_{3,}")
CHOICE_KINDS = {Question.Kind.SINGLE, Question.Kind.MULTIPLE, Question.Kind.TRUE_FALSE}
TEXT_KINDS = {Question.Kind.SHORT_ANSWER, Question.Kind.FILL_BLANK}


def _text(value, field: str, label: str, *, max_length: int, numbers: bool = False) -> str:
    """``value`` cleaned as text, or "" for nothing. A list, an object or a yes/no where text
    belongs is refused rather than stored as its Python spelling; ``numbers`` lets an option or
    an accepted answer be a bare number (language models write 42 for "42")."""
    if value is None:
        return ""
    if numbers and isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValidationError({field: f"{label} must be text."})
    return clean_text(value, max_length=max_length)


def _option_id(index: int) -> str:
    return "abcdefgh"[index]


def _clean_options(kind: str, options) -> list[dict]:
    if kind == Question.Kind.TRUE_FALSE:
        correct = _true_false_key(options)
        return [
            {"id": "true", "text": "True", "correct": correct is True, "feedback": ""},
            {"id": "false", "text": "False", "correct": correct is False, "feedback": ""},
        ]
    if options is None:
        options = []
    if not isinstance(options, list):
        raise ValidationError({"options": "Options must be a list."})
    cleaned, seen = [], set()
    for index, option in enumerate(options):
        if not isinstance(option, dict):
            raise ValidationError({"options": f"Option {index + 1} is not an object."})
        label = f"Option {index + 1}"
        text = _text(
            option.get("text"), "options", label, max_length=OPTION_MAX_CHARS, numbers=True
        )
        if not text:
            raise ValidationError({"options": f"Option {index + 1} has no text."})
        key = normalize_answer(text)
        if key in seen:
            raise ValidationError({"options": f"Option {index + 1} repeats another: “{text}”."})
        seen.add(key)
        cleaned.append(
            {
                "id": _option_id(index) if index < MAX_OPTIONS else str(index),
                "text": text,
                "correct": option.get("correct") is True,
                "feedback": _text(
                    option.get("feedback"),
                    "options",
                    f"The feedback of option {index + 1}",
                    max_length=OPTION_MAX_CHARS,
                ),
            }
        )
    if not MIN_OPTIONS <= len(cleaned) <= MAX_OPTIONS:
        raise ValidationError(
            {
                "options": f"A question needs {MIN_OPTIONS} to {MAX_OPTIONS} options "
                f"({len(cleaned)} given)."
            }
        )
    right = sum(1 for o in cleaned if o["correct"])
    if kind == Question.Kind.SINGLE and right != 1:
        raise ValidationError(
            {"options": f"A one-answer question needs exactly one correct option ({right} marked)."}
        )
    if kind == Question.Kind.MULTIPLE and (right < 1 or right == len(cleaned)):
        raise ValidationError(
            {
                "options": "A multiple-answer question needs at least one correct and one wrong "
                f"option ({right} of {len(cleaned)} marked correct)."
            }
        )
    return cleaned


def _true_false_key(options) -> bool:
    """The key of a true/false question from its options ([{"id": "true", "correct": …}, …])
    or from a bare boolean."""
    if isinstance(options, bool):
        return options
    if isinstance(options, list):
        # A generator may label the options "a"/"b" and put True/False in their text.
        marked = [
            _true_false_label(o)
            for o in options
            if isinstance(o, dict) and o.get("correct") is True
        ]
        if marked in (["true"], ["false"]):
            return marked[0] == "true"
    raise ValidationError({"options": "Mark exactly one of True and False as correct."})


def _true_false_label(option: dict) -> str:
    for name in ("id", "text"):
        label = str(option.get(name) or "").strip().lower()
        if label in ("true", "false"):
            return label
    return ""


def _clean_text_answer(kind: str, answer, stem: str) -> dict:
    if not isinstance(answer, dict):
        raise ValidationError({"answer": "The answer must be an object with accepted answers."})
    accepted_raw = answer.get("accepted")
    if isinstance(accepted_raw, str):
        accepted_raw = [accepted_raw]
    if not isinstance(accepted_raw, list):
        raise ValidationError({"answer": "List the accepted answers."})
    case_sensitive = answer.get("case_sensitive") is True
    accepted, seen = [], set()
    for item in accepted_raw:
        text = _text(
            item, "answer", "An accepted answer", max_length=OPTION_MAX_CHARS, numbers=True
        )
        # Answers that grade alike are kept once ("ATP" and "atp." are one answer).
        key = normalize_answer(text, case_sensitive=case_sensitive)
        if key and key not in seen:
            seen.add(key)
            accepted.append(text)
    if not accepted:
        raise ValidationError({"answer": "Give at least one accepted answer."})
    if kind == Question.Kind.FILL_BLANK and len(_BLANK_RE.findall(stem)) != 1:
        raise ValidationError(
            {"stem": f"A fill-in-the-blank question marks exactly one blank with {BLANK}."}
        )
    return {"accepted": accepted, "case_sensitive": case_sensitive}


_PLAIN_NUMBER_RE = re.compile(r"[-+\u2212]?[\d.,]+([eE][-+]?\d+)?")


def _number(value, field: str) -> float:
    if isinstance(value, bool):
        raise ValidationError({"answer": f"The {field} must be a number."})
    if isinstance(value, str):
        # Read as grading reads a student's answer ("1,000" is a thousand, "2,5" two and a
        # half), but nothing may follow the number in a key.
        text = value.strip()
        if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
            raise ValidationError({"answer": f"The {field} must be a finite number."})
        number = parse_number(text) if _PLAIN_NUMBER_RE.fullmatch(text) else None
        if number is None:
            raise ValidationError({"answer": f"The {field} must be a number."})
    else:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValidationError({"answer": f"The {field} must be a number."}) from None
    if not math.isfinite(number):
        raise ValidationError({"answer": f"The {field} must be a finite number."})
    return number


def _clean_numeric_answer(answer) -> dict:
    if not isinstance(answer, dict) or "value" not in answer:
        raise ValidationError({"answer": "A numeric question needs the correct value."})
    value = _number(answer.get("value"), "correct value")
    tolerance = _number(answer.get("tolerance") or 0, "tolerance")
    if tolerance < 0:
        raise ValidationError({"answer": "The tolerance cannot be negative."})
    unit = _text(answer.get("unit"), "answer", "The unit", max_length=40)
    return {"value": value, "tolerance": tolerance, "unit": unit}


def question_content_clean(*, kind: str, stem, options=None, answer=None, explanation=None) -> dict:
    """Validated, sanitised content for a question of ``kind``:
    ``{"stem", "options", "answer", "explanation"}``. Raises ValidationError."""
    if kind not in Question.Kind.values:
        raise ValidationError(
            {
                "kind": f"Unknown question type {kind!r}; use one of "
                f"{', '.join(Question.Kind.values)}."
            }
        )
    stem = _text(stem, "stem", "The question", max_length=STEM_MAX_CHARS)
    if len(stem) < 3:
        raise ValidationError({"stem": "The question has no text."})
    if kind == Question.Kind.FILL_BLANK:
        stem = _BLANK_RE.sub(BLANK, stem)
    content = {
        "stem": stem,
        "options": [],
        "answer": {},
        "explanation": _text(
            explanation, "explanation", "The explanation", max_length=EXPLANATION_MAX_CHARS
        ),
    }
    if kind in CHOICE_KINDS:
        content["options"] = _clean_options(kind, options)
    elif kind in TEXT_KINDS:
        content["answer"] = _clean_text_answer(kind, answer, stem)
    else:
        content["answer"] = _clean_numeric_answer(answer)
    return content
