"""Live class sessions over real websockets: one real daphne, the Redis channel layer, a host and
several students on their own sockets (and for mastery a real Celery worker). The server decides
who is the host; students cannot run the session; two schools never see each other's codes."""

import contextlib
import time
from dataclasses import dataclass

import pytest
from django_tenants.utils import schema_context
from websockets.exceptions import ConnectionClosed

from accounts import services as account_services
from courses import services as course_services
from quizzes import services as quiz_services
from quizzes.live.services import live_session_start
from quizzes.models import LiveAnswer, LiveParticipant, LiveSession, Mastery
from tests.conftest import PASSWORD
from tests.quizzes.conftest import VALID

from .ws import (
    close_code_after_open,
    drain,
    handshake_status,
    receive_json,
    receive_until,
    session_cookie,
    ws_connect,
)

pytestmark = pytest.mark.live


@dataclass
class LiveClass:
    school: object
    course: object
    quiz: object
    students: list
    session: LiveSession

    @property
    def path(self) -> str:
        return f"/ws/live/{self.session.join_code}/"

    def option(self, position: int, text: str) -> str:
        with schema_context(self.school.schema):
            item = self.quiz.items.order_by("position")[position - 1]
            options = item.question.current_version.options
        return next(o["id"] for o in options if o["text"] == text)


def make_class(fresh_school, *, students: int = 3, kinds=("single", "numeric"), **options):
    """A fresh school whose teacher runs a published quiz live for ``students`` students."""
    school = fresh_school("lv")
    with schema_context(school.schema):
        course = course_services.course_create(
            code="BIO-101", name="Biology", created_by=school.teacher
        )
        people = list(school.students)
        for i in range(len(people) + 1, students + 1):
            people.append(
                account_services.user_create(
                    username=f"{school.schema}-kid{i}",
                    role="student",
                    first_name=f"Kid{i}",
                    last_name="Live",
                    password=PASSWORD,
                )
            )
        for student in people[:students]:
            course_services.enrollment_add(course=course, user=student, role="student")
        questions = [
            quiz_services.question_create(
                course=course, kind=kind, created_by=school.teacher, **VALID[kind]
            )
            for kind in kinds
        ]
        quiz = quiz_services.quiz_create(course=course, title="Cells", created_by=school.teacher)
        quiz_services.quiz_questions_add(quiz, [q.pk for q in questions])
        quiz_services.quiz_publish(quiz)
        session = live_session_start(quiz, school.teacher, **options)
    return LiveClass(school, course, quiz, people[:students], session)


def refusal(port: int, host: str, path: str, *, cookie: str) -> tuple[dict, int]:
    """The error a refused page is told, and the code the socket is then closed with."""
    with ws_connect(port, host, path, cookie=cookie) as websocket:
        message = receive_json(websocket)
        with pytest.raises(ConnectionClosed) as closed:
            websocket.recv(timeout=5)
    return message, closed.value.rcvd.code


def of_type(kind: str, **fields):
    return lambda m: m.get("type") == kind and all(m.get(k) == v for k, v in fields.items())


@contextlib.contextmanager
def sockets(port, live: LiveClass, users, path=None):
    with contextlib.ExitStack() as stack:
        yield [
            stack.enter_context(
                ws_connect(
                    port,
                    live.school.host,
                    path or live.path,
                    cookie=session_cookie(live.school, user),
                )
            )
            for user in users
        ]


