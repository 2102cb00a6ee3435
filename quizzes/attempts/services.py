"""The writes of taking a quiz: start (or resume), save an answer, submit, and submit what the
clock has closed. Each takes its locks and states what it raises; the rules they apply are in
``quizzes.attempts.rules`` (the package docstring sums them up)."""

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Max
from django.db.models.options import Options
from django.utils import timezone

from accounts.models import User

from ..grading import grade
from ..models import Attempt, AttemptQuestion, Question, QuestionVersion, Quiz, QuizItem
from .broadcasts import answer_saved_broadcast, attempt_submitted_broadcast
from .display import feedback_for
from .errors import AttemptRefused
from .payloads import FeedbackPayload
from .rules import (
    CHOICE_KINDS,
    accommodation_for,
    answer_locks,
    attempt_availability,
    attempt_deadline,
    attempt_is_past_deadline,
    response_clean,
    when_text,
)


def _pin_current_versions(question_ids: list[int]) -> dict[int, tuple[int, str]]:
    """The current version and kind of each question, read under a share lock: an edit that is
    saving right now either finishes first (and its version is pinned) or waits until this
    attempt has pinned the old one (and then makes a new version, since that one was shown).
    Share locks let many students start the same quiz at once."""
    table = Question._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, current_version_id, kind FROM {table} WHERE id = ANY(%s) FOR SHARE",
            [question_ids],
        )
        return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}


@transaction.atomic
def attempt_start(quiz: Quiz, student: User, *, now: dt.datetime | None = None) -> Attempt:
    """Resume the student's attempt in progress, or start a new one if the quiz allows it.

    A running attempt whose deadline has passed is submitted first. Raises ``AttemptRefused``
    (``not_published``, ``not_a_student``, ``not_open``, ``closed``, ``no_attempts_left``,
    ``empty``)."""
    now = now or timezone.now()
    # One student's starts run one at a time (two tabs pressing "start" make one attempt).
    User.objects.select_for_update().filter(pk=student.pk).values_list("pk").first()
    running = Attempt.objects.filter(
        quiz=quiz, student=student, state=Attempt.State.IN_PROGRESS
    ).first()
    if running is not None:
        if not attempt_is_past_deadline(running, now):
            return running
        attempt_submit(running, reason=Attempt.SubmitReason.DEADLINE, now=now)
    availability = attempt_availability(quiz, student, now=now)
    if not availability.can_start:
        raise AttemptRefused(availability.code, availability.message)
    items = list(
        QuizItem.objects.filter(quiz=quiz)
        .order_by("position", "id")
        .values_list("question_id", "points")
    )
    if not items:
        raise AttemptRefused("empty", "This quiz has no questions yet.")
    pinned = _pin_current_versions([qid for qid, _ in items])
    rng = random.SystemRandom()
    if quiz.shuffle_questions:
        rng.shuffle(items)
    accommodation = accommodation_for(student)
    extra = accommodation.extra_time_percent if accommodation else 0
    number = (
        Attempt.objects.filter(quiz=quiz, student=student).aggregate(n=Max("number"))["n"] or 0
    ) + 1
    attempt = Attempt.objects.create(
        quiz=quiz,
        student=student,
        number=number,
        started_at=now,
        extra_time_percent=extra,
        deadline=attempt_deadline(quiz, now, extra),
    )
    versions = QuestionVersion.objects.in_bulk([version_id for version_id, _ in pinned.values()])
    rows = []
    for position, (question_id, points) in enumerate(items, start=1):
        version_id, kind = pinned[question_id]
        order = []
        if kind in CHOICE_KINDS:
            order = [o["id"] for o in versions[version_id].options]
            if quiz.shuffle_options and kind != Question.Kind.TRUE_FALSE:
                rng.shuffle(order)
        rows.append(
            AttemptQuestion(
                attempt=attempt,
                question_id=question_id,
                version_id=version_id,
                position=position,
                option_order=order,
                points=points,
            )
        )
    AttemptQuestion.objects.bulk_create(rows)
    attempt.max_score = float(sum(points for _, points in items))
    attempt.save(update_fields=["max_score"])
    return attempt


