"""The course material, search and tutor API for partner systems (and signed-in people).

Who may do what follows the web pages, through the same helpers (courses.access): anyone who
can see a course lists its ready materials, searches it and asks its tutor; its teachers, the
school's admins and API keys also see every material's ingestion, what was extracted, and the
tutor's traces, and upload, retry and delete material. A course the caller cannot see is a 404;
one they can see but not manage is a 403."""

import logging

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from ai import selectors as ai_selectors
from ai.tutor import services as tutor_services
from ai.tutor.payloads import tutor_turn_payload
from courses import selectors as course_selectors
from courses.access import course_access, material_access
from courses.services import materials as material_services
from smartedu.api.docs import error_responses
from smartedu.api.pagination import StandardPagination, paginated_response
from smartedu.api.permissions import is_api_key
from smartedu.api.serializers import QuotaErrorSerializer
from smartedu.errors import Conflict, Unavailable

from .serializers import (
    ChunkOutputSerializer,
    MaterialFilterSerializer,
    MaterialOutputSerializer,
    MaterialUploadInputSerializer,
    MaterialUploadResultSerializer,
    SearchHitSerializer,
    SearchQuerySerializer,
    SearchResultsSerializer,
    TutorAnswerSerializer,
    TutorQuestionInputSerializer,
    TutorTurnTraceSerializer,
)

logger = logging.getLogger(__name__)

MATERIAL_TAGS = ["Materials"]
SEARCH_TAGS = ["Search"]
TUTOR_TAGS = ["Tutor"]
EVERYONE = ("admin", "teacher", "student")
MANAGERS = ("admin", "teacher")


MATERIAL_MANAGERS_ONLY = (
    "Only this course's teachers and the school's admins can manage its material."
)
TRACES_MANAGERS_ONLY = (
    "Only this course's teachers and the school's admins can open the tutor's traces."
)
TUTOR_UNAVAILABLE = "The tutor could not answer this time. Please ask again."


def _caller(request):
    """The person acting, or None for an API key (a partner system is nobody in the school)."""
    return None if is_api_key(request.user) else request.user


class CourseMaterialListApi(APIView):
    read_roles = EVERYONE
    allowed_roles = MANAGERS
    pagination_class = StandardPagination
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="course_materials_list",
        tags=MATERIAL_TAGS,
        summary="The course's materials (students see only ready ones)",
        parameters=[MaterialFilterSerializer],
        responses={200: MaterialOutputSerializer(many=True), **error_responses(400, 401, 403, 404)},
    )
    def get(self, request, course_id: int):
        course = course_access(request.user, course_id)
        filters = MaterialFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        materials = course_selectors.material_list_visible(request.user, course)
        if "state" in filters.validated_data:
            materials = materials.filter(state=filters.validated_data["state"])
        return paginated_response(
            view=self,
            request=request,
            queryset=materials,
            serializer_class=MaterialOutputSerializer,
        )

    @extend_schema(
        operation_id="course_materials_create",
        tags=MATERIAL_TAGS,
        summary="Upload material (one or more files); ingestion starts at once",
        description=(
            "Every file is checked before anything is stored. If any file is refused, none is "
            "stored and the error names the file: `too_large` (413), `unsupported_type` (415), "
            "or `empty`, `too_many_pages`, `password_protected`, `malformed`, `zip_bomb` (400). "
            "A file whose content is already in the course is not stored again: the existing "
            "material comes back with `duplicate: true`. Follow the ingestion with "
            "`GET /materials/{id}/` or the websocket `/ws/progress/material/{id}/`."
        ),
        request={"multipart/form-data": MaterialUploadInputSerializer},
        responses={
            201: OpenApiResponse(
                MaterialUploadResultSerializer, description="At least one file was new."
            ),
            200: OpenApiResponse(
                MaterialUploadResultSerializer,
                description="Every file was already in the course (all `duplicate: true`).",
            ),
            **error_responses(400, 401, 403, 404, 413, 415),
        },
    )
    def post(self, request, course_id: int):
        course = course_access(request.user, course_id, manage=True)
        data = MaterialUploadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # A refused file is a MaterialRejected naming the file: 413, 415 or 400 by its code.
        results = material_services.material_upload_all(
            course=course,
            uploads=data.validated_data["file"],
            uploaded_by=_caller(request),
            title=data.validated_data.get("title", ""),
        )
        duplicates = {material.pk for material, created in results if not created}
        body = MaterialUploadResultSerializer(
            {"materials": [material for material, _ in results]},
            context={"duplicates": duplicates},
        ).data
        any_created = any(created for _, created in results)
        return Response(body, status=status.HTTP_201_CREATED if any_created else status.HTTP_200_OK)


