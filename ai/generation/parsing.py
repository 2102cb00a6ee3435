"""Repairing and checking one item of the language model's reply (``candidate_from_item``):
what can be repaired is (stray whitespace, "A) " prefixes, booleans as strings, "100 °C" as a
number, a lone passage's unknown id, repeated options); anything else is a Rejection whose reason
a teacher can read. Split from ``llm`` so each stays small; the generator calls it per item."""

import re
from typing import Any

from .types import Candidate, GenerationSpec, Passage, Rejection

KINDS = ("single", "multiple", "true_false", "short_answer", "numeric", "fill_blank")
DIFFICULTIES = ("easy", "medium", "hard")
TOPIC_MAX_CHARS = 200

# --- repairing and checking one item -------------------------------------------------------------

_LETTER_PREFIX_RE = re.compile(r"^\(?([A-Ha-h]|[1-8])[\).:]\s+")
_NUMBER_RE = re.compile(r"^\s*([-+−]?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")
_KIND_ALIASES = {
    "multiple_choice": "single",
    "mcq": "single",
    "single_choice": "single",
    "multiple_answer": "multiple",
    "multiple_answers": "multiple",
    "multi": "multiple",
    "truefalse": "true_false",
    "true/false": "true_false",
    "true_or_false": "true_false",
    "tf": "true_false",
    "short": "short_answer",
    "fill_in_the_blank": "fill_blank",
    "fill_in_blank": "fill_blank",
    "cloze": "fill_blank",
    "number": "numeric",
}
_TRUE = {"true", "yes", "1", "t", "correct", "vrai"}
_FALSE = {"false", "no", "0", "f", "incorrect", "wrong", "faux"}
BLANK = "____"


class _Bad(Exception):
    """This item cannot be repaired: the reason is a sentence for the teacher."""


def _text(value, field: str, *, required: bool = True) -> str:
    if value is None:
        if required:
            raise _Bad(f"its {field} is missing")
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise _Bad(f"its {field} is not text")
    text = " ".join(value.split())
    if required and not text:
        raise _Bad(f"its {field} is empty")
    return text


