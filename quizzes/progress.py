"""Progress and mastery: how well each student does in a course, overall and per topic and
objective (the tags on questions), kept up to date after every graded answer.

Mastery of a tag is the share of points earned on the *latest final* answer to each question
with that tag, from quiz attempts and live sessions alike: answering a question again replaces
the old answer, so mastery follows what a student knows now, not their first try. An answer is
final once the student can no longer change it: its attempt is submitted, or the quiz shows
feedback after each answer (the answer locks then), or it was given in a live session. Answers
still open to change in a running attempt do not count yet — otherwise the progress page would
tell a student whether an answer is right before the quiz means to.

``progress_changed`` is called after each graded answer commits. It queues one recompute per
student and course on the CPU queue, however many answers arrive before it runs; the task
rewrites that student's ``Mastery`` rows from the answers and pushes them to the student's
progress page (topic ``student-progress``) and the course's class dashboard (topic
``course-progress``). A submitted attempt also pushes an ``attempt_submitted`` event there and
to the school overview (topic ``school-overview``)."""

import datetime as dt
import logging
import statistics
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import User
from courses.models import Course, Enrollment
from courses.selectors import can_manage_course
from smartedu.progress import progress_publish

from .models import Attempt, AttemptQuestion, LiveAnswer, Mastery, Question, Quiz

logger = logging.getLogger(__name__)

# Answers that land within this window share one recompute.
REFRESH_DELAY_SECONDS = 1.0
# A recompute mark outlives its task only if the task was lost (worker gone, broker flushed);
# after this long the next answer queues a new one.
PENDING_TTL_SECONDS = 60
SCHOOL_OVERVIEW_KEY = "school"

_redis_client = None


def _redis():
    global _redis_client
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
    return _redis_client


def _pending_key(student_id: int, course_id: int) -> str:
    return f"{connection.schema_name}:progress-pending:{student_id}:{course_id}"


def progress_changed(student_id: int, course_id: int, *, submitted_attempt: int | None = None):
    """Queue a mastery recompute for this student and course; call it after the answer commits.

    At most one recompute waits per student and course. The mark that says one is waiting is
    cleared by the task *before* it reads the answers, so an answer committed before the clear
    is read by that task and one committed after it finds no mark and queues the next: the last
    answer of a burst is never lost, whatever the clocks of the web and worker machines say.
    A submitted attempt always queues its own recompute (it carries the attempt's result)."""
    from .tasks import refresh_progress

    key = _pending_key(student_id, course_id)
    try:
        first = bool(_redis().set(key, "1", nx=True, ex=PENDING_TTL_SECONDS))
    except Exception:
        logger.warning("Progress dedupe unavailable; recomputing anyway", exc_info=True)
        first = True
    if not (first or submitted_attempt):
        return
    try:
        refresh_progress.apply_async(
            (student_id, course_id),
            {"submitted_attempt": submitted_attempt},
            countdown=REFRESH_DELAY_SECONDS,
            priority=0,
        )
    except Exception:
        # Nothing was queued: drop the mark so that the next answer tries again.
        logger.warning("Could not queue a progress recompute", exc_info=True)
        _pending_clear(student_id, course_id)


def _pending_clear(student_id: int, course_id: int) -> None:
    try:
        _redis().delete(_pending_key(student_id, course_id))
    except Exception:
        logger.warning("Progress dedupe unavailable", exc_info=True)


# --- computing mastery ---------------------------------------------------------------------


def final_attempt_answers(**filters):
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
        seen = latest.get(question_id)
        if seen is None or answered_at > seen[0]:
            latest[question_id] = (answered_at, float(points), float(score))
    return {qid: (points, score) for qid, (_, points, score) in latest.items()}


