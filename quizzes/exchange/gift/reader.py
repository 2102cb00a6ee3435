"""A GIFT file's questions, read for the bank the way Moodle's own reader takes them apart,
refusing what is not well-formed with the line it is on."""

import re
from collections.abc import Callable, Iterator

from django.core.exceptions import ValidationError

from quizzes.content import BLANK
from quizzes.models import Question

from ..parsing import (
    MAX_ANSWERS,
    ParsedQuestion,
    choice_losses,
    guess_text_kind,
    html_to_text,
    is_full_credit,
    numeric_key,
    tags_from_strings,
    too_many_answers,
    too_many_questions,
    typed_answer_losses,
)

# Escaped characters stand in as private-use characters while the question is taken apart, as
# Moodle does with its "&&058;" placeholders.
_ESCAPES = {
    "\\": "\ue05c",
    ":": "\ue03a",
    "#": "\ue023",
    "=": "\ue03d",
    "{": "\ue07b",
    "}": "\ue07d",
    "~": "\ue07e",
    "n": "\ue00a",
}
_RESTORE = {placeholder: ("\n" if char == "n" else char) for char, placeholder in _ESCAPES.items()}
_PRIVATE_RE = re.compile("[\ue000-\ue0ff]")
_WEIGHT_RE = re.compile(r"^%(-?\d+(?:\.\d*)?)%")
_FORMAT_RE = re.compile(r"^\[(html|moodle|plain|markdown)\]")
_TAG_RE = re.compile(r"\[tag:((?:\\\]|[^\]<>`\x00-\x1f])+)\]")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}

_ESCAPE_RE = re.compile(r"\\([\\:#={}~n])")
_RESTORE_TABLE = str.maketrans(_RESTORE)


def _protect(text: str) -> str:
    return _ESCAPE_RE.sub(lambda match: _ESCAPES[match.group(1)], text)


def _restore(text: str) -> str:
    return text.translate(_RESTORE_TABLE)


def _text(raw: str, fmt: str, warnings: list[str]) -> tuple[str, str]:
    """(text for the bank, its format): a leading [format] overrides ``fmt``."""
    raw = raw.strip()
    match = _FORMAT_RE.match(raw)
    if match:
        fmt, raw = match.group(1), raw[match.end() :]
    text = _restore(raw).strip()
    if fmt in ("html", "moodle"):
        text = html_to_text(text, warnings, html_spacing=(fmt == "html"))
    return text, fmt


def _split_feedback(raw: str) -> tuple[str, str]:
    text, _, feedback = raw.partition("#")
    return text, feedback


def _weight(raw: str, default: float) -> tuple[float, str]:
    match = _WEIGHT_RE.match(raw)
    if match:
        return float(match.group(1)), raw[match.end() :]
    return default, raw


class _Block:
    """One question's lines, with the file line numbers they came from."""

    def __init__(self, lines: list[tuple[int, str]]) -> None:
        self.comments = [line.strip() for _, line in lines if line.strip().startswith("//")]
        body = [(n, line.strip()) for n, line in lines if not line.strip().startswith("//")]
        self.category = ""
        if body and body[0][1].startswith("$CATEGORY:"):
            self.category = body[0][1][len("$CATEGORY:") :].strip()
            body = body[1:]
        self.numbers = [n for n, _ in body]
        self.text = _protect("\n".join(line for _, line in body))

    def line_at(self, offset: int) -> int:
        return self.numbers[min(self.text.count("\n", 0, offset), len(self.numbers) - 1)]

    def error(self, offset: int, message: str) -> ValidationError:
        return ValidationError(f"line {self.line_at(offset)}: {message}")


def _blocks(text: str) -> Iterator[_Block]:
    """The file's blank-line separated blocks, lazily (a huge file stops at the question cap)."""
    current = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            current.append((number, line))
        elif current:
            yield _Block(current)
            current = []
    if current:
        yield _Block(current)


