"""Moodle XML (https://docs.moodle.org/en/Moodle_XML_format): export a quiz's questions, read a
file's questions.

Text goes out as Markdown (``format="markdown"``, which Moodle renders), so what a teacher wrote
comes back unchanged; HTML coming in is reduced to the bank's text. The bank's topic, objective
and difficulty travel as ``topic:…``, ``objective:…`` and ``difficulty:…`` tags. A multiple-answer
question's fractions follow SmartEdu's grading: each correct option 100/n, each wrong option
−100/n (n correct options), which are grades Moodle accepts for n up to 7."""

import re

from django.core.exceptions import ValidationError
from lxml import etree

from ..models import Question, Quiz
from .common import (
    MAX_ANSWERS,
    MOODLE_TAG_MAX_CHARS,
    ExportItem,
    Losses,
    ParsedQuestion,
    choice_losses,
    common_losses,
    format_fraction,
    format_number,
    guess_text_kind,
    html_to_text,
    is_full_credit,
    numeric_key,
    parse_xml_safely,
    tag_strings,
    tags_from_strings,
    too_many_answers,
    too_many_questions,
    typed_answer_losses,
)

FORMAT_NAME = "Moodle XML"
TEXT_FORMAT = "markdown"
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


# --- export -----------------------------------------------------------------------------------


def _text_element(parent, tag: str, text: str, *, fmt: str | None = TEXT_FORMAT):
    element = etree.SubElement(parent, tag)
    if fmt:
        element.set("format", fmt)
    etree.SubElement(element, "text").text = text or ""
    return element


def _simple(parent, tag: str, value: str):
    etree.SubElement(parent, tag).text = value
    return parent


def _answer(parent, fraction: float, text: str, feedback: str = "", fmt=TEXT_FORMAT):
    answer = etree.SubElement(parent, "answer", fraction=format_fraction(fraction))
    if fmt:
        answer.set("format", fmt)
    etree.SubElement(answer, "text").text = text
    _text_element(answer, "feedback", feedback)
    return answer


def _question_element(root, item: ExportItem, qtype: str):
    question = etree.SubElement(root, "question", type=qtype)
    _text_element(question, "name", item.title, fmt=None)
    _text_element(question, "questiontext", item.stem)
    _text_element(question, "generalfeedback", item.explanation)
    _simple(question, "defaultgrade", format_number(item.points))
    _simple(question, "penalty", "0")
    _simple(question, "hidden", "0")
    return question


def _tags(question, item: ExportItem, losses: Losses) -> None:
    strings = tag_strings(item)
    if not strings:
        return
    tags = etree.SubElement(question, "tags")
    for value in strings:
        _text_element(tags, "tag", value, fmt=None)
        if len(value) > MOODLE_TAG_MAX_CHARS:
            losses.add(
                f"Moodle cuts tags at {MOODLE_TAG_MAX_CHARS} characters; a long topic or "
                "objective tag will be shortened when Moodle imports it",
                item.position,
            )


