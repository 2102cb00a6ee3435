"""One error body for the whole API:

    {"error": {"code": "validation_error", "message": "...", "fields": {...}}}

Domain ValidationErrors map to 400 here, in one place, so views never format errors."""

import sys

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


# Why courses.sniffing refused an uploaded file → the HTTP status; every other reason is a 400.
MATERIAL_REJECTED_STATUS = {
    "too_large": status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    "unsupported_type": status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
}


def material_rejected_error(exc, *, filename: str | None = None) -> exceptions.APIException:
    """The API error for a courses.sniffing.rejection.MaterialRejected: its code, its sentence
    (prefixed by the file's name when several files were sent) and the status its reason calls
    for."""
    message = f"{filename}: {exc.message}" if filename else exc.message
    error = exceptions.APIException(message, code=exc.code)
    error.status_code = MATERIAL_REJECTED_STATUS.get(exc.code, status.HTTP_400_BAD_REQUEST)
    return error


# Why quizzes.attempts refused a request (nothing was stored) → the HTTP status.
ATTEMPT_REFUSED_STATUS = {
    "bad_response": status.HTTP_400_BAD_REQUEST,
    "not_a_student": status.HTTP_403_FORBIDDEN,
    "not_published": status.HTTP_404_NOT_FOUND,
    "no_such_question": status.HTTP_404_NOT_FOUND,
    "not_open": status.HTTP_409_CONFLICT,
    "closed": status.HTTP_409_CONFLICT,
    "no_attempts_left": status.HTTP_409_CONFLICT,
    "empty": status.HTTP_409_CONFLICT,
    "submitted": status.HTTP_409_CONFLICT,
    "time_up": status.HTTP_409_CONFLICT,
    "locked": status.HTTP_409_CONFLICT,
}


def attempt_refused_error(exc) -> exceptions.APIException:
    """The API error for a quizzes.attempts.AttemptRefused: its code and sentence, with the
    status its code calls for (a rule the request broke in the quiz's current state: 409)."""
    error = exceptions.APIException(exc.message, code=exc.code)
    error.status_code = ATTEMPT_REFUSED_STATUS.get(exc.code, status.HTTP_409_CONFLICT)
    return error


def _is_instance_of_loaded(exc, module: str, name: str) -> bool:
    # The AI modules load only when used, so an exception of theirs cannot exist before that;
    # looking them up here keeps the API's import light.
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(exc, getattr(loaded, name))


class AIUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "ai_unavailable"


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
    elif _is_instance_of_loaded(exc, "courses.sniffing.rejection", "MaterialRejected"):
        exc = material_rejected_error(exc)
    elif _is_instance_of_loaded(exc, "quizzes.attempts", "AttemptRefused"):
        exc = attempt_refused_error(exc)
    elif _is_instance_of_loaded(exc, "ai.openai_compat", "ProviderError"):
        # An embedding or language-model provider failed (already retried): say so, don't 500.
        exc = AIUnavailable(exc.message)
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
