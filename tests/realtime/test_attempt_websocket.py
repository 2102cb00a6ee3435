"""Taking a quiz over the attempt websocket, through the real daphne and Redis channel layer:
start, answer, submit; feedback as the quiz allows; the server's clock; resuming; other tabs;
and nobody outside the attempt (another student, a teacher, another school) reaching it."""

import datetime as dt
import json
from dataclasses import dataclass

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from websockets.exceptions import ConnectionClosed

from tests.quizzes.conftest import VALID, course_in

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

SOURCE = {"page": 4, "section": "Respiration", "quote": "Mitochondria produce most of the ATP."}


@dataclass
class Classroom:
    """A committed school with a course its first student takes, served by ``port``."""

    port: int
    school: object
    course: object

    def quiz(self, kinds=("single",), *, publish=True, questions=None, **settings):
        """A quiz holding one question of each kind (``questions`` overrides their content by
        index), published unless told otherwise."""
        from quizzes import services
        from quizzes.models import Quiz

        with schema_context(self.school.schema):
            made = []
            for index, kind in enumerate(kinds):
                content = {**VALID[kind], **((questions or {}).get(index, {}))}
                made.append(
                    services.question_create(
                        course=self.course, kind=kind, created_by=self.school.teacher, **content
                    )
                )
            quiz = services.quiz_create(
                course=self.course, title="Cells", created_by=self.school.teacher, **settings
            )
            services.quiz_questions_add(quiz, [q.pk for q in made])
            if publish:
                services.quiz_publish(quiz)
            return Quiz.objects.get(pk=quiz.pk)

    def socket(self, quiz, user=None, *, host=None, cookie=None, **kwargs):
        user = user or self.school.student
        return ws_connect(
            self.port,
            host or self.school.host,
            attempt_path(quiz.pk),
            cookie=session_cookie(self.school, user) if cookie is None else cookie,
            **kwargs,
        )

    def enroll(self, user):
        from courses import services as course_services

        with schema_context(self.school.schema):
            course_services.enrollment_add(course=self.course, user=user, role="student")

    def attempt(self, attempt_id):
        from quizzes.models import Attempt

        with schema_context(self.school.schema):
            return Attempt.objects.get(pk=attempt_id)

    def stored(self, attempt_id) -> dict:
        """``{position: (response, score)}`` as the database holds them."""
        from quizzes.models import AttemptQuestion

        with schema_context(self.school.schema):
            rows = AttemptQuestion.objects.filter(attempt_id=attempt_id)
            return {r.position: (r.response, r.score) for r in rows.order_by("position")}


def attempt_path(quiz_id) -> str:
    return f"/ws/quizzes/{quiz_id}/attempt/"


def ask(websocket, message: dict) -> dict:
    """Send ``message`` and return the next message the server sends."""
    websocket.send(json.dumps(message))
    return receive_json(websocket)


def answer(websocket, attempt_id, position, response, ref=None) -> dict:
    return ask(
        websocket,
        {
            "type": "answer",
            "attempt": attempt_id,
            "position": position,
            "response": response,
            "ref": ref or f"r{position}",
        },
    )


def by_position(state: dict) -> dict:
    return {q["position"]: q for q in state["questions"]}


@pytest.fixture
def classroom(live_server_process, fresh_school, committed) -> Classroom:
    school = fresh_school()
    return Classroom(live_server_process.port, school, course_in(school))


# --- the lifecycle -------------------------------------------------------------------------


