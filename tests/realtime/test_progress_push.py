"""Mastery pushed live, through the real daphne, Redis channel layer and Celery worker: a graded
answer saved through the attempt rules reaches the student's progress page and the course's
class dashboard within seconds; a submitted attempt moves the dashboard's quiz figures and the
school overview. Only the student watches their own topic, only the course's teachers and the
school's admins watch the course, only admins watch the school; two schools never hear each
other."""

import contextlib
import time

import pytest
from django.db import transaction
from django_tenants.utils import schema_context

from courses import services as course_services
from quizzes.attempts.selectors import attempt_questions
from quizzes.attempts.services import answer_save, attempt_start, attempt_submit
from tests.quizzes.test_mastery import published_quiz, response_for

from .ws import close_code_after_open, drain, receive_until, session_cookie, ws_connect

pytestmark = pytest.mark.live


def _taught(school, *, topics=("Cells", "Cells")):
    """A course of ``school``'s teacher taken by its first student, with a published quiz
    that shows feedback after each answer (so each answer counts at once)."""
    with schema_context(school.schema):
        course = course_services.course_create(
            code="BIO-101", name="Biology", created_by=school.teacher
        )
        course_services.enrollment_add(course=course, user=school.student, role="student")
        quiz, questions = published_quiz(
            course,
            school.teacher,
            [{"topic": topic} for topic in topics],
            show_feedback="immediately",
        )
    return course, quiz, questions


def _answer(school, attempt, question, answer):
    """Save one answer the way the websocket consumer does, committed."""
    with schema_context(school.schema), transaction.atomic():
        shown = {aq.question_id: aq for aq in attempt_questions(attempt)}
        answer_save(attempt, shown[question.pk], response_for(question, answer))


def _mastery(message) -> bool:
    return message.get("event") == "mastery"


def test_a_graded_answer_reaches_the_students_page_and_the_class_dashboard_in_seconds(
    live_server_process, celery_worker_process, fresh_school, committed
):
    school = fresh_school()
    course, quiz, (q1, q2) = _taught(school)
    port = live_server_process.port
    with contextlib.ExitStack() as stack:
        student_ws = stack.enter_context(
            ws_connect(
                port,
                school.host,
                f"/ws/progress/student-progress/{school.student.pk}/",
                cookie=session_cookie(school, school.student),
            )
        )
        course_ws = stack.enter_context(
            ws_connect(
                port,
                school.host,
                f"/ws/progress/course-progress/{course.pk}/",
                cookie=session_cookie(school, school.teacher),
            )
        )
        with schema_context(school.schema):
            attempt = attempt_start(quiz, school.student)
        started = time.monotonic()
        _answer(school, attempt, q1, "right")
        pushed = receive_until(student_ws, _mastery, timeout=30)[-1]
        assert time.monotonic() - started < 10
        expected_overall = {
            "tag": "",
            "percent": 100.0,
            "earned": 1.0,
            "possible": 1.0,
            "questions_answered": 1,
        }
        assert pushed["type"] == "progress" and pushed["topic"] == "student-progress"
        assert pushed["key"] == str(school.student.pk)
        assert (pushed["student"], pushed["course"]) == (school.student.pk, course.pk)
        assert pushed["overall"] == expected_overall
        assert [(t["tag"], t["percent"]) for t in pushed["topics"]] == [("Cells", 100.0)]
        on_dashboard = receive_until(course_ws, _mastery, timeout=15)[-1]
        assert on_dashboard["topic"] == "course-progress"
        assert on_dashboard["overall"] == expected_overall

        # The second answer of a burst is never lost: the newest push counts both.
        _answer(school, attempt, q2, "wrong")
        latest = receive_until(
            student_ws, lambda m: _mastery(m) and m["overall"]["questions_answered"] == 2
        )[-1]
        assert latest["overall"]["percent"] == 50.0
        receive_until(course_ws, lambda m: _mastery(m) and m["overall"]["questions_answered"] == 2)

        with schema_context(school.schema), transaction.atomic():
            attempt_submit(attempt)
        submitted = receive_until(
            course_ws, lambda m: m.get("event") == "attempt_submitted", timeout=20
        )[-1]
        assert submitted["quiz_summary"] == {
            "quiz": quiz.pk,
            "attempts": 1,
            "students": 1,
            "average": 50.0,
            "median": 50.0,
        }
        assert submitted["attempt"]["id"] == attempt.pk
        assert submitted["attempt"]["percent"] == 50.0
        own = receive_until(
            student_ws, lambda m: m.get("event") == "attempt_submitted", timeout=20
        )[-1]
        # The student hears their own result, not the class's figures.
        assert own["attempt"]["quiz_title"] == "Cells" and "quiz_summary" not in own


def test_an_answer_still_open_to_change_pushes_nothing_until_the_attempt_is_submitted(
    live_server_process, celery_worker_process, fresh_school, committed
):
    school = fresh_school()
    with schema_context(school.schema):
        course = course_services.course_create(
            code="BIO-101", name="Biology", created_by=school.teacher
        )
        course_services.enrollment_add(course=course, user=school.student, role="student")
        quiz, (q1,) = published_quiz(
            course, school.teacher, [{"topic": "Cells"}], show_feedback="after_submit"
        )
        attempt = attempt_start(quiz, school.student)
    with ws_connect(
        live_server_process.port,
        school.host,
        f"/ws/progress/student-progress/{school.student.pk}/",
        cookie=session_cookie(school, school.student),
    ) as websocket:
        _answer(school, attempt, q1, "right")
        # An answer the student may still change does not count yet: nothing to recompute
        # (the worker would have pushed within its 1 s batching window).
        assert [m for m in drain(websocket, quiet=4) if _mastery(m)] == []
        with schema_context(school.schema), transaction.atomic():
            attempt_submit(attempt)
        pushed = receive_until(websocket, _mastery, timeout=30)[-1]
        assert pushed["overall"]["percent"] == 100.0


