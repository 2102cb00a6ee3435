"""The quiz generation, question bank, quiz and exchange API for partner systems (and signed-in
people).

Who may do what follows the web pages, through the same selectors: the bank, generation jobs
and exports hold answer keys, so only the people who run a course (its teachers, the school's
admins, API keys) reach them; a student gets 403 on a course they take and 404 on any other.
Students read the published quizzes of their courses, without keys. Every role passes the
permission class (which still stops read-only keys from writing) so that the selectors, not
the role, decide between 403 and 404."""

import json

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, PermissionDenied
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors as course_selectors
from courses.models import Course
from quizzes import selectors, services
from smartedu.api.docs import error_responses
from smartedu.api.pagination import StandardPagination, paginated_response
from smartedu.api.permissions import is_api_key

from .serializers import (
    BulkAcceptResultSerializer,
    ExportQuerySerializer,
    ExportWarningsSerializer,
    GenerationJobCreateInputSerializer,
    GenerationJobFilterSerializer,
    GenerationJobOutputSerializer,
    ImportInputSerializer,
    ImportReportSerializer,
    QuestionCreateInputSerializer,
    QuestionFilterSerializer,
    QuestionIdsInputSerializer,
    QuestionOutputSerializer,
    QuestionRejectInputSerializer,
    QuestionUpdatedSerializer,
    QuestionUpdateInputSerializer,
    QuestionVersionOutputSerializer,
    QuizCreateInputSerializer,
    QuizDetailOutputSerializer,
    QuizFilterSerializer,
    QuizOutputSerializer,
    QuizQuestionsAddInputSerializer,
    QuizQuestionsOrderInputSerializer,
    QuizUpdateInputSerializer,
    QuotaErrorSerializer,
    StudentQuizDetailSerializer,
    StudentQuizSerializer,
)

GENERATION_TAGS = ["Generation"]
BANK_TAGS = ["Question bank"]
QUIZ_TAGS = ["Quizzes"]
EXCHANGE_TAGS = ["Exchange"]
EVERYONE = ("admin", "teacher", "student")
MANAGER_ONLY = "Only this course's teachers and the school's admins can do this."

# The export's warnings travel in a response header; beyond this many bytes of JSON (proxies
# refuse long headers: nginx's default buffer is 4 KB for all of them) the header holds the
# warnings that fit, the count header the total, and /export/warnings/ the whole list.
EXPORT_WARNINGS_HEADER = "X-SmartEdu-Export-Warnings"
EXPORT_WARNING_COUNT_HEADER = "X-SmartEdu-Export-Warning-Count"
EXPORT_WARNINGS_HEADER_MAX_BYTES = 2048


QUOTA_EXCEEDED = {
    429: OpenApiResponse(
        QuotaErrorSerializer,
        description="`quota_exceeded`: the school's monthly AI budget does not cover this; "
        "`resets_at` says when it resets (also in `Retry-After`, in seconds).",
    )
}


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class TooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def _caller(request):
    """The person acting, or None for an API key (a partner system is nobody in the school)."""
    return None if is_api_key(request.user) else request.user


def _managed_course(request, course_id: int) -> Course:
    course = course_selectors.course_get_for(request.user, course_id)
    if not course_selectors.can_manage_course(request.user, course):
        raise PermissionDenied(MANAGER_ONLY)
    return course


def _question_body(request, question_id: int) -> dict:
    return QuestionOutputSerializer(selectors.question_get_for(request.user, question_id)).data


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

# --- generation ---------------------------------------------------------------------------


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
        course = _managed_course(request, course_id)
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
        from ai.generation.service import generation_job_create

        course = _managed_course(request, course_id)
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
        job = selectors.generation_job_get_for(request.user, job.pk)
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
        job = selectors.generation_job_get_for(request.user, job_id)
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
        job = selectors.generation_job_get_for(request.user, job_id)
        return paginated_response(
            view=self,
            request=request,
            queryset=selectors.question_list(job.course, job=job.pk),
            serializer_class=QuestionOutputSerializer,
        )


