"""What the quiz player's socket asks for, one call each: open the quiz, start, submit, submit at
the deadline, read the submitted state. ``quizzes.consumers.attempts`` runs these in the
school's schema (through SchoolCalls) and sends the frames they return; the answer itself goes
straight to ``services.answer_save``, the hot path."""

import datetime as dt

from django.utils import timezone

from accounts.models import User

from ..models import Attempt, AttemptQuestion, Quiz
from .display import attempt_state
from .payloads import AttemptStateFrame, AttemptStatePayload, AvailabilityPayload, StatusFrame
from .rules import attempt_availability, attempt_is_past_deadline
from .selectors import attempt_questions
from .services import attempt_expire_if_due, attempt_start, attempt_submit


def quiz_fresh(quiz_id: int) -> Quiz:
    """The quiz as it is now (its settings may have changed since the socket opened)."""
    return Quiz.objects.select_related("course").get(pk=quiz_id)


def player_open(
    quiz_id: int, student: User
) -> tuple[Attempt | None, list[AttemptQuestion], AttemptStateFrame | StatusFrame]:
    """The attempt in progress with its questions and state (submitted first if its deadline
    has passed), or the latest submitted attempt (if any) with the ``status`` message."""
    now = timezone.now()
    running = (
        Attempt.objects.select_related("quiz")
        .filter(quiz_id=quiz_id, student=student, state=Attempt.State.IN_PROGRESS)
        .first()
    )
    if running is not None:
        running = attempt_expire_if_due(running, now=now)
        if running.state == Attempt.State.IN_PROGRESS:
            questions = attempt_questions(running)
            return running, questions, AttemptStateFrame(attempt_state(running, questions))
    quiz = quiz_fresh(quiz_id)
    availability = attempt_availability(quiz, student, now=now)
    last = (
        Attempt.objects.select_related("quiz")
        .filter(quiz=quiz, student=student, state=Attempt.State.SUBMITTED)
        .order_by("-number")
        .first()
    )
    questions = attempt_questions(last) if last else []
    status = StatusFrame(
        availability=AvailabilityPayload(
            can_start=availability.can_start,
            code=availability.code,
            message=availability.message,
            window=availability.window,
            attempts_used=availability.attempts_used,
            attempts_allowed=availability.attempts_allowed,
        ),
        last_attempt=attempt_state(last, questions, now=now) if last else None,
    )
    return last, questions, status


def player_start(
    quiz_id: int, student: User
) -> tuple[Attempt, list[AttemptQuestion], AttemptStateFrame]:
    """Start (or resume) an attempt at the quiz as it is now; raises what ``attempt_start``
    raises."""
    attempt = attempt_start(quiz_fresh(quiz_id), student)
    questions = attempt_questions(attempt)
    return attempt, questions, AttemptStateFrame(attempt_state(attempt, questions))


def player_submit(
    attempt: Attempt, reason: str, sender: str
) -> tuple[list[AttemptQuestion], AttemptStatePayload, bool]:
    """Submit (idempotent) and the attempt's final state, read afresh: answers may have come
    from another tab or the API."""
    submitted, changed = attempt_submit(attempt, reason=reason, sender=sender)
    questions = attempt_questions(submitted)
    return questions, attempt_state(submitted, questions), changed


def player_submit_if_due(
    attempt_id: int, sender: str
) -> tuple[dt.datetime | None, list[AttemptQuestion], AttemptStatePayload | None]:
    """At the deadline the timer read: submit the attempt (if still open) and return its final
    state; if the deadline it has now is later (or gone), return that instead and submit
    nothing."""
    attempt = Attempt.objects.select_related("quiz").get(pk=attempt_id)
    now = timezone.now()
    if attempt.state == Attempt.State.IN_PROGRESS:
        if not attempt_is_past_deadline(attempt, now):
            return attempt.deadline, [], None
        attempt, _ = attempt_submit(
            attempt, reason=Attempt.SubmitReason.DEADLINE, now=now, sender=sender
        )
    questions = attempt_questions(attempt)
    return attempt.deadline, questions, attempt_state(attempt, questions, now=now)


def player_submitted_state(attempt_id: int) -> tuple[list[AttemptQuestion], AttemptStatePayload]:
    """The submitted attempt's state, for a page that heard the submit from elsewhere."""
    attempt = Attempt.objects.select_related("quiz").get(pk=attempt_id)
    questions = attempt_questions(attempt)
    return questions, attempt_state(attempt, questions)