def test_a_student_cannot_watch_another_students_progress_or_the_class(
    live_server_process, fresh_school, committed
):
    school = fresh_school()
    course, _, _ = _taught(school)
    port = live_server_process.port
    other = school.students[1]
    cookie = session_cookie(school, school.student)
    assert (
        close_code_after_open(
            port, school.host, f"/ws/progress/student-progress/{other.pk}/", cookie=cookie
        )
        == 4403
    )
    assert (
        close_code_after_open(
            port, school.host, f"/ws/progress/course-progress/{course.pk}/", cookie=cookie
        )
        == 4403
    )
    assert (
        close_code_after_open(
            port, school.host, "/ws/progress/school-overview/school/", cookie=cookie
        )
        == 4403
    )
    # Their own topic stays open.
    assert (
        close_code_after_open(
            port, school.host, f"/ws/progress/student-progress/{school.student.pk}/", cookie=cookie
        )
        is None
    )


def test_teachers_watch_only_courses_they_teach_and_never_a_students_topic(
    live_server_process, fresh_school, committed
):
    school = fresh_school()
    course, _, _ = _taught(school)
    with schema_context(school.schema):
        other_course = course_services.course_create(code="ART-1", name="Art")
    port = live_server_process.port
    cookie = session_cookie(school, school.teacher)
    assert (
        close_code_after_open(
            port, school.host, f"/ws/progress/course-progress/{course.pk}/", cookie=cookie
        )
        is None
    )
    for path in (
        f"/ws/progress/course-progress/{other_course.pk}/",
        f"/ws/progress/student-progress/{school.student.pk}/",
        "/ws/progress/school-overview/school/",
    ):
        assert close_code_after_open(port, school.host, path, cookie=cookie) == 4403, path
    admin = session_cookie(school, school.admin)
    assert (
        close_code_after_open(
            port, school.host, f"/ws/progress/course-progress/{other_course.pk}/", cookie=admin
        )
        is None
    )


def test_the_school_admin_hears_each_submitted_attempt(
    live_server_process, celery_worker_process, fresh_school, committed
):
    school = fresh_school()
    course, quiz, (q1, _) = _taught(school)
    with ws_connect(
        live_server_process.port,
        school.host,
        "/ws/progress/school-overview/school/",
        cookie=session_cookie(school, school.admin),
    ) as websocket:
        with schema_context(school.schema):
            attempt = attempt_start(quiz, school.student)
        _answer(school, attempt, q1, "right")
        with schema_context(school.schema), transaction.atomic():
            attempt_submit(attempt)
        heard = receive_until(websocket, lambda m: m.get("event") == "attempt_submitted")[-1]
        assert heard == {
            "type": "progress",
            "topic": "school-overview",
            "key": "school",
            "event": "attempt_submitted",
            "course": course.pk,
            "quiz": quiz.pk,
        }


def test_two_schools_students_with_the_same_id_never_hear_each_other(
    live_server_process, celery_worker_process, fresh_school, committed
):
    first, second = fresh_school(), fresh_school()
    assert first.student.pk == second.student.pk  # the same key in two schools
    course, quiz, (q1, _) = _taught(first)
    port = live_server_process.port
    with contextlib.ExitStack() as stack:
        listening = {
            school.schema: stack.enter_context(
                ws_connect(
                    port,
                    school.host,
                    f"/ws/progress/student-progress/{school.student.pk}/",
                    cookie=session_cookie(school, school.student),
                )
            )
            for school in (first, second)
        }
        with schema_context(first.schema):
            attempt = attempt_start(quiz, first.student)
        _answer(first, attempt, q1, "right")
        receive_until(listening[first.schema], _mastery, timeout=30)
        assert drain(listening[second.schema], quiet=2) == []


def test_a_burst_of_answers_shares_one_recompute_and_its_last_answer_is_counted(
    live_server_process, celery_worker_process, fresh_school, committed
):
    school = fresh_school()
    course, quiz, questions = _taught(school, topics=("Cells", "Cells", "Energy", "Energy"))
    with ws_connect(
        live_server_process.port,
        school.host,
        f"/ws/progress/student-progress/{school.student.pk}/",
        cookie=session_cookie(school, school.student),
    ) as websocket:
        with schema_context(school.schema):
            attempt = attempt_start(quiz, school.student)
        for question, answer in zip(questions, ["right", "wrong", "right", "right"], strict=True):
            _answer(school, attempt, question, answer)  # well inside the one-second window
        pushes = receive_until(
            websocket, lambda m: _mastery(m) and m["overall"]["questions_answered"] == 4
        )
        pushes += drain(websocket, quiet=3)
    mastery = [m for m in pushes if _mastery(m)]
    assert mastery[-1]["overall"]["percent"] == 75.0
    assert [(t["tag"], t["percent"]) for t in mastery[-1]["topics"]] == [
        ("Cells", 50.0),
        ("Energy", 100.0),
    ]
    # Four answers, one recompute (two if the burst straddled the window on a busy machine).
    assert len(mastery) <= 2
