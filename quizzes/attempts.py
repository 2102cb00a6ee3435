"""Taking a quiz: start (or resume) an attempt, save each answer as it comes, submit.

One write path per state change — ``attempt_start``, ``answer_save``, ``attempt_submit``,
``attempts_submit_expired`` — called alike by the websocket consumer, the API and the deadline
sweep, so the rules below hold whichever way an answer arrives.

- A quiz takes attempts from ``opens_at`` to ``closes_at``. With ``late_minutes``, students may
  still start and submit for that long after closing; a submission after ``closes_at`` is late
  and loses ``late_penalty_percent`` of its score.
- Attempts allowed: the quiz's ``attempts_allowed`` (0: unlimited) plus the student's
  ``Accommodation.extra_attempts``. Only a course's students take its quizzes.
- The server owns the clock. ``Attempt.deadline`` is fixed at the start: the time limit, longer
  by the student's ``extra_time_percent``, never past the closing time (plus the late window).
  No answer is stored after it; an attempt still open after it is submitted by the server (the
  consumer's timer, the sweep task, or the next time anyone touches it).
- Answers are stored (and graded against the version the attempt pinned) the moment they
  arrive. With feedback shown immediately an answer is final once its feedback is seen.
- Submitting twice changes nothing the second time.
"""

import datetime as dt
import random
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from courses.models import Enrollment
from courses.selectors import can_manage_course, course_list_for
from smartedu.progress import group_send_quietly

from .grading import grade, parse_number
from .models import (
    Accommodation,
    Attempt,
    AttemptQuestion,
    Question,
    QuestionVersion,
    Quiz,
    QuizItem,
)
from .rendering import render

CHOICE_KINDS = (Question.Kind.SINGLE, Question.Kind.MULTIPLE, Question.Kind.TRUE_FALSE)
TEXT_KINDS = (Question.Kind.SHORT_ANSWER, Question.Kind.FILL_BLANK)
MAX_TEXT_ANSWER_CHARS = 500


