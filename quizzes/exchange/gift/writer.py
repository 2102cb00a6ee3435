"""A quiz's questions as GIFT text: escaped specials, the bank's tags as ``// [tag:…]``
comments, and what GIFT cannot carry reported."""

import re

from quizzes.content import BLANK
from quizzes.models import Question, Quiz

from ..items import (
    ExportItem,
    Losses,
    common_losses,
    format_fraction,
    format_number,
    tag_strings,
)

FORMAT_NAME = "GIFT"
_SPECIALS = "~=#{}:"


def escape(text: str) -> str:
    """Text as GIFT writes it: the backslash and ``~ = # { } :`` escaped, line breaks as
    ``\\n``."""
    text = (text or "").replace("\r", "").replace("\\", "\\\\")
    for char in _SPECIALS:
        text = text.replace(char, "\\" + char)
    return text.replace("\n", "\\n")


def _feedback(text: str) -> str:
    return "#" + escape(text) if text else ""


def _tag_comment(item: ExportItem, losses: Losses) -> str:
    tags = []
    for value in tag_strings(item):
        if re.search(r"[<>`]", value):
            losses.add(
                "GIFT tags cannot hold < > or `; those characters were left out", item.position
            )
            value = re.sub(r"[<>`]", "", value)
        tags.append("[tag:" + value.replace("]", "\\]") + "]")
    return "// " + " ".join(tags) + "\n" if tags else ""


def _answers_block(item: ExportItem, losses: Losses) -> str:
    explanation = "####" + escape(item.explanation) if item.explanation else ""
    if item.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        correct = sum(1 for o in item.options if o.get("correct"))
        share = format_fraction(100.0 / max(correct, 1))
        lines = []
        for option in item.options:
            if item.kind == Question.Kind.SINGLE:
                mark = "=" if option.get("correct") else "~"
            else:
                mark = f"~%{share}%" if option.get("correct") else f"~%-{share}%"
            lines.append(
                "\t" + mark + escape(option["text"]) + _feedback(option.get("feedback", ""))
            )
        if explanation:
            lines.append("\t" + explanation)
        return "{\n" + "\n".join(lines) + "\n}"
    if item.kind == Question.Kind.TRUE_FALSE:
        key = next((o["id"] for o in item.options if o.get("correct")), "true")
        return "{" + ("TRUE" if key == "true" else "FALSE") + explanation + "}"
    if item.kind in (Question.Kind.SHORT_ANSWER, Question.Kind.FILL_BLANK):
        accepted = item.answer.get("accepted", [])
        if item.answer.get("case_sensitive"):
            losses.add(
                "GIFT cannot mark a short answer case-sensitive; Moodle will accept any case",
                item.position,
            )
        if any("->" in a for a in accepted):
            losses.add(
                "An accepted answer contains “->”, which GIFT readers take for a matching question",
                item.position,
            )
        return "{" + " ".join("=" + escape(a) for a in accepted) + explanation + "}"
    # numeric
    if item.answer.get("unit"):
        losses.add(
            "GIFT has no units; the unit is lost (add it to the question text): "
            f"“{item.answer['unit']}”",
            item.position,
        )
    value = format_number(item.answer["value"])
    tolerance = format_number(item.answer.get("tolerance") or 0)
    return "{#" + value + ":" + tolerance + explanation + "}"


def export(quiz: Quiz, items: list[ExportItem]) -> tuple[bytes, list[str]]:
    """The quiz as GIFT text (UTF-8) and what it could not carry."""
    losses = Losses()
    title = " ".join(quiz.title.split())
    out = [
        f"// SmartEdu quiz: {title} ({len(items)} questions)\n",
        "$CATEGORY: $course$/top/" + title.replace("/", "//") + "\n",
    ]
    for item in items:
        common_losses(losses, item, FORMAT_NAME)
        if abs(item.points - 1) > 1e-9:
            losses.add(
                "GIFT has no points; Moodle gives each imported question a mark of 1", item.position
            )
        if item.tags:
            losses.add(
                "Topic, objective and difficulty are written as tag comments (// [tag:…]), "
                "which Moodle 3.6 and later reads and other GIFT readers ignore",
                item.position,
            )
        block = _answers_block(item, losses)
        head = f"// question: {item.question_id}  name: {item.title}\n" + _tag_comment(item, losses)
        head += "::" + escape(item.title) + "::[markdown]"
        if item.kind == Question.Kind.FILL_BLANK and BLANK in item.stem:
            before, _, after = item.stem.partition(BLANK)
            # Text after the braces makes it a "missing word" question; an escaped line break
            # keeps one that ends in its blank from reading as a plain short answer.
            out.append(head + escape(before) + block + (escape(after) or "\\n") + "\n")
        else:
            out.append(head + escape(item.stem) + block + "\n")
    unkept = []
    if quiz.time_limit_minutes:
        unkept.append(f"time limit ({quiz.time_limit_minutes} min)")
    if quiz.shuffle_questions or quiz.shuffle_options:
        unkept.append("shuffling")
    if quiz.attempts_allowed != 1:
        unkept.append(f"attempts allowed ({quiz.attempts_allowed or 'unlimited'})")
    if quiz.opens_at or quiz.closes_at:
        unkept.append("opening and closing dates")
    if quiz.description:
        unkept.append("the quiz description")
    unkept.append(f"when feedback is shown ({quiz.get_show_feedback_display().lower()})")
    losses.add(
        "GIFT carries questions only; these quiz settings are not exported: " + ", ".join(unkept)
    )
    return "\n".join(out).encode("utf-8"), losses.lines()
