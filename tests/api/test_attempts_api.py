"""Taking a quiz through the API: a signed-in student starts (or resumes) an attempt, saves
answers and submits, with the same rules as the quiz page — the window and late window,
attempts allowed, the server's deadline, answers that lock with immediate feedback, a double
submit that changes nothing — and every refusal has a stable code, a sentence, and stores
nothing. Nobody else (another student, a teacher, an API key, another school) touches an
attempt; managers read it with every answer and key; accommodations are set here too."""

import datetime as dt
import http.client
import json
import secrets

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from courses import services as course_services
from quizzes import services as quiz_services
from quizzes.models import Accommodation, Attempt, AttemptQuestion, Quiz
from tests.quizzes.conftest import VALID

from .conftest import api

# Text that exists only in keys, option feedback and explanations.
SECRETS = ("Yes: respiration.", "EXPLANATION-SECRET")
KEY_NAMES = {"correct", "correct_answer", "feedback", "option_feedback", "explanation_html"}


# --- helpers (the results and progress tests use them too) --------------------------------


def course_with_students(school, code: str = "BIO-101"):
    """A course taught by the school's teacher and taken by every one of its students."""
    with schema_context(school.schema):
        course = course_services.course_create(code=code, name="Biology", created_by=school.teacher)
        for student in school.students:
            course_services.enrollment_add(course=course, user=student, role="student")
    return course


def make_quiz(school, course, kinds=("single", "numeric"), *, publish=True, **settings) -> Quiz:
    """A quiz of one question per kind (VALID content, with a secret explanation)."""
    with schema_context(school.schema):
        questions = [
            quiz_services.question_create(
                course=course,
                kind=kind,
                created_by=school.teacher,
                explanation="EXPLANATION-SECRET: see chapter 2.",
                topic="Cells" if kind == "single" else "Physics",
                objective="Explain respiration" if kind == "single" else "",
                **VALID[kind],
            )
            for kind in kinds
        ]
        quiz = quiz_services.quiz_create(
            course=course, title="Cells: unit 1", created_by=school.teacher, **settings
        )
        quiz_services.quiz_questions_add(quiz, [q.pk for q in questions])
        if publish:
            quiz_services.quiz_publish(quiz)
        return Quiz.objects.get(pk=quiz.pk)


def post(client, url: str, body=None):
    return client.post(url, body if body is not None else {}, content_type="application/json")


def start(client, quiz):
    return post(client, f"/api/v1/quizzes/{quiz.pk}/attempts/")


def answer(client, attempt_id: int, position: int, response):
    return client.put(
        f"/api/v1/attempts/{attempt_id}/answers/{position}/",
        {"response": response},
        content_type="application/json",
    )


def submit(client, attempt_id: int):
    return post(client, f"/api/v1/attempts/{attempt_id}/submit/")


def snapshot(school) -> list[tuple]:
    """Every attempt and stored answer of the school, to prove a refusal changed nothing."""
    with schema_context(school.schema):
        return list(
            Attempt.objects.order_by("pk").values_list(
                "pk", "state", "number", "deadline", "submitted_at", "score", "is_late"
            )
        ) + list(
            AttemptQuestion.objects.order_by("pk").values_list(
                "pk", "response", "score", "answered_at"
            )
        )


def walk_keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in walk_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in walk_keys(v)}
    return set()


def error(response) -> tuple[int, str, str]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["message"]


@pytest.fixture
def course(school_a):
    return course_with_students(school_a)


@pytest.fixture
def student(school_a):
    return school_a.client(school_a.students[0])


@pytest.fixture
def classmate(school_a):
    return school_a.client(school_a.students[1])


@pytest.fixture
def teacher(school_a):
    return school_a.client(school_a.teacher)


# --- the lifecycle -------------------------------------------------------------------------