def test_a_student_starts_answers_and_submits_and_each_kind_is_graded(classroom):
    quiz = classroom.quiz(("single", "multiple", "numeric", "short_answer"))
    with classroom.socket(quiz) as websocket:
        status = ask(websocket, {"type": "open"})
        assert status["type"] == "status" and status["last_attempt"] is None
        assert status["availability"] == {
            "can_start": True,
            "code": "ok",
            "message": "You may start an attempt.",
            "window": "open",
            "attempts_used": 0,
            "attempts_allowed": 1,
        }
        started = ask(websocket, {"type": "start"})
        assert started["type"] == "attempt" and started["state"] == "in_progress"
        assert [q["kind"] for q in started["questions"]] == [
            "single",
            "multiple",
            "numeric",
            "short_answer",
        ]
        # Before feedback, nothing on the wire tells which option is right.
        assert all(
            set(o) == {"id", "text_html"} for q in started["questions"] for o in q["options"]
        )
        assert started["feedback_visible"] is False and started["deadline"] is None
        attempt_id = started["attempt"]

        saved = [
            answer(websocket, attempt_id, 1, {"option": "a"}),  # right
            answer(websocket, attempt_id, 2, {"options": ["a", "b", "c"]}),  # 2 right, 1 wrong
            answer(websocket, attempt_id, 3, {"value": "100.4"}),  # inside ± 0.5
            answer(websocket, attempt_id, 4, {"text": "  The   atp. "}),  # normalised: "atp"
        ]
        assert [s["type"] for s in saved] == ["saved"] * 4
        assert [(s["ref"], s["position"], s["answered"]) for s in saved] == [
            ("r1", 1, 1),
            ("r2", 2, 2),
            ("r3", 3, 3),
            ("r4", 4, 4),
        ]
        assert saved[1]["response"] == {"options": ["a", "b", "c"]}
        assert saved[3]["response"] == {"text": "The atp."}
        assert all("feedback" not in s for s in saved)  # this quiz shows it after submitting

        submitted = ask(websocket, {"type": "submit", "attempt": attempt_id, "ref": "done"})
        assert submitted["type"] == "submitted" and submitted["reason"] == "student"
        assert submitted["already_submitted"] is False and submitted["ref"] == "done"
        assert submitted["state"] == "submitted" and submitted["feedback_visible"] is True
        assert submitted["result"]["score"] == 3.5 and submitted["result"]["max_score"] == 4.0
        assert [q["feedback"]["score"] for q in submitted["questions"]] == [1.0, 0.5, 1.0, 1.0]

        after = ask(websocket, {"type": "open"})
    assert classroom.stored(attempt_id) == {
        1: ({"option": "a"}, 1.0),
        2: ({"options": ["a", "b", "c"]}, 0.5),
        3: ({"value": "100.4"}, 1.0),
        4: ({"text": "The atp."}, 1.0),
    }
    assert after["type"] == "status" and after["availability"]["code"] == "no_attempts_left"
    assert after["last_attempt"]["attempt"] == attempt_id
    assert after["last_attempt"]["result"]["score"] == 3.5


def test_wrong_answers_score_nothing_and_partial_credit_never_goes_below_zero(classroom):
    quiz = classroom.quiz(("single", "multiple", "numeric", "short_answer"))
    with classroom.socket(quiz) as websocket:
        attempt_id = ask(websocket, {"type": "start"})["attempt"]
        answer(websocket, attempt_id, 1, {"option": "b"})
        answer(websocket, attempt_id, 2, {"options": ["a", "c", "d"]})  # 1 right, 2 wrong
        answer(websocket, attempt_id, 3, {"value": "100.6"})  # just outside the tolerance
        answer(websocket, attempt_id, 4, {"text": "glucose"})
        submitted = ask(websocket, {"type": "submit", "attempt": attempt_id})
    assert submitted["result"]["score"] == 0.0
    assert [score for _, score in classroom.stored(attempt_id).values()] == [0.0, 0.0, 0.0, 0.0]


