"""The fixed rules of a live session: its limits, the refusal every service raises, how a join
code is typed and what an answer is worth. Pure: no database, no channel layer."""

from collections.abc import Mapping
from typing import Any, ClassVar

from smartedu.errors import DomainError

JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6
SECONDS_PER_QUESTION_MIN = 5
SECONDS_PER_QUESTION_MAX = 600
# Untimed rounds: how fast a right answer must be to earn any speed bonus.
SPEED_WINDOW_SECONDS = 20
LEADERBOARD_SIZE = 10
# A student reloading the play page shortly after the end still sees the final results.
FINISHED_VISIBLE_HOURS = 2


class LiveRefused(DomainError):
    """A request the live rules do not allow, with a stable ``code`` for clients and a message
    for people. Nothing was changed."""

    codes: ClassVar[Mapping[str, tuple[int, str]]] = {
        "not_found": (404, "No running live session with that code (in this school)."),
        "not_a_student": (403, "The session is for the students of its course."),
        "not_host": (403, "Only the course's teachers and the school's admins run sessions."),
        "not_published": (409, "Publish the quiz before running it live."),
        "empty": (409, "The quiz has no questions yet."),
        "bad_settings": (400, "The session's settings are out of range."),
        "finished": (409, "The session has ended."),
        "round_open": (409, "Close the question that is open first."),
        "no_questions_left": (409, "Every question has been asked."),
        "not_open": (409, "No question is open for answers."),
        "closed": (409, "The question closed before the answer arrived."),
        "already_answered": (409, "This student already answered this question."),
        "bad_response": (400, "The answer is not one this question accepts."),
        "busy": (409, "No free join code was found this time; try again."),
    }

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message, code=code, **extra)


NOT_FOUND_MESSAGE = "No running session with that code."


def live_code_clean(text: object) -> str:
    """A code as people type it ("abc 23k", "ABC-23K") in its stored shape."""
    return "".join(ch for ch in str(text or "").upper() if ch.isalnum())[:12]


def speed_points(
    points: float, score: float, elapsed_ms: int, *, speed_scoring: bool, seconds: int | None
) -> float:
    """Leaderboard points for an answer: the round's points times the share earned, up to
    double for a fast right answer when the session scores speed."""
    earned = points * score
    if speed_scoring and score > 0:
        window_ms = (seconds or SPEED_WINDOW_SECONDS) * 1000
        earned *= 1 + max(0.0, 1 - elapsed_ms / window_ms)
    return round(earned, 2)