# --- the bank -----------------------------------------------------------------------------


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
        course = _managed_course(request, course_id)
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
        course = _managed_course(request, course_id)
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
        question = selectors.question_get_for(request.user, question_id)
        data = QuestionUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        before = question.current_version_id
        updated = services.question_update(
            question, edited_by=_caller(request), **data.validated_data
        )
        question = selectors.question_get_for(request.user, question_id)
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
        question = selectors.question_get_for(request.user, question_id)
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
        services.question_accept(selectors.question_get_for(request.user, question_id))
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
        question = selectors.question_get_for(request.user, question_id)
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
        from ai.generation.service import generation_question_regenerate

        question = selectors.question_get_for(request.user, question_id)
        job = generation_question_regenerate(question, requested_by=_caller(request), via="api")
        job = selectors.generation_job_get_for(request.user, job.pk)
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
        course = _managed_course(request, course_id)
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
        question = selectors.question_get_for(request.user, question_id)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            selectors.question_versions(question), request, view=self
        )
        body = QuestionVersionOutputSerializer(
            page, many=True, context={"current_version_id": question.current_version_id}
        ).data
        return paginator.get_paginated_response(body)


# --- quizzes ------------------------------------------------------------------------------


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
        course = course_selectors.course_get_for(request.user, course_id)
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
        course = _managed_course(request, course_id)
        data = QuizCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        quiz = services.quiz_create(
            course=course, created_by=_caller(request), **data.validated_data
        )
        quiz = selectors.quiz_get_for(request.user, quiz.pk, manage=True)
        return Response(_quiz_body(request, quiz), status=status.HTTP_201_CREATED)