def test_immediate_feedback_comes_with_each_answer_with_explanation_and_citation(classroom):
    quiz = classroom.quiz(
        ("single", "numeric"),
        show_feedback="immediately",
        questions={
            0: {"explanation": "Cellular **respiration** happens there.", "source": SOURCE},
        },
    )
    with classroom.socket(quiz) as websocket:
        started = ask(websocket, {"type": "start"})
        attempt_id = started["attempt"]
        wrong = answer(websocket, attempt_id, 1, {"option": "b"})
        again = answer(websocket, attempt_id, 1, {"option": "a"})
        resumed = ask(websocket, {"type": "open"})

    feedback = wrong["feedback"]
    assert feedback["correct"] is False and feedback["score"] == 0.0
    assert feedback["correct_answer"] == {"options": ["a"]}
    assert "<strong>respiration</strong>" in feedback["explanation_html"]
    assert feedback["source"] == {
        "material": None,
        "title": "",
        "page": 4,
        "section": "Respiration",
        "quote": "Mitochondria produce most of the ATP.",
    }
    assert [o["feedback_html"] for o in feedback["option_feedback"]][0] == "Yes: respiration."
    # Seen feedback makes the answer final.
    assert again["type"] == "error" and again["code"] == "locked" and again["position"] == 1
    assert classroom.stored(attempt_id)[1] == ({"option": "b"}, 0.0)
    first = by_position(resumed)[1]
    assert first["locked"] is True and first["feedback"]["correct"] is False
    assert "feedback" not in by_position(resumed)[2]  # unanswered: no key shown yet


def test_no_feedback_reaches_the_page_when_the_quiz_never_shows_it(classroom):
    quiz = classroom.quiz(
        ("single",), show_feedback="never", questions={0: {"explanation": "Respiration."}}
    )
    with classroom.socket(quiz) as websocket:
        attempt_id = ask(websocket, {"type": "start"})["attempt"]
        saved = answer(websocket, attempt_id, 1, {"option": "b"})
        submitted = ask(websocket, {"type": "submit", "attempt": attempt_id})
    assert saved["type"] == "saved" and "feedback" not in saved
    assert submitted["feedback_visible"] is False
    assert all("feedback" not in q for q in submitted["questions"])
    assert "Respiration" not in json.dumps(submitted)
    assert submitted["result"]["score"] == 0.0  # the score is still the student's to see


def test_shuffled_order_differs_between_attempts_and_answers_follow_the_position(classroom):
    stems = [{"stem": f"Question number {i}?"} for i in range(6)]
    quiz = classroom.quiz(
        ("single",) * 6,
        questions=dict(enumerate(stems)),
        shuffle_questions=True,
        shuffle_options=True,
        attempts_allowed=0,
    )
    question_orders, option_orders = set(), set()
    with classroom.socket(quiz) as websocket:
        for _ in range(6):
            started = ask(websocket, {"type": "start"})
            questions = started["questions"]
            assert [q["position"] for q in questions] == [1, 2, 3, 4, 5, 6]
            assert sorted(q["stem_html"] for q in questions) == sorted(
                f"<p>Question number {i}?</p>\n" for i in range(6)
            )
            question_orders.add(tuple(q["stem_html"] for q in questions))
            option_orders.add(tuple(o["id"] for o in questions[0]["options"]))
            # Position 1 is whichever question this attempt shows first.
            assert answer(websocket, started["attempt"], 1, {"option": "a"})["type"] == "saved"
            ask(websocket, {"type": "submit", "attempt": started["attempt"]})
    assert len(question_orders) > 1 and len(option_orders) > 1


def test_unshuffled_quizzes_keep_the_teachers_order(classroom):
    quiz = classroom.quiz(("single", "numeric", "short_answer"), attempts_allowed=0)
    with classroom.socket(quiz) as websocket:
        for _ in range(3):
            started = ask(websocket, {"type": "start"})
            assert [q["kind"] for q in started["questions"]] == [
                "single",
                "numeric",
                "short_answer",
            ]
            assert [o["id"] for o in started["questions"][0]["options"]] == ["a", "b", "c"]
            ask(websocket, {"type": "submit", "attempt": started["attempt"]})


# --- the server's clock --------------------------------------------------------------------


