"""The error body as an OpenAPI component, and the error responses each operation documents."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from smartedu.errors import error_codes


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text=(
            "Stable, machine-readable; one of the codes listed in this field's enum and in the "
            "manual's error codes page (each with its status and meaning)."
        )
    )
    message = serializers.CharField(help_text="One sentence for a person to read.")
    # The metaclass takes declared fields off the class, so this never hides Serializer.fields;
    # the stubs cannot know that.
    fields = serializers.DictField(  # type: ignore[assignment]
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


def error_codes_hook(result, generator, request, public):
    """drf-spectacular post-processing: the error body's ``code`` lists every code a
    smartedu.errors.DomainError (or the API layer) may send, each with its status and meaning,
    so the schema and the manual say the same (both read smartedu.errors.error_codes())."""
    codes = error_codes()
    detail = result.get("components", {}).get("schemas", {}).get("ErrorDetail")
    if detail is not None:
        code = detail["properties"]["code"]
        code["enum"] = sorted({entry.code for entry in codes})
        code["description"] = (
            code.get("description", "")
            + "\n\n"
            + "\n".join(f"- `{entry.code}` ({entry.status}): {entry.meaning}" for entry in codes)
        )
    return result
