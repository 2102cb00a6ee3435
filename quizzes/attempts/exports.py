"""Result rows as CSV: the columns of one attempt, one column per question on request, and the
text in pieces with every cell made formula-safe (a spreadsheet never runs a student's answer).
The API streams what ``csv_chunks`` makes."""

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

from ..models import Attempt, AttemptQuestion, QuizItem
from .selectors import scored_questions


def question_points_earned(attempt_question: AttemptQuestion) -> float | None:
    """Points earned on one question; None when it was not answered."""
    if attempt_question.answered_at is None:
        return None
    return round(float(attempt_question.points) * (attempt_question.score or 0.0), 4)


# The CSV export: one row per attempt, in this order (question columns follow, if asked for).
CSV_COLUMNS = [
    "attempt",
    "quiz",
    "quiz_title",
    "student",
    "external_id",
    "username",
    "name",
    "number",
    "state",
    "started_at",
    "submitted_at",
    "submit_reason",
    "late",
    "score",
    "max_score",
    "percent",
]


def csv_time(moment) -> str:
    """UTC, ISO 8601, as the JSON shows it."""
    if moment is None:
        return ""
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def attempt_csv_row(attempt) -> list:
    """The CSV_COLUMNS of one attempt (cells are made formula-safe by the writer)."""
    student = attempt.student
    return [
        attempt.pk,
        attempt.quiz_id,
        attempt.quiz.title,
        student.pk,
        student.external_id or "",
        student.username,
        student.display_name,
        attempt.number,
        attempt.state,
        csv_time(attempt.started_at),
        csv_time(attempt.submitted_at),
        attempt.submit_reason,
        "true" if attempt.is_late else "false",
        "" if attempt.score is None else attempt.score,
        "" if attempt.max_score is None else attempt.max_score,
        "" if attempt.percent_value is None else float(attempt.percent_value),
    ]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """A cell a spreadsheet will not run as a formula: text starting with = + - @ (or a tab or
    carriage return) gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_chunks(header: list, rows: Iterable[list], *, rows_per_chunk: int = 200) -> Iterator[str]:
    """The CSV text in pieces of ``rows_per_chunk`` rows, every cell made formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([csv_safe(cell) for cell in header])
    for count, row in enumerate(rows, start=1):
        writer.writerow([csv_safe(cell) for cell in row])
        if count % rows_per_chunk == 0:
            yield flush()
    yield flush()


def question_columns(quiz, rows: QuerySet[Attempt]) -> list[tuple[int, str]]:
    """One CSV column per question: the quiz's own in its order, then any question an attempt
    showed that has since left the quiz."""
    in_quiz = list(
        QuizItem.objects.filter(quiz=quiz)
        .order_by("position", "id")
        .values_list("question_id", flat=True)
    )
    shown = set(
        AttemptQuestion.objects.filter(attempt__in=rows.order_by().values("pk"))
        .values_list("question_id", flat=True)
        .distinct()
    )
    columns = [(qid, f"Q{n} (question {qid})") for n, qid in enumerate(in_quiz, start=1)]
    columns += [
        (qid, f"question {qid} (no longer in the quiz)") for qid in sorted(shown - {*in_quiz})
    ]
    return columns


def attempt_csv_lines(
    rows: QuerySet[Attempt], columns: list[tuple[int, str]] | None = None
) -> Iterator[list[Any]]:
    """The CSV_COLUMNS of each attempt, then (with ``columns``, from ``question_columns``, and
    rows read through ``with_question_scores``) the points earned on each question column,
    empty when not answered. Reads the rows in chunks."""
    for attempt in rows.iterator(chunk_size=500):
        line = attempt_csv_row(attempt)
        if columns is not None:
            earned = {
                aq.question_id: question_points_earned(aq) for aq in scored_questions(attempt)
            }
            line += ["" if earned.get(qid) is None else earned[qid] for qid, _ in columns]
        yield line
