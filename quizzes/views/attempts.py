"""Taking quizzes: the player (a page shell; static/quizzes/attempt.js drives it over the
attempt websocket, quizzes.consumers.attempts), the review of a submitted attempt, what the
student's quiz page says about starting, and the accommodations page.

Who may see what comes from ``quizzes.attempts`` (``rules.attempt_availability``,
``selectors.attempt_get_for``, ``selectors.feedback_visible``); writes go through
``quizzes.attempts.services`` and ``quizzes.accommodations``. Question text arrives as HTML
made by ``quizzes.rendering.render`` (sanitised) inside the attempt payloads; only those
``*_html`` fields are marked safe here."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from courses import selectors as course_selectors
from courses.access import course_access
from courses.models import Course
from smartedu.errors import Forbidden, NotFound

from .. import accommodations as accommodation_service
from ..access import quiz_access
from ..attempts.display import attempt_state, feedback_for
from ..attempts.payloads import FeedbackPayload, QuestionPayload
from ..attempts.rules import (
    CHOICE_KINDS,
    accommodation_for,
    attempt_availability,
    is_course_student,
    quiz_last_moment,
)
from ..attempts.selectors import attempt_get_for, attempt_questions
from ..attempts.services import attempt_expire_if_due
from ..forms import AccommodationForm, add_service_errors
from ..models import Attempt, AttemptQuestion, Question, Quiz

KIND_HINTS: dict[str, str] = {
    Question.Kind.SINGLE: "Choose one answer.",
    Question.Kind.TRUE_FALSE: "True or false?",
    Question.Kind.MULTIPLE: "Choose every answer that applies.",
    Question.Kind.SHORT_ANSWER: "Type a short answer.",
    Question.Kind.FILL_BLANK: "Type the missing word or words.",
    Question.Kind.NUMERIC: "Type a number.",
}


def when(moment: dt.datetime | None) -> str:
    """A moment as the quiz pages show it (the school runs on UTC)."""
    if moment is None:
        return ""
    return f"{timezone.localtime(moment, dt.UTC):%-d %b %Y, %H:%M} UTC"


def _minutes(minutes: float) -> str:
    minutes = round(minutes, 1)
    shown = int(minutes) if float(minutes).is_integer() else minutes
    return f"{shown} minute{'s' if shown != 1 else ''}"


# --- the student's quiz page ---------------------------------------------------------------


def quiz_student_context(user, course: Course, quiz: Quiz) -> dict:
    """What the student's quiz page shows about taking it: whether they may start now (and why
    not), attempts used and allowed, the time they get and the deadlines, and their attempts.
    An attempt left running past its deadline is submitted first, so the page tells the truth."""
    running = Attempt.objects.filter(
        quiz=quiz, student=user, state=Attempt.State.IN_PROGRESS
    ).first()
    if running is not None:
        attempt_expire_if_due(running)
    availability = attempt_availability(quiz, user)
    accommodation = accommodation_for(user)
    extra = accommodation.extra_time_percent if accommodation else 0
    timing = []
    if quiz.time_limit_minutes:
        line = f"You have {_minutes(quiz.time_limit_minutes)} once you start"
        if extra:
            line += (
                f" — {_minutes(quiz.time_limit_minutes * (100 + extra) / 100)} with your "
                f"{extra}% extra time"
            )
        timing.append(line + "; the clock keeps running if you leave the page.")
    else:
        timing.append("No time limit.")
    if quiz.opens_at and availability.window == "not_open":
        timing.append(f"Opens {when(quiz.opens_at)}.")
    if quiz.closes_at:
        timing.append(f"Closes {when(quiz.closes_at)}.")
        if quiz.late_minutes:
            last = quiz_last_moment(quiz)
            penalty = (
                f", losing {quiz.late_penalty_percent}% of the score"
                if quiz.late_penalty_percent
                else ", with no penalty"
            )
            timing.append(f"Late work is accepted until {when(last)}{penalty}.")
    if availability.in_progress is not None and availability.in_progress.deadline:
        timing.append(f"Your attempt in progress ends {when(availability.in_progress.deadline)}.")
    allowed = availability.attempts_allowed
    if allowed:
        attempts_line = f"Attempts: {availability.attempts_used} of {allowed} used."
    else:
        attempts_line = (
            f"Attempts: {availability.attempts_used} used; you may take this quiz as often as "
            "you like."
        )
    past = [
        {
            "attempt": attempt,
            "submitted": when(attempt.submitted_at),
            "review_url": reverse(
                "quizzes:attempt", kwargs={"course_id": course.pk, "attempt_id": attempt.pk}
            ),
        }
        for attempt in Attempt.objects.filter(quiz=quiz, student=user).order_by("-number")
        if attempt.state == Attempt.State.SUBMITTED
    ]
    return {
        "availability": availability,
        "timing": timing,
        "attempts_line": attempts_line,
        "past_attempts": past,
        "take_url": reverse("quizzes:take", kwargs={"course_id": course.pk, "quiz_id": quiz.pk}),
    }


# --- the player ----------------------------------------------------------------------------


def _student_quiz(request, course_id: int, quiz_id: int) -> tuple[Course, Quiz]:
    """404 when the person cannot see the course or the quiz (a draft, another course), 403
    when they see it but are not one of the course's students (its teachers, admins)."""
    course = course_access(request.user, course_id)
    quiz = quiz_access(request.user, quiz_id, course=course)
    if not is_course_student(request.user, quiz):
        raise Forbidden(
            "Only the course's students take its quizzes; teachers see them on the quiz page."
        )
    return course, quiz


