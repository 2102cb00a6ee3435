"""One error body for the whole API:

    {"error": {"code": "validation_error", "message": "...", "fields": {...}}}

Every refusal of the domain is a smartedu.errors.DomainError (the apps' own too:
courses.sniffing's MaterialRejected, quizzes.attempts' AttemptRefused, ai.openai_compat's
ProviderError, ...) and is mapped here by its code and status alone; Django's ValidationError
maps to 400 here too, in one place, so views never format errors."""

from django.conf import settings
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    ObjectDoesNotExist,
    PermissionDenied,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from smartedu.errors import DomainError

CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}

# DRF's generic detail codes say nothing a client can branch on; the status-based code is better.
GENERIC_DETAIL_CODES = {"error", "invalid", "not_authenticated", "permission_denied", "not_found"}


def _first_message(detail, path: str = "") -> str:
    """The first error as one readable sentence, prefixed by where it is
    (``records[2].email: Enter a valid email address.``)."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            if not value:
                continue
            if key in ("non_field_errors", "detail", NON_FIELD_ERRORS):
                inner_path = path
            elif isinstance(key, int):  # a list serializer's errors, keyed by item index
                inner_path = f"{path}[{key}]"
            else:
                inner_path = f"{path}.{key}" if path else str(key)
            return _first_message(value, inner_path)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if not value:
                continue
            if isinstance(value, dict | list):
                return _first_message(value, f"{path}[{index}]")
            return _first_message(value, path)
    message = str(detail)
    return f"{path}: {message}" if path else message


def _django_validation_payload(exc: DjangoValidationError) -> dict:
    if not hasattr(exc, "error_dict"):
        return {"non_field_errors": exc.messages}
    return {
        ("non_field_errors" if name == NON_FIELD_ERRORS else name): messages
        for name, messages in exc.message_dict.items()
    }


class DomainAPIError(exceptions.APIException):
    """A smartedu.errors.DomainError on its way through DRF: its status, code and sentence, and
    its extras and headers added to the response."""

    def __init__(self, error: DomainError) -> None:
        super().__init__(error.message, code=error.code)
        self.status_code = error.status
        self.error = error


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        exc = DomainAPIError(exc)
    elif isinstance(exc, TooManyFilesSent):
        exc = exceptions.ValidationError(
            {
                "file": [
                    f"Send at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files in one request."
                ]
            }
        )
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_validation_payload(exc))
    elif isinstance(exc, Http404):
        # Selectors raise Http404 with a sentence meant for the caller ("No such course.").
        message = str(exc) if exc.args and isinstance(exc.args[0], str) else "Not found."
        exc = exceptions.NotFound(message)
    elif isinstance(exc, ObjectDoesNotExist):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    detail = response.data
    code = CODES.get(response.status_code, "error")
    if isinstance(exc, exceptions.ValidationError):
        code = "validation_error"
        if not isinstance(detail, dict):
            detail = {"non_field_errors": detail}
        body = {"code": code, "message": _first_message(detail), "fields": detail}
    elif isinstance(exc, exceptions.ParseError):
        body = {
            "code": "malformed_request",
            "message": f"The request body could not be read: {exc.detail}",
        }
    else:
        exc_code = getattr(getattr(exc, "detail", None), "code", None)
        if exc_code and exc_code not in GENERIC_DETAIL_CODES:
            code = exc_code
        body = {"code": code, "message": _first_message(detail)}
    if isinstance(exc, DomainAPIError):
        body.update(exc.error.extra)
        for header, value in exc.error.headers().items():
            response[header] = value
    response.data = {"error": body}
    if response.status_code == status.HTTP_401_UNAUTHORIZED and "WWW-Authenticate" not in response:
        response["WWW-Authenticate"] = "Api-Key"
    return response