@transaction.atomic
def mastery_refresh(student_id: int, course_id: int) -> list[Mastery]:
    """Rewrite the student's mastery rows in the course from their answers; returns them.

    Idempotent. Two recomputes of the same student and course run one after the other (a
    transaction-scoped advisory lock), so neither trips over the other's rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            [f"mastery:{connection.schema_name}:{student_id}:{course_id}"],
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


def mastery_payload(student_id: int, course_id: int, rows: list[Mastery] | None = None) -> dict:
    """The student's mastery in a course as pages and the API show it: ``{student, course,
    overall (or None), topics, objectives, updated_at}``; each row ``{tag, percent, earned,
    possible, questions_answered}``, topics and objectives by tag. ``updated_at`` (ISO, None
    before the first answer) lets a page drop a push older than what it shows."""
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


def attempt_summary(attempt: Attempt) -> dict:
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


def progress_refresh_and_publish(
    student_id: int, course_id: int, *, submitted_attempt: int | None = None
) -> dict:
    """Recompute and push to the student's page and the course dashboard. Returns the mastery
    payload. With ``submitted_attempt`` it also pushes ``attempt_submitted``: to the student
    their attempt's result, to the course dashboard that and the quiz's new figures, to the
    school overview which course and quiz moved."""
    from .statistics import quiz_summaries

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


# --- who may watch -------------------------------------------------------------------------


def can_watch_student(user: User, key: str) -> bool:
    """A student watches their own progress; nobody else subscribes to a student's topic
    (teachers watch whole courses on ``course-progress``)."""
    return str(getattr(user, "pk", "")) == key


def can_watch_course(user: User, key: str) -> bool:
    course = Course.objects.filter(pk=int(key)).first() if key.isdigit() else None
    return course is not None and can_manage_course(user, course)


def can_watch_school(user: User, key: str) -> bool:
    """The school overview: its admins only."""
    return key == SCHOOL_OVERVIEW_KEY and getattr(user, "role", None) == User.Role.ADMIN


# --- reads for the progress pages ----------------------------------------------------------


@dataclass
class CourseProgress:
    """One course on a student's progress page."""

    course: Course
    mastery: dict
    attempts: list[Attempt] = field(default_factory=list)


def student_progress(student: User, *, recent: int = 5) -> list[CourseProgress]:
    """The courses ``student`` takes (not archived), each with their mastery and their latest
    ``recent`` submitted attempts. Reads only the student's own rows. Three queries."""
    courses = list(
        Course.objects.filter(
            enrollments__user=student, enrollments__role=Enrollment.Role.STUDENT, is_archived=False
        ).order_by("code")
    )
    ids = [c.pk for c in courses]
    rows: dict[int, list[Mastery]] = {}
    for m in Mastery.objects.filter(student=student, course_id__in=ids):
        rows.setdefault(m.course_id, []).append(m)
    attempts: dict[int, list[Attempt]] = {}
    for attempt in (
        Attempt.objects.filter(
            student=student, quiz__course_id__in=ids, state=Attempt.State.SUBMITTED
        )
        .select_related("quiz")
        .order_by("-submitted_at", "-pk")
    ):
        listed = attempts.setdefault(attempt.quiz.course_id, [])
        if len(listed) < recent:
            listed.append(attempt)
    return [
        CourseProgress(
            c, mastery_payload(student.pk, c.pk, rows.get(c.pk, [])), attempts.get(c.pk, [])
        )
        for c in courses
    ]


@dataclass
class StudentRow:
    student: User
    overall: Mastery | None
    topics: dict[str, Mastery]
    last_activity: dt.datetime | None


@dataclass
class ClassGrid:
    """The class dashboard's students × topics mastery."""

    topics: list[str]
    students: list[StudentRow]

    @property
    def average(self) -> float | None:
        """The mean of the students' overall mastery (students with answers only)."""
        values = [
            r.overall.percent
            for r in self.students
            if r.overall is not None and r.overall.percent is not None
        ]
        return round(statistics.fmean(values), 1) if values else None


def class_grid(course: Course) -> ClassGrid:
    """The course's students (by name) with their overall and per-topic mastery and when they
    last answered a question of the course. Four queries, whatever the class size."""
    students = list(
        User.objects.filter(
            enrollments__course=course, enrollments__role=Enrollment.Role.STUDENT
        ).order_by("last_name", "first_name", "username")
    )
    overall: dict[int, Mastery] = {}
    per_topic: dict[int, dict[str, Mastery]] = {}
    topics: set[str] = set()
    for m in Mastery.objects.filter(
        course=course,
        student__in=students,
        dimension__in=[Mastery.Dimension.COURSE, Mastery.Dimension.TOPIC],
    ):
        if m.dimension == Mastery.Dimension.COURSE:
            overall[m.student_id] = m
        else:
            per_topic.setdefault(m.student_id, {})[m.tag] = m
            topics.add(m.tag)
    last: dict[int, dt.datetime] = dict(
        AttemptQuestion.objects.filter(attempt__quiz__course=course, answered_at__isnull=False)
        .values_list("attempt__student_id")
        .annotate(last=Max("answered_at"))
    )
    for student_id, moment in (
        LiveAnswer.objects.filter(round__session__quiz__course=course)
        .values_list("participant__student_id")
        .annotate(last=Max("answered_at"))
    ):
        if student_id not in last or moment > last[student_id]:
            last[student_id] = moment
    return ClassGrid(
        topics=sorted(topics, key=str.casefold),
        students=[
            StudentRow(s, overall.get(s.pk), per_topic.get(s.pk, {}), last.get(s.pk))
            for s in students
        ],
    )


