"""The reads behind the progress pages: a student's courses with their mastery, a course's
class grid, the school overview. Each reads a fixed number of queries, whatever the size."""

import datetime as dt
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import User
from courses.models import Course, Enrollment, Material

from ..models import Attempt, AttemptQuestion, LiveAnswer, LiveSession, Mastery, Quiz
from .mastery import mastery_payload


@dataclass
class CourseProgress:
    """One course on a student's progress page."""

    course: Course
    mastery: dict[str, Any]
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
    live_sessions: Sequence[LiveSession]  # each with its participant_count

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
