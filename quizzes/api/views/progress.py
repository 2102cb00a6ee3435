"""Progress over the API: each student's mastery in a course (JSON pages or a streamed CSV) and
one student's mastery in every course, from the ``Mastery`` rows that ``quizzes.progress``
keeps up to date after each graded answer. A student reads only their own."""

from collections import defaultdict
from collections.abc import Iterator

from django.db.models import Count
from django.utils.text import slugify
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors as course_selectors
from courses.access import course_access, course_list_managed_by, student_access
from courses.models import Course, Enrollment
from quizzes.access import quiz_access
from quizzes.attempts.exports import csv_chunks
from quizzes.models import Attempt, Mastery
from quizzes.progress.mastery import mastery_payload
from quizzes.statistics.questions import question_statistics
from quizzes.statistics.scores import quiz_summaries, score_histogram
from smartedu.api.docs import error_responses
from smartedu.api.pagination import StandardPagination
from smartedu.db_routers import reports_from_replica

from ..serializers import (
    PROGRESS_CSV_COLUMNS,
    CourseProgressFilterSerializer,
    CourseProgressRowSerializer,
    QuizStatisticsSerializer,
    StudentProgressSerializer,
)
from .common import EVERYONE
from .results import (
    CSV_RESPONSE,
    RESULT_TAGS,
    ResultsNegotiation,
    csv_response,
    wants_csv,
)

PROGRESS_TAGS = ["Progress"]
# Students per round trip when a CSV export reads a whole course.
CSV_BATCH = 500


def _progress_entries(course_ids: list[int], student_ids: list[int]) -> dict:
    """``{(student_id, course_id): entry}`` with mastery (overall, topics, objectives),
    questions answered and attempts submitted: two queries however many students."""
    rows: dict[tuple[int, int], list[Mastery]] = defaultdict(list)
    for mastery in Mastery.objects.filter(course_id__in=course_ids, student_id__in=student_ids):
        rows[(mastery.student_id, mastery.course_id)].append(mastery)
    submitted = {
        (row["student_id"], row["quiz__course_id"]): row["n"]
        for row in Attempt.objects.filter(
            quiz__course_id__in=course_ids,
            student_id__in=student_ids,
            state=Attempt.State.SUBMITTED,
        )
        .values("student_id", "quiz__course_id")
        .annotate(n=Count("id"))
        .order_by()
    }
    entries = {}
    for student_id in student_ids:
        for course_id in course_ids:
            payload = mastery_payload(student_id, course_id, rows[(student_id, course_id)])
            overall = payload["overall"]
            entries[(student_id, course_id)] = {
                "overall": overall,
                "questions_answered": overall["questions_answered"] if overall else 0,
                "attempts_submitted": submitted.get((student_id, course_id), 0),
                "topics": payload["topics"],
                "objectives": payload["objectives"],
                "updated_at": payload.get("updated_at"),
            }
    return entries


def _course_rows(course: Course, enrollments: list[Enrollment]) -> list[dict]:
    students = [enrollment.user for enrollment in enrollments]
    entries = _progress_entries([course.pk], [student.pk for student in students])
    return [{"student": student, **entries[(student.pk, course.pk)]} for student in students]


def _progress_csv(course: Course, enrollments) -> Iterator[str]:
    student_ids = list(enrollments.values_list("user_id", flat=True))
    topics = list(
        Mastery.objects.filter(
            course=course, student_id__in=student_ids, dimension=Mastery.Dimension.TOPIC
        )
        .order_by("tag")
        .values_list("tag", flat=True)
        .distinct()
    )
    header = [*PROGRESS_CSV_COLUMNS, *(f"topic: {tag}" for tag in topics)]

    def lines() -> Iterator[list]:
        for start in range(0, len(student_ids), CSV_BATCH):
            batch = list(enrollments.filter(user_id__in=student_ids[start : start + CSV_BATCH]))
            for row in _course_rows(course, batch):
                student, overall = row["student"], row["overall"] or {}
                by_topic = {t["tag"]: t["percent"] for t in row["topics"]}
                yield [
                    student.pk,
                    student.external_id or "",
                    student.username,
                    student.display_name,
                    "" if overall.get("percent") is None else overall["percent"],
                    overall.get("earned", ""),
                    overall.get("possible", ""),
                    row["questions_answered"],
                    row["attempts_submitted"],
                    *("" if by_topic.get(tag) is None else by_topic[tag] for tag in topics),
                ]

    return csv_chunks(header, lines())


