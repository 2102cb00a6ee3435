"""One error body for the whole API:

    {"error": {"code": "validation_error", "message": "...", "fields": {...}}}

Domain ValidationErrors map to 400 here, in one place, so views never format errors."""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

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


def _first_message(detail) -> str:
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    if isinstance(detail, dict) and detail:
        key, value = next(iter(detail.items()))
        inner = _first_message(value)
        return inner if key in ("non_field_errors", "detail") else f"{key}: {inner}"
    return str(detail)


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        payload = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(payload)
    elif isinstance(exc, (Http404, ObjectDoesNotExist)):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    detail = response.data
    code = CODES.get(response.status_code, "error")
    if isinstance(exc, exceptions.ValidationError):
        code = "validation_error"
        body = {"code": code, "message": _first_message(detail), "fields": detail}
    elif isinstance(exc, exceptions.ParseError):
        body = {"code": "malformed_request", "message": f"The request body could not be read: {exc.detail}"}
    else:
        exc_code = getattr(getattr(exc, "detail", None), "code", None)
        if exc_code and exc_code not in ("error", "invalid", "not_authenticated", "permission_denied"):
            code = exc_code
        body = {"code": code, "message": _first_message(detail)}
    response.data = {"error": body}
    if response.status_code == status.HTTP_401_UNAUTHORIZED and "WWW-Authenticate" not in response:
        response["WWW-Authenticate"] = "Api-Key"
    return response
