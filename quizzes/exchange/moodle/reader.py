"""A Moodle XML file's questions, read for the bank: HTML reduced to the bank's text, the
question types the bank holds, and what it cannot keep of each question reported."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from lxml import etree

from quizzes.models import Question

from ..items import format_fraction, format_number
from ..parsing import (
    MAX_ANSWERS,
    ParsedQuestion,
    choice_losses,
    guess_text_kind,
    html_to_text,
    is_full_credit,
    numeric_key,
    parse_xml_safely,
    tags_from_strings,
    too_many_answers,
    too_many_questions,
    typed_answer_losses,
)

SUPPORTED = {"multichoice", "truefalse", "shortanswer", "numerical"}
UNSUPPORTED = {
    "essay": "an essay (graded by hand)",
    "match": "a matching question",
    "multianswer": "an embedded-answers (Cloze) question",
    "description": "a description (text without a question)",
    "calculated": "a calculated question",
    "calculatedsimple": "a simple calculated question",
    "calculatedmulti": "a calculated multichoice question",
    "randomsamatch": "a random short-answer matching question",
    "ddwtos": "a drag-and-drop into text question",
    "gapselect": "a select-missing-words question",
    "ddimageortext": "a drag-and-drop onto image question",
    "ddmarker": "a drag-and-drop markers question",
    "ordering": "an ordering question",
    "random": "a random question (a placeholder, not a question)",
}
DEFAULT_COMBINED_FEEDBACK = {
    "",
    "Your answer is correct.",
    "Your answer is partially correct.",
    "Your answer is incorrect.",
}
KINDS_SUPPORTED_TEXT = (
    "the bank holds one-answer and multiple-answer choice, true/false, short-answer, numeric "
    "and fill-in-the-blank questions"
)


def _own_text(element: etree._Element) -> str:
    text = element.find("text")
    return (text.text if text is not None else element.text) or ""


def _child_text(element: etree._Element, path: str) -> str:
    found = element.find(path)
    return "" if found is None else _own_text(found)


def _rich_text(element: etree._Element, path: str, warnings: list[str]) -> str:
    """A Moodle text field reduced to the bank's text, by its ``format``."""
    found = element.find(path)
    if found is None:
        return ""
    text_el = found.find("text")
    raw = (text_el.text if text_el is not None else found.text) or ""
    fmt = (found.get("format") or "html").strip().lower()
    if "@@PLUGINFILE@@" in raw:
        warnings.append("Files the text refers to (@@PLUGINFILE@@) were dropped.")
    if fmt in ("html", "moodle_auto_format"):
        return html_to_text(raw, warnings, html_spacing=(fmt == "html"))
    return raw


def _number(text: str) -> float | None:
    try:
        value = float(str(text).strip().replace(",", "."))
    except (TypeError, ValueError):
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def _fraction(answer: etree._Element, line: int | None) -> float:
    raw = answer.get("fraction", "0")
    value = _number(raw)
    if value is None:
        raise ValidationError(f"line {line}: the answer fraction “{raw}” is not a number.")
    return value


def _answers(
    question: etree._Element, warnings: list[str], *, rich: bool = True
) -> list[tuple[str, float, str]]:
    out = []
    for answer in question.findall("answer"):
        fmt = (answer.get("format") or ("html" if rich else "plain_text")).lower()
        text_el = answer.find("text")
        raw = (text_el.text if text_el is not None else "") or ""
        if fmt in ("html", "moodle_auto_format") and rich:
            text = html_to_text(raw, warnings, html_spacing=(fmt == "html"))
        else:
            text = raw.strip()
        feedback = _rich_text(answer, "feedback", warnings)
        out.append((text, _fraction(answer, answer.sourceline), feedback))
    return out


def _general_losses(question: etree._Element, parsed: ParsedQuestion) -> None:
    grade = _number(question.findtext("defaultgrade") or "1")
    if grade is not None and abs(grade - 1) > 1e-9:
        parsed.warnings.append(
            f"Its mark ({format_number(grade)}) is not kept: the bank has no points; set them "
            "when you add the question to a quiz."
        )
    penalty = _number(question.findtext("penalty") or "0")
    if penalty:
        parsed.warnings.append(
            f"The penalty for each retry ({format_fraction(penalty * 100)}%) is not kept: "
            "SmartEdu gives one try per question in an attempt."
        )
    for tag in ("correctfeedback", "partiallycorrectfeedback", "incorrectfeedback"):
        text = " ".join(html_to_text(_child_text(question, tag), []).split())
        if text not in DEFAULT_COMBINED_FEEDBACK:
            parsed.warnings.append(
                "The combined feedback for correct/partly correct/incorrect answers is not kept."
            )
            break
    hints = question.findall("hint")
    if any(_own_text(h).strip() for h in hints):
        parsed.warnings.append(f"{len(hints)} hint(s) for retries are not kept.")
    files = question.findall(".//file")
    if files:
        parsed.warnings.append(
            f"{len(files)} embedded file(s) (images, audio) were dropped: the bank keeps text only."
        )


def _read_choice(question: etree._Element, parsed: ParsedQuestion) -> None:
    single = (question.findtext("single") or "true").strip().lower() in ("true", "1")
    answers = _answers(question, parsed.warnings)
    parsed.kind = Question.Kind.SINGLE if single else Question.Kind.MULTIPLE
    if single and not any(is_full_credit(f) for _, f, _ in answers):
        parsed.skip("No correct answer: no option gives full credit (fraction 100).")
        return
    if not single and not any(f > 0 for _, f, _ in answers):
        parsed.skip("No correct answer: no option gives credit.")
        return
    choice_losses(parsed, answers, single=single)