@dataclass
class AnswerSaved:
    attempt_question: AttemptQuestion
    saved_at: dt.datetime
    feedback: FeedbackPayload | None  # present when the quiz shows feedback after each answer


def answer_save(
    attempt: Attempt,
    attempt_question: AttemptQuestion,
    response: object,
    *,
    now: dt.datetime | None = None,
    sender: str | None = None,
) -> AnswerSaved:
    """Store and grade one answer. ``attempt`` carries its quiz; ``attempt_question`` one of
    its questions as ``attempt_questions`` loads them (the consumer keeps them in memory).

    One conditional UPDATE: it only writes while the attempt is in progress, before its
    deadline (and, when answers lock, if the question is unanswered), as the database sees it
    at that moment. Raises ``AttemptRefused`` (``bad_response``, ``submitted``, ``time_up``,
    ``locked``) and stores nothing then."""
    if attempt_question.attempt_id != attempt.pk:
        raise AttemptRefused("no_such_question", "That question is not in this attempt.")
    cleaned = response_clean(attempt_question, response)
    now = now or timezone.now()
    score = grade(attempt_question.question.kind, attempt_question.version, cleaned)
    stored = _answer_store_if_open(
        attempt_question.pk,
        cleaned,
        score,
        now,
        only_unanswered=answer_locks(attempt.quiz),
    )
    if not stored:
        _refusal_for_unsaved(attempt, attempt_question, now)
    attempt_question.response, attempt_question.score, attempt_question.answered_at = (
        cleaned,
        score,
        now,
    )
    feedback = feedback_for(attempt_question) if answer_locks(attempt.quiz) else None
    transaction.on_commit(
        lambda: answer_saved_broadcast(attempt, attempt_question, sender=sender), robust=True
    )
    return AnswerSaved(attempt_question, now, feedback)


