"""Reads of attempts: an attempt through the person asking, its questions as the player shows
them, whether its feedback may be seen now, and the rows of the results lists."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Prefetch,
    QuerySet,
    When,
)
from django.db.models.functions import Round
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


# --- results lists -------------------------------------------------------------------------


class _Numeric(Func):
    template = "(%(expressions)s)::numeric"
    output_field = DecimalField()


# The percent as shown (one decimal), in SQL, so filters, ordering and output agree.
PERCENT = Case(
    When(
        max_score__gt=0,
        then=Round(
            _Numeric(ExpressionWrapper(100.0 * F("score") / F("max_score"), FloatField())),
            1,
            output_field=DecimalField(),
        ),
    ),
    default=None,
    output_field=DecimalField(),
)


ORDER_BY = {
    "student": (
        "student__last_name",
        "student__first_name",
        "student__username",
        "student_id",
        "quiz_id",
        "number",
    ),
    "-submitted_at": (F("submitted_at").desc(nulls_last=True),),
    "submitted_at": (F("submitted_at").asc(nulls_last=True),),
    "-percent": (F("percent_value").desc(nulls_last=True),),
    "percent": (F("percent_value").asc(nulls_last=True),),
    "-started_at": ("-started_at",),
    "started_at": ("started_at",),
}


def attempt_rows(rows: QuerySet[Attempt], filters: dict[str, Any]) -> QuerySet[Attempt]:
    """Result rows narrowed by the list filters, with ``percent_value``, in the asked order."""
    rows = rows.select_related("quiz", "student").annotate(percent_value=PERCENT)
    if filters.get("student"):
        rows = rows.filter(student_id=filters["student"])
    if filters.get("external_id"):
        rows = rows.filter(student__external_id=filters["external_id"])
    if filters.get("quiz"):
        rows = rows.filter(quiz_id=filters["quiz"])
    if filters.get("course"):
        rows = rows.filter(quiz__course_id=filters["course"])
    if filters.get("state"):
        rows = rows.filter(state=filters["state"])
    if filters.get("late") is not None:
        rows = rows.filter(is_late=filters["late"])
    if filters.get("submitted_after"):
        rows = rows.filter(submitted_at__gte=filters["submitted_after"])
    if filters.get("submitted_before"):
        rows = rows.filter(submitted_at__lt=filters["submitted_before"])
    # Compared as decimals: the float 66.7 is a hair above the percent 66.7.
    if filters.get("min_percent") is not None:
        rows = rows.filter(percent_value__gte=Decimal(str(filters["min_percent"])))
    if filters.get("max_percent") is not None:
        rows = rows.filter(percent_value__lte=Decimal(str(filters["max_percent"])))
    return rows.order_by(*ORDER_BY[filters.get("ordering") or "student"], "id")


SCORED_QUESTIONS = "scored_questions"


def with_question_scores(rows: QuerySet[Attempt]) -> QuerySet[Attempt]:
    """The rows with each attempt's questions (position order) as ``scored_questions``."""
    return rows.prefetch_related(
        Prefetch(
            "questions",
            queryset=AttemptQuestion.objects.order_by("position").only(
                "id", "attempt_id", "question_id", "position", "points", "score", "answered_at"
            ),
            to_attr=SCORED_QUESTIONS,
        )
    )


def scored_questions(attempt: Attempt) -> list[AttemptQuestion]:
    """The questions ``with_question_scores`` loaded on ``attempt``, in position order."""
    loaded: list[AttemptQuestion] = getattr(attempt, SCORED_QUESTIONS)
    return loaded
