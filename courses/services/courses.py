"""Writes on courses: create (a teacher who creates one teaches it) and update."""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User

from ..models import Course, Enrollment
from .enrollment import enrollment_add


def course_create(
    *, code: str, name: str, description: str = "", created_by: User | None = None
) -> Course:
    """Create a course; a teacher who creates one teaches it."""
    code = (code or "").strip().upper()
    name = (name or "").strip()
    errors = {}
    if not code:
        errors["code"] = "A course needs a short code, e.g. BIO-101."
    elif Course.objects.filter(code__iexact=code).exists():
        errors["code"] = f"A course with code {code} already exists."
    if not name:
        errors["name"] = "A course needs a name."
    if errors:
        raise ValidationError(errors)
    course = Course(code=code, name=name, description=(description or "").strip())
    course.full_clean()
    with transaction.atomic():
        course.save()
        if created_by is not None and created_by.role == User.Role.TEACHER:
            enrollment_add(course=course, user=created_by, role=Enrollment.Role.TEACHER)
    return course


def course_update(
    course: Course,
    *,
    name: str | None = None,
    description: str | None = None,
    is_archived: bool | None = None,
) -> Course:
    if name is not None:
        if not name.strip():
            raise ValidationError({"name": "A course needs a name."})
        course.name = name.strip()
    if description is not None:
        course.description = description.strip()
    if is_archived is not None:
        course.is_archived = is_archived
    course.full_clean()
    course.save()
    return course
