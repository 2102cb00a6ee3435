"""Attempts and results over the API.

Students (signed in) take a quiz here with the same rules as on the websocket: every write goes
through ``quizzes.attempts.services`` (``attempt_start``, ``answer_save``, ``attempt_submit``),
whose refusals (``AttemptRefused``, a DomainError) carry their own codes and statuses, and
which tells the student's open pages about each change. The people who run a course (its
teachers, the school's admins) and API keys read results: lists of attempts with filters, as
JSON pages or a streamed CSV; a student reads only their own attempts (what lists share is in
``.results``). Accommodations (extra time and attempts) are set here through
``quizzes.accommodations``."""

from django.utils import timezone
from django.utils.text import slugify
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors as course_selectors
from courses.access import course_access, course_list_managed_by, student_access
from quizzes.access import quiz_access
from quizzes.accommodations import accommodation_set
from quizzes.attempts.display import attempt_state
from quizzes.attempts.errors import AttemptRefused
from quizzes.attempts.selectors import attempt_get_for, attempt_own_get, attempt_questions
from quizzes.attempts.services import (
    answer_save,
    attempt_expire_if_due,
    attempt_start,
    attempt_submit,
)
from quizzes.models import Accommodation, Attempt
from smartedu.api.docs import ErrorSerializer, error_responses
from smartedu.api.pagination import StandardPagination

from ..serializers import (
    AccommodationInputSerializer,
    AccommodationSerializer,
    AnswerSavedSerializer,
    AttemptAnswerInputSerializer,
    AttemptStateSerializer,
    AttemptSubmittedSerializer,
    CourseAttemptFilterSerializer,
    ManagedAttemptSerializer,
    QuizAttemptFilterSerializer,
    StudentAttemptFilterSerializer,
)
from .common import EVERYONE, _caller
from .results import ResultsNegotiation, _list_schema, _results, _taker

ATTEMPT_TAGS = ["Attempts"]


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
        quiz = quiz_access(request.user, quiz_id)
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
        quiz = quiz_access(student, quiz_id)
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
        course = course_access(request.user, course_id)
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
        student = student_access(request.user, user_id)
        rows = Attempt.objects.filter(student=student)
        if student.pk != request.user.pk:
            rows = rows.filter(quiz__course__in=course_list_managed_by(request.user))
        filename = f"student-{student.pk}-attempts.csv"
        return _results(self, request, rows, StudentAttemptFilterSerializer, filename)


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
        student = student_access(request.user, user_id, manage=True)
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
        student = student_access(request.user, user_id, manage=True)
        data = AccommodationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        accommodation = accommodation_set(
            student, **data.validated_data, updated_by=_caller(request)
        )
        return Response(AccommodationSerializer(accommodation).data)
