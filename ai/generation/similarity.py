"""Near-duplicates of generated questions, as pure functions over vectors: the bank's side (the
nearest question of a course) is asked through a callable, so ai knows nothing of the bank.

A question is embedded as ``question_embedding_text`` (its stem without our templates' fixed
wording, plus its key), and ``duplicate_flags`` (given the bank search quizzes passes in) marks
a vector whose cosine similarity to a question already in the course's bank — whatever its
status, *rejected ones included*, so a question a teacher turned down is not offered again — or
to an earlier kept vector of the same batch reaches ``GENERATION_DUPLICATE_SIMILARITY``. Banks
are per school (schema), so another school's questions never count."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from .checks import _true_false_key

# Finds the (question id, cosine similarity) of the bank's nearest questions to a unit vector.
Neighbours = Callable[[list[float]], Sequence[tuple[int, float]]]


# Our own templates' fixed wording says nothing about a question: left out of what is compared.
_TEMPLATE_RE = re.compile(
    r"^\s*(?:true\s*(?:or|/)\s*false\s*[:?]|fill in the blank\s*:|which option completes this "
    r"statement from the material\?|which term is missing from this statement from the "
    r"material\?|which number goes in the blank\?|which term does the material describe as|"
    r"which of these statements are true according to the material\?)\s*",
    re.IGNORECASE,
)


def question_embedding_text(
    kind: str,
    stem: str,
    options: list[dict[str, Any]] | None = None,
    answer: dict[str, Any] | None = None,
) -> str:
    """What is embedded to find near-duplicates: the stem (without a template's fixed opening)
    and the key. Two questions asking the same thing with the same answer embed alike; a
    question on the same sentence with a different key does not quite."""
    text = _TEMPLATE_RE.sub("", " ".join(str(stem or "").split()))
    key = ""
    if kind == "true_false":
        correct = _true_false_key(options)
        key = "" if correct is None else ("true" if correct else "false")
    elif kind in ("single", "multiple"):
        key = "; ".join(
            str(o.get("text") or "")
            for o in options or []
            if isinstance(o, dict) and o.get("correct") is True
        )
    elif kind == "numeric":
        answer = answer or {}
        key = f"{answer.get('value', '')} {answer.get('unit') or ''}".strip()
    else:
        accepted = (answer or {}).get("accepted") or []
        key = accepted if isinstance(accepted, str) else (accepted[0] if accepted else "")
    return f"{text}\nAnswer: {key}" if key else text


def _unit(vector: Sequence[float]) -> list[float]:
    values = [float(x) for x in vector]
    norm = math.sqrt(math.fsum(x * x for x in values)) or 1.0
    return [x / norm for x in values]


def duplicate_flags(
    vectors: list[list[float]], *, threshold: float, neighbours: Neighbours
) -> list[bool]:
    """For each vector (a question's ``question_embedding_text`` embedded by the school's
    model), whether it is a near-duplicate: cosine similarity ≥ ``threshold`` to its nearest
    bank question (``neighbours(unit_vector)``, most similar first) or to an earlier vector of
    this list that was not itself flagged."""
    kept: list[list[float]] = []
    flags = []
    for vector in vectors:
        unit = _unit(vector)
        nearest = neighbours(unit)
        duplicate = bool(nearest) and nearest[0][1] >= threshold
        if not duplicate:
            duplicate = any(
                math.fsum(a * b for a, b in zip(unit, other, strict=True)) >= threshold
                for other in kept
            )
        if not duplicate:
            kept.append(unit)
        flags.append(duplicate)
    return flags
