"""Quizzes: the list (students see published ones), a quiz's questions (reorder, remove),
its settings, publishing and export."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courses import selectors as course_selectors
from courses.access import course_access
from courses.models import Course
from smartedu.errors import NotFound

from .. import selectors, services
from ..access import quiz_access
from ..forms import QuizCreateForm, QuizSettingsForm, add_service_errors
from ..models import Quiz
from ..rendering import render as render_text
from .attempts import quiz_student_context
from .common import EXPORT_FORMATS, exchange_module, is_htmx


def settings_summary(quiz: Quiz) -> list[str]:
    """The quiz's settings in a few words each, for lists and for students."""
    parts = [
        f"{quiz.time_limit_minutes} minutes" if quiz.time_limit_minutes else "No time limit",
        "Unlimited attempts"
        if not quiz.attempts_allowed
        else f"{quiz.attempts_allowed} attempt{'s' if quiz.attempts_allowed != 1 else ''}",
        f"Feedback: {quiz.get_show_feedback_display().lower()}",
    ]
    if quiz.shuffle_questions:
        parts.append("Questions shuffled")
    if quiz.shuffle_options:
        parts.append("Options shuffled")
    if quiz.opens_at:
        parts.append(f"Opens {quiz.opens_at:%-d %b %Y, %H:%M} UTC")
    if quiz.closes_at:
        parts.append(f"Closes {quiz.closes_at:%-d %b %Y, %H:%M} UTC")
        if quiz.late_minutes:
            penalty = f", {quiz.late_penalty_percent}% off" if quiz.late_penalty_percent else ""
            parts.append(f"Late work taken for {quiz.late_minutes} minutes{penalty}")
    return parts


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def quiz_list(request, course_id: int):
    """The course's quizzes. Managers see all of them and create new ones; students see the
    published ones."""
    posted = request.method == "POST"
    course = course_access(request.user, course_id, manage=posted)
    # Whoever got a post through may manage the course; others are asked.
    can_manage = posted or course_selectors.can_manage_course(request.user, course)
    form: QuizCreateForm | None = None
    status = 200
    if can_manage:
        form = QuizCreateForm(request.POST if posted else None)
    if posted:
        assert form is not None  # whoever got a post through manages the course
        if form.is_valid():
            try:
                quiz = services.quiz_create(
                    course=course, title=form.cleaned_data["title"], created_by=request.user
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"“{quiz.title}” was created. Add questions to it.")
                return redirect("quizzes:quiz", course_id=course.pk, quiz_id=quiz.pk)
        status = 400
    quizzes = [
        {"quiz": quiz, "summary": settings_summary(quiz)}
        for quiz in selectors.quiz_list_for(request.user, course)
    ]
    return render(
        request,
        "quizzes/quiz_list.html",
        {"course": course, "can_manage": can_manage, "quizzes": quizzes, "form": form},
        status=status,
    )


def _quiz_items(quiz: Quiz) -> list[dict]:
    return [
        {"item": item, "stem_html": render_text(item.question.current.stem)}
        for item in selectors.quiz_items(quiz)
    ]


