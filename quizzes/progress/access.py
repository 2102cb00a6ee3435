"""Who may watch which progress topic (registered with smartedu.progress in QuizzesConfig)."""

from accounts.models import User
from courses.models import Course
from courses.selectors import can_manage_course

SCHOOL_OVERVIEW_KEY = "school"


def can_watch_student(user: User, key: str) -> bool:
    """A student watches their own progress; nobody else subscribes to a student's topic
    (teachers watch whole courses on ``course-progress``)."""
    return str(getattr(user, "pk", "")) == key


def can_watch_course(user: User, key: str) -> bool:
    course = Course.objects.filter(pk=int(key)).first() if key.isdigit() else None
    return course is not None and can_manage_course(user, course)


def can_watch_school(user: User, key: str) -> bool:
    """The school overview: its admins only."""
    return key == SCHOOL_OVERVIEW_KEY and getattr(user, "role", None) == User.Role.ADMIN
