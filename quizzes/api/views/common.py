"""What the quiz API views share: the OpenAPI tags, the roles every view lets through (the
selectors decide between 403 and 404), the 409 and 429 answers, and finding the caller and
a course the caller runs."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import status
from rest_framework.exceptions import APIException, PermissionDenied

from courses import selectors as course_selectors
from courses.models import Course
from smartedu.api.permissions import is_api_key
from smartedu.api.serializers import QuotaErrorSerializer

GENERATION_TAGS = ["Generation"]
BANK_TAGS = ["Question bank"]
QUIZ_TAGS = ["Quizzes"]
EXCHANGE_TAGS = ["Exchange"]
EVERYONE = ("admin", "teacher", "student")
MANAGER_ONLY = "Only this course's teachers and the school's admins can do this."


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


def _caller(request):
    """The person acting, or None for an API key (a partner system is nobody in the school)."""
    return None if is_api_key(request.user) else request.user


def _managed_course(request, course_id: int) -> Course:
    course = course_selectors.course_get_for(request.user, course_id)
    if not course_selectors.can_manage_course(request.user, course):
        raise PermissionDenied(MANAGER_ONLY)
    return course
