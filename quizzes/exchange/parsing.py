"""What every import shares: the question as parsed from a file (``ParsedQuestion``), the import
report, safe XML parsing, HTML reduced to the bank's text, tags read back into topic, objective
and difficulty, and the losses the bank's question kinds impose."""

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from lxml import etree

from quizzes.models import Difficulty, Question
from quizzes.rendering import clean_text

from .items import TAG_NAMES, format_fraction, format_number

BLANK_RE = re.compile(r"_{3,}")
# More answers than this in one question is not a question the bank could hold (2 to 8 options);
# stopping early keeps a hostile file from costing minutes.
MAX_ANSWERS = 100


def too_many_questions(most: int) -> ValidationError:
    return ValidationError(
        f"The file holds more than {most} questions; at most {most} can be imported at once. "
        "Split it into smaller files."
    )


def too_many_answers() -> str:
    return f"It has more than {MAX_ANSWERS} answers; the bank holds 2 to 8 options per question."


@dataclass
class ParsedQuestion:
    """A question read from a file, before the bank's checks. ``skip_reason`` set: it is not
    imported. ``warnings``: what the file had that the bank cannot keep."""

    number: int
    line: int | None
    title: str
    source_type: str
    kind: str = ""
    stem: str = ""
    options: list[dict[str, Any]] = field(default_factory=list)
    answer: dict[str, Any] = field(default_factory=dict)
    explanation: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    skip_reason: str = ""
    warnings: list[str] = field(default_factory=list)

    def skip(self, reason: str) -> "ParsedQuestion":
        self.skip_reason = reason
        return self


@dataclass
class ImportedQuestion:
    number: int  # its place among the file's questions, from 1
    line: int | None  # where it starts in the file
    title: str
    source_type: str  # the format's name for its type ("multichoice", "essay", …)
    status: str  # "imported" | "skipped"
    kind: str = ""
    question_id: int | None = None
    reason: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    format: str
    questions: list[ImportedQuestion] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # about the file as a whole

    @property
    def imported(self) -> int:
        return sum(1 for q in self.questions if q.status == "imported")

    @property
    def skipped(self) -> int:
        return sum(1 for q in self.questions if q.status == "skipped")

    @property
    def question_ids(self) -> list[int]:
        return [q.question_id for q in self.questions if q.question_id is not None]

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "imported": self.imported,
            "skipped": self.skipped,
            "warnings": list(self.warnings),
            "questions": [asdict(q) for q in self.questions],
        }


# --- safe XML ---------------------------------------------------------------------------------

_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY", b"<!doctype", b"<!entity")


def parse_xml_safely(data: bytes) -> etree._Element:
    """Parse untrusted XML: no DTD, no entity declarations (so no billion laughs and no XXE),
    no network, no huge trees. ValidationError with the line of a syntax error."""
    if any(marker in data for marker in _DTD_MARKERS):
        raise ValidationError(
            "The file declares a DOCTYPE or entities; SmartEdu refuses those in imported XML "
            "(they can be used to attack the server). Export it again without a DOCTYPE."
        )
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_pis=True,
        remove_comments=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None)
        message = str(exc.msg if hasattr(exc, "msg") else exc)
        message = re.sub(r",? line \d+, column \d+$", "", message)
        raise ValidationError(f"line {line}: not well-formed XML: {message}") from None
    # The byte check misses other encodings (UTF-16); the parsed tree does not.
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise ValidationError(
            "The file declares a DOCTYPE or entities; SmartEdu refuses those in imported XML."
        )
    if any(isinstance(node, etree._Entity) for node in root.iter()):
        raise ValidationError("The file uses XML entities; SmartEdu refuses those.")
    return root


# --- HTML in imported text --------------------------------------------------------------------

