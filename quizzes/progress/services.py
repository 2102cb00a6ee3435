"""Keeping mastery up to date: queue a recompute after an answer commits (at most one waiting
per student and course), rewrite the rows, push them to the progress pages."""

import logging
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import connection, transaction

from smartedu.db import current_schema
from smartedu.progress import progress_publish

from ..models import Attempt, Mastery, Question
from ..statistics.scores import quiz_summaries
from .access import SCHOOL_OVERVIEW_KEY
from .mastery import attempt_summary, latest_graded_answers, mastery_payload

logger = logging.getLogger(__name__)


# Answers that land within this window share one recompute.
REFRESH_DELAY_SECONDS = 1.0


# A recompute mark outlives its task only if the task was lost (worker gone, broker flushed);
# after this long the next answer queues a new one.
PENDING_TTL_SECONDS = 60


# Enqueued by name, so this module does not import quizzes.tasks (which imports it). A
# signature runs through the registered task where there is one (eager in tests, the same
# options), and is sent to the broker with the school's schema header otherwise.
REFRESH_TASK = "quizzes.tasks.refresh_progress"


_redis_client = None


def _redis() -> Any:
    global _redis_client
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
    return _redis_client


def _pending_key(student_id: int, course_id: int) -> str:
    return f"{current_schema()}:progress-pending:{student_id}:{course_id}"


def progress_changed(
    student_id: int, course_id: int, *, submitted_attempt: int | None = None
) -> None:
    """Queue a mastery recompute for this student and course; call it after the answer commits.

    At most one recompute waits per student and course. The mark that says one is waiting is
    cleared by the task *before* it reads the answers, so an answer committed before the clear
    is read by that task and one committed after it finds no mark and queues the next: the last
    answer of a burst is never lost, whatever the clocks of the web and worker machines say.
    A submitted attempt always queues its own recompute (it carries the attempt's result)."""
    key = _pending_key(student_id, course_id)
    try:
        first = bool(_redis().set(key, "1", nx=True, ex=PENDING_TTL_SECONDS))
    except Exception:
        logger.warning("Progress dedupe unavailable; recomputing anyway", exc_info=True)
        first = True
    if not (first or submitted_attempt):
        return
    try:
        current_app.signature(
            REFRESH_TASK, (student_id, course_id), {"submitted_attempt": submitted_attempt}
        ).apply_async(countdown=REFRESH_DELAY_SECONDS, priority=0)
    except Exception:
        # Nothing was queued: drop the mark so that the next answer tries again.
        logger.warning("Could not queue a progress recompute", exc_info=True)
        _pending_clear(student_id, course_id)


def _pending_clear(student_id: int, course_id: int) -> None:
    try:
        _redis().delete(_pending_key(student_id, course_id))
    except Exception:
        logger.warning("Progress dedupe unavailable", exc_info=True)


@transaction.atomic
def mastery_refresh(student_id: int, course_id: int) -> list[Mastery]:
    """Rewrite the student's mastery rows in the course from their answers; returns them.

    Idempotent. Two recomputes of the same student and course run one after the other (a
    transaction-scoped advisory lock), so neither trips over the other's rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            [f"mastery:{current_schema()}:{student_id}:{course_id}"],
        )
    answers = latest_graded_answers(student_id, course_id)
    tags = Question.objects.filter(pk__in=answers).values_list("pk", "topic", "objective")
    totals: dict[tuple[str, str], list[float]] = {}

    def add(dimension: str, tag: str, points: float, score: float) -> None:
        entry = totals.setdefault((dimension, tag), [0.0, 0.0, 0])
        entry[0] += points * score
        entry[1] += points
        entry[2] += 1

    for question_id, topic, objective in tags:
        points, score = answers[question_id]
        add(Mastery.Dimension.COURSE, "", points, score)
        if topic:
            add(Mastery.Dimension.TOPIC, topic, points, score)
        if objective:
            add(Mastery.Dimension.OBJECTIVE, objective, points, score)
    rows = [
        Mastery(
            student_id=student_id,
            course_id=course_id,
            dimension=dimension,
            tag=tag,
            earned=round(earned, 4),
            possible=round(possible, 4),
            questions_answered=count,
        )
        for (dimension, tag), (earned, possible, count) in sorted(totals.items())
    ]
    Mastery.objects.filter(student_id=student_id, course_id=course_id).delete()
    Mastery.objects.bulk_create(rows)
    return rows


def progress_refresh_and_publish(
    student_id: int, course_id: int, *, submitted_attempt: int | None = None
) -> dict[str, Any]:
    """Recompute and push to the student's page and the course dashboard. Returns the mastery
    payload. With ``submitted_attempt`` it also pushes ``attempt_submitted``: to the student
    their attempt's result, to the course dashboard that and the quiz's new figures, to the
    school overview which course and quiz moved."""
    _pending_clear(student_id, course_id)
    rows = mastery_refresh(student_id, course_id)
    payload = {"event": "mastery", **mastery_payload(student_id, course_id, rows)}
    if submitted_attempt:
        payload["submitted_attempt"] = submitted_attempt
    progress_publish("student-progress", student_id, payload)
    progress_publish("course-progress", course_id, payload)
    attempt = (
        Attempt.objects.select_related("quiz")
        .filter(
            pk=submitted_attempt,
            student_id=student_id,
            quiz__course_id=course_id,
            state=Attempt.State.SUBMITTED,
        )
        .first()
        if submitted_attempt
        else None
    )
    if attempt is not None:
        event = {
            "event": "attempt_submitted",
            "student": student_id,
            "course": course_id,
            "attempt": attempt_summary(attempt),
        }
        progress_publish("student-progress", student_id, event)
        summary = quiz_summaries(course_id, quiz_ids=[attempt.quiz_id]).get(attempt.quiz_id)
        progress_publish("course-progress", course_id, {**event, "quiz_summary": summary})
        progress_publish(
            "school-overview",
            SCHOOL_OVERVIEW_KEY,
            {"event": "attempt_submitted", "course": course_id, "quiz": attempt.quiz_id},
        )
    return payload
