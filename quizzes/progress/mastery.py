"""Which answers count towards mastery, and mastery as pages and the API show it (the package
docstring says why only final answers count)."""

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from ..models import Attempt, AttemptQuestion, LiveAnswer, Mastery, Quiz


def final_attempt_answers(**filters: Any) -> QuerySet[AttemptQuestion]:
    """Graded attempt answers a student can no longer change (see the module docstring)."""
    return AttemptQuestion.objects.filter(
        Q(attempt__state=Attempt.State.SUBMITTED)
        | Q(attempt__quiz__show_feedback=Quiz.Feedback.IMMEDIATELY),
        answered_at__isnull=False,
        score__isnull=False,
        **filters,
    )


def latest_graded_answers(student_id: int, course_id: int) -> dict[int, tuple[float, float]]:
    """``{question_id: (points, score 0..1)}``: the student's latest final answer to each
    question of the course, from attempts and live sessions."""
    latest: dict[int, tuple[dt.datetime, float, float]] = {}
    rows = final_attempt_answers(
        attempt__student_id=student_id, attempt__quiz__course_id=course_id
    ).values_list("question_id", "answered_at", "points", "score")
    live = LiveAnswer.objects.filter(
        participant__student_id=student_id, round__session__quiz__course_id=course_id
    ).values_list("round__question_id", "answered_at", "round__points", "score")
    for question_id, answered_at, points, score in [*rows, *live]:
        if answered_at is None or score is None:
            continue  # ungraded: final_attempt_answers already leaves these out
        seen = latest.get(question_id)
        if seen is None or answered_at > seen[0]:
            latest[question_id] = (answered_at, float(points), float(score))
    return {qid: (points, score) for qid, (_, points, score) in latest.items()}


def mastery_payload(
    student_id: int, course_id: int, rows: list[Mastery] | None = None
) -> dict[str, Any]:
    """The student's mastery in a course as pages and the API show it: ``{student, course,
    overall (or None), topics, objectives, updated_at}``; each row ``{tag, percent, earned,
    possible, questions_answered}``, topics and objectives by tag. ``updated_at`` (ISO, None
    before the first answer) lets a page drop a push older than what it shows."""
    if rows is None:
        rows = list(Mastery.objects.filter(student_id=student_id, course_id=course_id))

    def row(m: Mastery) -> dict[str, Any]:
        return {
            "tag": m.tag,
            "percent": m.percent,
            "earned": m.earned,
            "possible": m.possible,
            "questions_answered": m.questions_answered,
        }

    overall = next((m for m in rows if m.dimension == Mastery.Dimension.COURSE), None)
    stamps = [m.updated_at for m in rows if m.updated_at]
    by_tag = sorted(rows, key=lambda m: m.tag.casefold())
    return {
        "student": student_id,
        "course": course_id,
        "overall": row(overall) if overall else None,
        "topics": [row(m) for m in by_tag if m.dimension == Mastery.Dimension.TOPIC],
        "objectives": [row(m) for m in by_tag if m.dimension == Mastery.Dimension.OBJECTIVE],
        "updated_at": max(stamps).isoformat() if stamps else None,
    }


def attempt_summary(attempt: Attempt) -> dict[str, Any]:
    """One submitted attempt as the progress pages list it."""
    return {
        "id": attempt.pk,
        "quiz": attempt.quiz_id,
        "quiz_title": attempt.quiz.title,
        "number": attempt.number,
        "score": attempt.score,
        "max_score": attempt.max_score,
        "percent": attempt.percent,
        "submitted_at": attempt.submitted_at.isoformat() if attempt.submitted_at else None,
        "late": attempt.is_late,
    }