def test_the_server_submits_at_the_deadline_without_the_page_asking(classroom):
    closes = timezone.now() + dt.timedelta(seconds=4)
    quiz = classroom.quiz(("single", "numeric"), closes_at=closes)
    with classroom.socket(quiz) as websocket:
        started = ask(websocket, {"type": "start"})
        assert dt.datetime.fromisoformat(started["deadline"]) == closes
        assert 0 < started["remaining_seconds"] <= 4
        answer(websocket, started["attempt"], 1, {"option": "a"})
        pushed = receive_until(websocket, lambda m: m["type"] == "submitted", timeout=15)[-1]
        late = answer(websocket, started["attempt"], 2, {"value": "100"})
    assert pushed["reason"] == "deadline" and pushed["state"] == "submitted"
    assert pushed["result"]["submit_reason"] == "deadline" and pushed["result"]["score"] == 1.0
    assert pushed["remaining_seconds"] is None and "ref" not in pushed
    assert late["code"] == "submitted"
    attempt = classroom.attempt(started["attempt"])
    assert attempt.state == "submitted" and attempt.submit_reason == "deadline"
    assert attempt.submitted_at == closes
    assert classroom.stored(started["attempt"])[2] == (None, None)


def test_an_answer_after_the_deadline_is_refused_with_time_up_and_not_stored(classroom):
    from quizzes.models import Attempt

    quiz = classroom.quiz(("single", "numeric"), time_limit_minutes=30)
    with classroom.socket(quiz) as websocket:
        started = ask(websocket, {"type": "start"})
        attempt_id = started["attempt"]
        assert answer(websocket, attempt_id, 1, {"option": "a"})["type"] == "saved"
        passed = timezone.now() - dt.timedelta(seconds=1)
        with schema_context(classroom.school.schema):
            Attempt.objects.filter(pk=attempt_id).update(deadline=passed)
        refused = answer(websocket, attempt_id, 2, {"value": "100"}, ref="late")
        pushed = receive_until(websocket, lambda m: m["type"] == "submitted", timeout=10)[-1]
    assert refused["type"] == "error" and refused["code"] == "time_up"
    assert refused["ref"] == "late" and refused["position"] == 2
    assert "Time is up" in refused["message"]
    assert classroom.stored(attempt_id)[2] == (None, None)
    assert pushed["reason"] == "deadline" and pushed["result"]["score"] == 1.0
    assert classroom.attempt(attempt_id).submitted_at == passed


def test_an_attempt_whose_page_is_gone_is_submitted_by_the_sweep_and_shown_on_return(classroom):
    from quizzes.attempts.services import attempts_submit_expired
    from quizzes.models import Attempt

    quiz = classroom.quiz(("single",), time_limit_minutes=30)
    with classroom.socket(quiz) as websocket:
        attempt_id = ask(websocket, {"type": "start"})["attempt"]
        answer(websocket, attempt_id, 1, {"option": "a"})
    with schema_context(classroom.school.schema):
        Attempt.objects.filter(pk=attempt_id).update(
            deadline=timezone.now() - dt.timedelta(seconds=1)
        )
        assert attempts_submit_expired() == 1
    assert classroom.attempt(attempt_id).submit_reason == "deadline"
    with classroom.socket(quiz) as websocket:
        back = ask(websocket, {"type": "open"})
    assert back["type"] == "status" and back["availability"]["code"] == "no_attempts_left"
    assert back["last_attempt"]["attempt"] == attempt_id
    assert back["last_attempt"]["result"]["submit_reason"] == "deadline"


# --- resuming, submitting twice, other tabs ------------------------------------------------


