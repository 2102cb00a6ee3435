"""A quiz's figures over its submitted attempts: the summary the dashboards show (attempts,
students, average and median percent) and the score histogram. One query each."""

import statistics
from dataclasses import dataclass

from ..models import Attempt, Quiz


@dataclass
class QuizSummary:
    """Submitted attempts of a quiz: how many, by how many students, and their scores (percent
    of the points, after any late penalty)."""

    quiz: int
    attempts: int = 0
    students: int = 0
    average: float | None = None
    median: float | None = None

    def as_dict(self) -> dict:
        return {
            "quiz": self.quiz,
            "attempts": self.attempts,
            "students": self.students,
            "average": self.average,
            "median": self.median,
        }


def quiz_summaries(course_id: int, *, quiz_ids: list[int] | None = None) -> dict[int, dict]:
    """``{quiz_id: QuizSummary.as_dict()}`` for the course's quizzes (or those of ``quiz_ids``)
    that have submitted attempts. One query."""
    attempts = Attempt.objects.filter(quiz__course_id=course_id, state=Attempt.State.SUBMITTED)
    if quiz_ids is not None:
        attempts = attempts.filter(quiz_id__in=quiz_ids)
    percents: dict[int, list[float]] = {}
    students: dict[int, set[int]] = {}
    for quiz_id, student_id, score, max_score in attempts.values_list(
        "quiz_id", "student_id", "score", "max_score"
    ):
        students.setdefault(quiz_id, set()).add(student_id)
        if score is not None and max_score:
            percents.setdefault(quiz_id, []).append(100 * score / max_score)
    result = {}
    for quiz_id, who in students.items():
        values = percents.get(quiz_id, [])
        result[quiz_id] = QuizSummary(
            quiz_id,
            attempts=len(values),
            students=len(who),
            average=round(statistics.fmean(values), 1) if values else None,
            median=round(statistics.median(values), 1) if values else None,
        ).as_dict()
    return result


@dataclass
class Bin:
    low: int  # percent, inclusive
    high: int  # percent, exclusive (the last bin includes 100)
    count: int

    @property
    def label(self) -> str:
        return f"{self.low}–{self.high}%"


def score_histogram(quiz: Quiz, *, width: int = 10) -> list[Bin]:
    """Submitted attempts of the quiz by score, in bins of ``width`` percent (0–10%, …,
    90–100%; a full score falls in the last bin). One query."""
    bins = [Bin(low, low + width, 0) for low in range(0, 100, width)]
    for score, max_score in Attempt.objects.filter(
        quiz=quiz, state=Attempt.State.SUBMITTED
    ).values_list("score", "max_score"):
        if score is None or not max_score:
            continue
        percent = max(0.0, min(100.0, 100 * score / max_score))
        bins[min(len(bins) - 1, int(percent // width))].count += 1
    return bins
