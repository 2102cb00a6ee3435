"""A quiz's questions as Moodle XML: Markdown text, points as default grades, the bank's
topic, objective and difficulty as tags, and what Moodle XML cannot carry reported."""

import re

from lxml import etree

from quizzes.models import Question, Quiz

from ..items import (
    MOODLE_TAG_MAX_CHARS,
    ExportItem,
    Losses,
    common_losses,
    format_fraction,
    format_number,
    tag_strings,
)

FORMAT_NAME = "Moodle XML"
TEXT_FORMAT = "markdown"


def _text_element(
    parent: etree._Element, tag: str, text: str, *, fmt: str | None = TEXT_FORMAT
) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if fmt:
        element.set("format", fmt)
    etree.SubElement(element, "text").text = text or ""
    return element


def _simple(parent: etree._Element, tag: str, value: str) -> etree._Element:
    etree.SubElement(parent, tag).text = value
    return parent


def _answer(
    parent: etree._Element,
    fraction: float,
    text: str,
    feedback: str = "",
    fmt: str | None = TEXT_FORMAT,
) -> etree._Element:
    answer = etree.SubElement(parent, "answer", fraction=format_fraction(fraction))
    if fmt:
        answer.set("format", fmt)
    etree.SubElement(answer, "text").text = text
    _text_element(answer, "feedback", feedback)
    return answer


def _question_element(root: etree._Element, item: ExportItem, qtype: str) -> etree._Element:
    question = etree.SubElement(root, "question", type=qtype)
    _text_element(question, "name", item.title, fmt=None)
    _text_element(question, "questiontext", item.stem)
    _text_element(question, "generalfeedback", item.explanation)
    _simple(question, "defaultgrade", format_number(item.points))
    _simple(question, "penalty", "0")
    _simple(question, "hidden", "0")
    return question


def _tags(question: etree._Element, item: ExportItem, losses: Losses) -> None:
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
