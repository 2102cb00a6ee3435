"""Attempts and results over the API.

Students (signed in) take a quiz here with the same rules as on the websocket: every write goes
through ``quizzes.attempts`` (``attempt_start``, ``answer_save``, ``attempt_submit``), whose
refusals become stable error codes in smartedu.api.errors, and which tells the student's open
pages about each change. The people who run a course (its teachers, the school's admins) and
API keys read results: lists of attempts with filters, as JSON pages or a streamed CSV; a
student reads only their own attempts. Accommodations (extra time and attempts) are set here
through ``quizzes.accommodations``."""

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db.models import (
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Prefetch,
    QuerySet,
    When,
)
from django.db.models.functions import Round
from django.http import Http404, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from courses import selectors as course_selectors
from courses.models import Course, Enrollment
from quizzes import selectors
from quizzes.accommodations import accommodation_set
from quizzes.attempts.errors import AttemptRefused
from quizzes.attempts.payloads import attempt_state
from quizzes.attempts.selectors import attempt_get_for, attempt_own_get, attempt_questions
from quizzes.attempts.services import (
    answer_save,
    attempt_expire_if_due,
    attempt_start,
    attempt_submit,
    attempts_submit_expired,
)
from quizzes.models import Accommodation, Attempt, AttemptQuestion, QuizItem
from smartedu.api.docs import ErrorSerializer, error_responses
from smartedu.api.pagination import StandardPagination, paginated_response
from smartedu.api.permissions import is_api_key

from ..serializers import (
    CSV_COLUMNS,
    AccommodationInputSerializer,
    AccommodationSerializer,
    AnswerSavedSerializer,
    AttemptAnswerInputSerializer,
    AttemptRowSerializer,
    AttemptStateSerializer,
    AttemptSubmittedSerializer,
    CourseAttemptFilterSerializer,
    ManagedAttemptSerializer,
    QuizAttemptFilterSerializer,
    StudentAttemptFilterSerializer,
    attempt_csv_row,
    question_points_earned,
)
from .common import EVERYONE, _caller

ATTEMPT_TAGS = ["Attempts"]
RESULT_TAGS = ["Results"]

REFUSED_409 = {
    409: OpenApiResponse(
        ErrorSerializer,
        description="The quiz's rules refuse this now (nothing was stored): `not_open`, "
        "`closed`, `no_attempts_left`, `empty` (starting); `submitted`, `time_up` (the "
        "deadline passed: the attempt has been submitted), `locked` (answering).",
    )
}
NOT_A_STUDENT_403 = {
    403: OpenApiResponse(
        ErrorSerializer,
        description="`not_a_student`: only the course's students take its quizzes (API keys "
        "and teachers do not); `permission_denied` for a read-only key.",
    )
}
CSV_RESPONSE = OpenApiResponse(
    OpenApiTypes.STR,
    description="With `?format=csv` or `Accept: text/csv`: every matching row (pagination "
    "does not apply), as an attachment.",
)


# --- who is asking -------------------------------------------------------------------------


def _taker(request) -> User:
    """The signed-in person taking a quiz (whether they may is the rules' to say)."""
    if is_api_key(request.user):
        raise PermissionDenied(
            "An API key cannot take a quiz: students take quizzes signed in as themselves.",
            code="not_a_student",
        )
    return request.user


def _sees_whole_school(user) -> bool:
    return is_api_key(user) or user.role == User.Role.ADMIN


def managed_courses(user) -> QuerySet[Course]:
    """The courses ``user`` runs: every course for admins and API keys, the ones they teach
    for teachers, none for students."""
    if _sees_whole_school(user):
        return Course.objects.all()
    return Course.objects.filter(
        enrollments__user=user, enrollments__role=Enrollment.Role.TEACHER
    ).distinct()


def student_for(request, user_id: int, *, manage: bool = False) -> User:
    """A student the caller may read about: anyone for admins and API keys, the students of
    their own courses for teachers, themselves for a student (unless ``manage``). 404
    otherwise: a student the caller may not see is not revealed to exist."""
    user = request.user
    students = User.objects.filter(pk=user_id, role=User.Role.STUDENT)
    if _sees_whole_school(user):
        found = students.first()
    elif user.pk == user_id and not manage:
        found = students.first()
    else:
        taught = managed_courses(user)
        found = students.filter(
            enrollments__role=Enrollment.Role.STUDENT, enrollments__course__in=taught
        ).first()
    if found is None:
        raise Http404(f"No student with id {user_id} in this school.")
    return found


