"""The question bank: list, create, edit, delete, accept, reject, regenerate and bulk-accept a
course's questions, and read a question's versions."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from courses.access import course_access
from quizzes import selectors, services
from quizzes.access import generation_job_access, question_access
from smartedu.api.docs import error_responses
from smartedu.api.pagination import StandardPagination, paginated_response
from smartedu.errors import Conflict

from ..serializers import (
    BulkAcceptResultSerializer,
    GenerationJobOutputSerializer,
    QuestionCreateInputSerializer,
    QuestionFilterSerializer,
    QuestionIdsInputSerializer,
    QuestionOutputSerializer,
    QuestionRejectInputSerializer,
    QuestionUpdatedSerializer,
    QuestionUpdateInputSerializer,
    QuestionVersionOutputSerializer,
)
from .common import (
    BANK_TAGS,
    EVERYONE,
    GENERATION_TAGS,
    QUOTA_EXCEEDED,
    _caller,
)


def _question_body(request, question_id: int) -> dict:
    return QuestionOutputSerializer(question_access(request.user, question_id)).data


class CourseQuestionListApi(APIView):
    read_roles = EVERYONE
    allowed_roles = EVERYONE
    pagination_class = StandardPagination

    @extend_schema(
        operation_id="course_questions_list",
        tags=BANK_TAGS,
        summary="The course's question bank, newest first",
        parameters=[QuestionFilterSerializer],
        responses={200: QuestionOutputSerializer(many=True), **error_responses(400, 401, 403, 404)},
    )
    def get(self, request, course_id: int):
        course = course_access(request.user, course_id, manage=True)
        filters = QuestionFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return paginated_response(
            view=self,
            request=request,
            queryset=selectors.question_list(course, **filters.validated_data),
            serializer_class=QuestionOutputSerializer,
        )

    @extend_schema(
        operation_id="course_questions_create",
        tags=BANK_TAGS,
        summary="Add a question of your own to the bank (as a draft)",
        request=QuestionCreateInputSerializer,
        responses={201: QuestionOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, course_id: int):
        course = course_access(request.user, course_id, manage=True)
        data = QuestionCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        question = services.question_create(
            course=course, created_by=_caller(request), **data.validated_data
        )
        return Response(_question_body(request, question.pk), status=status.HTTP_201_CREATED)


class QuestionDetailApi(APIView):
    read_roles = EVERYONE
    allowed_roles = EVERYONE

    @extend_schema(
        operation_id="questions_retrieve",
        tags=BANK_TAGS,
        summary="One question with its key and source",
        responses={200: QuestionOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, question_id: int):
        return Response(_question_body(request, question_id))

    @extend_schema(
        operation_id="questions_update",
        tags=BANK_TAGS,
        summary="Edit a question's content or tags",
        description=(
            "While no student has been shown the current version it is rewritten in place; "
            "once one has, the edit makes a new version (`new_version: true`) and the attempts "
            "that showed the old one keep it."
        ),
        request=QuestionUpdateInputSerializer,
        responses={200: QuestionUpdatedSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, question_id: int):
        question = question_access(request.user, question_id)
        data = QuestionUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        before = question.current_version_id
        updated = services.question_update(
            question, edited_by=_caller(request), **data.validated_data
        )
        question = question_access(request.user, question_id)
        return Response(
            QuestionUpdatedSerializer(
                question, context={"new_version": updated.current_version_id != before}
            ).data
        )

    @extend_schema(
        operation_id="questions_delete",
        tags=BANK_TAGS,
        summary="Delete a question no quiz uses and no student has seen",
        description="409 `in_use` otherwise: reject it instead, which keeps the history.",
        responses={204: None, **error_responses(401, 403, 404, 409)},
    )
    def delete(self, request, question_id: int):
        question = question_access(request.user, question_id)
        try:
            services.question_delete(question)
        except DjangoValidationError as exc:
            raise Conflict(" ".join(exc.messages), code="in_use") from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class QuestionAcceptApi(APIView):
    allowed_roles = EVERYONE

    @extend_schema(
        operation_id="questions_accept",
        tags=BANK_TAGS,
        summary="Accept a question (it may then go into quizzes)",
        request=None,
        responses={200: QuestionOutputSerializer, **error_responses(401, 403, 404)},
    )
    def post(self, request, question_id: int):
        services.question_accept(question_access(request.user, question_id))
        return Response(_question_body(request, question_id))


class QuestionRejectApi(APIView):
    allowed_roles = EVERYONE

    @extend_schema(
        operation_id="questions_reject",
        tags=BANK_TAGS,
        summary="Reject a question, with a reason",
        request=QuestionRejectInputSerializer,
        responses={200: QuestionOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, question_id: int):
        question = question_access(request.user, question_id)
        data = QuestionRejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.question_reject(question, reason=data.validated_data.get("reason", ""))
        return Response(_question_body(request, question_id))


class QuestionRegenerateApi(APIView):
    allowed_roles = EVERYONE

    @extend_schema(
        operation_id="questions_regenerate",
        tags=GENERATION_TAGS,
        summary="Generate a replacement for this question from the same passage (background)",
        description=(
            "Queues a one-question generation job (`replaces` names this question), which "
            "counts against the school's AI budget like any other (429 `quota_exceeded`)."
        ),
        request=None,
        responses={
            202: OpenApiResponse(GenerationJobOutputSerializer, description="Queued."),
            **error_responses(400, 401, 403, 404),
            **QUOTA_EXCEEDED,
        },
    )
    def post(self, request, question_id: int):
        from quizzes.generation.lifecycle import generation_question_regenerate

        question = question_access(request.user, question_id)
        job = generation_question_regenerate(question, requested_by=_caller(request), via="api")
        job = generation_job_access(request.user, job.pk)
        return Response(GenerationJobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class CourseQuestionBulkAcceptApi(APIView):
    allowed_roles = EVERYONE

    @extend_schema(
        operation_id="course_questions_bulk_accept",
        tags=BANK_TAGS,
        summary="Accept many drafts of the course at once",
        request=QuestionIdsInputSerializer,
        responses={200: BulkAcceptResultSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, course_id: int):
        course = course_access(request.user, course_id, manage=True)
        data = QuestionIdsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        accepted = services.questions_bulk_accept(course, data.validated_data["questions"])
        return Response(BulkAcceptResultSerializer({"accepted": accepted}).data)


class QuestionVersionListApi(APIView):
    read_roles = EVERYONE
    pagination_class = StandardPagination

    @extend_schema(
        operation_id="question_versions_list",
        tags=BANK_TAGS,
        summary="Every version of a question, oldest first",
        responses={
            200: QuestionVersionOutputSerializer(many=True),
            **error_responses(401, 403, 404),
        },
    )
    def get(self, request, question_id: int):
        question = question_access(request.user, question_id)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            selectors.question_versions(question), request, view=self
        )
        body = QuestionVersionOutputSerializer(
            page, many=True, context={"current_version_id": question.current_version_id}
        ).data
        return paginator.get_paginated_response(body)
