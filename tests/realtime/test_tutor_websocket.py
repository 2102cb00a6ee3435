"""The tutor over a real daphne server and a real worker: the answer streams to the student who
asked, with citations; nobody outside the course or the school can open the conversation."""

import pytest

from tests.ai import samples
from tests.ai.conftest import course_with_people, upload, wait_for_material

from .ws import (
    close_code_after_open,
    receive_json,
    receive_until,
    session_cookie,
    ws_connect,
)

pytestmark = pytest.mark.live

PAGES = [
    "Cells are the basic unit of life. Every living organism is made of one or more cells.",
    "Mitochondria are the powerhouse of the cell. They produce ATP through cellular respiration.",
]


@pytest.fixture
def tutored_course(live_server_process, celery_worker_process, fresh_school, committed, tmp_path):
    school = fresh_school()
    course = course_with_people(school)
    material, _ = upload(school, course, samples.pdf_with_pages(tmp_path, PAGES))
    assert wait_for_material(school, material.pk).state == "ready"
    return live_server_process, school, course


def tutor_socket(server, school, course, user, **kwargs):
    return ws_connect(
        server.port,
        school.host,
        f"/ws/courses/{course.pk}/tutor/",
        cookie=session_cookie(school, user),
        **kwargs,
    )


def test_a_student_sees_the_answer_stream_with_citations(tutored_course):
    server, school, course = tutored_course
    with tutor_socket(server, school, course, school.student) as websocket:
        websocket.send('{"type": "ask", "question": "What do mitochondria produce?"}')
        asked = receive_json(websocket)
        events = receive_until(websocket, lambda m: m["type"] in ("done", "error"), timeout=60)

    assert asked["type"] == "asked" and asked["question"] == "What do mitochondria produce?"
    assert {event["turn"] for event in events} == {asked["turn"]}
    kinds = [event["type"] for event in events]
    assert kinds[0] == "sources" and kinds[-1] == "done" and "delta" in kinds
    done = events[-1]
    assert done["supported"] is True
    assert "ATP" in done["answer"] and "[1]" in done["answer"]
    assert done["citations"][0]["page"] == 2 and "ATP" in done["citations"][0]["quote"]
    assert "".join(e["text"] for e in events if e["type"] == "delta") == done["answer"]


def test_an_uncovered_question_is_answered_honestly_over_the_socket(tutored_course):
    server, school, course = tutored_course
    with tutor_socket(server, school, course, school.student) as websocket:
        websocket.send('{"type": "ask", "question": "What is the capital of Peru?"}')
        events = receive_until(websocket, lambda m: m["type"] == "done", timeout=60)
    assert events[-1]["supported"] is False and events[-1]["citations"] == []


def test_bad_messages_get_a_reason_and_the_conversation_stays_open(tutored_course):
    server, school, course = tutored_course
    with tutor_socket(server, school, course, school.student) as websocket:
        websocket.send("not json")
        assert receive_json(websocket) == {"type": "error", "message": "Messages must be JSON."}
        websocket.send('{"type": "ask", "question": ""}')
        assert receive_json(websocket) == {"type": "error", "message": "Type a question first."}
        websocket.send('{"type": "ask", "question": "' + "x" * 5000 + '"}')
        assert "too large" in receive_json(websocket)["message"]
        websocket.send('{"type": "ping"}')
        assert receive_json(websocket) == {"type": "pong"}


def test_a_student_outside_the_course_cannot_open_its_tutor(tutored_course):
    server, school, course = tutored_course
    outsider = school.students[1]  # in the school, not enrolled in the course
    code = close_code_after_open(
        server.port,
        school.host,
        f"/ws/courses/{course.pk}/tutor/",
        cookie=session_cookie(school, outsider),
    )
    assert code == 4403


def test_another_school_cannot_reach_this_course_tutor(tutored_course, fresh_school):
    server, school, course = tutored_course
    other = fresh_school()
    path = f"/ws/courses/{course.pk}/tutor/"
    # Their session is not valid on this school's host...
    assert (
        close_code_after_open(
            server.port, school.host, path, cookie=session_cookie(other, other.admin)
        )
        == 4401
    )
    # ...and on their own host the same course id is not a course they have.
    assert (
        close_code_after_open(
            server.port, other.host, path, cookie=session_cookie(other, other.admin)
        )
        == 4403
    )


def test_another_school_cannot_watch_this_school_material_progress(tutored_course, fresh_school):
    from django_tenants.utils import schema_context

    from courses.models import Material

    server, school, course = tutored_course
    with schema_context(school.schema):
        material_id = Material.objects.filter(course=course).values_list("pk", flat=True)[0]
    other = fresh_school()
    path = f"/ws/progress/material/{material_id}/"
    assert (
        close_code_after_open(
            server.port, other.host, path, cookie=session_cookie(other, other.admin)
        )
        == 4403
    )
    assert (
        close_code_after_open(
            server.port, school.host, path, cookie=session_cookie(school, school.student)
        )
        == 4403
    )