def test_a_reconnected_page_resumes_the_same_attempt_with_every_saved_answer(classroom):
    quiz = classroom.quiz(("single", "numeric", "short_answer"), time_limit_minutes=30)
    with classroom.socket(quiz) as websocket:
        started = ask(websocket, {"type": "start"})
        answer(websocket, started["attempt"], 1, {"option": "c"})
        answer(websocket, started["attempt"], 3, {"text": "ATP"})
    with classroom.socket(quiz) as websocket:
        resumed = ask(websocket, {"type": "open"})
        again = ask(websocket, {"type": "start"})
        changed = answer(websocket, resumed["attempt"], 1, {"option": "a"})
    assert resumed["type"] == "attempt" and resumed["attempt"] == started["attempt"]
    assert resumed["deadline"] == started["deadline"]
    assert resumed["remaining_seconds"] < started["remaining_seconds"]
    questions = by_position(resumed)
    assert questions[1]["response"] == {"option": "c"} and questions[1]["saved_at"]
    assert questions[2]["response"] is None
    assert questions[3]["response"] == {"text": "ATP"}
    assert resumed["answered"] == 2
    assert again["attempt"] == started["attempt"]  # start resumes, it never makes a second one
    assert changed["type"] == "saved" and changed["answered"] == 2
    assert classroom.stored(started["attempt"])[1] == ({"option": "a"}, 1.0)


def test_submitting_twice_changes_nothing_the_second_time(classroom):
    quiz = classroom.quiz(("single", "numeric"))
    with classroom.socket(quiz) as websocket:
        attempt_id = ask(websocket, {"type": "start"})["attempt"]
        answer(websocket, attempt_id, 1, {"option": "a"})
        first = ask(websocket, {"type": "submit", "attempt": attempt_id, "ref": "s1"})
        stored = classroom.attempt(attempt_id)
        second = ask(websocket, {"type": "submit", "attempt": attempt_id, "ref": "s2"})
        after = answer(websocket, attempt_id, 2, {"value": "100"})
    assert first["already_submitted"] is False and second["already_submitted"] is True
    assert second["ref"] == "s2" and second["reason"] == "student"
    assert second["result"] == first["result"]
    again = classroom.attempt(attempt_id)
    assert (again.submitted_at, again.score, again.state) == (
        stored.submitted_at,
        stored.score,
        "submitted",
    )
    assert after["code"] == "submitted" and classroom.stored(attempt_id)[2] == (None, None)


def test_a_second_tab_hears_the_saves_and_the_submit_of_the_first(classroom):
    quiz = classroom.quiz(("single", "numeric"), show_feedback="immediately")
    with classroom.socket(quiz) as first, classroom.socket(quiz) as second:
        attempt_id = ask(first, {"type": "start"})["attempt"]
        assert ask(second, {"type": "open"})["attempt"] == attempt_id
        mine = answer(first, attempt_id, 1, {"option": "a"}, ref="tab1")
        heard = receive_json(second)
        submitted = ask(first, {"type": "submit", "attempt": attempt_id})
        heard_submit = receive_json(second)
        echoes = drain(first)
    assert mine["ref"] == "tab1" and mine["feedback"]["correct"] is True
    assert heard["type"] == "saved" and heard["ref"] is None
    assert (heard["attempt"], heard["position"], heard["response"], heard["answered"]) == (
        attempt_id,
        1,
        {"option": "a"},
        1,
    )
    assert heard["saved_at"] == mine["saved_at"]
    assert heard["feedback"]["correct"] is True  # the quiz shows feedback at once, in every tab
    assert heard_submit["type"] == "submitted" and heard_submit["reason"] == "student"
    assert heard_submit["result"] == submitted["result"]
    assert echoes == []  # a page never hears its own saves and submits back


def test_a_submit_from_elsewhere_reaches_the_open_page(classroom):
    from quizzes.attempts.services import attempt_submit
    from quizzes.models import Attempt

    quiz = classroom.quiz(("single",))
    with classroom.socket(quiz) as websocket:
        attempt_id = ask(websocket, {"type": "start"})["attempt"]
        answer(websocket, attempt_id, 1, {"option": "a"})
        with schema_context(classroom.school.schema):
            attempt_submit(Attempt.objects.get(pk=attempt_id))  # as the API would
        pushed = receive_until(websocket, lambda m: m["type"] == "submitted", timeout=10)[-1]
        refused = answer(websocket, attempt_id, 1, {"option": "b"})
    assert pushed["reason"] == "student" and pushed["result"]["score"] == 1.0
    assert by_position(pushed)[1]["feedback"]["correct"] is True
    assert refused["code"] == "submitted"