_IMG_RE = re.compile(r"<img\b", re.IGNORECASE)
_MEDIA_RE = re.compile(r"<(audio|video|object|embed|iframe)\b", re.IGNORECASE)
_TABLE_RE = re.compile(r"<table\b", re.IGNORECASE)
_SUP_RE = re.compile(r"<sup\b[^>]*>(.*?)</sup\s*>", re.IGNORECASE | re.DOTALL)
_SUB_RE = re.compile(r"<sub\b[^>]*>(.*?)</sub\s*>", re.IGNORECASE | re.DOTALL)
# Linear patterns (no nested lazy runs, which backtrack quadratically on an unclosed tag); an
# element holding only spaces is left to the tag stripper by the callers.
_BOLD_RE = re.compile(r"<(strong|b)\b[^>]*>([^<>]+)</\1\s*>", re.IGNORECASE)
_ITALIC_RE = re.compile(r"<(em|i)\b[^>]*>([^<>]+)</\1\s*>", re.IGNORECASE)
_CODE_RE = re.compile(r"<code\b[^>]*>([^<>`]+)</code\s*>", re.IGNORECASE)
_LINE_BREAK_RE = re.compile(r"<br\s*/?>", re.IGNORECASE)
_BLOCK_END_RE = re.compile(r"</(p|div|h[1-6]|li|tr|blockquote|pre|ul|ol|table)\s*>", re.IGNORECASE)
_LIST_ITEM_RE = re.compile(r"<li\b[^>]*>", re.IGNORECASE)


def _markdown_emphasis(mark: str) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        inner = match.group(2)
        return f"{mark}{inner.strip()}{mark}" if inner.strip() else inner

    return replace


def html_to_text(html: str, warnings: list[str], *, html_spacing: bool = True) -> str:
    """Reduce imported HTML to the bank's Markdown-ish text; what cannot come along goes into
    ``warnings``. ``clean_text`` (called again by the bank) drops scripts and other tags.
    ``html_spacing``: line breaks in the source are spaces, as a browser shows them (false for
    Moodle's auto-format, where a line break is one)."""
    # Word processors pad with non-breaking spaces; the bank folds spaces.
    html = re.sub(r"&nbsp;|&#160;|&#xa0;|\xa0", " ", html or "", flags=re.IGNORECASE)
    if "<" not in html:
        return html
    if html_spacing:
        html = re.sub(r"\s*\n\s*", " ", html)
    if _IMG_RE.search(html):
        warnings.append("An image in the text was dropped: the bank keeps text only.")
    if _MEDIA_RE.search(html):
        warnings.append("Embedded media (audio, video, frames) in the text were dropped.")
    if _TABLE_RE.search(html):
        warnings.append("A table in the text was flattened to lines of text.")
    if _SUP_RE.search(html) or _SUB_RE.search(html):
        warnings.append("Superscripts and subscripts were written as ^(…) and _(…).")
    text = _SUP_RE.sub(lambda m: f"^({m.group(1).strip()})", html)
    text = _SUB_RE.sub(lambda m: f"_({m.group(1).strip()})", text)
    text = _BOLD_RE.sub(_markdown_emphasis("**"), text)
    text = _ITALIC_RE.sub(_markdown_emphasis("*"), text)
    text = _CODE_RE.sub(lambda m: f"`{m.group(1)}`", text)
    text = _LINE_BREAK_RE.sub("\n", text)
    text = _LIST_ITEM_RE.sub("\n- ", text)
    text = _BLOCK_END_RE.sub("\n\n", text)
    return clean_text(text)


# --- tags -------------------------------------------------------------------------------------


def _max_length(name: str) -> int:
    """How long the bank's ``name`` field (topic, objective) may be."""
    model_field = Question._meta.get_field(name)
    assert isinstance(model_field, models.CharField) and model_field.max_length is not None
    return model_field.max_length


def tags_from_strings(raw_tags: list[str], warnings: list[str]) -> dict[str, str]:
    """The bank's topic/objective/difficulty from a format's free tags: "topic:…",
    "objective:…", "difficulty:…"; a bare "easy"/"medium"/"hard" is a difficulty; the first
    other bare tag becomes the topic when there is none. The rest are reported."""
    tags: dict[str, str] = {}
    unused: list[str] = []
    limits = {name: _max_length(name) for name in ("topic", "objective")}
    for raw in raw_tags:
        text = " ".join(str(raw or "").split())
        if not text:
            continue
        name, _, value = text.partition(":")
        name = name.strip().lower()
        if value and name in TAG_NAMES:
            value = value.strip()
        elif text.lower() in Difficulty.values:
            name, value = "difficulty", text
        else:
            unused.append(text)
            continue
        if name == "difficulty":
            value = value.lower()
            if value not in Difficulty.values:
                warnings.append(
                    f"Difficulty “{value}” is not one of {', '.join(Difficulty.values)}; not kept."
                )
                continue
        elif len(value) > limits[name]:
            warnings.append(f"The {name} was cut to {limits[name]} characters.")
            value = value[: limits[name]].rstrip()
        if name in tags and tags[name] != value:
            warnings.append(f"Only the first {name} tag was kept (“{tags[name]}”).")
            continue
        tags[name] = value
    if unused and "topic" not in tags:
        first = unused.pop(0)
        tags["topic"] = first[: limits["topic"]]
    if unused:
        warnings.append(
            "Tags not kept (the bank has one topic, objective and difficulty): "
            + ", ".join(f"“{t}”" for t in unused)
            + "."
        )
    return tags


