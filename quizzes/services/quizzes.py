"""Writes on quizzes: their settings, their questions and order, publishing."""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from courses.models import Course

from ..models import (
    Question,
    Quiz,
    QuizItem,
)
from ..rendering import clean_text

QUIZ_SETTING_FIELDS = (
    "title",
    "description",
    "time_limit_minutes",
    "attempts_allowed",
    "shuffle_questions",
    "shuffle_options",
    "show_feedback",
    "opens_at",
    "closes_at",
    "late_minutes",
    "late_penalty_percent",
)
TIME_LIMIT_MAX_MINUTES = 24 * 60
ATTEMPTS_MAX = 100
LATE_MAX_MINUTES = 30 * 24 * 60


def _clean_quiz_settings(values: dict[str, Any], *, current: Quiz | None = None) -> dict[str, Any]:
    unknown = set(values) - set(QUIZ_SETTING_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown quiz setting." for name in sorted(unknown)})
    cleaned = dict(values)
    errors: dict[str, str] = {}
    if "title" in cleaned:
        cleaned["title"] = " ".join(str(cleaned["title"] or "").split())
        if not cleaned["title"]:
            errors["title"] = "A quiz needs a title."
        elif len(cleaned["title"]) > 200:
            errors["title"] = "At most 200 characters."
    if "description" in cleaned:
        cleaned["description"] = clean_text(cleaned["description"], max_length=5000)
    limit = cleaned.get("time_limit_minutes")
    if limit is not None and (
        isinstance(limit, bool)
        or not isinstance(limit, int)
        or not 1 <= limit <= TIME_LIMIT_MAX_MINUTES
    ):
        errors["time_limit_minutes"] = (
            f"A time limit is 1 to {TIME_LIMIT_MAX_MINUTES} minutes (empty for none)."
        )
    attempts = cleaned.get("attempts_allowed")
    if "attempts_allowed" in cleaned and (
        isinstance(attempts, bool)
        or not isinstance(attempts, int)
        or not 0 <= attempts <= ATTEMPTS_MAX
    ):
        errors["attempts_allowed"] = f"Attempts allowed is 0 (unlimited) to {ATTEMPTS_MAX}."
    for flag in ("shuffle_questions", "shuffle_options"):
        if flag in cleaned and not isinstance(cleaned[flag], bool):
            errors[flag] = "Yes or no (true/false)."
    if "show_feedback" in cleaned and cleaned["show_feedback"] not in Quiz.Feedback.values:
        errors["show_feedback"] = f"One of {', '.join(Quiz.Feedback.values)}."
    late = cleaned.get("late_minutes")
    if "late_minutes" in cleaned and (
        isinstance(late, bool) or not isinstance(late, int) or not 0 <= late <= LATE_MAX_MINUTES
    ):
        errors["late_minutes"] = f"Late minutes is 0 (no late work) to {LATE_MAX_MINUTES}."
    penalty = cleaned.get("late_penalty_percent")
    if "late_penalty_percent" in cleaned and (
        isinstance(penalty, bool) or not isinstance(penalty, int) or not 0 <= penalty <= 100
    ):
        errors["late_penalty_percent"] = "The late penalty is 0 to 100 percent."
    for name in ("opens_at", "closes_at"):
        if cleaned.get(name) is not None and not isinstance(cleaned[name], dt.datetime):
            errors[name] = "A date and time (or empty)."
    opens = cleaned.get("opens_at", current.opens_at if current else None)
    closes = cleaned.get("closes_at", current.closes_at if current else None)
    # Every mistake at once: the date order is checked along with the rest when both are dates.
    if (
        isinstance(opens, dt.datetime)
        and isinstance(closes, dt.datetime)
        and "opens_at" not in errors
        and "closes_at" not in errors
        and closes <= opens
    ):
        errors["closes_at"] = "The quiz must close after it opens."
    if errors:
        raise ValidationError(errors)
    return cleaned


def _question_ids(question_ids: Iterable[int | str]) -> list[int]:
    try:
        return [int(i) for i in question_ids]
    except (TypeError, ValueError):
        raise ValidationError({"questions": "Question ids are whole numbers."}) from None


def quiz_create(
    *, course: Course, title: str, created_by: User | None = None, **settings: Any
) -> Quiz:
    """A draft quiz in ``course`` with these settings (see QUIZ_SETTING_FIELDS)."""
    cleaned = _clean_quiz_settings({"title": title, **settings})
    return Quiz.objects.create(course=course, created_by=created_by, **cleaned)


def quiz_update(quiz: Quiz, **settings: Any) -> Quiz:
    """Change a quiz's title, description or settings. Settings apply to attempts started from
    now on; attempts already started keep the questions they were shown."""
    cleaned = _clean_quiz_settings(settings, current=quiz)
    for name, value in cleaned.items():
        setattr(quiz, name, value)
    quiz.save()
    return quiz


@transaction.atomic
def quiz_questions_add(
    quiz: Quiz, question_ids: list[int], *, points: Decimal | int = 1
) -> list[QuizItem]:
    """Append these questions of the quiz's course to it, in the order given. A draft is
    accepted as it is added; a rejected question, one of another course or one already in the
    quiz is refused with the reason (nothing is added then)."""
    quiz = Quiz.objects.select_for_update().get(pk=quiz.pk)
    ids = list(dict.fromkeys(_question_ids(question_ids)))
    if not ids:
        raise ValidationError({"questions": "Choose at least one question."})
    found = {q.pk: q for q in Question.objects.filter(course=quiz.course_id, pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError(
            {"questions": f"No such question in this course: {', '.join(map(str, missing))}."}
        )
    rejected = [i for i in ids if found[i].status == Question.Status.REJECTED]
    if rejected:
        raise ValidationError(
            {
                "questions": "Rejected questions cannot go into a quiz: "
                f"{', '.join(map(str, rejected))}. Accept them first."
            }
        )
    already = set(
        QuizItem.objects.filter(quiz=quiz, question_id__in=ids).values_list(
            "question_id", flat=True
        )
    )
    if already:
        raise ValidationError(
            {"questions": f"Already in this quiz: {', '.join(map(str, sorted(already)))}."}
        )
    Question.objects.filter(pk__in=ids, status=Question.Status.DRAFT).update(
        status=Question.Status.ACCEPTED
    )
    last = (
        QuizItem.objects.filter(quiz=quiz)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
        or 0
    )
    items = [
        QuizItem(quiz=quiz, question_id=qid, position=last + n, points=points)
        for n, qid in enumerate(ids, start=1)
    ]
    return QuizItem.objects.bulk_create(items)


def quiz_question_remove(quiz: Quiz, question_id: int) -> None:
    """Take a question out of the quiz (attempts already made keep it in their results)."""
    deleted, _ = QuizItem.objects.filter(quiz=quiz, question_id=question_id).delete()
    if not deleted:
        raise ValidationError({"question": "That question is not in this quiz."})


@transaction.atomic
def quiz_questions_reorder(quiz: Quiz, question_ids: list[int]) -> None:
    """Put the quiz's questions in this order; the list must name each of them once."""
    items = {i.question_id: i for i in QuizItem.objects.select_for_update().filter(quiz=quiz)}
    ids = _question_ids(question_ids)
    if sorted(ids) != sorted(items):
        raise ValidationError({"questions": "List every question of the quiz exactly once."})
    for position, qid in enumerate(ids, start=1):
        items[qid].position = position
    QuizItem.objects.bulk_update(items.values(), ["position"])


def quiz_publish(quiz: Quiz) -> Quiz:
    """Make the quiz available to the course's students. It needs at least one question, and
    every question in it must be accepted."""
    from django.utils import timezone

    items = QuizItem.objects.filter(quiz=quiz).select_related("question")
    if not items.exists():
        raise ValidationError("Add at least one question before publishing this quiz.")
    not_accepted = [i.question_id for i in items if i.question.status != Question.Status.ACCEPTED]
    if not_accepted:
        raise ValidationError(
            "Every question must be accepted before publishing; not accepted: "
            f"{', '.join(map(str, not_accepted))}."
        )
    quiz.state = Quiz.State.PUBLISHED
    quiz.published_at = quiz.published_at or timezone.now()
    quiz.save(update_fields=["state", "published_at"])
    return quiz


def quiz_unpublish(quiz: Quiz) -> Quiz:
    """Hide the quiz from students again (attempts and results are kept)."""
    quiz.state = Quiz.State.DRAFT
    quiz.save(update_fields=["state"])
    return quiz