def test_a_host_and_three_students_play_a_whole_session(
    live_server_process, fresh_school, committed
):
    live = make_class(fresh_school, students=3, speed_scoring=False)
    port = live_server_process.port
    teacher = live.school.teacher
    with sockets(port, live, [teacher]) as [host]:
        lobby = receive_json(host)
        assert (lobby["type"], lobby["role"], lobby["session"]["state"]) == (
            "state",
            "host",
            "lobby",
        )
        assert lobby["you"] is None and lobby["session"]["total"] == 2
        with sockets(port, live, live.students) as students:
            joined = [receive_json(ws) for ws in students]
            assert [s["role"] for s in joined] == ["student"] * 3
            aliases = [s["you"]["alias"] for s in joined]
            assert len(set(aliases)) == 3 and all(s["you"]["score"] == 0 for s in joined)
            receive_until(host, of_type("counts", participants=3))

            # --- question 1 pushed to everyone, without its key ---
            host.send('{"type": "start"}')
            pushed = [receive_until(ws, of_type("question"))[-1] for ws in [host, *students]]
            assert {q["round"]["position"] for q in pushed} == {1}
            assert all(set(o) == {"id", "text_html"} for o in pushed[0]["round"]["options"])
            assert "Which organelle" in pushed[0]["round"]["stem_html"]
            assert pushed[0]["counts"] == {"position": 1, "answered": 0, "participants": 3}

            right, wrong = live.option(1, "Mitochondrion"), live.option(1, "Ribosome")
            for ws, choice in zip(students, [right, wrong, right], strict=True):
                ws.send(f'{{"type": "answer", "round": 1, "response": {{"option": "{choice}"}}}}')
                received = receive_until(ws, of_type("answer_received"))[-1]
                assert received["response"] == {"option": choice}
            receive_until(host, of_type("counts", answered=3, participants=3))

            # --- reveal pushed to everyone: distribution, key, leaderboard, own rank ---
            host.send('{"type": "close"}')
            reveals = [receive_until(ws, of_type("reveal"))[-1] for ws in [host, *students]]
            results = reveals[0]["results"]
            counts = {o["id"]: (o["count"], o["correct"]) for o in results["options"]}
            assert counts[right] == (2, True) and counts[wrong] == (1, False)
            assert results["correct_answer"] == {"options": [right]}
            assert (results["answered"], results["right"], results["wrong"]) == (3, 2, 1)
            board = reveals[0]["leaderboard"]
            assert [(e["rank"], e["score"]) for e in board] == [(1, 1.0), (1, 1.0), (3, 0.0)]
            names = {e["name"] for e in board}
            assert names == {s.display_name for s in live.students}
            assert "you" not in reveals[0]
            mine = [r["you"] for r in reveals[1:]]
            assert [(y["correct"], y["rank"], y["score"]) for y in mine] == [
                (True, 1, 1.0),
                (False, 3, 0.0),
                (True, 1, 1.0),
            ]
            assert [y["alias"] for y in mine] == aliases
            # The state asked for again on the same socket has the score as it is now.
            students[0].send('{"type": "state"}')
            again = receive_until(students[0], of_type("state"))[-1]
            assert (again["you"]["score"], again["you"]["rank"]) == (1.0, 1)
            assert again["reveal"]["results"] == results

            # --- question 2, then the end with the final board ---
            host.send('{"type": "next"}')
            for ws in [host, *students]:
                assert receive_until(ws, of_type("question"))[-1]["round"]["kind"] == "numeric"
            students[1].send('{"type": "answer", "round": 2, "response": {"value": "100"}}')
            receive_until(students[1], of_type("answer_received"))
            host.send('{"type": "end"}')
            ends = [receive_until(ws, of_type("ended"))[-1] for ws in [host, *students]]
            final = ends[0]["leaderboard"]
            assert [e["score"] for e in final] == [1.0, 1.0, 1.0]
            assert ends[2]["you"]["score"] == 1.0 and ends[2]["you"]["rank"] == 1
    with schema_context(live.school.schema):
        session = LiveSession.objects.get(pk=live.session.pk)
        assert session.state == "finished" and session.ended_at is not None
        assert LiveAnswer.objects.filter(round__session=session).count() == 4


def test_a_student_who_drops_and_rejoins_keeps_alias_score_and_answer(
    live_server_process, fresh_school, committed
):
    live = make_class(fresh_school, students=1)
    port = live_server_process.port
    student = live.students[0]
    with sockets(port, live, [live.school.teacher]) as [host]:
        receive_json(host)
        with sockets(port, live, [student]) as [first]:
            alias = receive_json(first)["you"]["alias"]
            host.send('{"type": "start"}')
            receive_until(first, of_type("question"))
            right = live.option(1, "Mitochondrion")
            first.send(f'{{"type": "answer", "round": 1, "response": {{"option": "{right}"}}}}')
            receive_until(first, of_type("answer_received"))
        # Dropped mid-question; back (a reload, or another device at the same time).
        with sockets(port, live, [student, student]) as [again, other_device]:
            states = [receive_json(again), receive_json(other_device)]
            for state in states:
                assert state["you"]["alias"] == alias
                assert state["you"]["score"] > 1.0  # the speed bonus of the answer kept
                assert state["answer"]["response"] == {"option": right}
                assert state["round"]["position"] == 1
            score = states[0]["you"]["score"]
            again.send(f'{{"type": "answer", "round": 1, "response": {{"option": "{right}"}}}}')
            refused = receive_until(again, of_type("error"))[-1]
            assert refused["code"] == "already_answered"
            host.send('{"type": "close"}')
            for ws in (again, other_device):
                you = receive_until(ws, of_type("reveal"))[-1]["you"]
                assert (you["alias"], you["score"], you["correct"]) == (alias, score, True)
    with schema_context(live.school.schema):
        assert LiveParticipant.objects.filter(session=live.session).count() == 1