def guess_text_kind(stem: str) -> str:
    """A typed-answer question with exactly one blank in its text is fill-in-the-blank."""
    return (
        Question.Kind.FILL_BLANK if len(BLANK_RE.findall(stem)) == 1 else Question.Kind.SHORT_ANSWER
    )


def is_full_credit(fraction: float) -> bool:
    return abs(fraction - 100.0) < 0.01


def typed_answer_losses(
    parsed: ParsedQuestion, dropped: list[tuple[str, float]], feedback: bool
) -> None:
    """Say what a typed-answer question loses: the answers that did not give full credit
    (text, fraction %) and, when the file had any, the feedback on individual answers."""
    if dropped:
        parsed.warnings.append(
            "Answers that gave partial or no credit are not kept: "
            + ", ".join(f"“{t}” {format_fraction(f)}%" for t, f in dropped)
            + "."
        )
    if feedback:
        parsed.warnings.append("Feedback on individual answers is not kept.")


def numeric_key(
    parsed: ParsedQuestion,
    keys: list[tuple[float, float]],
    others: list[tuple[float, float, float]],
) -> tuple[float, float]:
    """The (value, tolerance) the bank keeps of a numeric question: the first full-credit one
    of ``keys`` (which must not be empty). The bank holds one accepted value, so the other keys
    and the part-credit ``others`` (value, tolerance, fraction %) are reported as dropped."""
    value, tolerance = keys[0]
    if len(keys) > 1 or others:
        parsed.warnings.append(
            "Only one accepted value is kept "
            f"({format_number(value)} ± {format_number(tolerance)}); dropped: "
            + ", ".join(
                [f"{format_number(v)} ± {format_number(t)}" for v, t in keys[1:]]
                + [
                    f"{format_number(v)} ± {format_number(t)} ({format_fraction(f)}%)"
                    for v, t, f in others
                ]
            )
            + "."
        )
    return value, tolerance


def choice_losses(
    parsed: ParsedQuestion, answers: list[tuple[str, float, str]], *, single: bool
) -> None:
    """Set ``parsed.options`` from (text, fraction %, feedback) and say what the bank's
    right/wrong options cannot keep of the fractions. SmartEdu grades a multiple-answer
    question as (right picks − wrong picks) / correct options: each correct option is worth an
    equal share and each wrong pick takes one share back."""
    if single:
        options = [
            {"text": text, "correct": is_full_credit(f), "feedback": fb} for text, f, fb in answers
        ]
        partial = [(t, f) for t, f, _ in answers if 0 < f < 99.99]
        if partial:
            parsed.warnings.append(
                "Partial credit is not kept (these options now count as wrong): "
                + ", ".join(f"“{t}” {format_fraction(f)}%" for t, f in partial)
                + "."
            )
        parsed.options = options
        return
    options = [{"text": text, "correct": f > 0, "feedback": fb} for text, f, fb in answers]
    positive = [f for _, f, _ in answers if f > 0]
    if positive:
        share = 100.0 / len(positive)
        if any(abs(f - share) > 0.01 for f in positive):
            parsed.warnings.append(
                "Unequal partial credit is not kept: each correct option now counts "
                f"{format_fraction(share)}% (the file had "
                + ", ".join(f"{format_fraction(f)}%" for f in positive)
                + ")."
            )
        wrong = [f for _, f, _ in answers if f <= 0]
        if any(abs(f + share) > 0.01 for f in wrong):
            parsed.warnings.append(
                "Penalties for wrong options are not kept as written: in SmartEdu each wrong "
                f"pick takes back {format_fraction(share)}% (the file had "
                + ", ".join(f"{format_fraction(f)}%" for _, f, _ in answers if f <= 0)
                + ")."
            )
    parsed.options = options