class QuizDetailApi(APIView):
    read_roles = EVERYONE
    allowed_roles = EVERYONE

    @extend_schema(
        operation_id="quizzes_retrieve",
        tags=QUIZ_TAGS,
        summary="One quiz with its questions (students: without keys)",
        description=(
            "The people who run the course get `QuizDetail`: every question with its key. "
            "Students of the course get `StudentQuizDetail` for a published quiz: stems and "
            "option texts only, never which option is correct, the accepted answers, feedback "
            "or explanations."
        ),
        responses={200: QUIZ_FOR_CALLER, **error_responses(401, 403, 404)},
    )
    def get(self, request, quiz_id: int):
        return Response(_quiz_body(request, selectors.quiz_get_for(request.user, quiz_id)))

    @extend_schema(
        operation_id="quizzes_update",
        tags=QUIZ_TAGS,
        summary="Change a quiz's title, description or settings",
        request=QuizUpdateInputSerializer,
        responses={200: QuizDetailOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, quiz_id: int):
        quiz = selectors.quiz_get_for(request.user, quiz_id, manage=True)
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
        quiz = selectors.quiz_get_for(request.user, quiz_id, manage=True)
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
        quiz = selectors.quiz_get_for(request.user, quiz_id, manage=True)
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
        quiz = selectors.quiz_get_for(request.user, quiz_id, manage=True)
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
        quiz = selectors.quiz_get_for(request.user, quiz_id, manage=True)
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
        quiz = selectors.quiz_get_for(request.user, quiz_id, manage=True)
        return Response(_quiz_body(request, services.quiz_unpublish(quiz)))


# --- exchange -----------------------------------------------------------------------------


class ExchangeFormatNegotiation(DefaultContentNegotiation):
    """Here ``?format=`` names the exchange format (qti, moodle, gift), not one of DRF's
    renderers; errors are JSON as everywhere else."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _export(request, quiz_id: int):
    from quizzes.exchange import quiz_export

    quiz = selectors.quiz_get_for(request.user, quiz_id, manage=True)
    query = ExportQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data["format"], quiz_export(quiz, query.validated_data["format"])


def warnings_header(warnings: list[str]) -> str:
    """The warnings as a JSON array of ASCII (non-ASCII letters as \\u escapes, so any HTTP
    library reads the header), as many as fit in EXPORT_WARNINGS_HEADER_MAX_BYTES."""
    kept: list[str] = []
    for warning in warnings:
        candidate = json.dumps([*kept, warning])
        if len(candidate) > EXPORT_WARNINGS_HEADER_MAX_BYTES:
            break
        kept.append(warning)
    return json.dumps(kept)


class QuizExportApi(APIView):
    read_roles = EVERYONE
    content_negotiation_class = ExchangeFormatNegotiation

    @extend_schema(
        operation_id="quizzes_export",
        tags=EXCHANGE_TAGS,
        summary="Download the quiz as QTI 2.1 (zip), Moodle XML or GIFT",
        description=(
            "The file comes as an attachment (`Content-Disposition` names it). What the format "
            f"cannot carry is listed in the `{EXPORT_WARNINGS_HEADER}` response header: a JSON "
            f"array of sentences (ASCII, `[]` when none). `{EXPORT_WARNING_COUNT_HEADER}` is "
            "the total; when the list is too long for a header (over "
            f"{EXPORT_WARNINGS_HEADER_MAX_BYTES} bytes), the header holds the first ones and "
            "`GET /quizzes/{id}/export/warnings/?format=…` returns them all as JSON."
        ),
        parameters=[ExportQuerySerializer],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="qti: application/zip; moodle: application/xml; gift: text/plain.",
            ),
            **error_responses(400, 401, 403, 404),
        },
    )
    def get(self, request, quiz_id: int):
        _, result = _export(request, quiz_id)
        response = HttpResponse(result.data, content_type=result.content_type)
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=result.filename
        )
        response[EXPORT_WARNINGS_HEADER] = warnings_header(list(result.warnings))
        response[EXPORT_WARNING_COUNT_HEADER] = str(len(result.warnings))
        response["Cache-Control"] = "no-store"  # it holds the answer keys
        return response


class QuizExportWarningsApi(APIView):
    read_roles = EVERYONE
    content_negotiation_class = ExchangeFormatNegotiation

    @extend_schema(
        operation_id="quizzes_export_warnings",
        tags=EXCHANGE_TAGS,
        summary="What an export to this format would lose, as JSON (without the file)",
        parameters=[ExportQuerySerializer],
        responses={200: ExportWarningsSerializer, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request, quiz_id: int):
        fmt, result = _export(request, quiz_id)
        return Response(
            ExportWarningsSerializer(
                {"format": fmt, "filename": result.filename, "warnings": list(result.warnings)}
            ).data
        )


class CourseQuestionImportApi(APIView):
    allowed_roles = EVERYONE
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="course_questions_import",
        tags=EXCHANGE_TAGS,
        summary="Import questions from a Moodle XML or GIFT file into the bank (as drafts)",
        description=(
            "Each question is checked on its own: the ones that pass the same checks as a "
            "teacher's own question are added as drafts (`origin: imported`), the others are "
            "listed under `skipped` with the reason. A file larger than "
            f"{settings.QUIZ_IMPORT_MAX_BYTES} bytes is refused with 413 `too_large`."
        ),
        request={"multipart/form-data": ImportInputSerializer},
        responses={
            201: OpenApiResponse(ImportReportSerializer, description="Questions were added."),
            200: OpenApiResponse(ImportReportSerializer, description="Nothing was added."),
            **error_responses(400, 401, 403, 404, 413),
        },
    )
    def post(self, request, course_id: int):
        from quizzes.exchange import questions_import

        course = _managed_course(request, course_id)
        data = ImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        limit = settings.QUIZ_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise TooLarge(
                f"{upload.name} is {upload.size} bytes; an import file may be at most {limit}."
            )
        report = questions_import(
            course, data.validated_data["format"], upload.read(), imported_by=_caller(request)
        )
        body = ImportReportSerializer(report).data
        return Response(
            body, status=status.HTTP_201_CREATED if body["imported"] else status.HTTP_200_OK
        )