class AttemptRefused(Exception):
    """A request the rules do not allow, with a stable ``code`` for clients and a message for
    people. Nothing was changed."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# --- the quiz's window and the student's allowance -----------------------------------------


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
        return answer("not_open", f"This quiz opens at {_when(quiz.opens_at)}.")
    if window == "closed":
        return answer("closed", f"This quiz closed at {_when(quiz.closes_at)}.")
    if allowed and used >= allowed:
        return answer(
            "no_attempts_left",
            f"You have used all {allowed} attempt{'s' if allowed != 1 else ''} at this quiz.",
        )
    return answer("ok", "You may start an attempt.")


def _when(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


# --- starting ------------------------------------------------------------------------------


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


# --- answering -----------------------------------------------------------------------------


def attempt_is_past_deadline(attempt: Attempt, now: dt.datetime) -> bool:
    return attempt.deadline is not None and now > attempt.deadline


def attempt_questions(attempt: Attempt) -> list[AttemptQuestion]:
    """The attempt's questions in the order it shows them, with their pinned versions, the
    question (kind, source) and its material."""
    return list(
        AttemptQuestion.objects.filter(attempt=attempt)
        .select_related("version", "question__source_material")
        .defer("question__embedding")
        .order_by("position")
    )


def response_clean(attempt_question: AttemptQuestion, response) -> dict:
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


@dataclass
class AnswerSaved:
    attempt_question: AttemptQuestion
    saved_at: dt.datetime
    feedback: dict | None  # present when the quiz shows feedback after each answer


def answer_locks(quiz: Quiz) -> bool:
    """Whether an answer is final once given (it is when its feedback shows at once)."""
    return quiz.show_feedback == Quiz.Feedback.IMMEDIATELY


def answer_save(
    attempt: Attempt,
    attempt_question: AttemptQuestion,
    response,
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
        lambda: _after_answer(attempt, attempt_question, sender=sender), robust=True
    )
    return AnswerSaved(attempt_question, now, feedback)


def _answer_store_if_open(
    attempt_question_id: int, response, score: float, now: dt.datetime, *, only_unanswered: bool
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
    column = answer.get_field
    sql = (
        f"UPDATE {quote(answer.db_table)} SET "
        f"{quote(column('response').column)} = %s, {quote(column('score').column)} = %s, "
        f"{quote(column('answered_at').column)} = %s "
        f"WHERE {quote(answer.pk.column)} = %s AND EXISTS ("
        f"SELECT 1 FROM {quote(attempt.db_table)} AS a "
        f"WHERE a.{quote(attempt.pk.column)} = "
        f"{quote(answer.db_table)}.{quote(column('attempt').column)} "
        f"AND a.{quote(attempt.get_field('state').column)} = %s "
        f"AND (a.{quote(attempt.get_field('deadline').column)} IS NULL "
        f"OR a.{quote(attempt.get_field('deadline').column)} >= %s) "
        "FOR SHARE)"
    )
    if only_unanswered:
        sql += f" AND {quote(column('answered_at').column)} IS NULL"
    params = [
        column("response").get_db_prep_save(response, connection),
        score,
        now,
        attempt_question_id,
        Attempt.State.IN_PROGRESS,
        now,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount == 1


def _refusal_for_unsaved(attempt: Attempt, attempt_question: AttemptQuestion, now) -> None:
    fresh = Attempt.objects.get(pk=attempt.pk)
    if fresh.state == Attempt.State.SUBMITTED:
        raise AttemptRefused(
            "submitted", "This attempt is already submitted; its answers can no longer change."
        )
    if attempt_is_past_deadline(fresh, now):
        attempt_submit(fresh, reason=Attempt.SubmitReason.DEADLINE, now=now)
        raise AttemptRefused(
            "time_up",
            f"Time is up (the deadline was {_when(fresh.deadline)}); this answer was not saved "
            "and the attempt has been submitted.",
        )
    raise AttemptRefused("locked", "You have already answered this question and seen its feedback.")


# --- submitting ----------------------------------------------------------------------------


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
    if attempt_is_past_deadline(locked, now):
        reason, now = Attempt.SubmitReason.DEADLINE, locked.deadline
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
    transaction.on_commit(lambda: _after_submit(locked, sender=sender), robust=True)
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


# --- what a student sees -------------------------------------------------------------------


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


def correct_answer(attempt_question: AttemptQuestion) -> dict:
    version = attempt_question.version
    kind = attempt_question.question.kind
    if kind in CHOICE_KINDS:
        return {"options": [o["id"] for o in version.options if o.get("correct")]}
    if kind in TEXT_KINDS:
        return {"accepted": list(version.answer.get("accepted", []))}
    return {
        "value": version.answer.get("value"),
        "tolerance": version.answer.get("tolerance") or 0,
        "unit": version.answer.get("unit") or "",
    }


def citation_for(question: Question) -> dict | None:
    """Where the key comes from: the material, page/section and the supporting passage."""
    if not (question.source_material_id or question.source_quote):
        return None
    material = question.source_material
    return {
        "material": material.pk if material else None,
        "title": (material.title if material else "") or "",
        "page": question.source_page,
        "section": question.source_section,
        "quote": question.source_quote,
    }


def feedback_for(attempt_question: AttemptQuestion) -> dict:
    """The feedback on an answered (or unanswered) question: the share of points earned, the
    right answer, the explanation, per-option feedback and the citation."""
    version = attempt_question.version
    score = attempt_question.score
    chosen = set()
    response = attempt_question.response or {}
    if "option" in response:
        chosen = {response["option"]}
    elif "options" in response:
        chosen = set(response["options"])
    return {
        "position": attempt_question.position,
        "score": score,
        "correct": score == 1.0,
        "answered": attempt_question.answered_at is not None,
        "points_earned": round(float(attempt_question.points) * (score or 0.0), 4),
        "correct_answer": correct_answer(attempt_question),
        "explanation_html": str(render(version.explanation)) if version.explanation else "",
        "option_feedback": [
            {
                "id": o["id"],
                "correct": bool(o.get("correct")),
                "chosen": o["id"] in chosen,
                "feedback_html": str(render(o.get("feedback"), inline=True))
                if o.get("feedback")
                else "",
            }
            for o in version.options
        ],
        "source": citation_for(attempt_question.question),
    }


def question_payload(attempt_question: AttemptQuestion) -> dict:
    """A question as the student sees it before feedback: no key, options in the attempt's
    order."""
    version = attempt_question.version
    by_id = {o["id"]: o for o in version.options}
    order = attempt_question.option_order or list(by_id)
    kind = attempt_question.question.kind
    return {
        "position": attempt_question.position,
        "kind": kind,
        "points": float(attempt_question.points),
        "stem_html": str(render(version.stem)),
        "options": [
            {"id": oid, "text_html": str(render(by_id[oid].get("text"), inline=True))}
            for oid in order
            if oid in by_id
        ],
        "unit": (version.answer.get("unit") or "") if kind == Question.Kind.NUMERIC else "",
        "response": attempt_question.response,
        "saved_at": attempt_question.answered_at.isoformat()
        if attempt_question.answered_at
        else None,
    }


def attempt_state(
    attempt: Attempt,
    questions: list[AttemptQuestion] | None = None,
    *,
    now: dt.datetime | None = None,
) -> dict:
    """Everything a quiz player needs to show (or resume) an attempt: its questions in the
    attempt's order with every saved answer, the deadline and the server's clock, and feedback
    and results where the quiz shows them."""
    now = now or timezone.now()
    questions = attempt_questions(attempt) if questions is None else questions
    show_feedback = feedback_visible(attempt, now=now)
    locks = answer_locks(attempt.quiz)
    payload_questions = []
    for aq in questions:
        item = question_payload(aq)
        item["locked"] = attempt.state == Attempt.State.SUBMITTED or (
            locks and aq.answered_at is not None
        )
        if show_feedback and (aq.answered_at is not None or attempt.state == "submitted"):
            item["feedback"] = feedback_for(aq)
        payload_questions.append(item)
    remaining = None
    if attempt.deadline is not None and attempt.state == Attempt.State.IN_PROGRESS:
        remaining = max(0.0, (attempt.deadline - now).total_seconds())
    state = {
        "attempt": attempt.pk,
        "quiz": attempt.quiz_id,
        "number": attempt.number,
        "state": attempt.state,
        "started_at": attempt.started_at.isoformat() if attempt.started_at else None,
        "deadline": attempt.deadline.isoformat() if attempt.deadline else None,
        "server_time": now.isoformat(),
        "remaining_seconds": remaining,
        "show_feedback": attempt.quiz.show_feedback,
        "feedback_visible": show_feedback,
        "answered": sum(1 for aq in questions if aq.answered_at is not None),
        "questions": payload_questions,
    }
    if attempt.state == Attempt.State.SUBMITTED:
        state["result"] = attempt_result(attempt)
    return state


def attempt_result(attempt: Attempt) -> dict:
    return {
        "score": attempt.score,
        "max_score": attempt.max_score,
        "percent": attempt.percent,
        "submitted_at": attempt.submitted_at.isoformat() if attempt.submitted_at else None,
        "submit_reason": attempt.submit_reason,
        "late": attempt.is_late,
        "late_penalty_percent": attempt.quiz.late_penalty_percent if attempt.is_late else 0,
    }


# --- reads through the asking person -------------------------------------------------------


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


# --- live updates --------------------------------------------------------------------------


def attempt_group(schema_name: str, attempt_id: int) -> str:
    """Every open page of one attempt (a second tab, the API's writes) hears its changes."""
    return f"{schema_name}.attempt.{attempt_id}"


def _after_answer(attempt: Attempt, attempt_question: AttemptQuestion, *, sender) -> None:
    group_send_quietly(
        attempt_group(connection.schema_name, attempt.pk),
        {
            "type": "attempt.event",
            "sender": sender,
            "event": {
                "type": "saved",
                "position": attempt_question.position,
                "response": attempt_question.response,
                "saved_at": attempt_question.answered_at.isoformat(),
            },
        },
    )
    if answer_locks(attempt.quiz):
        # Only a final answer moves mastery; one that can still change waits for the submit
        # (a recompute now would rewrite the same rows).
        from .progress import progress_changed

        progress_changed(attempt.student_id, attempt.quiz.course_id)


def _after_submit(attempt: Attempt, *, sender) -> None:
    group_send_quietly(
        attempt_group(connection.schema_name, attempt.pk),
        {"type": "attempt.event", "sender": sender, "event": {"type": "submitted"}},
    )
    from .progress import progress_changed

    progress_changed(attempt.student_id, attempt.quiz.course_id, submitted_attempt=attempt.pk)