@never_cache
@login_required
@require_GET
def quiz_take(request, course_id: int, quiz_id: int):
    """The quiz player's page. It carries no answers: the page asks the websocket for the
    attempt in progress (a reload resumes it) and shows a Start button when there is none."""
    course, quiz = _student_quiz(request, course_id, quiz_id)
    context = quiz_student_context(request.user, course, quiz)
    return render(
        request,
        "quizzes/attempt.html",
        {
            "course": course,
            "quiz": quiz,
            "question_count": quiz.items.count(),
            "quiz_url": reverse(
                "quizzes:quiz", kwargs={"course_id": course.pk, "quiz_id": quiz.pk}
            ),
            "attempt_url_base": reverse(
                "quizzes:attempt", kwargs={"course_id": course.pk, "attempt_id": 0}
            ),
            "material_url_base": reverse("ai:materials", kwargs={"course_id": course.pk}),
            "ws_path": f"/ws/quizzes/{quiz.pk}/attempt/",
            **context,
        },
    )


# --- the review ----------------------------------------------------------------------------


def _safe(html: str) -> str:
    # Made by quizzes.rendering.render (markdown without raw HTML, then nh3): sanitised.
    return mark_safe(html or "")


def _number(value) -> str:
    if value is None:
        return ""
    number = float(value)
    return str(int(number)) if number.is_integer() else str(number)


def _review_item(
    aq: AttemptQuestion, item: QuestionPayload, feedback: FeedbackPayload | None
) -> dict:
    """One question of the review: what was asked, what the student answered and, where
    ``feedback`` is given, whether it was right, the key, the explanation and the source."""
    kind = aq.question.kind
    response = aq.response or {}
    chosen: set[str] = set()
    if "option" in response:
        chosen = {response["option"]}
    elif "options" in response:
        chosen = set(response["options"])
    correct_ids: set[str] = set()
    option_feedback: dict[str, str] = {}
    if feedback:
        correct_ids = set(feedback["correct_answer"].get("options", []))
        option_feedback = {o["id"]: o["feedback_html"] for o in feedback["option_feedback"]}
    options = [
        {
            "text_html": _safe(option["text_html"]),
            "chosen": option["id"] in chosen,
            "correct": option["id"] in correct_ids,
            "feedback_html": _safe(option_feedback.get(option["id"], ""))
            if option["id"] in chosen
            else "",
        }
        for option in item["options"]
    ]
    typed = response.get("text") if "text" in response else response.get("value")
    key = ""
    if feedback and kind not in CHOICE_KINDS:
        answer = feedback["correct_answer"]
        if "accepted" in answer:
            key = " or ".join(f"“{a}”" for a in answer["accepted"])
        else:
            key = _number(answer.get("value"))
            if answer.get("tolerance"):
                key += f" ± {_number(answer['tolerance'])}"
            if answer.get("unit"):
                key += f" {answer['unit']}"
    result = None
    if feedback:
        if not feedback["answered"]:
            result = "unanswered"
        elif feedback["correct"]:
            result = "correct"
        elif (feedback["score"] or 0) > 0:
            result = "partial"
        else:
            result = "wrong"
    return {
        "position": item["position"],
        "kind": kind,
        "kind_hint": KIND_HINTS.get(kind, ""),
        "points": _number(item["points"]),
        "stem_html": _safe(item["stem_html"]),
        "options": options,
        "is_choice": kind in CHOICE_KINDS,
        "typed": "" if typed is None else str(typed),
        "unit": item["unit"],
        "answered": aq.answered_at is not None,
        "feedback": feedback,
        "result": result,
        "points_earned": _number(feedback["points_earned"]) if feedback else "",
        "key": key,
        "explanation_html": _safe(feedback["explanation_html"]) if feedback else "",
        "source": feedback["source"] if feedback else None,
    }