class CourseProgressApi(APIView):
    read_roles = EVERYONE
    pagination_class = StandardPagination
    content_negotiation_class = ResultsNegotiation

    @extend_schema(
        operation_id="course_progress_list",
        tags=PROGRESS_TAGS,
        summary="Each student's mastery in the course (students: their own)",
        description=(
            "One entry per student of the course: overall mastery (the share of points earned "
            "on the latest graded answer to each question), questions answered, attempts "
            "submitted, and mastery per topic and per objective. With `?format=csv` (or "
            "`Accept: text/csv`): one row per student, then one `topic: <name>` column per "
            "topic (percent; empty when none of its questions was answered)."
        ),
        parameters=[CourseProgressFilterSerializer],
        responses={
            (200, "application/json"): CourseProgressRowSerializer(many=True),
            (200, "text/csv"): CSV_RESPONSE,
            **error_responses(400, 401, 403, 404),
        },
    )
    def get(self, request, course_id: int):
        course = course_access(request.user, course_id)
        filters = CourseProgressFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        enrollments = (
            Enrollment.objects.filter(course=course, role=Enrollment.Role.STUDENT)
            .select_related("user")
            .order_by("user__last_name", "user__first_name", "user__username", "user_id")
        )
        if not course_selectors.can_manage_course(request.user, course):
            enrollments = enrollments.filter(user=request.user)
        if data.get("student"):
            enrollments = enrollments.filter(user_id=data["student"])
        if data.get("external_id"):
            enrollments = enrollments.filter(user__external_id=data["external_id"])
        if wants_csv(request, data):
            filename = f"{slugify(course.code) or 'course'}-progress.csv"
            return csv_response(request, filename, _progress_csv(course, enrollments))
        paginator = self.pagination_class()
        with reports_from_replica():
            page = paginator.paginate_queryset(enrollments, request, view=self)
            assert page is not None  # StandardPagination always has a page size
            return paginator.get_paginated_response(
                CourseProgressRowSerializer(_course_rows(course, page), many=True).data
            )


class StudentProgressApi(APIView):
    read_roles = EVERYONE

    @extend_schema(
        operation_id="student_progress_retrieve",
        tags=PROGRESS_TAGS,
        summary="A student's mastery in each course they take",
        description=(
            "Per course: overall mastery, questions answered, attempts submitted, and mastery "
            "per topic and per objective. Admins and API keys read any student; teachers the "
            "students of their courses, for those courses; a student only themselves (anyone "
            "else is 404)."
        ),
        responses={200: StudentProgressSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, user_id: int):
        student = student_access(request.user, user_id)
        taken = Course.objects.filter(
            enrollments__user=student, enrollments__role=Enrollment.Role.STUDENT
        ).order_by("code", "id")
        if student.pk != request.user.pk:
            taken = taken.filter(pk__in=course_list_managed_by(request.user).values("pk"))
        courses = list(taken)
        entries = _progress_entries([c.pk for c in courses], [student.pk])
        body = {
            "student": student,
            "courses": [{"course": c, **entries[(student.pk, c.pk)]} for c in courses],
        }
        return Response(StudentProgressSerializer(body).data)


class QuizStatisticsApi(APIView):
    read_roles = EVERYONE

    @extend_schema(
        operation_id="quiz_statistics_retrieve",
        tags=RESULT_TAGS,
        summary="How the quiz and each of its questions performed",
        description=(
            "Over the quiz's submitted attempts: how many and by how many students, the mean "
            "and median percent, the scores in bins of 10%, and per question (in the quiz's "
            "order; questions since removed last): answers, skips, facility (mean score), "
            "discrimination, option counts or the commonest wrong answers, and flags for "
            "weak questions with the reason. The course's teachers, the school's admins and "
            "API keys (students: 403)."
        ),
        responses={200: QuizStatisticsSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, quiz_id: int):
        quiz = quiz_access(request.user, quiz_id, manage=True)
        with reports_from_replica():
            summary = quiz_summaries(quiz.course_id, quiz_ids=[quiz.pk]).get(quiz.pk) or {
                "attempts": 0,
                "students": 0,
                "average": None,
                "median": None,
            }
            body = {
                "quiz": quiz.pk,
                "summary": summary,
                "histogram": score_histogram(quiz),
                "questions": question_statistics(quiz),
            }
            return Response(QuizStatisticsSerializer(body).data)
