"""The rules of taking a quiz, as functions of the quiz, the student and the clock: the quiz's
window and last moment, the attempts a student is allowed, an attempt's deadline, whether a
student may start now (and why not), whether an answer locks once given, and the shape of a
response to each kind of question. Nothing here writes."""

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from django.utils import timezone

from accounts.models import User
from courses.models import Enrollment

from ..answers import parse_number
from ..models import Accommodation, Attempt, Question, QuestionVersion, Quiz
from .errors import AttemptRefused

CHOICE_KINDS = (Question.Kind.SINGLE, Question.Kind.MULTIPLE, Question.Kind.TRUE_FALSE)


TEXT_KINDS = (Question.Kind.SHORT_ANSWER, Question.Kind.FILL_BLANK)


MAX_TEXT_ANSWER_CHARS = 500


class ShownQuestion(Protocol):
    """A question as students were shown it, pinned to one version: an attempt's question
    (AttemptQuestion) or a live session's round (LiveRound)."""

    @property
    def question(self) -> Question: ...

    @property
    def version(self) -> QuestionVersion: ...


def quiz_window(quiz: Quiz, now: dt.datetime) -> str:
    """``not_open``, ``open``, ``late`` (past closing, inside the late window) or ``closed``."""
    if quiz.opens_at and now < quiz.opens_at:
        return "not_open"
    if quiz.closes_at and now >= quiz.closes_at:
        if now < quiz.closes_at + dt.timedelta(minutes=quiz.late_minutes):
            return "late"
        return "closed"
    return "open"


def quiz_last_moment(quiz: Quiz) -> dt.datetime | None:
    """When the quiz stops taking answers altogether (closing time plus the late window)."""
    if quiz.closes_at is None:
        return None
    return quiz.closes_at + dt.timedelta(minutes=quiz.late_minutes)


def accommodation_for(student: User) -> Accommodation | None:
    return Accommodation.objects.filter(student=student).first()


def attempts_allowed_for(quiz: Quiz, accommodation: Accommodation | None) -> int:
    """How many attempts this student may make (0: unlimited)."""
    if quiz.attempts_allowed == 0:
        return 0
    return quiz.attempts_allowed + (accommodation.extra_attempts if accommodation else 0)


def attempt_deadline(
    quiz: Quiz, started_at: dt.datetime, extra_time_percent: int = 0
) -> dt.datetime | None:
    ends = []
    if quiz.time_limit_minutes:
        seconds = quiz.time_limit_minutes * 60 * (100 + extra_time_percent) / 100
        ends.append(started_at + dt.timedelta(seconds=seconds))
    last = quiz_last_moment(quiz)
    if last is not None:
        ends.append(last)
    return min(ends) if ends else None


def attempt_is_past_deadline(attempt: Attempt, now: dt.datetime) -> bool:
    return attempt.deadline is not None and now > attempt.deadline


def answer_locks(quiz: Quiz) -> bool:
    """Whether an answer is final once given (it is when its feedback shows at once)."""
    return quiz.show_feedback == Quiz.Feedback.IMMEDIATELY


def is_course_student(student: User, quiz: Quiz) -> bool:
    return Enrollment.objects.filter(
        course_id=quiz.course_id, user=student, role=Enrollment.Role.STUDENT
    ).exists()


@dataclass
class Availability:
    """Whether ``student`` may start an attempt now, and why not."""

    can_start: bool
    code: str  # "ok", "not_open", "closed", "no_attempts_left", "not_published", "not_a_student"
    message: str
    window: str
    attempts_used: int
    attempts_allowed: int  # 0: unlimited
    in_progress: Attempt | None


def attempt_availability(
    quiz: Quiz, student: User, *, now: dt.datetime | None = None
) -> Availability:
    now = now or timezone.now()
    window = quiz_window(quiz, now)
    attempts = list(Attempt.objects.filter(quiz=quiz, student=student).order_by("number"))
    running = next((a for a in attempts if a.state == Attempt.State.IN_PROGRESS), None)
    allowed = attempts_allowed_for(quiz, accommodation_for(student))
    used = len(attempts)

    def answer(code: str, message: str) -> Availability:
        return Availability(code == "ok", code, message, window, used, allowed, running)

    if quiz.state != Quiz.State.PUBLISHED:
        return answer("not_published", "This quiz is not published.")
    if not is_course_student(student, quiz):
        return answer(
            "not_a_student",
            "Only the course's students take its quizzes; teachers see them on the quiz page.",
        )
    if running is not None:
        return answer("ok", "You have an attempt in progress.")
    if window == "not_open":
        return answer("not_open", f"This quiz opens at {when_text(quiz.opens_at)}.")
    if window == "closed":
        return answer("closed", f"This quiz closed at {when_text(quiz.closes_at)}.")
    if allowed and used >= allowed:
        return answer(
            "no_attempts_left",
            f"You have used all {allowed} attempt{'s' if allowed != 1 else ''} at this quiz.",
        )
    return answer("ok", "You may start an attempt.")


def when_text(moment: dt.datetime | None) -> str:
    """A moment as the refusals write it, in the school's time zone."""
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


def response_clean(attempt_question: ShownQuestion, response: object) -> dict[str, Any]:
    """The response in its stored shape, or ``AttemptRefused("bad_response")`` saying what a
    response to this kind of question looks like."""
    kind = attempt_question.question.kind
    if not isinstance(response, dict):
        raise AttemptRefused("bad_response", "An answer is a JSON object.")
    ids = {o["id"] for o in attempt_question.version.options}
    if kind in (Question.Kind.SINGLE, Question.Kind.TRUE_FALSE):
        option = response.get("option")
        if not isinstance(option, str) or option not in ids:
            raise AttemptRefused(
                "bad_response", f'Choose one of the options: {{"option": one of {sorted(ids)}}}.'
            )
        return {"option": option}
    if kind == Question.Kind.MULTIPLE:
        options = response.get("options")
        if (
            not isinstance(options, list)
            or not all(isinstance(o, str) for o in options)
            or not set(options) <= ids
        ):
            raise AttemptRefused(
                "bad_response",
                f'Choose any of the options: {{"options": a list from {sorted(ids)}}}.',
            )
        return {"options": sorted(set(options))}
    if kind in TEXT_KINDS:
        text = response.get("text")
        if not isinstance(text, str):
            raise AttemptRefused("bad_response", 'Type your answer: {"text": "..."}.')
        text = " ".join(text.split())
        if len(text) > MAX_TEXT_ANSWER_CHARS:
            raise AttemptRefused(
                "bad_response", f"An answer is at most {MAX_TEXT_ANSWER_CHARS} characters."
            )
        return {"text": text}
    value = response.get("value")
    if isinstance(value, str):
        value = value.strip()[:100]
    if parse_number(value) is None:
        raise AttemptRefused("bad_response", 'Type a number, for example {"value": "3.5"}.')
    return {"value": value}
