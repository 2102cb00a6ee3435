"""Grading a response against the version of a question the student saw.

A response is a dict by kind: ``{"option": "b"}`` (single, true_false), ``{"options": ["a",
"c"]}`` (multiple), ``{"text": "ATP"}`` (short_answer, fill_blank), ``{"value": "3.5"}``
(numeric). ``grade`` returns the share of the question's points earned, 0.0 to 1.0:

- one-answer and true/false: all or nothing;
- multiple answers: partial credit, (right picks − wrong picks) / correct options, never below 0;
- short answer and fill-in-the-blank: an accepted answer after ``normalize_answer`` (case,
  surrounding punctuation, a leading article and extra spaces do not matter, unless the question
  is case-sensitive);
- numeric: within the tolerance of the value, edges included. Commas that group thousands
  ("1,000") are ignored, a lone decimal comma ("1,5") is read as a point, a trailing unit
  ("3.5 m") is ignored; anything else that is not a number scores 0.

A response of the wrong shape scores 0; it never raises."""

from .answers import normalize_answer, parse_number
from .models import Question, QuestionVersion


def _correct_ids(version: QuestionVersion) -> set[str]:
    return {o["id"] for o in version.options if o.get("correct")}


def grade(kind: str, version: QuestionVersion, response) -> float:
    if not isinstance(response, dict):
        return 0.0
    if kind in (Question.Kind.SINGLE, Question.Kind.TRUE_FALSE):
        choice = response.get("option")
        return 1.0 if isinstance(choice, str) and choice in _correct_ids(version) else 0.0
    if kind == Question.Kind.MULTIPLE:
        chosen = response.get("options")
        if not isinstance(chosen, list) or not all(isinstance(c, str) for c in chosen):
            return 0.0
        chosen_set = set(chosen)
        correct = _correct_ids(version)
        known = {o["id"] for o in version.options}
        right = len(chosen_set & correct)
        wrong = len((chosen_set & known) - correct)
        return max(0.0, (right - wrong) / len(correct)) if correct else 0.0
    if kind in (Question.Kind.SHORT_ANSWER, Question.Kind.FILL_BLANK):
        text = response.get("text")
        if not isinstance(text, str):
            return 0.0
        case = version.answer.get("case_sensitive") is True
        typed = normalize_answer(text, case_sensitive=case)
        accepted = {
            normalize_answer(a, case_sensitive=case) for a in version.answer.get("accepted", [])
        }
        return 1.0 if typed and typed in accepted else 0.0
    if kind == Question.Kind.NUMERIC:
        number = parse_number(response.get("value"))
        if number is None:
            return 0.0
        value = float(version.answer["value"])
        tolerance = float(version.answer.get("tolerance") or 0)
        # A hair of slack so 0.1 + 0.2 still equals 0.3.
        return 1.0 if abs(number - value) <= tolerance + 1e-9 * max(1.0, abs(value)) else 0.0
    return 0.0


def grade_attempt_question(attempt_question) -> float:
    """The grade of an attempt's answer against the version that attempt showed, whatever the
    question says now (an edit after the attempt started makes a new version)."""
    return grade(
        attempt_question.question.kind, attempt_question.version, attempt_question.response
    )


def key_response(kind: str, version: QuestionVersion) -> dict:
    """The response the key gives: what a student who answers exactly right sends."""
    if kind in (Question.Kind.SINGLE, Question.Kind.TRUE_FALSE):
        return {"option": next(iter(sorted(_correct_ids(version))))}
    if kind == Question.Kind.MULTIPLE:
        return {"options": sorted(_correct_ids(version))}
    if kind in (Question.Kind.SHORT_ANSWER, Question.Kind.FILL_BLANK):
        return {"text": version.answer["accepted"][0]}
    return {"value": version.answer["value"]}
