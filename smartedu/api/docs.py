"""The error body as an OpenAPI component, and the error responses each operation documents."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text=(
            "Stable, machine-readable: validation_error, malformed_request, not_authenticated, "
            "invalid_api_key, revoked_api_key, expired_api_key, permission_denied, "
            "school_suspended, not_found, method_not_allowed, unsupported_media_type, conflict; "
            "for uploaded material: empty, too_large, unsupported_type, too_many_pages, "
            "password_protected, malformed, zip_bomb; not_failed, ai_unavailable, "
            "tutor_unavailable; taking a quiz: bad_response, not_a_student, not_published, "
            "no_such_question, not_open, closed, no_attempts_left, empty, submitted, time_up, "
            "locked."
        )
    )
    message = serializers.CharField(help_text="One sentence for a person to read.")
    fields = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="Only for validation_error: the messages per input field.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


ERROR_DESCRIPTIONS = {
    400: "Invalid input: `validation_error` (with `fields`) or `malformed_request`.",
    401: "No API key or session, or the key is invalid, revoked or expired.",
    403: (
        "Not allowed: a read-only key writing, a role that may not do this, or `school_suspended`."
    ),
    404: "No such object in this school.",
    409: (
        "The object is not in a state that allows this: `not_failed`, `in_use`, `not_publishable`."
    ),
    413: "`too_large`: a file is bigger than the school allows.",
    415: "`unsupported_type`: a file is not of a type we can read (or not what its name says).",
    429: (
        "`quota_exceeded`: the school's monthly AI budget does not cover this; the message and "
        "`resets_at` say when it resets."
    ),
    503: "`ai_unavailable` or `tutor_unavailable`: an AI provider failed this time; try again.",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """``responses={200: X, **error_responses(400, 401, 403)}``."""
    return {
        code: OpenApiResponse(response=ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
        for code in statuses
    }
