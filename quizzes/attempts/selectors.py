"""Reads of attempts: an attempt through the person asking, its questions as the player shows
them, and whether its feedback may be seen now."""

import datetime as dt

from django.http import Http404
from django.utils import timezone

from accounts.models import User
from courses.selectors import can_manage_course, course_list_for

from ..models import Attempt, AttemptQuestion, Quiz
from .rules import quiz_last_moment


def attempt_questions(attempt: Attempt) -> list[AttemptQuestion]:
    """The attempt's questions in the order it shows them, with their pinned versions, the
    question (kind, source) and its material."""
    return list(
        AttemptQuestion.objects.filter(attempt=attempt)
        .select_related("version", "question__source_material")
        .defer("question__embedding")
        .order_by("position")
    )


def feedback_visible(attempt: Attempt, *, now: dt.datetime | None = None) -> bool:
    """Whether the student may see right answers and explanations for this attempt now."""
    quiz = attempt.quiz
    if quiz.show_feedback == Quiz.Feedback.IMMEDIATELY:
        return True
    if attempt.state != Attempt.State.SUBMITTED:
        return False
    if quiz.show_feedback == Quiz.Feedback.AFTER_SUBMIT:
        return True
    if quiz.show_feedback == Quiz.Feedback.AFTER_CLOSE:
        last = quiz_last_moment(quiz)
        return last is None or (now or timezone.now()) >= last
    return False


def attempt_get_for(user: User, attempt_id: int) -> Attempt:
    """An attempt ``user`` may read: their own, or any attempt in a course they manage. 404
    otherwise (another student's attempt is not revealed to exist)."""
    attempt = (
        Attempt.objects.select_related("quiz__course", "student")
        .filter(pk=attempt_id, quiz__course__in=course_list_for(user, include_archived=True))
        .first()
    )
    if attempt is None:
        raise Http404("No such attempt.")
    if attempt.student_id != user.pk and not can_manage_course(user, attempt.quiz.course):
        raise Http404("No such attempt.")
    return attempt


def attempt_own_get(user: User, attempt_id: int) -> Attempt:
    """An attempt of ``user``'s own, to answer or submit (404 for anyone else's)."""
    attempt = (
        Attempt.objects.select_related("quiz__course").filter(pk=attempt_id, student=user).first()
    )
    if attempt is None:
        raise Http404("No such attempt.")
    return attempt