class MaterialDetailApi(APIView):
    read_roles = EVERYONE
    allowed_roles = MANAGERS

    @extend_schema(
        operation_id="materials_retrieve",
        tags=MATERIAL_TAGS,
        summary="One material and its ingestion state",
        responses={200: MaterialOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, material_id: int):
        material = material_access(request.user, material_id)
        return Response(MaterialOutputSerializer(material).data)

    @extend_schema(
        operation_id="materials_delete",
        tags=MATERIAL_TAGS,
        summary="Delete a material, its passages and its stored file",
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request, material_id: int):
        material = material_access(
            request.user, material_id, manage=True, denied=MATERIAL_MANAGERS_ONLY
        )
        material_services.material_delete(material)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MaterialRetryApi(APIView):
    allowed_roles = MANAGERS

    @extend_schema(
        operation_id="materials_retry",
        tags=MATERIAL_TAGS,
        summary="Ingest a failed material again from the start",
        request=None,
        responses={
            202: OpenApiResponse(MaterialOutputSerializer, description="Queued again."),
            **error_responses(400, 401, 403, 404, 409),
        },
    )
    def post(self, request, material_id: int):
        from django.core.exceptions import ValidationError as DjangoValidationError

        material = material_access(
            request.user, material_id, manage=True, denied=MATERIAL_MANAGERS_ONLY
        )
        try:
            material = material_services.material_retry(material)
        except DjangoValidationError as exc:
            raise Conflict(
                f"{' '.join(exc.messages)} This one is {material.state}.", code="not_failed"
            ) from exc
        return Response(MaterialOutputSerializer(material).data, status=status.HTTP_202_ACCEPTED)


class MaterialChunkListApi(APIView):
    read_roles = MANAGERS
    allowed_roles = MANAGERS
    pagination_class = StandardPagination

    @extend_schema(
        operation_id="material_chunks_list",
        tags=MATERIAL_TAGS,
        summary="What was extracted: the material's passages in reading order",
        responses={200: ChunkOutputSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, material_id: int):
        material = material_access(
            request.user, material_id, manage=True, denied=MATERIAL_MANAGERS_ONLY
        )
        return paginated_response(
            view=self,
            request=request,
            queryset=ai_selectors.material_chunks(material),
            serializer_class=ChunkOutputSerializer,
        )


class CourseSearchApi(APIView):
    read_roles = EVERYONE

    @extend_schema(
        operation_id="course_search",
        tags=SEARCH_TAGS,
        summary="Search the course's ready material by meaning and by words",
        parameters=[SearchQuerySerializer],
        responses={200: SearchResultsSerializer, **error_responses(400, 401, 403, 404, 503)},
    )
    def get(self, request, course_id: int):
        from ai.retrieval import chunk_search

        course = course_access(request.user, course_id)
        query = SearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        hits = chunk_search(
            query.validated_data["q"], course_ids=[course.pk], k=query.validated_data["k"]
        )
        return Response(
            {
                "query": query.validated_data["q"],
                "results": SearchHitSerializer(hits, many=True).data,
            }
        )


class CourseTutorApi(APIView):
    allowed_roles = EVERYONE

    @extend_schema(
        operation_id="course_tutor_ask",
        tags=TUTOR_TAGS,
        summary="Ask the course tutor; the answer comes back in this response",
        description=(
            "The tutor answers only from the course's ready material, citing passages as [n] "
            "(`citations`). When the material does not cover the question, `supported` is false "
            "and the answer says so. The websocket `/ws/courses/{id}/tutor/` streams the same "
            "answer as it is written. Every question counts against the school's monthly "
            "tutor budget; over it, nothing is recorded and the answer is 429 `quota_exceeded`."
        ),
        request=TutorQuestionInputSerializer,
        responses={
            200: TutorAnswerSerializer,
            **error_responses(400, 401, 403, 404, 503),
            429: OpenApiResponse(
                QuotaErrorSerializer,
                description="`quota_exceeded`: the school has used this month's tutor "
                "questions; `resets_at` says when the budget resets (also in `Retry-After`, "
                "in seconds).",
            ),
        },
    )
    def post(self, request, course_id: int):
        course = course_access(request.user, course_id)
        data = TutorQuestionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        turn = tutor_services.tutor_turn_create(
            course=course,
            asked_by=_caller(request),
            question=data.validated_data["question"],
            via="api",
        )
        try:
            turn = tutor_services.tutor_answer(turn.pk, emit=lambda event: None)
        except Exception as exc:
            # The same policy as the websocket's task: record the failure, never leave the turn
            # "answering" forever.
            logger.exception("Tutor turn %s failed", turn.pk)
            tutor_services.tutor_turn_fail(
                turn.pk, reason=TUTOR_UNAVAILABLE, emit=lambda event: None
            )
            raise Unavailable(TUTOR_UNAVAILABLE, code="tutor_unavailable") from exc
        return Response(TutorAnswerSerializer(tutor_turn_payload(turn)).data)


class CourseTutorTurnListApi(APIView):
    read_roles = MANAGERS
    pagination_class = StandardPagination

    @extend_schema(
        operation_id="course_tutor_turns_list",
        tags=TUTOR_TAGS,
        summary="The tutor's traces for the course, newest first",
        responses={200: TutorTurnTraceSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, course_id: int):
        course = course_access(request.user, course_id, manage=True)
        return paginated_response(
            view=self,
            request=request,
            queryset=ai_selectors.tutor_turn_list(course),
            serializer_class=TutorTurnTraceSerializer,
        )


class TutorTurnDetailApi(APIView):
    read_roles = MANAGERS

    @extend_schema(
        operation_id="tutor_turns_retrieve",
        tags=TUTOR_TAGS,
        summary="One tutor turn's trace: what was retrieved, scores, provider, tokens, latency",
        responses={200: TutorTurnTraceSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, turn_id: int):
        turn = ai_selectors.tutor_turn_get_for(request.user, turn_id)
        course_access(request.user, turn.course_id, manage=True, denied=TRACES_MANAGERS_ONLY)
        return Response(TutorTurnTraceSerializer(turn).data)