def _quiz_context(request, course: Course, quiz: Quiz, **extra) -> dict:
    exchange = exchange_module()
    return {
        "course": course,
        "quiz": quiz,
        "can_manage": True,
        "items": _quiz_items(quiz),
        "summary": settings_summary(quiz),
        "description_html": render_text(quiz.description) if quiz.description else "",
        "exports": EXPORT_FORMATS if exchange is not None else {},
        **extra,
    }


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def quiz_detail(request, course_id: int, quiz_id: int):
    """A quiz: its questions (reorder, remove), its settings, publish and export. Students see
    a published quiz's title, description and settings only."""
    course = course_access(request.user, course_id)
    can_manage = course_selectors.can_manage_course(request.user, course)
    # Changing the settings (a post) is for the people who run the course.
    quiz = quiz_access(request.user, quiz_id, course=course, manage=request.method == "POST")
    if not can_manage:
        return render(
            request,
            "quizzes/quiz_student.html",
            {
                "course": course,
                "quiz": quiz,
                "summary": settings_summary(quiz),
                "description_html": render_text(quiz.description) if quiz.description else "",
                "question_count": quiz.items.count(),
                **quiz_student_context(request.user, course, quiz),
            },
        )
    form = QuizSettingsForm.for_quiz(quiz, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.quiz_update(quiz, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Settings saved.")
                return redirect("quizzes:quiz", course_id=course.pk, quiz_id=quiz.pk)
        quiz.refresh_from_db()  # the page shows what is stored; the form keeps what was typed
        status = 400
    return render(
        request,
        "quizzes/quiz_detail.html",
        _quiz_context(request, course, quiz, form=form),
        status=status,
    )


def _items_response(
    request, course: Course, quiz: Quiz, *, error: str = "", focus: tuple[int, str] | None = None
):
    """The quiz's list of questions; for a swap, ``focus`` (question id, "up" | "down" |
    "remove") names the control that gets ``autofocus``, so a keyboard user stays where they
    were instead of being dropped at the top of the page when the list is replaced."""
    if not is_htmx(request):
        if error:
            messages.error(request, error)
        return redirect("quizzes:quiz", course_id=course.pk, quiz_id=quiz.pk)
    focus_question, focus_action = focus or (None, "")
    return render(
        request,
        "quizzes/_quiz_items.html",
        {
            **_quiz_context(request, course, quiz),
            "items_error": error,
            "focus_question": focus_question,
            "focus_action": focus_action,
        },
    )


@login_required
@require_POST
def quiz_item_move(request, course_id: int, quiz_id: int, question_id: int):
    """Move a question one place up or down."""
    course = course_access(request.user, course_id, manage=True)
    quiz = quiz_access(request.user, quiz_id, course=course, manage=True)
    order = [item.question_id for item in selectors.quiz_items(quiz)]
    if question_id not in order:
        raise NotFound("That question is not in this quiz.")
    index = order.index(question_id)
    other = index - 1 if request.POST.get("direction") == "up" else index + 1
    if 0 <= other < len(order):
        order[index], order[other] = order[other], order[index]
        services.quiz_questions_reorder(quiz, order)
        index = other
    # Focus stays on the moved question: on the same arrow, or on the other one once it has
    # reached the end of the list (a disabled button cannot hold focus).
    direction = "up" if request.POST.get("direction") == "up" else "down"
    if index == 0:
        direction = "down"
    elif index == len(order) - 1:
        direction = "up"
    focus = (question_id, direction) if len(order) > 1 else None
    return _items_response(request, course, quiz, focus=focus)


@login_required
@require_POST
def quiz_item_remove(request, course_id: int, quiz_id: int, question_id: int):
    course = course_access(request.user, course_id, manage=True)
    quiz = quiz_access(request.user, quiz_id, course=course, manage=True)
    order = [item.question_id for item in selectors.quiz_items(quiz)]
    try:
        services.quiz_question_remove(quiz, question_id)
    except ValidationError as exc:
        return _items_response(request, course, quiz, error=" ".join(exc.messages))
    if not is_htmx(request):
        messages.success(request, "The question was taken out of the quiz; it stays in the bank.")
    # Focus moves to the Remove button of the question that took its place (or the one before).
    rest = [pk for pk in order if pk != question_id]
    place = order.index(question_id) if question_id in order else 0
    focus = (rest[min(place, len(rest) - 1)], "remove") if rest else None
    return _items_response(request, course, quiz, focus=focus)


@login_required
@require_POST
def quiz_publish(request, course_id: int, quiz_id: int):
    course = course_access(request.user, course_id, manage=True)
    quiz = quiz_access(request.user, quiz_id, course=course, manage=True)
    try:
        services.quiz_publish(quiz)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"“{quiz.title}” is published: the course’s students see it.")
    return redirect("quizzes:quiz", course_id=course.pk, quiz_id=quiz.pk)


@login_required
@require_POST
def quiz_unpublish(request, course_id: int, quiz_id: int):
    course = course_access(request.user, course_id, manage=True)
    quiz = quiz_access(request.user, quiz_id, course=course, manage=True)
    services.quiz_unpublish(quiz)
    messages.success(request, f"“{quiz.title}” is hidden from students again.")
    return redirect("quizzes:quiz", course_id=course.pk, quiz_id=quiz.pk)


@login_required
@require_GET
@never_cache  # the file holds the answer keys
def quiz_export(request, course_id: int, quiz_id: int, fmt: str):
    """Download the quiz as QTI 2.1, Moodle XML or GIFT. When the format cannot carry
    something the quiz holds, a page says what first, with the download beside it."""
    course = course_access(request.user, course_id, manage=True)
    quiz = quiz_access(request.user, quiz_id, course=course, manage=True)
    exchange = exchange_module()
    if exchange is None or fmt not in EXPORT_FORMATS:
        raise NotFound("No such export format.")
    try:
        result = exchange.quiz_export(quiz, fmt)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("quizzes:quiz", course_id=course.pk, quiz_id=quiz.pk)
    if result.warnings and request.GET.get("download") != "1":
        return render(
            request,
            "quizzes/export_warnings.html",
            {
                "course": course,
                "quiz": quiz,
                "fmt": fmt,
                "label": EXPORT_FORMATS[fmt],
                "result": result,
            },
        )
    response = HttpResponse(result.data, content_type=result.content_type)
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    return response