# --- who may answer what -------------------------------------------------------------------


def test_student_cannot_answer_or_submit_another_students_attempt(classroom):
    quiz = classroom.quiz(("single",))
    other = classroom.school.students[1]
    classroom.enroll(other)
    with classroom.socket(quiz, other) as theirs:
        their_attempt = ask(theirs, {"type": "start"})["attempt"]
    with classroom.socket(quiz) as websocket:
        unopened = answer(websocket, their_attempt, 1, {"option": "a"})
        mine = ask(websocket, {"type": "start"})["attempt"]
        opened = answer(websocket, their_attempt, 1, {"option": "a"}, ref="x")
        submit = ask(websocket, {"type": "submit", "attempt": their_attempt})
    assert mine != their_attempt
    for refused in (unopened, opened, submit):
        assert refused["type"] == "error" and refused["code"] == "not_found"
    assert opened["ref"] == "x"
    assert classroom.stored(their_attempt) == {1: (None, None)}
    assert classroom.attempt(their_attempt).state == "in_progress"


def test_unknown_positions_and_wrong_shapes_get_clear_errors_and_store_nothing(classroom):
    quiz = classroom.quiz(("single", "numeric"))
    with classroom.socket(quiz) as websocket:
        attempt_id = ask(websocket, {"type": "start"})["attempt"]
        replies = {
            "no such position": answer(websocket, attempt_id, 9, {"option": "a"}),
            "position as text": answer(websocket, attempt_id, "1", {"option": "a"}),
            "attempt as text": answer(websocket, str(attempt_id), 1, {"option": "a"}),
            "attempt as bool": answer(websocket, True, 1, {"option": "a"}),
            "long ref": answer(websocket, attempt_id, 1, {"option": "a"}, ref="x" * 41),
            "ref a number": ask(
                websocket,
                {"type": "answer", "attempt": attempt_id, "position": 1, "ref": 5},
            ),
            "unknown option": answer(websocket, attempt_id, 1, {"option": "z"}),
            "response not an object": answer(websocket, attempt_id, 1, "a"),
            "not a number": answer(websocket, attempt_id, 2, {"value": "lots"}),
            "unknown type": ask(websocket, {"type": "answers"}),
            "type a list": ask(websocket, {"type": ["answer"]}),
            "not an object": ask(websocket, [1, 2]),
            "submit without attempt": ask(websocket, {"type": "submit"}),
        }
        fine = answer(websocket, attempt_id, 1, {"option": "a"})
    codes = {name: (reply["type"], reply["code"]) for name, reply in replies.items()}
    assert codes == {
        "no such position": ("error", "no_such_question"),
        "position as text": ("error", "bad_message"),
        "attempt as text": ("error", "bad_message"),
        "attempt as bool": ("error", "bad_message"),
        "long ref": ("error", "bad_message"),
        "ref a number": ("error", "bad_message"),
        "unknown option": ("error", "bad_response"),
        "response not an object": ("error", "bad_response"),
        "not a number": ("error", "bad_response"),
        "unknown type": ("error", "bad_message"),
        "type a list": ("error", "bad_message"),
        "not an object": ("error", "bad_message"),
        "submit without attempt": ("error", "bad_message"),
    }
    assert (
        replies["no such position"]["message"] == "This attempt has no question 9 (it has 1 to 2)."
    )
    assert replies["long ref"]["message"] == "ref must be text of at most 40 characters."
    assert replies["unknown option"]["message"] == (
        "Choose one of the options: {\"option\": one of ['a', 'b', 'c']}."
    )
    assert replies["unknown option"]["ref"] == "r1" and replies["unknown option"]["position"] == 1
    assert "attempt" in replies["attempt as text"]["message"]
    assert fine["type"] == "saved"
    assert classroom.stored(attempt_id) == {1: ({"option": "a"}, 1.0), 2: (None, None)}


