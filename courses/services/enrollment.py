"""Writes on enrollments: who is in a course, and as what."""

from django.core.exceptions import ValidationError

from accounts.models import User

from ..models import Course, Enrollment


def enrollment_add(
    *, course: Course, user: User, role: str | None = None
) -> tuple[Enrollment, bool]:
    """Put ``user`` in ``course`` (as teacher or student). Returns (enrollment, created).

    Students can only be enrolled as students; changing role updates the existing enrollment.
    """
    role = role or (
        Enrollment.Role.TEACHER if user.role == User.Role.TEACHER else Enrollment.Role.STUDENT
    )
    if role not in Enrollment.Role.values:
        raise ValidationError({"role": f"Course role must be teacher or student, not {role!r}."})
    if role == Enrollment.Role.TEACHER and user.role == User.Role.STUDENT:
        raise ValidationError({"role": f"{user.username} is a student and cannot teach a course."})
    if not user.is_active:
        raise ValidationError({"user": f"{user.username} is deactivated."})
    enrollment, created = Enrollment.objects.get_or_create(
        course=course, user=user, defaults={"role": role}
    )
    if not created and enrollment.role != role:
        enrollment.role = role
        enrollment.save(update_fields=["role"])
    return enrollment, created


def enrollment_remove(*, course: Course, user: User) -> bool:
    deleted, _ = Enrollment.objects.filter(course=course, user=user).delete()
    return bool(deleted)