def _bool(value, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise _Bad(f"its {field} is neither true nor false")


def _kind(value, kinds: tuple[str, ...]) -> str:
    raw = _text(value, "kind")
    kind = raw.lower().replace("-", "_").replace(" ", "_")
    kind = _KIND_ALIASES.get(kind, kind)
    if kind not in KINDS:
        raise _Bad(f"its kind “{raw}” is not a question type we know")
    if kind not in kinds:
        raise _Bad(f"it is a {kind} question; this job asked for {', '.join(dict.fromkeys(kinds))}")
    return kind


def _options(raw: object) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise _Bad("its options are not a list")
    options: list[dict[str, Any]] = []
    for index, option in enumerate(raw, start=1):
        if not isinstance(option, dict):
            raise _Bad(f"option {index} is not an object with text and correctness")
        if "text" not in option or "correct" not in option:
            raise _Bad(f"option {index} lacks its text or whether it is correct")
        options.append(
            {
                "text": _text(option.get("text"), f"option {index}"),
                "correct": _bool(option.get("correct"), f"option {index}'s correctness"),
                "feedback": _text(option.get("feedback"), "feedback", required=False),
            }
        )
    # "A) Mitochondria", "B) Ribosomes": the letters are the page's job, not the text's.
    prefixes = [match for o in options if (match := _LETTER_PREFIX_RE.match(o["text"])) is not None]
    if len(options) >= 2 and len(prefixes) == len(options):
        labels = [m.group(1).lower() for m in prefixes]
        if labels in (list("abcdefgh"[: len(labels)]), [str(i) for i in range(1, len(labels) + 1)]):
            for option, match in zip(options, prefixes, strict=True):
                option["text"] = option["text"][match.end() :].strip() or option["text"]
    # The same option twice: keep the first, and keep it correct if either copy was.
    kept: dict[str, dict] = {}
    for option in options:
        key = " ".join(option["text"].lower().split()).strip(" .")
        if key in kept:
            kept[key]["correct"] = kept[key]["correct"] or option["correct"]
            continue
        kept[key] = option
    return list(kept.values())


def _true_false_options(item: dict) -> list[dict]:
    raw = item.get("options")
    key = None
    if isinstance(raw, list) and raw:
        marked = []
        for option in raw:
            if not isinstance(option, dict):
                raise _Bad("its options are not objects with text and correctness")
            text = _text(option.get("text"), "option").lower().strip(" .")
            if text not in _TRUE | _FALSE:
                raise _Bad(f"a true/false question has the option “{option.get('text')}”")
            if _bool(option.get("correct"), "option's correctness"):
                marked.append(text in _TRUE)
        if len(set(marked)) == 1:
            key = marked[0]
    if key is None:
        accepted = item.get("accepted_answers")
        if isinstance(accepted, str):
            accepted = [accepted]
        values = {str(a).strip().lower().strip(" .") for a in accepted or [] if a is not None}
        if len(values) == 1 and values <= _TRUE | _FALSE:
            key = values.pop() in _TRUE
    if key is None:
        raise _Bad("it does not say whether the statement is true or false")
    feedback = {}
    for option in raw if isinstance(raw, list) else []:
        text = str(option.get("text") or "").strip().lower().strip(" .")
        feedback["true" if text in _TRUE else "false"] = _text(
            option.get("feedback"), "feedback", required=False
        )
    return [
        {"text": "True", "correct": key is True, "feedback": feedback.get("true", "")},
        {"text": "False", "correct": key is False, "feedback": feedback.get("false", "")},
    ]


def _accepted(item: dict) -> list[str]:
    raw = item.get("accepted_answers")
    if raw is None:
        raise _Bad("it lists no accepted answers")
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        raise _Bad("its accepted answers are not a list")
    accepted: list[str] = []
    for value in raw:
        text = _text(value, "accepted answer", required=False)
        if text and text.lower() not in (a.lower() for a in accepted):
            accepted.append(text)
    if not accepted:
        raise _Bad("it lists no accepted answers")
    return accepted


def _numeric(item: dict) -> dict:
    value, unit = item.get("numeric_value"), item.get("unit")
    if value is None:
        accepted = item.get("accepted_answers")
        if isinstance(accepted, list) and accepted:
            value = accepted[0]
    if value is None:
        raise _Bad("it gives no numeric answer")
    if isinstance(value, bool):
        raise _Bad("its numeric answer is not a number")
    if isinstance(value, str):
        # "100 °C", "1,200 km", "−3.5": the number, and the rest as the unit if none is given.
        match = _NUMBER_RE.match(value.replace("−", "-"))
        if not match:
            raise _Bad(f"its numeric answer “{value}” is not a number")
        number, rest = match.groups()
        value = float(number.replace(",", ""))
        if rest and not unit:
            unit = rest
    if not isinstance(value, int | float):
        raise _Bad("its numeric answer is not a number")
    tolerance = item.get("tolerance")
    if isinstance(tolerance, str):
        match = _NUMBER_RE.match(tolerance)
        tolerance = float(match.group(1).replace(",", "")) if match else None
    if not isinstance(tolerance, int | float) or isinstance(tolerance, bool) or tolerance < 0:
        tolerance = 0.0
    return {
        "value": float(value),
        "tolerance": float(tolerance),
        "unit": _text(unit, "unit", required=False),
    }


def _source(item: dict, passages: list[Passage]) -> Passage:
    raw = item.get("source_id")
    number = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        number = raw
    elif isinstance(raw, str) and raw.strip().isdigit():
        number = int(raw.strip())
    if number is not None and 1 <= number <= len(passages):
        return passages[number - 1]
    if len(passages) == 1:
        return passages[0]  # only one passage was sent: it can only be that one
    if raw is None:
        raise _Bad("it does not say which source it comes from")
    raise _Bad(f"it cites source {raw}, which does not exist (sources 1 to {len(passages)})")


def candidate_from_item(
    item, passages: list[Passage], *, spec: GenerationSpec, kinds: tuple[str, ...]
) -> Candidate | Rejection:
    """One item of the model's reply as a Candidate (repaired where possible) or the Rejection
    that says why it cannot be used."""
    stem = ""
    try:
        if not isinstance(item, dict):
            raise _Bad("it is not an object")
        stem = _text(item.get("stem"), "question text")
        kind = _kind(item.get("kind"), kinds)
        passage = _source(item, passages)
        evidence = _text(item.get("evidence"), "evidence (the quote from the source)")
        evidence = evidence.strip("\"'“”‘’")
        options: list[dict] = []
        answer: dict = {}
        if kind == "true_false":
            options = _true_false_options(item)
        elif kind in ("single", "multiple"):
            if "options" not in item:
                raise _Bad("it has no options")
            options = _options(item.get("options"))
        elif kind == "numeric":
            answer = _numeric(item)
        else:
            answer = {"accepted": _accepted(item)}
            if kind == "fill_blank" and not re.search(r"_{3,}", stem):
                # The model wrote the answer instead of a blank: blank it, when it is there once.
                word = answer["accepted"][0]
                found = re.findall(rf"(?i)\b{re.escape(word)}\b", stem)
                if len(found) != 1:
                    raise _Bad(f"its text marks no blank with {BLANK}")
                stem = re.sub(rf"(?i)\b{re.escape(word)}\b", BLANK, stem, count=1)
        difficulty = str(item.get("difficulty") or "").strip().lower()
        if difficulty not in DIFFICULTIES:
            difficulty = spec.difficulty if spec.difficulty in DIFFICULTIES else "medium"
        topic = _text(item.get("topic"), "topic", required=False) or spec.topic
        return Candidate(
            kind=kind,
            stem=stem,
            chunk_id=passage.chunk_id,
            options=options,
            answer=answer,
            explanation=_text(item.get("explanation"), "explanation", required=False),
            evidence=evidence,
            difficulty=difficulty,
            topic=topic[:TOPIC_MAX_CHARS],
        )
    except _Bad as bad:
        return Rejection(f"The language model's question could not be used: {bad}.", stem)