def test_an_answer_on_one_device_shows_on_the_other(live_server_process, fresh_school, committed):
    live = make_class(fresh_school, students=1)
    port = live_server_process.port
    student = live.students[0]
    with sockets(port, live, [live.school.teacher, student, student]) as [host, phone, laptop]:
        for ws in (host, phone, laptop):
            receive_json(ws)
        host.send('{"type": "start"}')
        receive_until(phone, of_type("question"))
        receive_until(laptop, of_type("question"))
        phone.send('{"type": "answer", "round": 1, "response": {"option": "a"}, "ref": "p1"}')
        own = receive_until(phone, of_type("answer_received"))[-1]
        echoed = receive_until(laptop, of_type("answer_received"))[-1]
        assert own["ref"] == "p1" and "ref" not in echoed
        assert echoed["response"] == own["response"]
        assert not [m for m in drain(phone, quiet=0.5) if m["type"] == "answer_received"]


def test_answers_after_the_close_are_refused(live_server_process, fresh_school, committed):
    live = make_class(fresh_school, students=1)
    port = live_server_process.port
    with sockets(port, live, [live.school.teacher, live.students[0]]) as [host, student]:
        receive_json(host)
        receive_json(student)
        host.send('{"type": "start"}')
        receive_until(student, of_type("question"))
        host.send('{"type": "close"}')
        receive_until(student, of_type("reveal"))
        student.send('{"type": "answer", "round": 1, "response": {"option": "a"}, "ref": "late"}')
        refused = receive_until(student, of_type("error"))[-1]
        assert refused == {
            "type": "error",
            "code": "closed",
            "message": "Answers to this question are closed.",
            "round": 1,
            "ref": "late",
        }
        student.send('{"type": "answer", "round": 2, "response": {"option": "a"}}')
        assert receive_until(student, of_type("error"))[-1]["code"] == "not_open"
    with schema_context(live.school.schema):
        assert not LiveAnswer.objects.filter(round__session=live.session).exists()


def test_a_student_cannot_send_host_commands_and_a_host_cannot_answer(
    live_server_process, fresh_school, committed
):
    live = make_class(fresh_school, students=1)
    port = live_server_process.port
    with sockets(port, live, [live.school.teacher, live.students[0]]) as [host, student]:
        receive_json(host)
        receive_json(student)
        for command in ("start", "next", "close", "end"):
            student.send(f'{{"type": "{command}"}}')
            refused = receive_json(student)
            assert (refused["type"], refused["code"]) == ("error", "host_only")
            assert refused["message"] == "Only the teacher running the session can do that."
        host.send('{"type": "answer", "round": 1, "response": {"option": "a"}}')
        assert receive_until(host, of_type("error"))[-1]["code"] == "students_only"
        assert not [m for m in drain(student, quiet=0.5) if m["type"] == "question"]
    with schema_context(live.school.schema):
        session = LiveSession.objects.get(pk=live.session.pk)
        assert (session.state, session.position) == ("lobby", 0)


def test_malformed_and_oversized_messages_get_errors_and_the_socket_stays_open(
    live_server_process, fresh_school, committed
):
    live = make_class(fresh_school, students=1)
    port = live_server_process.port
    with sockets(port, live, [live.students[0]]) as [student]:
        receive_json(student)
        student.send("not json")
        assert receive_json(student) == {"type": "error", "message": "Messages must be JSON."}
        student.send(b"\x00\x01")
        assert receive_json(student)["message"] == "Send JSON text, not binary frames."
        student.send('{"type": "answer", "round": 1, "response": "' + "x" * 5000 + '"}')
        assert receive_json(student)["message"].startswith("Message too large")
        student.send('{"type": "shout"}')
        assert receive_json(student)["code"] == "bad_message"
        student.send('{"type": "answer", "round": "one"}')
        assert receive_json(student)["code"] == "bad_message"
        student.send('{"type": "ping", "ref": "' + "r" * 41 + '"}')
        assert receive_json(student)["code"] == "bad_message"
        student.send("[1, 2]")
        assert receive_json(student)["code"] == "bad_message"
        student.send('{"type": "ping"}')
        assert receive_json(student)["type"] == "pong"


