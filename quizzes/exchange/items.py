"""What every export starts from: the quiz's questions as exported (``ExportItem``), the losses a
format reports (``Losses``), numbers as the formats write them, and the bank's tags as
"name:value" strings."""

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from quizzes.models import Question, Quiz, QuizItem

# The bank's tags travel as "name:value" tags where a format has free tags (Moodle XML, GIFT).
TAG_NAMES = ("topic", "objective", "difficulty")
MOODLE_TAG_MAX_CHARS = 50  # Moodle's TAG_MAX_LENGTH; longer tags are cut on import there


@dataclass(frozen=True)
class ExportItem:
    """One question of a quiz, in quiz order, with its current version's content."""

    position: int  # 1-based, as the quiz shows it
    question_id: int
    kind: str
    stem: str
    options: list[dict[str, Any]]
    answer: dict[str, Any]
    explanation: str
    topic: str
    objective: str
    difficulty: str
    points: float
    has_source: bool

    @property
    def title(self) -> str:
        words = " ".join(self.stem.split())
        label = self.topic or (words[:60] + ("…" if len(words) > 60 else ""))
        return f"{self.position}. {label}"

    @property
    def tags(self) -> list[tuple[str, str]]:
        return [(name, getattr(self, name)) for name in TAG_NAMES if getattr(self, name)]


def export_items(quiz: Quiz) -> list[ExportItem]:
    """The quiz's questions in QuizItem order, each with its current version. Raises
    ValidationError for a quiz without questions (an empty package helps nobody)."""
    rows = (
        QuizItem.objects.filter(quiz=quiz)
        .select_related("question__current_version")
        .order_by("position", "id")
    )
    items: list[ExportItem] = []
    for row in rows:
        question, version = row.question, row.question.current_version
        if version is None:
            continue
        items.append(
            ExportItem(
                position=len(items) + 1,
                question_id=question.pk,
                kind=question.kind,
                stem=version.stem,
                options=list(version.options or []),
                answer=dict(version.answer or {}),
                explanation=version.explanation,
                topic=question.topic,
                objective=question.objective,
                difficulty=question.difficulty,
                points=float(row.points),
                has_source=bool(
                    question.source_quote
                    or question.source_page
                    or question.source_material_id
                    or question.source_chunk_id
                ),
            )
        )
    if not items:
        raise ValidationError("The quiz has no questions to export.")
    return items


class Losses:
    """Export warnings, one line per kind of loss, naming the questions it concerns:
    ``add(message, 3)`` then ``add(message, 5)`` give one line, "message (questions 3, 5).";
    ``add(message)`` without a question is about the quiz."""

    def __init__(self) -> None:
        self._lines: OrderedDict[str, list[int]] = OrderedDict()

    def add(self, message: str, position: int | None = None) -> None:
        positions = self._lines.setdefault(message, [])
        if position is not None and position not in positions:
            positions.append(position)

    def lines(self) -> list[str]:
        out: list[str] = []
        for message, positions in self._lines.items():
            if not positions:
                out.append(message if message.endswith(".") else message + ".")
                continue
            which = "question" if len(positions) == 1 else "questions"
            out.append(f"{message} ({which} {', '.join(map(str, positions))}).")
        return out


def common_losses(losses: Losses, item: ExportItem, fmt_name: str) -> None:
    """Losses every format shares."""
    if item.has_source:
        losses.add(
            "Source citations (material, page, quoted passage) are not carried: "
            f"{fmt_name} has no field for them",
            item.position,
        )
    if item.kind in (Question.Kind.SHORT_ANSWER, Question.Kind.FILL_BLANK):
        losses.add(
            "Typed answers: SmartEdu ignores surrounding punctuation, a leading article and extra "
            f"spaces when it compares them; {fmt_name} readers compare the accepted answers as "
            "written, so add any variants you want to accept",
            item.position,
        )


def format_number(value: float) -> str:
    """A number as formats write it: no trailing ".0", no exponent for ordinary sizes."""
    value = float(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def format_fraction(value: float) -> str:
    """A Moodle grade fraction in percent, 7 significant figures like Moodle writes them."""
    text = f"{value:.5f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def tag_strings(item: ExportItem) -> list[str]:
    return [f"{name}:{value}" for name, value in item.tags]
