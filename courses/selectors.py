"""Reads on courses, always through the asking person so nobody sees a course they should not."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from accounts.models import User

from .models import Course, Enrollment, RosterImport


def course_list_for(user: User, *, include_archived: bool = False) -> QuerySet[Course]:
    """Admins see every course, teachers the ones they teach, students the ones they take."""
    courses = Course.objects.annotate(
        student_count=Count("enrollments", filter=Q(enrollments__role=Enrollment.Role.STUDENT)),
        teacher_count=Count("enrollments", filter=Q(enrollments__role=Enrollment.Role.TEACHER)),
    )
    if not include_archived:
        courses = courses.filter(is_archived=False)
    if getattr(user, "role", None) == User.Role.ADMIN or getattr(user, "role", None) == "partner":
        return courses
    return courses.filter(enrollments__user=user).distinct()


def course_get_for(user: User, course_id: int) -> Course:
    """The course if ``user`` may see it; 404 otherwise (never reveal that it exists)."""
    course = course_list_for(user, include_archived=True).filter(pk=course_id).first()
    if course is None:
        raise Http404("No such course.")
    return course


def can_manage_course(user: User, course: Course) -> bool:
    if getattr(user, "role", None) in (User.Role.ADMIN, "partner"):
        return True
    return Enrollment.objects.filter(
        course=course, user=user, role=Enrollment.Role.TEACHER
    ).exists()


def course_enrollments(course: Course) -> QuerySet[Enrollment]:
    return course.enrollments.select_related("user")


def roster_import_list() -> QuerySet[RosterImport]:
    return RosterImport.objects.select_related("created_by").defer("csv_text")