def test_a_student_starts_resumes_answers_and_submits_over_the_api(school_a, course, student):
    quiz = make_quiz(school_a, course, attempts_allowed=1)

    started = start(student, quiz)
    assert started.status_code == 201, started.content
    state = started.json()
    assert set(state) == {
        "attempt",
        "quiz",
        "number",
        "state",
        "started_at",
        "deadline",
        "server_time",
        "remaining_seconds",
        "show_feedback",
        "feedback_visible",
        "answered",
        "questions",
    }
    assert (state["quiz"], state["number"], state["state"], state["answered"]) == (
        quiz.pk,
        1,
        "in_progress",
        0,
    )
    assert [(q["position"], q["kind"], q["unit"]) for q in state["questions"]] == [
        (1, "single", ""),
        (2, "numeric", "°C"),
    ]
    assert state["questions"][0]["options"][0] == {"id": "a", "text_html": "Mitochondrion"}
    # Before feedback, nothing tells which option is right.
    assert not walk_keys(state) & KEY_NAMES
    assert not [s for s in SECRETS if s in json.dumps(state, ensure_ascii=False)]
    attempt_id = state["attempt"]

    resumed = start(student, quiz)
    assert resumed.status_code == 200
    assert (resumed.json()["attempt"], resumed.json()["number"]) == (attempt_id, 1)

    first = answer(student, attempt_id, 1, {"option": "b"})
    assert first.status_code == 200, first.content
    assert set(first.json()) == {"attempt", "position", "response", "saved_at", "answered"}
    assert (first.json()["response"], first.json()["answered"]) == ({"option": "b"}, 1)
    # After-submit feedback: a second thought replaces the first answer.
    changed = answer(student, attempt_id, 1, {"option": "a"})
    assert (changed.json()["response"], changed.json()["answered"]) == ({"option": "a"}, 1)
    numeric = answer(student, attempt_id, 2, {"value": " 100.4 "})
    assert (numeric.json()["response"], numeric.json()["answered"]) == ({"value": "100.4"}, 2)

    read = student.get(f"/api/v1/attempts/{attempt_id}/").json()
    assert [q["response"] for q in read["questions"]] == [{"option": "a"}, {"value": "100.4"}]
    assert read["answered"] == 2 and not walk_keys(read) & KEY_NAMES

    done = submit(student, attempt_id)
    assert done.status_code == 200
    body = done.json()
    assert (body["reason"], body["already_submitted"], body["state"]) == (
        "student",
        False,
        "submitted",
    )
    assert body["result"]["score"] == 2.0 and body["result"]["percent"] == 100.0
    assert body["feedback_visible"] is True
    assert body["questions"][0]["feedback"]["correct_answer"] == {"options": ["a"]}
    with schema_context(school_a.schema):
        submitted_at = Attempt.objects.get(pk=attempt_id).submitted_at

    again = submit(student, attempt_id)
    assert again.status_code == 200
    assert (again.json()["already_submitted"], again.json()["result"]["score"]) == (True, 2.0)
    with schema_context(school_a.schema):
        assert Attempt.objects.get(pk=attempt_id).submitted_at == submitted_at

    before = snapshot(school_a)
    assert error(answer(student, attempt_id, 1, {"option": "b"})) == (
        409,
        "submitted",
        "This attempt is already submitted; its answers can no longer change.",
    )
    assert error(start(student, quiz)) == (
        409,
        "no_attempts_left",
        "You have used all 1 attempt at this quiz.",
    )
    assert snapshot(school_a) == before


def test_immediate_feedback_comes_with_the_answer_and_locks_it(school_a, course, student):
    quiz = make_quiz(school_a, course, show_feedback="immediately")
    attempt_id = start(student, quiz).json()["attempt"]

    saved = answer(student, attempt_id, 1, {"option": "b"})
    assert saved.status_code == 200
    feedback = saved.json()["feedback"]
    assert (feedback["correct"], feedback["score"], feedback["correct_answer"]) == (
        False,
        0.0,
        {"options": ["a"]},
    )
    assert feedback["option_feedback"][0]["feedback_html"] == "Yes: respiration."
    before = snapshot(school_a)
    assert error(answer(student, attempt_id, 1, {"option": "a"})) == (
        409,
        "locked",
        "You have already answered this question and seen its feedback.",
    )
    assert snapshot(school_a) == before