def _read_block(block: _Block, number: int) -> ParsedQuestion:
    text = block.text
    parsed = ParsedQuestion(number=number, line=block.numbers[0], title="", source_type="")
    start = 0
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            raise block.error(0, "the question title opened with :: is not closed with ::")
        parsed.title = " ".join(_restore(text[2:end]).split())[:200]
        start = end + 2
    opening, closing = text.find("{", start), text.find("}", start)
    if opening < 0 and closing < 0:
        parsed.source_type = "description"
        return parsed.skip(
            "Not supported: text without an answer block {…} is a description, not a question."
        )
    if closing >= 0 and (opening < 0 or closing < opening):
        raise block.error(closing, "} without an opening { (write a literal brace as \\})")
    if closing < 0:
        raise block.error(
            opening, "unclosed { (end the answers with }, or write a literal brace as \\{)"
        )
    nested = text.find("{", opening + 1, closing)
    if nested >= 0:
        raise block.error(nested, "{ inside an answer block (write a literal brace as \\{)")
    after = text[closing + 1 :]
    stray = re.search(r"[{}]", after)
    if stray:
        raise block.error(
            closing + 1 + stray.start(),
            "a second answer block; a question has one {…} (write a literal brace as \\{ or \\})",
        )
    answer_text = text[opening + 1 : closing].strip()
    before = text[start:opening]
    stem_raw = before + (BLANK + after if after.strip() else "")

    explanation_raw = ""
    separator = answer_text.rfind("####")
    if separator >= 0:
        explanation_raw = answer_text[separator + 4 :]
        answer_text = answer_text[:separator].strip()
    parsed.stem, fmt = _text(stem_raw, "moodle", parsed.warnings)
    parsed.explanation, _ = _text(explanation_raw, fmt, parsed.warnings)
    tags = [raw.replace("\\]", "]").strip() for raw in _TAG_RE.findall("\n".join(block.comments))]
    parsed.tags = tags_from_strings(tags, parsed.warnings)

    def answer_text_of(raw: str) -> str:
        return _text(raw, fmt, parsed.warnings)[0]

    if answer_text == "":
        parsed.source_type = "essay"
        return parsed.skip("Not supported: an essay question (empty {}), graded by hand.")
    if sum(answer_text.count(c) for c in "~=") > MAX_ANSWERS:
        return parsed.skip(too_many_answers())
    if answer_text.startswith("#"):
        parsed.source_type = "numerical"
        _read_numeric(block, opening, answer_text[1:], parsed)
    elif "~" in answer_text:
        parsed.source_type = "multichoice"
        single = "=" in answer_text
        parts = [p.strip() for p in answer_text.replace("=", "~=").split("~")]
        if parts and not parts[0]:
            parts.pop(0)
        answers = []
        for part in parts:
            if part.startswith("="):
                weight, rest = 100.0, part[1:]
            else:
                weight, rest = _weight(part, 0.0)
            option, feedback = _split_feedback(rest)
            answers.append((answer_text_of(option), weight, answer_text_of(feedback)))
        parsed.kind = Question.Kind.SINGLE if single else Question.Kind.MULTIPLE
        if single and not any(is_full_credit(w) for _, w, _ in answers):
            return parsed.skip("No correct answer: no option gives full credit.")
        if not single and not any(w > 0 for _, w, _ in answers):
            return parsed.skip("No correct answer: no option gives credit (%…%).")
        choice_losses(parsed, answers, single=single)
    elif "=" in answer_text and "->" in answer_text:
        parsed.source_type = "match"
        return parsed.skip("Not supported: a matching question (=… -> …).")
    else:
        key_text, *feedback_parts = answer_text.split("#", 2)
        if key_text.strip() in _TRUE_FALSE:
            parsed.source_type = "truefalse"
            parsed.kind = Question.Kind.TRUE_FALSE
            key = "true" if _TRUE_FALSE[key_text.strip()] else "false"
            parsed.options = [{"id": key, "correct": True}]
            if any(_restore(f).strip() for f in feedback_parts):
                parsed.warnings.append("The feedback on True and False is not kept.")
        else:
            parsed.source_type = "shortanswer"
            _read_short_answer(answer_text, parsed, answer_text_of)
    return parsed


