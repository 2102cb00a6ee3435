"""Progress and mastery: how well each student does in a course, overall and per topic and
objective (the tags on questions), kept up to date after every graded answer.

Mastery of a tag is the share of points earned on the *latest* graded answer to each question
with that tag, from quiz attempts and live sessions alike: answering a question again replaces
the old answer, so mastery follows what a student knows now, not their first try.

``progress_changed`` is called after each graded answer commits. It queues one recompute per
student and course (answers in the same second share it) on the CPU queue; the task rewrites
that student's ``Mastery`` rows from the answers and pushes them to the student's progress page
(topic ``student-progress``) and the course's class dashboard (topic ``course-progress``)."""

import datetime as dt
import logging

from django.conf import settings
from django.db import connection, transaction

from accounts.models import User
from courses.models import Course
from courses.selectors import can_manage_course
from smartedu.progress import progress_publish

from .models import AttemptQuestion, LiveAnswer, Mastery, Question

logger = logging.getLogger(__name__)

# Answers that land within this window share one recompute.
REFRESH_DELAY_SECONDS = 1.0


def _pending_key(student_id: int, course_id: int) -> str:
    return f"{connection.schema_name}:progress-pending:{student_id}:{course_id}"


def progress_changed(student_id: int, course_id: int, *, submitted_attempt: int | None = None):
    """Queue a mastery recompute for this student and course (deduplicated for a second)."""
    from .tasks import refresh_progress

    try:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        # The key expires before the task runs, so an answer that finds it set is committed
        # before the queued recompute reads the answers.
        first = client.set(
            _pending_key(student_id, course_id),
            "1",
            nx=True,
            px=int(REFRESH_DELAY_SECONDS * 900),
        )
    except Exception:
        logger.warning("Progress dedupe unavailable; recomputing anyway", exc_info=True)
        first = True
    if first or submitted_attempt:
        refresh_progress.apply_async(
            (student_id, course_id),
            {"submitted_attempt": submitted_attempt},
            countdown=REFRESH_DELAY_SECONDS,
            priority=0,
        )


def latest_graded_answers(student_id: int, course_id: int) -> dict[int, tuple[float, float]]:
    """``{question_id: (points, score 0..1)}``: the latest graded answer of the student to each
    question of the course, from attempts and live sessions."""
    latest: dict[int, tuple[dt.datetime, float, float]] = {}
    rows = AttemptQuestion.objects.filter(
        attempt__student_id=student_id,
        attempt__quiz__course_id=course_id,
        answered_at__isnull=False,
        score__isnull=False,
    ).values_list("question_id", "answered_at", "points", "score")
    live = LiveAnswer.objects.filter(
        participant__student_id=student_id, round__session__quiz__course_id=course_id
    ).values_list("round__question_id", "answered_at", "round__points", "score")
    for question_id, answered_at, points, score in [*rows, *live]:
        seen = latest.get(question_id)
        if seen is None or answered_at > seen[0]:
            latest[question_id] = (answered_at, float(points), float(score))
    return {qid: (points, score) for qid, (_, points, score) in latest.items()}


@transaction.atomic
def mastery_refresh(student_id: int, course_id: int) -> list[Mastery]:
    """Rewrite the student's mastery rows in the course from their answers; returns them."""
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


def mastery_payload(student_id: int, course_id: int, rows: list[Mastery] | None = None) -> dict:
    """The student's mastery in a course as pages and the API show it."""
    if rows is None:
        rows = list(Mastery.objects.filter(student_id=student_id, course_id=course_id))

    def row(m: Mastery) -> dict:
        return {
            "tag": m.tag,
            "percent": m.percent,
            "earned": m.earned,
            "possible": m.possible,
            "questions_answered": m.questions_answered,
        }

    overall = next((m for m in rows if m.dimension == Mastery.Dimension.COURSE), None)
    return {
        "student": student_id,
        "course": course_id,
        "overall": row(overall) if overall else None,
        "topics": [row(m) for m in rows if m.dimension == Mastery.Dimension.TOPIC],
        "objectives": [row(m) for m in rows if m.dimension == Mastery.Dimension.OBJECTIVE],
    }


def progress_refresh_and_publish(
    student_id: int, course_id: int, *, submitted_attempt: int | None = None
) -> dict:
    """Recompute and push to the student's page and the course dashboard. Returns the payload."""
    rows = mastery_refresh(student_id, course_id)
    payload = {"event": "mastery", **mastery_payload(student_id, course_id, rows)}
    if submitted_attempt:
        payload["submitted_attempt"] = submitted_attempt
    progress_publish("student-progress", student_id, payload)
    progress_publish("course-progress", course_id, payload)
    return payload


# --- who may watch -------------------------------------------------------------------------


def can_watch_student(user: User, key: str) -> bool:
    """A student watches their own progress; nobody else subscribes to a student's topic
    (teachers watch whole courses on ``course-progress``)."""
    return str(getattr(user, "pk", "")) == key


def can_watch_course(user: User, key: str) -> bool:
    course = Course.objects.filter(pk=int(key)).first() if key.isdigit() else None
    return course is not None and can_manage_course(user, course)
