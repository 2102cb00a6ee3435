"""Reads on courses, always through the asking person so nobody sees a course they should not."""

from typing import TYPE_CHECKING, TypeAlias

from django.db.models import Count, Q, QuerySet

from accounts.models import User
from smartedu.errors import NotFound

from .models import Course, Enrollment, Material, RosterImport

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from tenants.api_auth import APIKeyPrincipal

# Who asks: a person (signed in, or not) or a school's API key.
Principal: TypeAlias = "User | AnonymousUser | APIKeyPrincipal"


def _person(principal: Principal) -> User | None:
    """The person behind ``principal`` when it is one (not an API key, not anonymous)."""
    return principal if isinstance(principal, User) else None


def course_list_for(user: Principal, *, include_archived: bool = False) -> QuerySet[Course]:
    """Admins see every course, teachers the ones they teach, students the ones they take."""
    courses = Course.objects.annotate(
        student_count=Count("enrollments", filter=Q(enrollments__role=Enrollment.Role.STUDENT)),
        teacher_count=Count("enrollments", filter=Q(enrollments__role=Enrollment.Role.TEACHER)),
    ).order_by("code")  # Meta.ordering is not applied to GROUP BY queries
    if not include_archived:
        courses = courses.filter(is_archived=False)
    if sees_whole_school(user):
        return courses
    person = _person(user)
    if person is None:
        return courses.none()
    return courses.filter(enrollments__user=person).distinct()


def course_get_for(user: Principal, course_id: int) -> Course:
    """The course if ``user`` may see it; NotFound otherwise (never reveal that it exists).
    Pages, API views and consumers ask courses.access.course_access, which builds on this."""
    course = course_list_for(user, include_archived=True).filter(pk=course_id).first()
    if course is None:
        raise NotFound("No such course.")
    return course


def sees_whole_school(principal: object) -> bool:
    """A school admin or a school-wide API key: every course, every person's results (a
    property of the principal: accounts.User and tenants.api_auth.APIKeyPrincipal say it)."""
    return getattr(principal, "sees_whole_school", False) is True


def course_list_managed_by(principal: Principal) -> QuerySet[Course]:
    """The courses ``principal`` runs, archived ones too: every course for whoever sees the
    whole school, the ones they teach for teachers, none for students."""
    if sees_whole_school(principal):
        return Course.objects.all()
    person = _person(principal)
    if person is None:
        return Course.objects.none()
    return Course.objects.filter(
        enrollments__user=person, enrollments__role=Enrollment.Role.TEACHER
    ).distinct()


def can_manage_course(user: Principal, course: Course) -> bool:
    """Its teachers, and whoever sees the whole school."""
    if sees_whole_school(user):
        return True
    person = _person(user)
    if person is None:
        return False
    return Enrollment.objects.filter(
        course=course, user=person, role=Enrollment.Role.TEACHER
    ).exists()


def course_enrollments(course: Course) -> QuerySet[Enrollment]:
    return course.enrollments.select_related("user")


def roster_import_list() -> QuerySet[RosterImport]:
    return RosterImport.objects.select_related("created_by").defer("csv_text")


def course_member_candidates(course: Course, search: str, *, limit: int = 10) -> QuerySet[User]:
    """Active people matching ``search`` who are not in ``course`` yet (for the add-people box)."""
    search = (search or "").strip()
    if not search:
        return User.objects.none()
    return (
        User.objects.filter(is_active=True)
        .exclude(role=User.Role.ADMIN)
        .exclude(enrollments__course=course)
        .filter(
            Q(username__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
            | Q(email__icontains=search)
        )[:limit]
    )


def roster_import_get(roster_import_id: int) -> RosterImport | None:
    return RosterImport.objects.select_related("created_by").filter(pk=roster_import_id).first()


def material_list(course: Course) -> QuerySet[Material]:
    return Material.objects.filter(course=course).select_related("uploaded_by")


def material_list_visible(user: Principal, course: Course) -> QuerySet[Material]:
    """The course's materials as ``user`` may list them (the caller checked they may see the
    course): its teachers and admins see every state; students only ready ones."""
    materials = material_list(course)
    if not can_manage_course(user, course):
        materials = materials.filter(state=Material.State.READY)
    return materials
