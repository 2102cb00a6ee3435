"""Generation jobs: start one for a course, follow it, list the questions it added."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from courses.access import course_access
from quizzes import selectors
from quizzes.access import generation_job_access
from smartedu.api.docs import error_responses
from smartedu.api.pagination import StandardPagination, paginated_response

from ..serializers import (
    GenerationJobCreateInputSerializer,
    GenerationJobFilterSerializer,
    GenerationJobOutputSerializer,
    QuestionOutputSerializer,
)
from .common import EVERYONE, GENERATION_TAGS, QUOTA_EXCEEDED, _caller


class CourseGenerationJobListApi(APIView):
    read_roles = EVERYONE
    allowed_roles = EVERYONE
    pagination_class = StandardPagination

    @extend_schema(
        operation_id="course_generation_jobs_list",
        tags=GENERATION_TAGS,
        summary="The course's generation jobs, newest first",
        parameters=[GenerationJobFilterSerializer],
        responses={
            200: GenerationJobOutputSerializer(many=True),
            **error_responses(400, 401, 403, 404),
        },
    )
    def get(self, request, course_id: int):
        course = course_access(request.user, course_id, manage=True)
        filters = GenerationJobFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        jobs = selectors.generation_job_list(course)
        if "state" in filters.validated_data:
            jobs = jobs.filter(state=filters.validated_data["state"])
        return paginated_response(
            view=self,
            request=request,
            queryset=jobs,
            serializer_class=GenerationJobOutputSerializer,
        )

    @extend_schema(
        operation_id="course_generation_jobs_create",
        tags=GENERATION_TAGS,
        summary="Generate questions from the course's material (runs in the background)",
        description=(
            "Reserves `count` questions of the school's monthly AI budget (429 `quota_exceeded` "
            "with `resets_at` when it does not cover them; unused ones are given back) and "
            "queues the job. Follow it with `GET /generation-jobs/{id}/`; when `state` is "
            "`done`, `GET /generation-jobs/{id}/questions/` lists the drafts it added."
        ),
        request=GenerationJobCreateInputSerializer,
        responses={
            202: OpenApiResponse(GenerationJobOutputSerializer, description="Queued."),
            **error_responses(400, 401, 403, 404),
            **QUOTA_EXCEEDED,
        },
    )
    def post(self, request, course_id: int):
        from quizzes.generation.lifecycle import generation_job_create

        course = course_access(request.user, course_id, manage=True)
        data = GenerationJobCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            job = generation_job_create(
                course=course,
                requested_by=_caller(request),
                count=values["count"],
                kinds=values.get("kinds"),
                difficulty=values["difficulty"],
                topic=values["topic"],
                objectives=values["objectives"],
                material_ids=values["materials"],
                via="api",
            )
        except DjangoValidationError as exc:
            # The service names the field as the pages do (material_ids); the API calls it
            # materials.
            if hasattr(exc, "error_dict") and "material_ids" in exc.error_dict:
                exc.error_dict["materials"] = exc.error_dict.pop("material_ids")
            raise
        job = generation_job_access(request.user, job.pk)
        return Response(GenerationJobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class GenerationJobDetailApi(APIView):
    read_roles = EVERYONE

    @extend_schema(
        operation_id="generation_jobs_retrieve",
        tags=GENERATION_TAGS,
        summary="One generation job: state, progress, generator, notes, rejections, tokens",
        responses={200: GenerationJobOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, job_id: int):
        job = generation_job_access(request.user, job_id)
        return Response(GenerationJobOutputSerializer(job).data)


class GenerationJobQuestionListApi(APIView):
    read_roles = EVERYONE
    pagination_class = StandardPagination

    @extend_schema(
        operation_id="generation_job_questions_list",
        tags=GENERATION_TAGS,
        summary="The questions the job added to the bank, newest first",
        responses={200: QuestionOutputSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, job_id: int):
        job = generation_job_access(request.user, job_id)
        return paginated_response(
            view=self,
            request=request,
            queryset=selectors.question_list(job.course, job=job.pk),
            serializer_class=QuestionOutputSerializer,
        )