def _read_true_false(question: etree._Element, parsed: ParsedQuestion) -> None:
    parsed.kind = Question.Kind.TRUE_FALSE
    key = None
    feedback = False
    for text, fraction, fb in _answers(question, parsed.warnings, rich=False):
        word = text.strip().lower()
        if is_full_credit(fraction) and word in ("true", "false"):
            key = word
        feedback = feedback or bool(fb.strip())
    if key is None:
        parsed.skip("No correct answer: neither True nor False gives full credit.")
        return
    if feedback:
        parsed.warnings.append("The feedback on True and False is not kept.")
    parsed.options = [{"id": key, "correct": True}]


def _read_short_answer(question: etree._Element, parsed: ParsedQuestion) -> None:
    parsed.kind = guess_text_kind(parsed.stem)
    accepted, dropped, feedback = [], [], False
    for text, fraction, fb in _answers(question, parsed.warnings, rich=False):
        if is_full_credit(fraction):
            accepted.append(text)
            feedback = feedback or bool(fb.strip())
        elif text:
            dropped.append((text, fraction))
    if not accepted:
        parsed.skip("No correct answer: no answer gives full credit (fraction 100).")
        return
    typed_answer_losses(parsed, dropped, feedback)
    if any("*" in a for a in accepted):
        parsed.warnings.append(
            "Moodle's * wildcard is not supported: an answer with * must be typed as written."
        )
    parsed.answer = {
        "accepted": accepted,
        "case_sensitive": (question.findtext("usecase") or "0").strip() == "1",
    }


def _read_numeric(question: etree._Element, parsed: ParsedQuestion) -> None:
    parsed.kind = Question.Kind.NUMERIC
    keys, others = [], []
    for answer in question.findall("answer"):
        raw = (answer.findtext("text") or "").strip()
        fraction = _fraction(answer, answer.sourceline)
        if raw in ("", "*"):
            continue
        value = _number(raw)
        tolerance = _number(answer.findtext("tolerance") or "0")
        if value is None or tolerance is None:
            raise ValidationError(
                f"line {answer.sourceline}: the numeric answer “{raw}” is not a number."
            )
        if is_full_credit(fraction):
            keys.append((value, abs(tolerance)))
        else:
            others.append((value, abs(tolerance), fraction))
    if not keys:
        parsed.skip("No correct answer: no value gives full credit (fraction 100).")
        return
    value, tolerance = numeric_key(parsed, keys, others)
    unit = ""
    units = question.findall("units/unit")
    for unit_el in units:
        multiplier = _number(unit_el.findtext("multiplier") or "1")
        name = (unit_el.findtext("unit_name") or "").strip()
        if name and multiplier == 1 and not unit:
            unit = name
    if len(units) > (1 if unit else 0):
        parsed.warnings.append("Alternative units (with multipliers) are not kept.")
    if (question.findtext("unitgradingtype") or "0").strip() not in ("0", ""):
        parsed.warnings.append("Grading of the unit is not kept: SmartEdu shows the unit only.")
    parsed.answer = {"value": value, "tolerance": tolerance, "unit": unit}


READERS: dict[str, Callable[[etree._Element, ParsedQuestion], None]] = {
    "multichoice": _read_choice,
    "truefalse": _read_true_false,
    "shortanswer": _read_short_answer,
    "numerical": _read_numeric,
}


def parse(data: bytes, *, max_questions: int) -> tuple[list[ParsedQuestion], list[str]]:
    """The questions of a Moodle XML file, in order, and warnings about the file. Raises
    ValidationError (with a line number where there is one) for a file that is not Moodle XML
    or that holds more than ``max_questions``."""
    root = parse_xml_safely(data)
    if not isinstance(root.tag, str) or root.tag != "quiz":
        raise ValidationError(
            f"line {root.sourceline}: not a Moodle XML file: the root element is "
            f"<{root.tag}>, not <quiz>."
        )
    questions: list[ParsedQuestion] = []
    file_warnings: list[str] = []
    categories: list[str] = []
    for element in root:
        if not isinstance(element.tag, str):
            continue
        if element.tag != "question":
            raise ValidationError(
                f"line {element.sourceline}: unexpected <{element.tag}> inside <quiz>; "
                "only <question> elements belong there."
            )
        qtype = (element.get("type") or "").strip().lower()
        if not qtype:
            raise ValidationError(f"line {element.sourceline}: a <question> without a type.")
        if qtype == "category":
            name = _child_text(element, "category").strip()
            if name:
                categories.append(name)
            continue
        if len(questions) >= max_questions:
            raise too_many_questions(max_questions)
        parsed = ParsedQuestion(
            number=len(questions) + 1,
            line=element.sourceline,
            title=" ".join(_child_text(element, "name").split())[:200],
            source_type=qtype,
        )
        questions.append(parsed)
        if qtype not in SUPPORTED:
            what = UNSUPPORTED.get(qtype, f"a question of type “{qtype}”")
            parsed.skip(f"Not supported: {what}; {KINDS_SUPPORTED_TEXT}.")
            continue
        if len(element.findall("answer")) > MAX_ANSWERS:
            parsed.skip(too_many_answers())
            continue
        parsed.stem = _rich_text(element, "questiontext", parsed.warnings)
        parsed.explanation = _rich_text(element, "generalfeedback", parsed.warnings)
        raw_tags = [_own_text(tag) for tag in element.findall("tags/tag")]
        parsed.tags = tags_from_strings(raw_tags, parsed.warnings)
        _general_losses(element, parsed)
        READERS[qtype](element, parsed)
    if categories:
        file_warnings.append(
            "Moodle categories are not kept; every question goes into this course's bank "
            f"(the file had: {', '.join(categories[:5])}{', …' if len(categories) > 5 else ''})."
        )
    return questions, file_warnings
