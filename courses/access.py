"""Who may do what to a course and what it holds, answered in one place.

Each helper looks the object up *and* checks the person in one call, in the spirit of Zulip's
``access_stream_by_id``: what a person may not see does not exist for them (``NotFound``, a
404 that never reveals it exists, in another course or another school alike); what they may see
but not change is ``Forbidden`` (403). Web views, API views, consumers and tasks all call these,
so a rule changes here or nowhere. ``quizzes.access`` builds the quiz, question and generation
job helpers on these.

Whether a principal sees the whole school (a school admin, a school-wide API key) is a property
of the principal (``sees_whole_school``), not an ``if`` in each view.
"""

from accounts.models import User
from smartedu.errors import Forbidden, NotFound

from .models import Course, Enrollment, Material
from .selectors import (
    Principal,
    can_manage_course,
    course_get_for,
    course_list_for,
    course_list_managed_by,
    sees_whole_school,
)

__all__ = [
    "MANAGER_ONLY",
    "Principal",
    "can_manage_course",
    "course_access",
    "course_list_managed_by",
    "material_access",
    "sees_whole_school",
    "student_access",
]

MANAGER_ONLY = "Only this course's teachers and the school's admins can do this."


def course_access(
    principal: Principal, course_id: int, *, manage: bool = False, denied: str = MANAGER_ONLY
) -> Course:
    """The course if ``principal`` may see it (with ``manage``: and change what it holds).

    Raises NotFound ("No such course.") when they may not see it, Forbidden (``denied``) when
    ``manage`` is asked and they only take it. Reads only."""
    course = course_get_for(principal, course_id)
    if manage and not can_manage_course(principal, course):
        raise Forbidden(denied)
    return course


def material_access(
    principal: Principal,
    material_id: int,
    *,
    course: Course | None = None,
    manage: bool = False,
    denied: str = MANAGER_ONLY,
) -> Material:
    """The material if ``principal`` may see it: in a course they see (and in ``course``, when
    the URL names one); students only ever see ready material. With ``manage``, Forbidden
    (``denied``) unless they manage its course."""
    materials = Material.objects.filter(
        pk=material_id, course__in=course_list_for(principal, include_archived=True)
    )
    if course is not None:
        materials = materials.filter(course=course)
    material = materials.select_related("course").first()
    if material is None:
        raise NotFound("No such material in this course." if course else "No such material.")
    managing = can_manage_course(principal, material.course)
    if manage and not managing:
        raise Forbidden(denied)
    if not managing and material.state != Material.State.READY:
        raise NotFound("No such material.")
    return material


def student_access(principal: Principal, user_id: int, *, manage: bool = False) -> User:
    """A student ``principal`` may read about: anyone for whoever sees the whole school, the
    students of the courses they teach for teachers, themselves for a student (unless
    ``manage``: a student does not change their own accommodations). NotFound otherwise: a
    student the principal may not see is not revealed to exist."""
    students = User.objects.filter(pk=user_id, role=User.Role.STUDENT)
    if sees_whole_school(principal):
        found = students.first()
    elif getattr(principal, "pk", None) == user_id and not manage:
        found = students.first()
    else:
        found = students.filter(
            enrollments__role=Enrollment.Role.STUDENT,
            enrollments__course__in=course_list_managed_by(principal),
        ).first()
    if found is None:
        raise NotFound(f"No student with id {user_id} in this school.")
    return found
