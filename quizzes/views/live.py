"""Live class pages: the teacher's "run live" form and host screen (under
/courses/<course_id>/quizzes/<quiz_id>/live/), and the students' join and play pages (/live/ and
/live/<code>/).

The pages are shells: the websocket (``quizzes.consumers.live``) fills them in and the host's
buttons send their commands over it. Every button is also a plain form posting to
``live_control``, so the session can be run without the socket too. Every rule is in
``quizzes.live`` (its services, selectors and snapshots)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from courses.access import course_access
from smartedu.errors import NotFound

from ..access import live_session_access, quiz_access
from ..live.rules import SECONDS_PER_QUESTION_MAX, SECONDS_PER_QUESTION_MIN, LiveRefused
from ..live.selectors import live_sessions_running, quiz_question_count
from ..live.services import (
    live_connect,
    live_round_close,
    live_round_open_next,
    live_session_end,
    live_session_start,
)
from ..live.snapshots import live_state
from ..models import LiveSession, Quiz


class LiveStartForm(forms.Form):
    show_leaderboard = forms.BooleanField(
        required=False, initial=True, label="Show the leaderboard after each question"
    )
    anonymous_leaderboard = forms.BooleanField(
        required=False, label="Anonymous leaderboard: aliases instead of names on shared screens"
    )
    speed_scoring = forms.BooleanField(
        required=False,
        initial=True,
        label="Speed scoring: faster right answers earn more (up to double)",
    )
    seconds_per_question = forms.IntegerField(
        required=False,
        min_value=SECONDS_PER_QUESTION_MIN,
        max_value=SECONDS_PER_QUESTION_MAX,
        label="Seconds per question",
        help_text=(
            f"{SECONDS_PER_QUESTION_MIN} to {SECONDS_PER_QUESTION_MAX}. Each question closes "
            "by itself when its time is up; leave empty to close each one yourself."
        ),
    )


def host_url(session: LiveSession) -> str:
    return reverse(
        "quizzes:live_host",
        kwargs={
            "course_id": session.quiz.course_id,
            "quiz_id": session.quiz_id,
            "session_id": session.pk,
        },
    )


def _ws_path(session: LiveSession) -> str:
    return f"/ws/live/{session.join_code}/?session={session.pk}"


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def live_start(request, course_id: int, quiz_id: int):
    """The "run live" form (with the quiz's sessions still running, to go back to)."""
    course = course_access(request.user, course_id, manage=True)
    quiz = quiz_access(request.user, quiz_id, course=course, manage=True)
    form = LiveStartForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                session = live_session_start(quiz, request.user, **form.cleaned_data)
            except LiveRefused as exc:
                form.add_error(None, exc.message)
            else:
                return redirect(host_url(session))
        status = 400
    return render(
        request,
        "quizzes/live_host.html",
        {
            "course": course,
            "quiz": quiz,
            "form": form,
            "session": None,
            "published": quiz.state == Quiz.State.PUBLISHED,
            "running": live_sessions_running(quiz).select_related("host"),
            "question_count": quiz_question_count(quiz.pk),
        },
        status=status,
    )


@never_cache
@login_required
def live_host(request, course_id: int, quiz_id: int, session_id: int):
    """The host screen: the join code, the participants, the question, the live answer count,
    the results and the leaderboard, and the controls."""
    course = course_access(request.user, course_id, manage=True)
    session = live_session_access(request.user, quiz_id, session_id, course=course)
    # The page embeds the state as JSON (json_script) for its first paint.
    state = live_state(session, role="host").as_message()
    return render(
        request,
        "quizzes/live_host.html",
        {
            "course": course,
            "quiz": session.quiz,
            "session": session,
            "state": state,
            "ws_path": _ws_path(session),
            "join_url": request.build_absolute_uri(reverse("live_join")),
            "code_spelled": " ".join(session.join_code),
        },
    )


CONTROLS = {
    "next": lambda session_id, user: live_round_open_next(session_id, by=user),
    "close": lambda session_id, user: live_round_close(session_id, by=user),
    "end": lambda session_id, user: live_session_end(session_id, by=user),
}


@login_required
@require_POST
def live_control(request, course_id: int, quiz_id: int, session_id: int, action: str):
    """The host's buttons as plain forms (the page sends them over the socket when it can)."""
    course = course_access(request.user, course_id, manage=True)
    session = live_session_access(request.user, quiz_id, session_id, course=course)
    if action not in CONTROLS:
        raise NotFound("No such live session of this quiz.")
    try:
        CONTROLS[action](session.pk, request.user)
    except LiveRefused as exc:
        messages.error(request, exc.message)
    return redirect(host_url(session))


def _join_page(request, *, code: str = "", error: str = "", status: int = 200):
    return render(request, "quizzes/live_join.html", {"code": code, "error": error}, status=status)


def _refusal_status(refusal: LiveRefused) -> int:
    return refusal.status


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def live_join(request):
    """Students type the code the teacher shows; teachers typing it go to their host screen."""
    if request.method == "GET":
        return _join_page(request, code=request.GET.get("code", "")[:12])
    code = request.POST.get("code", "")
    if not code.strip():
        return _join_page(request, error="Type the code your teacher shows.", status=400)
    try:
        session, role, _ = live_connect(request.user, code)
    except LiveRefused as exc:
        return _join_page(request, code=code[:12], error=exc.message, status=_refusal_status(exc))
    if role == "host":
        return redirect(host_url(session))
    return redirect("live_play", code=session.join_code)


@never_cache
@login_required
def live_play(request, code: str):
    """A student's screen for the session (joined on the first visit)."""
    try:
        session, role, participant = live_connect(request.user, code)
    except LiveRefused as exc:
        return _join_page(request, code=code[:12], error=exc.message, status=_refusal_status(exc))
    if role == "host":
        return redirect(host_url(session))
    return render(
        request,
        "quizzes/live_play.html",
        {
            "session": session,
            "participant": participant,
            "ws_path": _ws_path(session),
            "state": live_state(session, role="student", participant=participant).as_message(),
        },
    )
