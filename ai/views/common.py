"""What the material and tutor pages share: finding the course in the URL as the asking person."""

from django.core.exceptions import PermissionDenied

from courses import selectors as course_selectors
from courses.models import Course


def _visible_course(request, course_id: int) -> Course:
    return course_selectors.course_get_for(request.user, course_id)


def _managed_course(request, course_id: int) -> Course:
    """404 when the person cannot see the course, 403 when they can see but not manage it."""
    course = _visible_course(request, course_id)
    if not course_selectors.can_manage_course(request.user, course):
        raise PermissionDenied("Only the course's teachers and the school's admins can do this.")
    return course
