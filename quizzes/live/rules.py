"""The fixed rules of a live session: its limits, the refusal every service raises, how a join
code is typed and what an answer is worth. Pure: no database, no channel layer."""

JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6
SECONDS_PER_QUESTION_MIN = 5
SECONDS_PER_QUESTION_MAX = 600
# Untimed rounds: how fast a right answer must be to earn any speed bonus.
SPEED_WINDOW_SECONDS = 20
LEADERBOARD_SIZE = 10
# A student reloading the play page shortly after the end still sees the final results.
FINISHED_VISIBLE_HOURS = 2


class LiveRefused(Exception):
    """A request the live rules do not allow, with a stable ``code`` for clients and a message
    for people. Nothing was changed.

    Codes: ``not_found``, ``not_a_student``, ``not_host``, ``not_published``, ``empty``,
    ``bad_settings``, ``finished``, ``round_open``, ``no_questions_left``, ``not_open``,
    ``closed``, ``already_answered``, ``bad_response``."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


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