def test_an_answer_after_the_deadline_is_refused_and_the_attempt_is_submitted(
    school_a, course, student
):
    quiz = make_quiz(school_a, course, time_limit_minutes=10)
    state = start(student, quiz).json()
    assert 599 <= state["remaining_seconds"] <= 600
    attempt_id = state["attempt"]
    answer(student, attempt_id, 1, {"option": "a"})
    # Given that the ten minutes have run out:
    with schema_context(school_a.schema):
        Attempt.objects.filter(pk=attempt_id).update(
            deadline=timezone.now() - dt.timedelta(seconds=5)
        )

    late = answer(student, attempt_id, 2, {"value": "100"})
    status, code, message = error(late)
    assert (status, code) == (409, "time_up")
    assert message.startswith("Time is up (the deadline was ")
    assert message.endswith("this answer was not saved and the attempt has been submitted.")
    with schema_context(school_a.schema):
        attempt = Attempt.objects.get(pk=attempt_id)
        stored = list(attempt.questions.order_by("position").values_list("response", flat=True))
    assert (attempt.state, attempt.submit_reason, attempt.score) == ("submitted", "deadline", 1.0)
    assert stored == [{"option": "a"}, None]


def test_reading_an_attempt_past_its_deadline_submits_it_by_the_clock(school_a, course, student):
    quiz = make_quiz(school_a, course, time_limit_minutes=5)
    attempt_id = start(student, quiz).json()["attempt"]
    with schema_context(school_a.schema):
        Attempt.objects.filter(pk=attempt_id).update(
            deadline=timezone.now() - dt.timedelta(minutes=1)
        )

    read = student.get(f"/api/v1/attempts/{attempt_id}/")
    assert read.status_code == 200
    assert (read.json()["state"], read.json()["result"]["submit_reason"]) == (
        "submitted",
        "deadline",
    )
    assert read.json()["remaining_seconds"] is None


def test_the_quiz_window_decides_when_attempts_start_and_late_ones_lose_points(
    school_a, course, student
):
    now = timezone.now()
    not_yet = make_quiz(school_a, course, opens_at=now + dt.timedelta(hours=1))
    closed = make_quiz(
        school_a, course, opens_at=now - dt.timedelta(days=2), closes_at=now - dt.timedelta(days=1)
    )
    late_window = make_quiz(
        school_a,
        course,
        opens_at=now - dt.timedelta(days=2),
        closes_at=now - dt.timedelta(minutes=5),
        late_minutes=60,
        late_penalty_percent=25,
    )
    before = snapshot(school_a)

    status, code, message = error(start(student, not_yet))
    assert (status, code) == (409, "not_open") and message.startswith("This quiz opens at ")
    status, code, message = error(start(student, closed))
    assert (status, code) == (409, "closed") and message.startswith("This quiz closed at ")
    assert snapshot(school_a) == before

    started = start(student, late_window)
    assert started.status_code == 201
    attempt_id = started.json()["attempt"]
    answer(student, attempt_id, 1, {"option": "a"})
    answer(student, attempt_id, 2, {"value": "100"})
    result = submit(student, attempt_id).json()["result"]
    assert (result["late"], result["late_penalty_percent"], result["score"]) == (True, 25, 1.5)
    assert result["percent"] == 75.0


def test_badly_shaped_answers_are_refused_with_what_a_good_one_looks_like(
    school_a, course, student
):
    quiz = make_quiz(school_a, course, kinds=("single", "multiple", "numeric", "short_answer"))
    attempt_id = start(student, quiz).json()["attempt"]
    url = f"/api/v1/attempts/{attempt_id}/answers/"
    before = snapshot(school_a)

    for position, response, message in [
        (1, "a", "An answer is a JSON object."),
        (1, None, "An answer is a JSON object."),
        (1, {"option": "z"}, "Choose one of the options: {\"option\": one of ['a', 'b', 'c']}."),
        (1, {"options": ["a"]}, "Choose one of the options: "),
        (2, {"options": "a"}, 'Choose any of the options: {"options": a list from'),
        (3, {"value": "about ten"}, 'Type a number, for example {"value": "3.5"}.'),
        (4, {"text": 42}, 'Type your answer: {"text": "..."}.'),
        (4, {"text": "x" * 501}, "An answer is at most 500 characters."),
    ]:
        status, code, text = error(answer(student, attempt_id, position, response))
        assert (status, code) == (400, "bad_response"), (position, response)
        assert text.startswith(message), text
    for body, message in [
        ({}, 'response: Send the answer as {"response": {...}}, for example'),
        ({"response": {"option": "a"}, "ref": "x"}, "ref: Unknown field; the accepted fields"),
    ]:
        refused = student.put(url + "1/", body, content_type="application/json")
        assert error(refused)[:2] == (400, "validation_error")
        assert error(refused)[2].startswith(message), error(refused)
    malformed = student.put(url + "1/", "{not json", content_type="application/json")
    assert error(malformed)[:2] == (400, "malformed_request")
    assert error(answer(student, attempt_id, 9, {"option": "a"})) == (
        404,
        "no_such_question",
        "This attempt has no question 9; its questions are 1 to 4.",
    )
    assert snapshot(school_a) == before