@dataclass
class CourseFigures:
    """One course on the school overview."""

    course: Course
    students: int = 0
    teachers: int = 0
    materials: int = 0
    quizzes: int = 0
    published_quizzes: int = 0
    attempts_7_days: int = 0
    attempts_30_days: int = 0
    average_mastery: float | None = None


@dataclass
class SchoolOverview:
    courses: list[CourseFigures]
    # (date, submitted attempts) for each of the last 30 days, oldest first, today last.
    attempts_per_day: list[tuple[dt.date, int]]
    live_sessions: list

    @property
    def attempts_30_days(self) -> int:
        return sum(n for _, n in self.attempts_per_day)

    @property
    def busiest_day(self) -> int:
        return max((n for _, n in self.attempts_per_day), default=0)


def school_overview(*, now: dt.datetime | None = None) -> SchoolOverview:
    """Figures for the school admin: every course (archived ones too, marked) with its people,
    materials, quizzes, submitted attempts in the last 7 and 30 days and the mean of its
    students' overall mastery; submitted attempts per day (school's time zone) for 30 days;
    the live sessions not finished. Eight queries, whatever the size of the school."""
    from courses.models import Material

    from .models import LiveSession

    now = now or timezone.now()
    today = timezone.localdate(now)
    first_day = today - dt.timedelta(days=29)
    since_30 = now - dt.timedelta(days=30)
    since_7 = now - dt.timedelta(days=7)
    courses = {c.pk: CourseFigures(c) for c in Course.objects.order_by("is_archived", "code")}
    for course_id, role, n in Enrollment.objects.values_list("course_id", "role").annotate(
        n=Count("pk")
    ):
        figures = courses.get(course_id)
        if figures is not None:
            setattr(figures, "students" if role == Enrollment.Role.STUDENT else "teachers", n)
    for course_id, n in Material.objects.values_list("course_id").annotate(n=Count("pk")):
        courses[course_id].materials = n
    for course_id, n, published in Quiz.objects.values_list("course_id").annotate(
        n=Count("pk"), published=Count("pk", filter=Q(state=Quiz.State.PUBLISHED))
    ):
        courses[course_id].quizzes, courses[course_id].published_quizzes = n, published
    submitted = Attempt.objects.filter(state=Attempt.State.SUBMITTED, submitted_at__gte=since_30)
    for course_id, n30, n7 in submitted.values_list("quiz__course_id").annotate(
        n30=Count("pk"), n7=Count("pk", filter=Q(submitted_at__gte=since_7))
    ):
        courses[course_id].attempts_30_days, courses[course_id].attempts_7_days = n30, n7
    per_course: dict[int, list[float]] = {}
    for course_id, earned, possible in Mastery.objects.filter(
        dimension=Mastery.Dimension.COURSE, possible__gt=0
    ).values_list("course_id", "earned", "possible"):
        per_course.setdefault(course_id, []).append(100 * earned / possible)
    for course_id, values in per_course.items():
        if course_id in courses:
            courses[course_id].average_mastery = round(statistics.fmean(values), 1)
    days = {first_day + dt.timedelta(days=i): 0 for i in range(30)}
    zone = timezone.get_current_timezone()
    for day, n in (
        Attempt.objects.filter(
            state=Attempt.State.SUBMITTED,
            submitted_at__gte=dt.datetime.combine(first_day, dt.time.min, tzinfo=zone),
        )
        .annotate(day=TruncDate("submitted_at", tzinfo=zone))
        .values_list("day")
        .annotate(n=Count("pk"))
    ):
        if day in days:
            days[day] = n
    live = list(
        LiveSession.objects.exclude(state=LiveSession.State.FINISHED)
        .select_related("quiz__course", "host")
        .annotate(participant_count=Count("participants"))
        .order_by("-created_at")
    )
    return SchoolOverview(list(courses.values()), sorted(days.items()), live)
