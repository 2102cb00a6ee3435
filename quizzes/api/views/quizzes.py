"""Quizzes: list and create a course's quizzes, read and edit one (students: published ones,
without keys), add, remove and reorder its questions, publish and unpublish it."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors as course_selectors
from courses.access import course_access
from quizzes import selectors, services
from quizzes.access import quiz_access
from smartedu.api.docs import error_responses
from smartedu.api.pagination import StandardPagination, paginated_response
from smartedu.errors import Conflict, NotFound

from ..serializers import (
    QuizCreateInputSerializer,
    QuizDetailOutputSerializer,
    QuizFilterSerializer,
    QuizOutputSerializer,
    QuizQuestionsAddInputSerializer,
    QuizQuestionsOrderInputSerializer,
    QuizUpdateInputSerializer,
    StudentQuizDetailSerializer,
    StudentQuizSerializer,
)
from .common import EVERYONE, QUIZ_TAGS, _caller


def _quiz_body(request, quiz) -> dict:
    """The quiz as the caller may read it: with keys for the people who run the course,
    through the student serializers for everyone else."""
    items = list(selectors.quiz_items(quiz))
    if course_selectors.can_manage_course(request.user, quiz.course):
        return QuizDetailOutputSerializer(quiz, context={"items": items}).data
    return StudentQuizDetailSerializer(quiz, context={"items": items}).data


QUIZ_FOR_CALLER = PolymorphicProxySerializer(
    component_name="QuizForCaller",
    serializers=[QuizDetailOutputSerializer, StudentQuizDetailSerializer],
    resource_type_field_name=None,
)


class CourseQuizListApi(APIView):
    read_roles = EVERYONE
    allowed_roles = EVERYONE
    pagination_class = StandardPagination

    @extend_schema(
        operation_id="course_quizzes_list",
        tags=QUIZ_TAGS,
        summary="The course's quizzes (students: the published ones)",
        parameters=[QuizFilterSerializer],
        responses={
            200: PolymorphicProxySerializer(
                component_name="QuizListEntry",
                serializers=[QuizOutputSerializer, StudentQuizSerializer],
                resource_type_field_name=None,
                many=True,
            ),
            **error_responses(400, 401, 403, 404),
        },
    )
    def get(self, request, course_id: int):
        course = course_access(request.user, course_id)
        filters = QuizFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        quizzes = selectors.quiz_list_for(request.user, course)
        if "state" in filters.validated_data:
            quizzes = quizzes.filter(state=filters.validated_data["state"])
        managing = course_selectors.can_manage_course(request.user, course)
        return paginated_response(
            view=self,
            request=request,
            queryset=quizzes,
            serializer_class=QuizOutputSerializer if managing else StudentQuizSerializer,
        )

    @extend_schema(
        operation_id="course_quizzes_create",
        tags=QUIZ_TAGS,
        summary="Create a draft quiz",
        request=QuizCreateInputSerializer,
        responses={201: QuizDetailOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, course_id: int):
        course = course_access(request.user, course_id, manage=True)
        data = QuizCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        quiz = services.quiz_create(
            course=course, created_by=_caller(request), **data.validated_data
        )
        quiz = quiz_access(request.user, quiz.pk, manage=True)
        return Response(_quiz_body(request, quiz), status=status.HTTP_201_CREATED)


class QuizDetailApi(APIView):
    read_roles = EVERYONE
    allowed_roles = EVERYONE

    @extend_schema(
        operation_id="quizzes_retrieve",
        tags=QUIZ_TAGS,
        summary="One quiz with its questions (students: its settings only)",
        description=(
            "The people who run the course get `QuizDetail`: every question with its key. "
            "Students of the course get `StudentQuizDetail` for a published quiz: its settings "
            "and question count. They read the questions inside an attempt "
            "(`POST /quizzes/{id}/attempts/` or the attempt websocket), never the keys."
        ),
        responses={200: QUIZ_FOR_CALLER, **error_responses(401, 403, 404)},
    )
    def get(self, request, quiz_id: int):
        return Response(_quiz_body(request, quiz_access(request.user, quiz_id)))

    @extend_schema(
        operation_id="quizzes_update",
        tags=QUIZ_TAGS,
        summary="Change a quiz's title, description or settings",
        request=QuizUpdateInputSerializer,
        responses={200: QuizDetailOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, quiz_id: int):
        quiz = quiz_access(request.user, quiz_id, manage=True)
        data = QuizUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        quiz = services.quiz_update(quiz, **data.validated_data)
        return Response(_quiz_body(request, quiz))


class QuizQuestionListApi(APIView):
    allowed_roles = EVERYONE

    @extend_schema(
        operation_id="quiz_questions_add",
        tags=QUIZ_TAGS,
        summary="Append questions of the course's bank to the quiz",
        request=QuizQuestionsAddInputSerializer,
        responses={200: QuizDetailOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, quiz_id: int):
        quiz = quiz_access(request.user, quiz_id, manage=True)
        data = QuizQuestionsAddInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.quiz_questions_add(
            quiz, data.validated_data["questions"], points=data.validated_data["points"]
        )
        return Response(_quiz_body(request, quiz))


class QuizQuestionDetailApi(APIView):
    allowed_roles = EVERYONE

    @extend_schema(
        operation_id="quiz_questions_remove",
        tags=QUIZ_TAGS,
        summary="Take a question out of the quiz (it stays in the bank)",
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request, quiz_id: int, question_id: int):
        quiz = quiz_access(request.user, quiz_id, manage=True)
        try:
            services.quiz_question_remove(quiz, question_id)
        except DjangoValidationError as exc:
            raise NotFound(f"Question {question_id} is not in this quiz.") from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class QuizQuestionOrderApi(APIView):
    allowed_roles = EVERYONE

    @extend_schema(
        operation_id="quiz_questions_reorder",
        tags=QUIZ_TAGS,
        summary="Put the quiz's questions in a new order",
        request=QuizQuestionsOrderInputSerializer,
        responses={200: QuizDetailOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def put(self, request, quiz_id: int):
        quiz = quiz_access(request.user, quiz_id, manage=True)
        data = QuizQuestionsOrderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.quiz_questions_reorder(quiz, data.validated_data["questions"])
        return Response(_quiz_body(request, quiz))


class QuizPublishApi(APIView):
    allowed_roles = EVERYONE

    @extend_schema(
        operation_id="quizzes_publish",
        tags=QUIZ_TAGS,
        summary="Make the quiz available to the course's students",
        description=(
            "409 `not_publishable` when the quiz has no questions or holds questions that are "
            "not accepted."
        ),
        request=None,
        responses={200: QuizDetailOutputSerializer, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request, quiz_id: int):
        quiz = quiz_access(request.user, quiz_id, manage=True)
        try:
            quiz = services.quiz_publish(quiz)
        except DjangoValidationError as exc:
            raise Conflict(" ".join(exc.messages), code="not_publishable") from exc
        return Response(_quiz_body(request, quiz))


class QuizUnpublishApi(APIView):
    allowed_roles = EVERYONE

    @extend_schema(
        operation_id="quizzes_unpublish",
        tags=QUIZ_TAGS,
        summary="Hide the quiz from students again (attempts and results are kept)",
        request=None,
        responses={200: QuizDetailOutputSerializer, **error_responses(401, 403, 404)},
    )
    def post(self, request, quiz_id: int):
        quiz = quiz_access(request.user, quiz_id, manage=True)
        return Response(_quiz_body(request, services.quiz_unpublish(quiz)))