def test_a_quiz_that_lost_its_questions_or_is_not_published_starts_nothing(
    school_a, course, student, teacher
):
    emptied = make_quiz(school_a, course, kinds=("single",))
    draft = make_quiz(school_a, course, publish=False)
    with schema_context(school_a.schema):
        quiz_services.quiz_question_remove(emptied, emptied.items.get().question_id)
    before = snapshot(school_a)

    assert error(start(student, emptied)) == (409, "empty", "This quiz has no questions yet.")
    # A student does not learn that a draft exists; its teacher hears why nothing starts.
    assert error(start(student, draft)) == (404, "not_found", "No such quiz.")
    assert error(start(teacher, draft)) == (404, "not_published", "This quiz is not published.")
    assert snapshot(school_a) == before


# --- who may -------------------------------------------------------------------------------


def test_only_the_courses_students_take_its_quizzes(school_a, course, teacher, reader, writer):
    quiz = make_quiz(school_a, course)
    with schema_context(school_a.schema):
        from accounts.services import user_create

        outsider = user_create(username="outsider", role="student")
    before = snapshot(school_a)

    assert error(start(teacher, quiz)) == (
        403,
        "not_a_student",
        "Only the course's students take its quizzes; teachers see them on the quiz page.",
    )
    assert error(start(school_a.client(school_a.admin), quiz))[:2] == (403, "not_a_student")
    assert error(start(writer, quiz)) == (
        403,
        "not_a_student",
        "An API key cannot take a quiz: students take quizzes signed in as themselves.",
    )
    assert error(start(reader, quiz))[:2] == (403, "permission_denied")
    assert error(start(school_a.client(outsider), quiz)) == (404, "not_found", "No such quiz.")
    assert error(start(api(school_a), quiz))[:2] == (401, "not_authenticated")
    assert snapshot(school_a) == before


def test_nobody_but_its_student_answers_or_submits_an_attempt(
    school_a, course, student, classmate, teacher, reader, writer
):
    quiz = make_quiz(school_a, course)
    attempt_id = start(student, quiz).json()["attempt"]
    answer(student, attempt_id, 1, {"option": "b"})
    start(classmate, quiz)
    before = snapshot(school_a)

    for client in (classmate, teacher, school_a.client(school_a.admin)):
        assert error(answer(client, attempt_id, 1, {"option": "a"})) == (
            404,
            "not_found",
            "No such attempt.",
        )
        assert error(submit(client, attempt_id))[:2] == (404, "not_found")
    assert error(classmate.get(f"/api/v1/attempts/{attempt_id}/"))[:2] == (404, "not_found")
    for key in (reader, writer):
        assert answer(key, attempt_id, 1, {"option": "a"}).status_code == 403
        assert submit(key, attempt_id).status_code == 403
    assert snapshot(school_a) == before


def test_managers_read_an_attempt_with_every_answer_and_its_key(
    school_a, course, student, teacher, reader
):
    quiz = make_quiz(school_a, course)
    attempt_id = start(student, quiz).json()["attempt"]
    answer(student, attempt_id, 1, {"option": "b"})

    for client in (teacher, reader, school_a.client(school_a.admin)):
        read = client.get(f"/api/v1/attempts/{attempt_id}/")
        assert read.status_code == 200
        body = read.json()
        assert (body["attempt"], body["quiz_title"], body["state"], body["answered"]) == (
            attempt_id,
            "Cells: unit 1",
            "in_progress",
            1,
        )
        assert body["student"] == {
            "id": school_a.students[0].pk,
            "username": "alpha-student1",
            "name": "Sam1 Alpha",
            "external_id": None,
        }
        single, numeric = body["questions"]
        assert (single["response"], single["score"], single["correct"]) == (
            {"option": "b"},
            0.0,
            False,
        )
        assert [(o["id"], o["correct"], o["chosen"]) for o in single["options"]] == [
            ("a", True, False),
            ("b", False, True),
            ("c", False, False),
        ]
        assert single["topic"] == "Cells"
        assert numeric["correct_answer"] == {"value": 100.0, "tolerance": 0.5, "unit": "°C"}
        assert (numeric["response"], numeric["answered_at"]) == (None, None)
        assert all(s in json.dumps(body, ensure_ascii=False) for s in SECRETS)


