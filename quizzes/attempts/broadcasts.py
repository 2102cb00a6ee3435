"""What an attempt's other open pages (a second tab, the API's writes, the sweep) and the
progress pages hear after a write commits. The services hand these to ``on_commit``."""

from smartedu.db import current_schema
from smartedu.progress import group_send_quietly

from ..models import Attempt, AttemptQuestion
from ..progress.services import progress_changed
from .groups import attempt_group
from .payloads import AnswerSavedEvent
from .rules import answer_locks


def answer_saved_broadcast(
    attempt: Attempt, attempt_question: AttemptQuestion, *, sender: str | None
) -> None:
    """After an answer commits: the attempt's other pages hear it, and a final answer moves
    mastery."""
    assert attempt_question.answered_at is not None  # the answer that committed set it
    event: AnswerSavedEvent = {
        "type": "saved",
        "position": attempt_question.position,
        "response": attempt_question.response,
        "saved_at": attempt_question.answered_at.isoformat(),
    }
    group_send_quietly(
        attempt_group(current_schema(), attempt.pk),
        {"type": "attempt.event", "sender": sender, "event": event},
    )
    if answer_locks(attempt.quiz):
        # Only a final answer moves mastery; one that can still change waits for the submit
        # (a recompute now would rewrite the same rows).
        progress_changed(attempt.student_id, attempt.quiz.course_id)


def attempt_submitted_broadcast(attempt: Attempt, *, sender: str | None) -> None:
    """After a submit commits: the attempt's pages hear it, and its mastery is recomputed."""
    group_send_quietly(
        attempt_group(current_schema(), attempt.pk),
        {"type": "attempt.event", "sender": sender, "event": {"type": "submitted"}},
    )
    progress_changed(attempt.student_id, attempt.quiz.course_id, submitted_attempt=attempt.pk)
