"""The live session pages without the socket: the teacher's start form and host screen (whose
buttons also work as plain forms), the students' join and play pages. Students of the course
join; a student of another course is told why not; nobody else runs the session; school B
finds nothing of school A's."""

import pytest
from django_tenants.utils import schema_context

from quizzes import services
from quizzes.live.services import live_session_start
from quizzes.models import LiveParticipant, LiveSession
from tests.quizzes.conftest import VALID, course_in

from .conftest import text


@pytest.fixture
def biology(school_a):
    return course_in(school_a)


@pytest.fixture
def quiz(school_a, biology):
    """A published Biology quiz of two questions."""
    with schema_context(school_a.schema):
        questions = [
            services.question_create(
                course=biology, kind=kind, created_by=school_a.teacher, **VALID[kind]
            )
            for kind in ("single", "numeric")
        ]
        quiz = services.quiz_create(course=biology, title="Cells live", created_by=school_a.teacher)
        services.quiz_questions_add(quiz, [q.pk for q in questions])
        services.quiz_publish(quiz)
    return quiz


@pytest.fixture
def session(school_a, quiz):
    with schema_context(school_a.schema):
        return live_session_start(quiz, school_a.teacher)


def _start_url(quiz) -> str:
    return f"/courses/{quiz.course_id}/quizzes/{quiz.pk}/live/"


def _host_url(session) -> str:
    return f"{_start_url(session.quiz)}{session.pk}/"


def _state(school, session) -> tuple[str, int]:
    with schema_context(school.schema):
        fresh = LiveSession.objects.get(pk=session.pk)
    return fresh.state, fresh.position


def test_the_start_form_opens_a_session_and_lands_on_its_host_screen_with_the_code(school_a, quiz):
    client = school_a.client(school_a.teacher)
    page = text(client.get(_start_url(quiz)))
    assert "Start a live session" in page and "2 questions." in page
    response = client.post(
        _start_url(quiz), {"show_leaderboard": "on", "seconds_per_question": "30"}
    )
    assert response.status_code == 302
    with schema_context(school_a.schema):
        session = LiveSession.objects.get(quiz=quiz)
    assert response["Location"] == _host_url(session)
    assert (session.show_leaderboard, session.anonymous_leaderboard) == (True, False)
    assert (session.speed_scoring, session.seconds_per_question) == (False, 30)
    host = client.get(response["Location"])
    assert host.status_code == 200
    assert f"Code: {' '.join(session.join_code)}" in text(host)
    assert f"/ws/live/{session.join_code}/?session={session.pk}" in host.content.decode()


def test_seconds_out_of_range_are_refused_with_the_range_and_nothing_starts(school_a, quiz):
    response = school_a.client(school_a.teacher).post(
        _start_url(quiz), {"seconds_per_question": "2"}
    )
    assert response.status_code == 400
    assert "Ensure this value is greater than or equal to 5." in text(response)
    with schema_context(school_a.schema):
        assert not LiveSession.objects.filter(quiz=quiz).exists()


def test_a_student_joins_with_the_code_as_typed_and_lands_on_the_play_page(school_a, session):
    client = school_a.client(school_a.student)
    typed = f" {session.join_code[:3].lower()}-{session.join_code[3:]} "
    response = client.post("/live/", {"code": typed})
    assert response.status_code == 302 and response["Location"] == f"/live/{session.join_code}/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    with schema_context(school_a.schema):
        participant = LiveParticipant.objects.get(session=session)
    assert participant.student_id == school_a.student.pk
    assert f"You are {participant.alias}" in text(page)
    # A reload is the same participant.
    client.get(response["Location"])
    with schema_context(school_a.schema):
        assert LiveParticipant.objects.filter(session=session).count() == 1


def test_a_wrong_code_says_there_is_no_running_session(school_a, session):
    response = school_a.client(school_a.student).post("/live/", {"code": "ZZZZZZ"})
    assert response.status_code == 404
    assert "No running session with that code." in text(response)
    empty = school_a.client(school_a.student).post("/live/", {"code": "  "})
    assert empty.status_code == 400 and "Type the code your teacher shows." in text(empty)


def test_a_student_of_another_course_is_told_the_session_is_not_for_them(school_a, session):
    outsider = school_a.students[1]  # in the school, not in Biology
    client = school_a.client(outsider)
    for response in (
        client.post("/live/", {"code": session.join_code}),
        client.get(f"/live/{session.join_code}/"),
    ):
        assert response.status_code == 403
        assert "This live session is for the students of BIO-101 Biology" in text(response)
    with schema_context(school_a.schema):
        assert not LiveParticipant.objects.filter(session=session).exists()


def test_a_teacher_typing_the_code_goes_to_the_host_screen(school_a, session):
    response = school_a.client(school_a.teacher).post("/live/", {"code": session.join_code})
    assert response.status_code == 302 and response["Location"] == _host_url(session)


def test_the_host_buttons_run_the_session_as_plain_forms(school_a, session):
    client = school_a.client(school_a.teacher)
    base = _host_url(session)
    assert client.post(f"{base}next/")["Location"] == base
    assert _state(school_a, session) == ("question", 1)
    client.post(f"{base}close/")
    assert _state(school_a, session) == ("reveal", 1)
    client.post(f"{base}next/")
    client.post(f"{base}next/")  # refused: question 2 is open
    page = text(client.get(base))
    assert "Close the answers to this question first." in page
    assert _state(school_a, session) == ("question", 2)
    client.post(f"{base}end/")
    assert _state(school_a, session) == ("finished", 2)
    assert client.post(f"{base}shout/").status_code == 404


def test_a_student_cannot_open_the_host_screen_or_press_its_buttons(school_a, session):
    client = school_a.client(school_a.student)
    assert client.get(_host_url(session)).status_code == 403
    assert client.get(_start_url(session.quiz)).status_code == 403
    for action in ("next", "close", "end"):
        assert client.post(f"{_host_url(session)}{action}/").status_code == 403
    assert _state(school_a, session) == ("lobby", 0)


def test_school_b_finds_neither_the_code_nor_the_host_screen_of_school_a(
    school_a, school_b, session
):
    teacher_b = school_b.client(school_b.teacher)
    response = teacher_b.post("/live/", {"code": session.join_code})
    assert response.status_code == 404
    assert "No running session with that code." in text(response)
    assert school_b.client(school_b.student).get(f"/live/{session.join_code}/").status_code == 404
    assert teacher_b.get(_host_url(session)).status_code == 404
    assert teacher_b.post(f"{_host_url(session)}next/").status_code == 404
    assert _state(school_a, session) == ("lobby", 0)
