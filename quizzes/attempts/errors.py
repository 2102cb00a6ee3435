"""Why the attempt rules refused a request."""

from collections.abc import Mapping
from typing import ClassVar

from smartedu.errors import DomainError


class AttemptRefused(DomainError):
    """A request the rules do not allow, with a stable ``code`` for clients and a message for
    people. Nothing was changed. A code not listed here is a rule the request broke in the
    quiz's current state (409)."""

    codes: ClassVar[Mapping[str, tuple[int, str]]] = {
        "not_open": (409, "The quiz does not take attempts yet."),
        "closed": (409, "The quiz closed (and its late window too)."),
        "no_attempts_left": (409, "The student has used every attempt allowed."),
        "empty": (409, "The quiz has no questions yet."),
        "submitted": (409, "The attempt is already submitted; its answers can no longer change."),
        "time_up": (409, "The deadline passed; the attempt has been submitted."),
        "locked": (409, "The answer was final once its feedback was seen."),
        "bad_response": (
            400,
            "The answer's shape does not fit the question; the message shows one that does.",
        ),
        "not_a_student": (
            403,
            "Only the course's students take its quizzes (API keys and teachers do not).",
        ),
        "not_published": (404, "The quiz is not published."),
        "no_such_question": (404, "The attempt has no such question."),
    }

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)