def test_malformed_oversized_and_binary_messages_leave_the_socket_usable(classroom):
    quiz = classroom.quiz(("single",))
    with classroom.socket(quiz) as websocket:
        attempt_id = ask(websocket, {"type": "start"})["attempt"]
        websocket.send("{not json")
        malformed = receive_json(websocket)
        websocket.send(json.dumps({"type": "ping", "pad": "x" * 4100}))
        oversized = receive_json(websocket)
        websocket.send(b'{"type": "ping"}')
        binary = receive_json(websocket)
        pong = ask(websocket, {"type": "ping"})
        saved = answer(websocket, attempt_id, 1, {"option": "a"})
    assert malformed == {"type": "error", "message": "Messages must be JSON."}
    assert oversized["type"] == "error" and "too large" in oversized["message"]
    assert binary == {"type": "error", "message": "Send JSON text, not binary frames."}
    assert pong["type"] == "pong"
    assert abs(dt.datetime.fromisoformat(pong["server_time"]) - timezone.now()).total_seconds() < 5
    assert saved["type"] == "saved"


def test_a_foreign_origin_is_refused_at_the_handshake(classroom):
    quiz = classroom.quiz()
    status = handshake_status(
        classroom.port,
        classroom.school.host,
        attempt_path(quiz.pk),
        cookie=session_cookie(classroom.school, classroom.school.student),
        origin="http://evil.example",
    )
    assert status == 403


def test_a_visitor_who_is_not_signed_in_is_closed_with_4401(classroom):
    quiz = classroom.quiz()
    code = close_code_after_open(classroom.port, classroom.school.host, attempt_path(quiz.pk))
    assert code == 4401


def test_teachers_get_4403_and_quizzes_a_student_cannot_take_get_4404(classroom):
    school = classroom.school
    published = classroom.quiz()
    draft = classroom.quiz(publish=False)

    def close_code(quiz_id, user):
        return close_code_after_open(
            classroom.port,
            school.host,
            attempt_path(quiz_id),
            cookie=session_cookie(school, user),
        )

    assert close_code(published.pk, school.teacher) == 4403
    assert close_code(published.pk, school.admin) == 4403
    assert close_code(draft.pk, school.student) == 4404
    assert close_code(published.pk + 1000, school.student) == 4404
    assert close_code(published.pk, school.students[1]) == 4404  # not in the course
    assert close_code(published.pk, school.student) is None  # the student stays connected


def test_another_school_cannot_reach_this_school_quiz(classroom, fresh_school):
    quiz = classroom.quiz()
    other = fresh_school()
    course_in(other)  # their student takes a course of their own, with no quiz
    path = attempt_path(quiz.pk)
    their_cookie = session_cookie(other, other.student)
    # On their own host, this school's quiz id is not a quiz they have...
    assert close_code_after_open(classroom.port, other.host, path, cookie=their_cookie) == 4404
    # ...and this school's session means nothing on their host.
    our_cookie = session_cookie(classroom.school, classroom.school.student)
    assert close_code_after_open(classroom.port, other.host, path, cookie=our_cookie) == 4401
    # Their session is no good on this school's host either.
    assert (
        close_code_after_open(classroom.port, classroom.school.host, path, cookie=their_cookie)
        == 4401
    )


def test_starting_after_the_quiz_is_unpublished_is_refused_and_the_socket_stays_open(classroom):
    from quizzes import services

    quiz = classroom.quiz(attempts_allowed=0)
    with classroom.socket(quiz) as websocket:
        attempt_id = ask(websocket, {"type": "start"})["attempt"]
        ask(websocket, {"type": "submit", "attempt": attempt_id})
        with schema_context(classroom.school.schema):
            services.quiz_unpublish(quiz)
        refused = ask(websocket, {"type": "start"})
        try:
            still_open = ask(websocket, {"type": "ping"})["type"]
        except ConnectionClosed:
            still_open = "closed"
    assert refused == {
        "type": "error",
        "code": "not_published",
        "message": "This quiz is not published.",
    }
    assert still_open == "pong"