# --- results lists -------------------------------------------------------------------------


class ResultsNegotiation(DefaultContentNegotiation):
    """Here ``?format=`` (or ``Accept: text/csv``) chooses JSON or CSV, which the view writes
    itself; errors are JSON as everywhere else."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def wants_csv(request, filters: dict) -> bool:
    if "format" in request.query_params:
        return filters["format"] == "csv"
    accepted = request.META.get("HTTP_ACCEPT", "")
    return any(part.split(";")[0].strip().lower() == "text/csv" for part in accepted.split(","))


class _Numeric(Func):
    template = "(%(expressions)s)::numeric"
    output_field = DecimalField()


# The percent as shown (one decimal), in SQL, so filters, ordering and output agree.
PERCENT = Case(
    When(
        max_score__gt=0,
        then=Round(
            _Numeric(ExpressionWrapper(100.0 * F("score") / F("max_score"), FloatField())),
            1,
            output_field=DecimalField(),
        ),
    ),
    default=None,
    output_field=DecimalField(),
)

ORDER_BY = {
    "student": (
        "student__last_name",
        "student__first_name",
        "student__username",
        "student_id",
        "quiz_id",
        "number",
    ),
    "-submitted_at": (F("submitted_at").desc(nulls_last=True),),
    "submitted_at": (F("submitted_at").asc(nulls_last=True),),
    "-percent": (F("percent_value").desc(nulls_last=True),),
    "percent": (F("percent_value").asc(nulls_last=True),),
    "-started_at": ("-started_at",),
    "started_at": ("started_at",),
}


def attempt_rows(rows: QuerySet[Attempt], filters: dict) -> QuerySet[Attempt]:
    """Result rows narrowed by the list filters, with ``percent_value``, in the asked order."""
    rows = rows.select_related("quiz", "student").annotate(percent_value=PERCENT)
    if filters.get("student"):
        rows = rows.filter(student_id=filters["student"])
    if filters.get("external_id"):
        rows = rows.filter(student__external_id=filters["external_id"])
    if filters.get("quiz"):
        rows = rows.filter(quiz_id=filters["quiz"])
    if filters.get("course"):
        rows = rows.filter(quiz__course_id=filters["course"])
    if filters.get("state"):
        rows = rows.filter(state=filters["state"])
    if filters.get("late") is not None:
        rows = rows.filter(is_late=filters["late"])
    if filters.get("submitted_after"):
        rows = rows.filter(submitted_at__gte=filters["submitted_after"])
    if filters.get("submitted_before"):
        rows = rows.filter(submitted_at__lt=filters["submitted_before"])
    # Compared as decimals: the float 66.7 is a hair above the percent 66.7.
    if filters.get("min_percent") is not None:
        rows = rows.filter(percent_value__gte=Decimal(str(filters["min_percent"])))
    if filters.get("max_percent") is not None:
        rows = rows.filter(percent_value__lte=Decimal(str(filters["max_percent"])))
    return rows.order_by(*ORDER_BY[filters.get("ordering") or "student"], "id")


def with_question_scores(rows: QuerySet[Attempt]) -> QuerySet[Attempt]:
    return rows.prefetch_related(
        Prefetch(
            "questions",
            queryset=AttemptQuestion.objects.order_by("position").only(
                "id", "attempt_id", "question_id", "position", "points", "score", "answered_at"
            ),
            to_attr="scored_questions",
        )
    )


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


async def _async_chunks(chunks: Iterator[str]):
    # Each piece is made on the request's own thread (thread_sensitive), where its database
    # connection and the school's schema are.
    next_chunk = sync_to_async(next, thread_sensitive=True)
    while (chunk := await next_chunk(chunks, None)) is not None:
        yield chunk


def csv_response(request, filename: str, chunks: Iterator[str]) -> StreamingHttpResponse:
    """A streamed CSV attachment. Under ASGI the pieces go out as they are made (a plain
    iterator would be read whole into memory first)."""
    content = _async_chunks(chunks) if isinstance(request._request, ASGIRequest) else chunks
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filename
    )
    response["Cache-Control"] = "no-store"  # students' results
    return response


def _question_columns(quiz, rows: QuerySet[Attempt]) -> list[tuple[int, str]]:
    """One CSV column per question: the quiz's own in its order, then any question an attempt
    showed that has since left the quiz."""
    in_quiz = list(
        QuizItem.objects.filter(quiz=quiz).order_by("position", "id").values_list("question_id")
    )
    in_quiz = [question_id for (question_id,) in in_quiz]
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


def _rows_csv(request, rows: QuerySet[Attempt], filename: str, *, quiz=None, questions=False):
    header = list(CSV_COLUMNS)
    columns: list[tuple[int, str]] = []
    if questions:
        columns = _question_columns(quiz, rows)
        header += [title for _, title in columns]
        rows = with_question_scores(rows)

    def lines() -> Iterator[list]:
        for attempt in rows.iterator(chunk_size=500):
            line = attempt_csv_row(attempt)
            if questions:
                earned = {
                    aq.question_id: question_points_earned(aq) for aq in attempt.scored_questions
                }
                line += ["" if earned.get(qid) is None else earned[qid] for qid, _ in columns]
            yield line

    return csv_response(request, filename, csv_chunks(header, lines()))


def _results(view, request, rows: QuerySet[Attempt], filter_class, filename: str, *, quiz=None):
    filters = filter_class(data=request.query_params)
    filters.is_valid(raise_exception=True)
    data = filters.validated_data
    # Attempts past their deadline count as submitted by the clock; the sweep does this every
    # half minute, and a results export right after a deadline should not wait for it.
    attempts_submit_expired()
    rows = attempt_rows(rows, data)
    questions = bool(data.get("questions"))
    if wants_csv(request, data):
        return _rows_csv(request, rows, filename, quiz=quiz, questions=questions)
    if questions:
        rows = with_question_scores(rows)
    return paginated_response(
        view=view, request=request, queryset=rows, serializer_class=AttemptRowSerializer
    )


def _list_schema(operation_id: str, summary: str, filters, description: str = "") -> dict:
    return {
        "operation_id": operation_id,
        "tags": RESULT_TAGS,
        "summary": summary,
        "description": description
        + " Students get their own attempts only. An attempt still open past its deadline is "
        "submitted (by the clock) before the list is read.",
        "parameters": [filters],
        "responses": {
            (200, "application/json"): AttemptRowSerializer(many=True),
            (200, "text/csv"): CSV_RESPONSE,
            **error_responses(400, 401, 403, 404),
        },
    }


# --- taking a quiz, and a quiz's results ---------------------------------------------------


class QuizAttemptListApi(APIView):
    read_roles = EVERYONE
    allowed_roles = EVERYONE
    pagination_class = StandardPagination
    content_negotiation_class = ResultsNegotiation

    @extend_schema(
        **_list_schema(
            "quiz_attempts_list",
            "The quiz's attempts with their results (students: their own)",
            QuizAttemptFilterSerializer,
            "`?questions=true` adds each question's score: in JSON as `questions`, in CSV as "
            "one column per question (`Q1 (question 17)`: the points earned, empty when not "
            "answered).",
        )
    )
    def get(self, request, quiz_id: int):
        quiz = selectors.quiz_get_for(request.user, quiz_id)
        rows = Attempt.objects.filter(quiz=quiz)
        if not course_selectors.can_manage_course(request.user, quiz.course):
            rows = rows.filter(student=request.user)
        filename = f"{slugify(quiz.title) or 'quiz'}-{quiz.pk}-attempts.csv"
        return _results(self, request, rows, QuizAttemptFilterSerializer, filename, quiz=quiz)

    @extend_schema(
        operation_id="quiz_attempts_start",
        tags=ATTEMPT_TAGS,
        summary="Start an attempt, or resume the one in progress (students)",
        description=(
            "The same rules as the quiz page: the quiz's window and late window, attempts "
            "allowed (plus the student's extra attempts), the time limit (plus their extra "
            "time). 201 with a new attempt, 200 with the one already in progress. The body is "
            "the attempt's state: its questions in this attempt's order, every saved answer, "
            "`deadline` and `server_time`."
        ),
        request=None,
        responses={
            201: OpenApiResponse(AttemptStateSerializer, description="A new attempt."),
            200: OpenApiResponse(
                AttemptStateSerializer, description="The attempt already in progress."
            ),
            **error_responses(401),
            **NOT_A_STUDENT_403,
            404: OpenApiResponse(
                ErrorSerializer, description="`not_found` or `not_published`: no such quiz here."
            ),
            **REFUSED_409,
        },
    )
    def post(self, request, quiz_id: int):
        student = _taker(request)
        quiz = selectors.quiz_get_for(student, quiz_id)
        now = timezone.now()
        attempt = attempt_start(quiz, student, now=now)
        attempt.quiz = quiz
        state = attempt_state(attempt, now=now)
        started = attempt.started_at == now
        return Response(
            AttemptStateSerializer(state).data,
            status=status.HTTP_201_CREATED if started else status.HTTP_200_OK,
        )


class CourseAttemptListApi(APIView):
    read_roles = EVERYONE
    pagination_class = StandardPagination
    content_negotiation_class = ResultsNegotiation

    @extend_schema(
        **_list_schema(
            "course_attempts_list",
            "Every attempt at the course's quizzes (students: their own)",
            CourseAttemptFilterSerializer,
        )
    )
    def get(self, request, course_id: int):
        course = course_selectors.course_get_for(request.user, course_id)
        rows = Attempt.objects.filter(quiz__course=course)
        if not course_selectors.can_manage_course(request.user, course):
            rows = rows.filter(student=request.user)
        filename = f"{slugify(course.code) or 'course'}-attempts.csv"
        return _results(self, request, rows, CourseAttemptFilterSerializer, filename)


class StudentAttemptListApi(APIView):
    read_roles = EVERYONE
    pagination_class = StandardPagination
    content_negotiation_class = ResultsNegotiation

    @extend_schema(
        **_list_schema(
            "student_attempts_list",
            "A student's attempts (teachers: in the courses they teach)",
            StudentAttemptFilterSerializer,
            "Admins and API keys read any student; teachers the students of their courses, "
            "at those courses' quizzes; a student only themselves (anyone else is 404).",
        )
    )
    def get(self, request, user_id: int):
        student = student_for(request, user_id)
        rows = Attempt.objects.filter(student=student)
        if request.user.role == User.Role.TEACHER:
            rows = rows.filter(quiz__course__in=managed_courses(request.user))
        filename = f"student-{student.pk}-attempts.csv"
        return _results(self, request, rows, StudentAttemptFilterSerializer, filename)


# --- one attempt ---------------------------------------------------------------------------


ATTEMPT_FOR_CALLER = PolymorphicProxySerializer(
    component_name="AttemptForCaller",
    serializers=[ManagedAttemptSerializer, AttemptStateSerializer],
    resource_type_field_name=None,
)


class AttemptDetailApi(APIView):
    read_roles = EVERYONE

    @extend_schema(
        operation_id="attempts_retrieve",
        tags=ATTEMPT_TAGS,
        summary="One attempt: the student's own state, or every answer and key for managers",
        description=(
            "The student gets `AttemptState` (what the quiz page shows: keys only inside "
            "`feedback`, where the quiz shows feedback). The course's teachers, the school's "
            "admins and API keys get `AttemptDetail`: every answer, its grade and the key. An "
            "attempt still open past its deadline is submitted first. Anyone else's attempt "
            "is 404."
        ),
        responses={200: ATTEMPT_FOR_CALLER, **error_responses(401, 403, 404)},
    )
    def get(self, request, attempt_id: int):
        attempt = attempt_get_for(request.user, attempt_id)
        own = attempt.student_id == request.user.pk
        now = timezone.now()
        expired = attempt_expire_if_due(attempt, now=now)
        if expired is not attempt:
            attempt = attempt_get_for(request.user, attempt_id)
        questions = attempt_questions(attempt)
        if own:
            return Response(AttemptStateSerializer(attempt_state(attempt, questions, now=now)).data)
        return Response(ManagedAttemptSerializer(attempt, context={"questions": questions}).data)


class AttemptAnswerApi(APIView):
    allowed_roles = EVERYONE

    @extend_schema(
        operation_id="attempt_answers_save",
        tags=ATTEMPT_TAGS,
        summary="Save the answer to one question of your attempt",
        description=(
            "`position` is the question's place in this attempt (1, 2, …, as the state lists "
            "them). The answer is stored and graded at once; sending another answer replaces "
            "it, except when the quiz shows feedback after each answer (then the first answer "
            "is final and `feedback` comes back). Your other open pages hear of it. Refused "
            "answers store nothing."
        ),
        request=AttemptAnswerInputSerializer,
        responses={
            200: AnswerSavedSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="`bad_response` (the answer's shape does not fit the question; the "
                "message shows one that does) or `validation_error` (no `response`).",
            ),
            **error_responses(401),
            **NOT_A_STUDENT_403,
            404: OpenApiResponse(
                ErrorSerializer,
                description="`not_found` (not your attempt) or `no_such_question`.",
            ),
            **REFUSED_409,
        },
    )
    def put(self, request, attempt_id: int, position: int):
        student = _taker(request)
        attempt = attempt_own_get(student, attempt_id)
        questions = attempt_questions(attempt)
        question = next((aq for aq in questions if aq.position == position), None)
        if question is None:
            raise AttemptRefused(
                "no_such_question",
                f"This attempt has no question {position}; its questions are 1 to "
                f"{len(questions)}.",
            )
        data = AttemptAnswerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        saved = answer_save(attempt, question, data.validated_data["response"])
        body = {
            "attempt": attempt.pk,
            "position": position,
            "response": saved.attempt_question.response,
            "saved_at": saved.saved_at,
            "answered": sum(1 for aq in questions if aq.answered_at is not None),
        }
        if saved.feedback is not None:
            body["feedback"] = saved.feedback
        return Response(AnswerSavedSerializer(body).data)


class AttemptSubmitApi(APIView):
    allowed_roles = EVERYONE

    @extend_schema(
        operation_id="attempts_submit",
        tags=ATTEMPT_TAGS,
        summary="Submit your attempt (submitting again changes nothing)",
        description=(
            "Scores the attempt and returns its state with `result` (and feedback where the "
            "quiz shows it). A second submit answers 200 with `already_submitted: true`. Past "
            "the deadline the attempt counts as submitted by the clock (`reason: deadline`)."
        ),
        request=None,
        responses={
            200: AttemptSubmittedSerializer,
            **error_responses(401),
            **NOT_A_STUDENT_403,
            **error_responses(404),
        },
    )
    def post(self, request, attempt_id: int):
        student = _taker(request)
        attempt = attempt_own_get(student, attempt_id)
        attempt, changed = attempt_submit(attempt)
        state = attempt_state(attempt)
        body = {"reason": attempt.submit_reason, "already_submitted": not changed, **state}
        return Response(AttemptSubmittedSerializer(body).data)


# --- accommodations ------------------------------------------------------------------------


class UserAccommodationApi(APIView):
    read_roles = ("admin", "teacher")
    allowed_roles = ("admin", "teacher")

    @extend_schema(
        operation_id="user_accommodation_retrieve",
        tags=ATTEMPT_TAGS,
        summary="A student's accommodation: extra time and extra attempts",
        description=(
            "Admins and API keys read any student's; teachers the students of their courses "
            "(anyone else is 404)."
        ),
        responses={200: AccommodationSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, user_id: int):
        student = student_for(request, user_id, manage=True)
        accommodation = Accommodation.objects.filter(student=student).first()
        return Response(
            AccommodationSerializer(accommodation or Accommodation(student=student)).data
        )

    @extend_schema(
        operation_id="user_accommodation_update",
        tags=ATTEMPT_TAGS,
        summary="Set a student's accommodation (every later attempt uses it)",
        description=(
            "Replaces the accommodation. Attempts already running keep the extra time they "
            "started with; extra attempts count at once. Admins, the student's teachers and "
            "read-write API keys."
        ),
        request=AccommodationInputSerializer,
        responses={200: AccommodationSerializer, **error_responses(400, 401, 403, 404)},
    )
    def put(self, request, user_id: int):
        student = student_for(request, user_id, manage=True)
        data = AccommodationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        accommodation = accommodation_set(
            student, **data.validated_data, updated_by=_caller(request)
        )
        return Response(AccommodationSerializer(accommodation).data)