def _feedback_note(attempt: Attempt) -> str:
    quiz = attempt.quiz
    if attempt.state != Attempt.State.SUBMITTED:
        return "The answers show here once the attempt is submitted."
    if quiz.show_feedback == Quiz.Feedback.AFTER_CLOSE:
        return (
            "Your teacher shows the right answers once the quiz closes"
            f" ({when(quiz_last_moment(quiz))})."
        )
    return "Your teacher does not show the right answers for this quiz."


@never_cache
@login_required
@require_GET
def attempt_review(request, course_id: int, attempt_id: int):
    """A submitted attempt: the score and, where the quiz shows feedback (``feedback_visible``),
    each question with the answer given, the right answer, the explanation and its source.
    Students see their own attempts; the course's teachers and the school's admins see every
    attempt of the course, with the key. Anyone else: 404."""
    course = course_access(request.user, course_id)
    attempt = attempt_get_for(request.user, attempt_id)
    if attempt.quiz.course_id != course.pk:
        raise NotFound("No such attempt in this course.")
    attempt = attempt_expire_if_due(attempt)
    is_own = attempt.student_id == request.user.pk
    is_manager = course_selectors.can_manage_course(request.user, course)
    if attempt.state == Attempt.State.IN_PROGRESS and is_own and not is_manager:
        return redirect("quizzes:take", course_id=course.pk, quiz_id=attempt.quiz_id)
    questions = attempt_questions(attempt)
    state = attempt_state(attempt, questions)
    show_key = state["feedback_visible"] or is_manager
    items = []
    for aq, item in zip(questions, state["questions"], strict=True):
        feedback = item.get("feedback")
        if feedback is None and show_key:
            feedback = feedback_for(aq)
        items.append(_review_item(aq, item, feedback if show_key else None))
    return render(
        request,
        "quizzes/attempt_review.html",
        {
            "course": course,
            "quiz": attempt.quiz,
            "attempt": attempt,
            "result": state.get("result"),
            "items": items,
            "show_key": show_key,
            "is_own": is_own,
            "feedback_note": "" if show_key else _feedback_note(attempt),
            "answered": state["answered"],
            "started": when(attempt.started_at),
            "submitted": when(attempt.submitted_at),
            "deadline": when(attempt.deadline),
            "material_url_base": reverse("ai:materials", kwargs={"course_id": course.pk}),
            "quiz_url": reverse(
                "quizzes:quiz", kwargs={"course_id": course.pk, "quiz_id": attempt.quiz_id}
            ),
        },
    )


# --- accommodations ------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def accommodations(request, course_id: int):
    """The course's students with their extra time and extra attempts, and a form to set one
    student's (teachers of the course and the school's admins). ``?student=<id>`` fills the form
    with that student's current accommodation."""
    course = course_access(request.user, course_id, manage=True)
    students = accommodation_service.course_students_with_accommodations(course)
    status = 200
    if request.method == "POST":
        form = AccommodationForm(request.POST, students=students)
        if form.is_valid():
            data = form.cleaned_data
            student = accommodation_service.course_student_get(course, data["student"])
            if student is None:
                form.add_error("student", "Choose a student of this course.")
            else:
                try:
                    accommodation_service.accommodation_set(
                        student,
                        extra_time_percent=data["extra_time_percent"],
                        extra_attempts=data["extra_attempts"],
                        note=data["note"],
                        updated_by=request.user,
                    )
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    messages.success(
                        request,
                        f"Saved: {student.display_name} gets "
                        f"{data['extra_time_percent']}% extra time and "
                        f"{data['extra_attempts']} extra "
                        f"attempt{'s' if data['extra_attempts'] != 1 else ''}.",
                    )
                    url = reverse("quizzes:accommodations", kwargs={"course_id": course.pk})
                    return redirect(f"{url}#student-{student.pk}")
        status = 400
    else:
        chosen = accommodation_service.course_student_get(course, request.GET.get("student"))
        initial = {"extra_time_percent": 0, "extra_attempts": 0, "note": ""}
        if chosen is not None:
            initial["student"] = chosen.pk
            listed = next(s for s in students if s.pk == chosen.pk)
            current = accommodation_service.accommodation_or_none(listed)
            if current is not None:
                initial.update(
                    extra_time_percent=current.extra_time_percent,
                    extra_attempts=current.extra_attempts,
                    note=current.note,
                )
        form = AccommodationForm(initial=initial, students=students)
    rows = []
    for student in students:
        accommodation = accommodation_service.accommodation_or_none(student)
        rows.append(
            {
                "student": student,
                "accommodation": accommodation,
                "updated": when(accommodation.updated_at) if accommodation else "",
            }
        )
    return render(
        request,
        "quizzes/accommodations.html",
        {"course": course, "rows": rows, "form": form, "can_manage": True},
        status=status,
    )