def test_school_b_cannot_reach_school_a_attempts(school_a, school_b, course, student, keys_b):
    quiz = make_quiz(school_a, course)
    attempt_id = start(student, quiz).json()["attempt"]
    answer(student, attempt_id, 1, {"option": "b"})
    with schema_context(school_b.schema):
        # The ids below mean nothing in school B (so a 404 there proves the isolation).
        assert not Quiz.objects.filter(pk=quiz.pk).exists()
        assert not Attempt.objects.filter(pk=attempt_id).exists()
        course_services.enrollment_add(
            course=course_services.course_create(code="GEO-1", name="Geology"),
            user=school_b.students[0],
            role="student",
        )
    before = snapshot(school_a)

    beta_key = api(school_b, keys_b.read_write)
    for client in (
        beta_key,
        school_b.client(school_b.admin),
        school_b.client(school_b.students[0]),
    ):
        assert error(client.get(f"/api/v1/attempts/{attempt_id}/")) == (
            404,
            "not_found",
            "No such attempt.",
        )
    for client in (school_b.client(school_b.admin), school_b.client(school_b.students[0])):
        assert error(start(client, quiz)) == (404, "not_found", "No such quiz.")
        assert error(answer(client, attempt_id, 1, {"option": "a"}))[:2] == (404, "not_found")
        assert error(submit(client, attempt_id)) == (404, "not_found", "No such attempt.")
    # A key takes no quiz anywhere: refused before anything is looked up.
    assert error(submit(beta_key, attempt_id))[:2] == (403, "not_a_student")
    # School A's key is not even a key on school B's host.
    assert error(api(school_b, make_key(school_a)).get(f"/api/v1/attempts/{attempt_id}/"))[:2] == (
        401,
        "invalid_api_key",
    )
    assert snapshot(school_a) == before


def make_key(school) -> str:
    from tenants.services import api_key_create

    return api_key_create(school=school.model, name="A", scope="read")[1]


# --- accommodations ------------------------------------------------------------------------


def accommodation_url(user) -> str:
    return f"/api/v1/users/{user.pk}/accommodation/"


