"""What the quiz API views share: the OpenAPI tags, the roles every view lets through (the
access helpers of ``courses.access`` and ``quizzes.access`` decide between 403 and 404), the
429 answer, and finding the caller."""

from drf_spectacular.utils import OpenApiResponse

from courses.access import MANAGER_ONLY
from smartedu.api.permissions import is_api_key
from smartedu.api.serializers import QuotaErrorSerializer

__all__ = [
    "BANK_TAGS",
    "EVERYONE",
    "EXCHANGE_TAGS",
    "GENERATION_TAGS",
    "MANAGER_ONLY",
    "QUIZ_TAGS",
    "QUOTA_EXCEEDED",
]

GENERATION_TAGS = ["Generation"]
BANK_TAGS = ["Question bank"]
QUIZ_TAGS = ["Quizzes"]
EXCHANGE_TAGS = ["Exchange"]
EVERYONE = ("admin", "teacher", "student")


QUOTA_EXCEEDED = {
    429: OpenApiResponse(
        QuotaErrorSerializer,
        description="`quota_exceeded`: the school's monthly AI budget does not cover this; "
        "`resets_at` says when it resets (also in `Retry-After`, in seconds).",
    )
}


def _caller(request):
    """The person acting, or None for an API key (a partner system is nobody in the school)."""
    return None if is_api_key(request.user) else request.user
