"""What the API's results lists share (attempts here, progress in .progress): who takes a
quiz (which students the caller may read about is ``courses.access.student_access``), JSON or
CSV by ``?format=`` or ``Accept``, the streamed CSV response, and the list views' common flow
and schema. The rows and the CSV text come from
``quizzes.attempts.selectors`` and ``quizzes.attempts.exports``."""

from collections.abc import Iterator

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework.negotiation import DefaultContentNegotiation

from accounts.models import User
from quizzes.attempts.errors import AttemptRefused
from quizzes.attempts.exports import (
    CSV_COLUMNS,
    attempt_csv_lines,
    csv_chunks,
    question_columns,
)
from quizzes.attempts.selectors import attempt_rows, with_question_scores
from quizzes.attempts.services import attempts_submit_expired
from quizzes.models import Attempt
from smartedu.api.docs import error_responses
from smartedu.api.pagination import paginated_response
from smartedu.api.permissions import is_api_key

from ..serializers import AttemptRowSerializer

RESULT_TAGS = ["Results"]


CSV_RESPONSE = OpenApiResponse(
    OpenApiTypes.STR,
    description="With `?format=csv` or `Accept: text/csv`: every matching row (pagination "
    "does not apply), as an attachment.",
)


def _taker(request) -> User:
    """The signed-in person taking a quiz (whether they may is the rules' to say)."""
    if is_api_key(request.user):
        raise AttemptRefused(
            "not_a_student",
            "An API key cannot take a quiz: students take quizzes signed in as themselves.",
        )
    return request.user


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


def _next_chunk(chunks: Iterator[str]) -> str | None:
    # next() itself is overloaded, and sync_to_async keeps only its first signature.
    return next(chunks, None)


async def _async_chunks(chunks: Iterator[str]):
    # Each piece is made on the request's own thread (thread_sensitive), where its database
    # connection and the school's schema are.
    next_chunk = sync_to_async(_next_chunk, thread_sensitive=True)
    while (chunk := await next_chunk(chunks)) is not None:
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


def _rows_csv(request, rows: QuerySet[Attempt], filename: str, *, quiz=None, questions=False):
    header = list(CSV_COLUMNS)
    columns: list[tuple[int, str]] | None = None
    if questions:
        columns = question_columns(quiz, rows)
        header += [title for _, title in columns]
        rows = with_question_scores(rows)
    return csv_response(request, filename, csv_chunks(header, attempt_csv_lines(rows, columns)))


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
