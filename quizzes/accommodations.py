"""Accommodations: what a student is allowed beyond a quiz's settings — extra time on timed
attempts (a percentage of the time limit) and extra attempts.

An accommodation belongs to the student, not to a course: it applies to every quiz of the
school. It is copied onto an attempt when the attempt starts (``quizzes.attempts``), so a change
never moves the deadline of an attempt already running. ``accommodation_set`` is the one write
path; the web page and the API both call it."""

from django.core.exceptions import ValidationError

from accounts.models import User
from courses.models import Course, Enrollment
from smartedu.db import max_length

from .models import Accommodation

EXTRA_TIME_MAX_PERCENT = 400
EXTRA_ATTEMPTS_MAX = 20
NOTE_MAX_CHARS = max_length(Accommodation, "note")


def _whole_number(value, name: str, label: str, maximum: int, errors: dict) -> int:
    # bool is an int in Python; "true" extra attempts is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        errors[name] = f"{label} is a whole number from 0 to {maximum}."
        return 0
    return value


def accommodation_set(
    student: User,
    *,
    extra_time_percent: int,
    extra_attempts: int,
    note: str = "",
    updated_by: User | None = None,
) -> Accommodation:
    """Set ``student``'s extra time (0–400 %) and extra attempts (0–20), with a note of why
    (at most 300 characters). Creates the accommodation or replaces it whole. Raises
    ``ValidationError`` (a dict by field: ``student``, ``extra_time_percent``,
    ``extra_attempts``, ``note``) and changes nothing then. Running attempts keep the deadline
    they started with."""
    errors: dict[str, str] = {}
    if student.role != User.Role.STUDENT:
        errors["student"] = "Accommodations are for students only."
    percent = _whole_number(
        extra_time_percent, "extra_time_percent", "Extra time", EXTRA_TIME_MAX_PERCENT, errors
    )
    attempts = _whole_number(
        extra_attempts, "extra_attempts", "Extra attempts", EXTRA_ATTEMPTS_MAX, errors
    )
    if note is None:
        note = ""
    if not isinstance(note, str):
        errors["note"] = "The note is text."
        note = ""
    note = " ".join(note.split())
    if len(note) > NOTE_MAX_CHARS:
        errors["note"] = (
            f"The note is at most {NOTE_MAX_CHARS} characters (this one has {len(note)})."
        )
    if errors:
        raise ValidationError(errors)
    accommodation, _ = Accommodation.objects.update_or_create(
        student=student,
        defaults={
            "extra_time_percent": percent,
            "extra_attempts": attempts,
            "note": note,
            "updated_by": updated_by,
        },
    )
    return accommodation


def course_students_with_accommodations(course: Course) -> list[User]:
    """The course's students by name, each with ``accommodation`` (or its absence) loaded:
    ``accommodation_or_none`` reads it without a query."""
    students = (
        User.objects.filter(enrollments__course=course, enrollments__role=Enrollment.Role.STUDENT)
        .select_related("accommodation__updated_by")
        .order_by("last_name", "first_name", "username")
    )
    return list(students)


def accommodation_or_none(student: User) -> Accommodation | None:
    """``student``'s accommodation, or None where they have none."""
    # A reverse one-to-one that is missing raises; the page wants None.
    try:
        return student.accommodation
    except Accommodation.DoesNotExist:
        return None


def course_student_get(course: Course, student_id) -> User | None:
    """A student of ``course`` by id, or None (another course's student, a teacher, garbage)."""
    try:
        student_id = int(student_id)
    except (TypeError, ValueError):
        return None
    return User.objects.filter(
        pk=student_id, enrollments__course=course, enrollments__role=Enrollment.Role.STUDENT
    ).first()
