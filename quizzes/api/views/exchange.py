"""Exchange: export a quiz as QTI, Moodle XML or GIFT (with what the format loses), and import
questions from a Moodle XML or GIFT file."""

import json

from django.conf import settings
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from courses.access import course_access
from quizzes.access import quiz_access
from smartedu.api.docs import error_responses
from smartedu.errors import TooLarge

from ..serializers import (
    ExportQuerySerializer,
    ExportWarningsSerializer,
    ImportInputSerializer,
    ImportReportSerializer,
)
from .common import EVERYONE, EXCHANGE_TAGS, _caller

# The export's warnings travel in a response header; beyond this many bytes of JSON (proxies
# refuse long headers: nginx's default buffer is 4 KB for all of them) the header holds the
# warnings that fit, the count header the total, and /export/warnings/ the whole list.
EXPORT_WARNINGS_HEADER = "X-SmartEdu-Export-Warnings"
EXPORT_WARNING_COUNT_HEADER = "X-SmartEdu-Export-Warning-Count"
EXPORT_WARNINGS_HEADER_MAX_BYTES = 2048


class ExchangeFormatNegotiation(DefaultContentNegotiation):
    """Here ``?format=`` names the exchange format (qti, moodle, gift), not one of DRF's
    renderers; errors are JSON as everywhere else."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _export(request, quiz_id: int):
    from quizzes.exchange import quiz_export

    quiz = quiz_access(request.user, quiz_id, manage=True)
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

        course = course_access(request.user, course_id, manage=True)
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