def test_handshakes_are_refused_for_strangers_outsiders_and_foreign_origins(
    live_server_process, fresh_school, committed
):
    live = make_class(fresh_school, students=1)
    port = live_server_process.port
    host = live.school.host
    assert close_code_after_open(port, host, live.path) == 4401
    outsider = live.school.students[1]  # in the school, not in the course
    message, code = refusal(port, host, live.path, cookie=session_cookie(live.school, outsider))
    assert (message["code"], code) == ("not_a_student", 4403)
    assert message["message"].startswith("This live session is for the students of BIO-101")
    student_cookie = session_cookie(live.school, live.students[0])
    message, code = refusal(port, host, "/ws/live/ZZZZZZ/", cookie=student_cookie)
    assert (message["message"], code) == ("No running session with that code.", 4404)
    wrong_session = f"{live.path}?session={live.session.pk + 1}"
    assert refusal(port, host, wrong_session, cookie=student_cookie)[1] == 4404
    assert (
        handshake_status(port, host, live.path, cookie=student_cookie, origin="http://evil.example")
        == 403
    )
    with schema_context(live.school.schema):
        assert not LiveParticipant.objects.filter(session=live.session).exists()


def test_school_b_host_with_school_a_code_is_not_found(
    live_server_process, fresh_school, committed, beta
):
    live = make_class(fresh_school, students=1)
    port = live_server_process.port
    message, code = refusal(port, beta.host, live.path, cookie=session_cookie(beta, beta.teacher))
    assert message == {
        "type": "error",
        "code": "not_found",
        "message": "No running session with that code.",
    }
    assert code == 4404
    # School A's own session cookie means nothing on school B's host either.
    a_cookie = session_cookie(live.school, live.school.teacher)
    assert close_code_after_open(port, beta.host, live.path, cookie=a_cookie) == 4401


def test_a_timed_round_closes_itself_with_or_without_the_host(
    live_server_process, fresh_school, committed
):
    live = make_class(fresh_school, students=1, seconds_per_question=5)
    port = live_server_process.port
    with sockets(port, live, [live.students[0]]) as [student]:
        receive_json(student)
        with sockets(port, live, [live.school.teacher]) as [host]:
            receive_json(host)
            host.send('{"type": "start"}')
            question = receive_until(student, of_type("question"))[-1]
            assert 4 < question["round"]["remaining_seconds"] <= 5
            started = time.monotonic()
            reveal = receive_until(student, of_type("reveal"), timeout=15)[-1]
            assert 4.5 < time.monotonic() - started < 8
            assert reveal["results"]["unanswered"] == 1
            host.send('{"type": "next"}')
            receive_until(student, of_type("question"))
        # The host's screen is gone: the student's page closes the round at its time.
        started = time.monotonic()
        receive_until(student, of_type("reveal"), timeout=15)
        assert 4.5 < time.monotonic() - started < 10
        student.send('{"type": "answer", "round": 2, "response": {"value": "100"}}')
        assert receive_until(student, of_type("error"))[-1]["code"] == "closed"


def test_a_live_answer_updates_the_students_mastery(
    live_server_process, celery_worker_process, fresh_school, committed
):
    live = make_class(fresh_school, students=1, kinds=("single",))
    port = live_server_process.port
    student = live.students[0]
    with sockets(port, live, [live.school.teacher, student]) as [host, ws]:
        receive_json(host)
        receive_json(ws)
        host.send('{"type": "start"}')
        receive_until(ws, of_type("question"))
        right = live.option(1, "Mitochondrion")
        ws.send(f'{{"type": "answer", "round": 1, "response": {{"option": "{right}"}}}}')
        receive_until(ws, of_type("answer_received"))
    deadline = time.monotonic() + 60
    with schema_context(live.school.schema):
        while time.monotonic() < deadline:
            overall = Mastery.objects.filter(
                student=student, course=live.course, dimension="course"
            ).first()
            if overall is not None:
                break
            time.sleep(0.3)
        assert overall is not None, "no mastery row after the live answer"
        assert (overall.earned, overall.possible, overall.questions_answered) == (1.0, 1.0, 1)