def test_a_teacher_gives_extra_time_and_attempts_and_the_next_attempt_uses_them(
    school_a, course, student, teacher
):
    target = school_a.students[0]
    empty = teacher.get(accommodation_url(target))
    assert empty.status_code == 200
    assert empty.json() == {
        "student": target.pk,
        "extra_time_percent": 0,
        "extra_attempts": 0,
        "note": "",
        "updated_by": None,
        "updated_at": None,
    }
    changed = teacher.put(
        accommodation_url(target),
        {"extra_time_percent": 50, "extra_attempts": 1, "note": "  Time and  a half "},
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert (body["extra_time_percent"], body["extra_attempts"], body["note"]) == (
        50,
        1,
        "Time and a half",
    )
    assert body["updated_by"] == school_a.teacher.pk and body["updated_at"]

    quiz = make_quiz(school_a, course, time_limit_minutes=20, attempts_allowed=1)
    first = start(student, quiz).json()
    assert 1799 <= first["remaining_seconds"] <= 1800  # 20 minutes and half again
    submit(student, first["attempt"])
    second = start(student, quiz)
    assert (second.status_code, second.json()["number"]) == (201, 2)


def test_accommodations_are_for_admins_a_students_teachers_and_write_keys(
    school_a, school_b, course, student, reader, writer, keys_b
):
    target = school_a.students[0]
    body = {"extra_time_percent": 25, "extra_attempts": 0, "note": ""}
    with schema_context(school_a.schema):
        from accounts.services import user_create

        other_teacher = user_create(username="other-teacher", role="teacher")
        loner = user_create(username="loner", role="student")

    def put(client, user=target, data=body):
        return client.put(accommodation_url(user), data, content_type="application/json")

    assert put(writer).status_code == 200
    assert put(school_a.client(school_a.admin), loner).status_code == 200
    assert reader.get(accommodation_url(target)).json()["extra_time_percent"] == 25
    with schema_context(school_a.schema):
        before = list(Accommodation.objects.order_by("pk").values())
    assert error(put(reader))[:2] == (403, "permission_denied")
    assert error(put(student))[:2] == (403, "permission_denied")
    assert error(student.get(accommodation_url(target)))[:2] == (403, "permission_denied")
    # A teacher of other courses does not learn that this student exists.
    assert error(put(school_a.client(other_teacher))) == (
        404,
        "not_found",
        f"No student with id {target.pk} in this school.",
    )
    assert error(put(school_a.client(school_a.teacher), loner))[:2] == (404, "not_found")
    assert error(put(writer, school_a.teacher))[:2] == (404, "not_found")
    for data, message in [
        ({**body, "extra_time_percent": 401}, "extra_time_percent: Extra time is a whole number"),
        ({**body, "extra_attempts": -1}, "extra_attempts: Extra attempts is a whole number"),
        ({**body, "note": "x" * 301}, "note: The note is at most 300 characters"),
        ({"extra_time_percent": 10, "note": ""}, "extra_attempts: This field is required."),
        ({**body, "minutes": 5}, "minutes: Unknown field; the accepted fields are"),
    ]:
        status, code, text = error(put(writer, data=data))
        assert (status, code) == (400, "validation_error")
        assert text.startswith(message), text
    with schema_context(school_b.schema):
        assert not Accommodation.objects.filter(student_id=target.pk).exists()
        from accounts.models import User

        # Whatever person has this id in school B, it is not school A's student.
        beta_has_id = User.objects.filter(pk=target.pk, role="student").exists()
    beta = api(school_b, keys_b.read_write)
    if not beta_has_id:
        assert error(put(beta))[:2] == (404, "not_found")
    with schema_context(school_a.schema):
        assert list(Accommodation.objects.order_by("pk").values()) == before


# --- the other surfaces hear it ------------------------------------------------------------


def _http(port: int, school, method: str, path: str, *, cookie: str = "", body=None, headers=None):
    """One request to the live daphne, with the school's host name (and a CSRF pair, the way
    a browser page sends it)."""
    token = secrets.token_hex(16)
    sent = {"Host": f"{school.host}:{port}", **(headers or {})}
    if cookie:
        sent["Cookie"] = f"{cookie}; csrftoken={token}"
        sent["X-CSRFToken"] = token
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=payload, headers=sent)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.mark.live
def test_an_answer_saved_over_the_api_reaches_the_students_open_quiz_page(
    live_server_process, fresh_school, committed
):
    from tests.realtime.ws import receive_json, receive_until, session_cookie, ws_connect

    school = fresh_school("apiws")
    course = course_with_students(school)
    quiz = make_quiz(school, course)
    port = live_server_process.port
    cookie = session_cookie(school, school.students[0])

    status, _, raw = _http(
        port, school, "POST", f"/api/v1/quizzes/{quiz.pk}/attempts/", cookie=cookie
    )
    assert status == 201, raw
    attempt_id = json.loads(raw)["attempt"]
    with ws_connect(port, school.host, f"/ws/quizzes/{quiz.pk}/attempt/", cookie=cookie) as page:
        page.send(json.dumps({"type": "open"}))
        opened = receive_json(page)
        assert (opened["type"], opened["attempt"]) == ("attempt", attempt_id)

        status, _, raw = _http(
            port,
            school,
            "PUT",
            f"/api/v1/attempts/{attempt_id}/answers/1/",
            cookie=cookie,
            body={"response": {"option": "a"}},
        )
        assert status == 200, raw
        heard = receive_until(page, lambda m: m.get("type") == "saved", timeout=20)[-1]
        assert (heard["attempt"], heard["position"], heard["response"]) == (
            attempt_id,
            1,
            {"option": "a"},
        )

        status, _, raw = _http(
            port, school, "POST", f"/api/v1/attempts/{attempt_id}/submit/", cookie=cookie
        )
        assert status == 200 and json.loads(raw)["already_submitted"] is False
        pushed = receive_until(page, lambda m: m.get("type") == "submitted", timeout=20)[-1]
        assert (pushed["attempt"], pushed["state"], pushed["result"]["score"]) == (
            attempt_id,
            "submitted",
            1.0,
        )