def _answer_store_if_open(
    attempt_question_id: int,
    response: dict[str, Any],
    score: float,
    now: dt.datetime,
    *,
    only_unanswered: bool,
) -> bool:
    """Write the answer if its attempt is in progress and before its deadline (and, with
    ``only_unanswered``, if the question has no answer yet); returns whether it was written.

    The attempt row is share-locked for the statement's transaction: a submit (which locks it
    for update before it adds up the scores) waits for this answer to commit, and an answer
    racing a submit that got there first waits, sees the attempt submitted and writes nothing.
    So an acknowledged answer is always in the score.

    Written out as one statement: the ORM turns a cross-table conditional UPDATE into
    ``id IN (SELECT …)`` with the model's ordering, and compiling that cost about 4 ms of CPU per
    answer under the GIL, which every socket of the process waited on."""
    quote = connection.ops.quote_name
    answer, attempt = AttemptQuestion._meta, Attempt._meta

    def column(field: "models.Field[Any, Any]") -> str:
        assert field.column is not None  # every field named here is one of the table's own
        return quote(field.column)

    def own(meta: "Options[Any]", name: str) -> str:
        return column(_concrete_field(meta, name))

    sql = (
        f"UPDATE {quote(answer.db_table)} SET "
        f"{own(answer, 'response')} = %s, {own(answer, 'score')} = %s, "
        f"{own(answer, 'answered_at')} = %s "
        f"WHERE {column(answer.pk)} = %s AND EXISTS ("
        f"SELECT 1 FROM {quote(attempt.db_table)} AS a "
        f"WHERE a.{column(attempt.pk)} = "
        f"{quote(answer.db_table)}.{own(answer, 'attempt')} "
        f"AND a.{own(attempt, 'state')} = %s "
        f"AND (a.{own(attempt, 'deadline')} IS NULL "
        f"OR a.{own(attempt, 'deadline')} >= %s) "
        "FOR SHARE)"
    )
    if only_unanswered:
        sql += f" AND {own(answer, 'answered_at')} IS NULL"
    params = [
        _concrete_field(answer, "response").get_db_prep_save(response, connection),
        score,
        now,
        attempt_question_id,
        Attempt.State.IN_PROGRESS,
        now,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        written: int = cursor.rowcount
    return written == 1


def _concrete_field(meta: "Options[Any]", name: str) -> "models.Field[Any, Any]":
    """A field of the model's own table (not a reverse relation)."""
    field = meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def _refusal_for_unsaved(
    attempt: Attempt, attempt_question: AttemptQuestion, now: dt.datetime
) -> None:
    fresh = Attempt.objects.get(pk=attempt.pk)
    if fresh.state == Attempt.State.SUBMITTED:
        raise AttemptRefused(
            "submitted", "This attempt is already submitted; its answers can no longer change."
        )
    if attempt_is_past_deadline(fresh, now):
        attempt_submit(fresh, reason=Attempt.SubmitReason.DEADLINE, now=now)
        raise AttemptRefused(
            "time_up",
            f"Time is up (the deadline was {when_text(fresh.deadline)}); this answer was not saved "
            "and the attempt has been submitted.",
        )
    raise AttemptRefused("locked", "You have already answered this question and seen its feedback.")


@transaction.atomic
def attempt_submit(
    attempt: Attempt,
    *,
    reason: str = Attempt.SubmitReason.STUDENT,
    now: dt.datetime | None = None,
    sender: str | None = None,
) -> tuple[Attempt, bool]:
    """Submit and score the attempt; returns it and whether this call submitted it (False:
    it already was — a double submit changes nothing). Past its deadline the attempt counts as
    submitted by the clock, at the deadline."""
    now = now or timezone.now()
    locked = Attempt.objects.select_for_update().select_related("quiz").get(pk=attempt.pk)
    if locked.state == Attempt.State.SUBMITTED:
        return locked, False
    deadline = locked.deadline
    if deadline is not None and attempt_is_past_deadline(locked, now):
        reason, now = Attempt.SubmitReason.DEADLINE, deadline
    quiz = locked.quiz
    earned = 0.0
    possible = 0.0
    for points, score in AttemptQuestion.objects.filter(attempt=locked).values_list(
        "points", "score"
    ):
        possible += float(points)
        earned += float(points) * (score or 0.0)
    locked.is_late = bool(quiz.closes_at and now > quiz.closes_at)
    if locked.is_late and quiz.late_penalty_percent:
        earned *= (100 - quiz.late_penalty_percent) / 100
    locked.state = Attempt.State.SUBMITTED
    locked.submitted_at = now
    locked.submit_reason = reason
    locked.score = round(earned, 4)
    locked.max_score = possible
    locked.save(
        update_fields=["state", "submitted_at", "submit_reason", "is_late", "score", "max_score"]
    )
    transaction.on_commit(lambda: attempt_submitted_broadcast(locked, sender=sender), robust=True)
    return locked, True


def attempts_submit_expired(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Submit every attempt of this school still open past its deadline (the sweep task runs
    this each minute; connected pages get their own timer). Returns how many it submitted."""
    now = now or timezone.now()
    expired = list(
        Attempt.objects.filter(state=Attempt.State.IN_PROGRESS, deadline__lt=now)
        .order_by("deadline")
        .values_list("pk", flat=True)[:limit]
    )
    submitted = 0
    for attempt_id in expired:
        _, changed = attempt_submit(
            Attempt(pk=attempt_id), reason=Attempt.SubmitReason.DEADLINE, now=now
        )
        submitted += changed
    return submitted


def attempt_expire_if_due(attempt: Attempt, *, now: dt.datetime | None = None) -> Attempt:
    """The attempt, submitted first if it is still open past its deadline."""
    now = now or timezone.now()
    if attempt.state == Attempt.State.IN_PROGRESS and attempt_is_past_deadline(attempt, now):
        attempt, _ = attempt_submit(attempt, reason=Attempt.SubmitReason.DEADLINE, now=now)
    return attempt