def export(quiz: Quiz, items: list[ExportItem]) -> tuple[bytes, list[str]]:
    """The quiz as Moodle XML bytes and what it could not carry."""
    losses = Losses()
    root = etree.Element("quiz")
    # An XML comment may not hold "--" (nor end with "-"): runs of dashes become one.
    title = re.sub(r"-{2,}", "-", quiz.title).rstrip("-")
    root.append(etree.Comment(f" SmartEdu quiz: {title} "))
    category = etree.SubElement(root, "question", type="category")
    # Moodle writes a "/" inside a category name as "//".
    _text_element(category, "category", "$course$/top/" + quiz.title.replace("/", "//"), fmt=None)
    if quiz.description:
        _text_element(category, "info", quiz.description)
    for item in items:
        common_losses(losses, item, FORMAT_NAME)
        if item.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
            question = _question_element(root, item, "multichoice")
            single = item.kind == Question.Kind.SINGLE
            _simple(question, "single", "true" if single else "false")
            _simple(question, "shuffleanswers", "true" if quiz.shuffle_options else "false")
            _simple(question, "answernumbering", "abc")
            correct = sum(1 for o in item.options if o.get("correct"))
            share = 100.0 / max(correct, 1)
            for option in item.options:
                if single:
                    fraction = 100.0 if option.get("correct") else 0.0
                else:
                    fraction = share if option.get("correct") else -share
                _answer(question, fraction, option["text"], option.get("feedback", ""))
        elif item.kind == Question.Kind.TRUE_FALSE:
            question = _question_element(root, item, "truefalse")
            key = next((o["id"] for o in item.options if o.get("correct")), "true")
            for value in ("true", "false"):
                _answer(question, 100.0 if key == value else 0.0, value, fmt="moodle_auto_format")
        elif item.kind in (Question.Kind.SHORT_ANSWER, Question.Kind.FILL_BLANK):
            question = _question_element(root, item, "shortanswer")
            _simple(question, "usecase", "1" if item.answer.get("case_sensitive") else "0")
            for accepted in item.answer.get("accepted", []):
                _answer(question, 100.0, accepted, fmt="moodle_auto_format")
        elif item.kind == Question.Kind.NUMERIC:
            question = _question_element(root, item, "numerical")
            answer = _answer(
                question, 100.0, format_number(item.answer["value"]), fmt="moodle_auto_format"
            )
            _simple(answer, "tolerance", format_number(item.answer.get("tolerance") or 0))
            unit = item.answer.get("unit") or ""
            if unit:
                units = etree.SubElement(question, "units")
                unit_el = etree.SubElement(units, "unit")
                _simple(unit_el, "multiplier", "1")
                _simple(unit_el, "unit_name", unit)
            # Units optional and not graded, shown after the answer box.
            _simple(question, "unitgradingtype", "0")
            _simple(question, "unitpenalty", "0")
            _simple(question, "showunits", "3")
            _simple(question, "unitsleft", "0")
        else:  # pragma: no cover - every kind is handled above
            continue
        _tags(question, item, losses)
    unkept = []
    if quiz.time_limit_minutes:
        unkept.append(f"time limit ({quiz.time_limit_minutes} min)")
    if quiz.shuffle_questions:
        unkept.append("shuffled question order")
    if quiz.attempts_allowed != 1:
        unkept.append(f"attempts allowed ({quiz.attempts_allowed or 'unlimited'})")
    if quiz.opens_at or quiz.closes_at:
        unkept.append("opening and closing dates")
    unkept.append(f"when feedback is shown ({quiz.get_show_feedback_display().lower()})")
    losses.add(
        "Quiz settings are not part of Moodle XML, a question-bank format: "
        + ", ".join(unkept)
        + " must be set on the Moodle quiz (option shuffling is kept per question)"
    )
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data, losses.lines()


# --- import -----------------------------------------------------------------------------------


def _own_text(element) -> str:
    text = element.find("text")
    return (text.text if text is not None else element.text) or ""


def _child_text(element, path: str) -> str:
    found = element.find(path)
    return "" if found is None else _own_text(found)


def _rich_text(element, path: str, warnings: list[str]) -> str:
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


def _fraction(answer, line: int | None) -> float:
    raw = answer.get("fraction", "0")
    value = _number(raw)
    if value is None:
        raise ValidationError(f"line {line}: the answer fraction “{raw}” is not a number.")
    return value


def _answers(question, warnings: list[str], *, rich: bool = True) -> list[tuple[str, float, str]]:
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


def _general_losses(question, parsed: ParsedQuestion) -> None:
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


def _read_choice(question, parsed: ParsedQuestion) -> None:
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


def _read_true_false(question, parsed: ParsedQuestion) -> None:
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


def _read_short_answer(question, parsed: ParsedQuestion) -> None:
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


def _read_numeric(question, parsed: ParsedQuestion) -> None:
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


READERS = {
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
    questions, file_warnings, categories = [], [], []
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