def _read_short_answer(
    answer_text: str, parsed: ParsedQuestion, text_of: Callable[[str], str]
) -> None:
    parsed.kind = guess_text_kind(parsed.stem)
    parts = [p.strip() for p in answer_text.split("=")]
    if parts and not parts[0]:
        parts.pop(0)
    accepted, dropped, feedback = [], [], False
    for part in parts:
        weight, rest = _weight(part, 100.0)
        answer, answer_feedback = _split_feedback(rest)
        answer = text_of(answer)
        if is_full_credit(weight):
            accepted.append(answer)
            feedback = feedback or bool(answer_feedback.strip())
        elif answer:
            dropped.append((answer, weight))
    if not accepted:
        parsed.skip("No correct answer: no answer gives full credit.")
        return
    typed_answer_losses(parsed, dropped, feedback)
    parsed.answer = {"accepted": accepted, "case_sensitive": False}


def _read_numeric(block: _Block, offset: int, body: str, parsed: ParsedQuestion) -> None:
    parsed.kind = Question.Kind.NUMERIC
    wrong = body.find("~")
    if wrong >= 0:
        if _restore(body[wrong + 1 :]).strip(" #"):
            parsed.warnings.append("Feedback for wrong values is not kept.")
        body = body[:wrong]
    parts = [p.strip() for p in body.split("=")]
    if parts and not parts[0]:
        parts.pop(0)
    if not parts:
        raise block.error(offset, "a numeric question ({#…}) without a value")
    keys, others, feedback = [], [], False
    for part in parts:
        weight, rest = _weight(part, 100.0)
        raw, answer_feedback = _split_feedback(rest)
        raw = _restore(raw).strip()
        feedback = feedback or bool(answer_feedback.strip())
        try:
            if raw.find("..") > 0:
                low, high = (float(x) for x in raw.split("..", 1))
                value = (low + high) / 2
                tolerance = high - value
            elif raw.find(":") > 0:
                value_text, tolerance_text = raw.split(":", 1)
                value, tolerance = float(value_text), float(tolerance_text)
            else:
                value, tolerance = float(raw), 0.0
        except ValueError:
            raise block.error(
                offset, f"“{raw}” is not a number (write {{#value:tolerance}})"
            ) from None
        if is_full_credit(weight):
            keys.append((value, abs(tolerance)))
        else:
            others.append((value, abs(tolerance), weight))
    if not keys:
        parsed.skip("No correct answer: no value gives full credit.")
        return
    value, tolerance = numeric_key(parsed, keys, others)
    if feedback:
        parsed.warnings.append("Feedback on individual values is not kept.")
    parsed.answer = {"value": value, "tolerance": tolerance, "unit": ""}


def parse(data: bytes, *, max_questions: int) -> tuple[list[ParsedQuestion], list[str]]:
    """The questions of a GIFT file, in order, and warnings about the file. Raises
    ValidationError ("line 12: unclosed {") for a file that is not well-formed GIFT or that
    holds more than ``max_questions``."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("The file is not UTF-8 text; save it as UTF-8 and retry.") from None
    text = _PRIVATE_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    questions: list[ParsedQuestion] = []
    categories: list[str] = []
    for block in _blocks(text):
        if block.category:
            categories.append(block.category)
        if not block.text.strip():
            continue
        if len(questions) >= max_questions:
            raise too_many_questions(max_questions)
        questions.append(_read_block(block, len(questions) + 1))
    warnings = []
    if categories:
        warnings.append(
            "GIFT categories are not kept; every question goes into this course's bank "
            f"(the file had: {', '.join(categories[:5])}{', …' if len(categories) > 5 else ''})."
        )
    return questions, warnings
