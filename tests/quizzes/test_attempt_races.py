"""An answer and a submit of the same attempt, at the same moment, on two database connections
(two tabs, or a tab and the deadline sweep): every acknowledged answer is in the score, and an
answer that loses the race is refused, never silently dropped."""

import threading

import pytest
from django.db import connection, transaction
from django_tenants.utils import schema_context

from courses import services as course_services
from quizzes.attempts.errors import AttemptRefused
from quizzes.attempts.selectors import attempt_questions
from quizzes.attempts.services import answer_save, attempt_start, attempt_submit
from quizzes.models import Attempt, AttemptQuestion
from tests.quizzes.test_mastery import published_quiz, response_for


@pytest.fixture
def racing_attempt(fresh_school, committed):
    school = fresh_school()
    with schema_context(school.schema):
        course = course_services.course_create(
            code="BIO-101", name="Biology", created_by=school.teacher
        )
        course_services.enrollment_add(course=course, user=school.student, role="student")
        quiz, (question,) = published_quiz(course, school.teacher, [{}])
        attempt = attempt_start(quiz, school.student)
        (shown,) = attempt_questions(attempt)
    return school, attempt, shown, response_for(question, "right")


def _on_own_connection(schema: str, func, outcome: dict):
    def run():
        try:
            with schema_context(schema):
                outcome["result"] = func()
        except Exception as exc:  # reported to the test
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_an_answer_racing_a_submit_waits_for_it_and_is_refused(racing_attempt):
    school, attempt, shown, right = racing_attempt
    submit_may_finish = threading.Event()
    submit_holds_the_lock = threading.Event()

    def submit():
        with transaction.atomic():
            Attempt.objects.select_for_update().get(pk=attempt.pk)
            submit_holds_the_lock.set()
            submit_may_finish.wait(10)
            return attempt_submit(attempt)

    submitted, answered = {}, {}
    submitter = _on_own_connection(school.schema, submit, submitted)
    assert submit_holds_the_lock.wait(10)
    answerer = _on_own_connection(
        school.schema, lambda: answer_save(attempt, shown, right), answered
    )
    answerer.join(0.5)
    assert answerer.is_alive(), "the answer should wait for the submit in progress"
    submit_may_finish.set()
    submitter.join(10)
    answerer.join(10)

    assert "error" not in submitted
    assert isinstance(answered.get("error"), AttemptRefused)
    assert answered["error"].code == "submitted"
    with schema_context(school.schema):
        assert AttemptQuestion.objects.get(pk=shown.pk).answered_at is None
        assert Attempt.objects.get(pk=attempt.pk).score == 0


def test_a_submit_racing_an_answer_waits_for_it_and_counts_it(racing_attempt):
    school, attempt, shown, right = racing_attempt
    answer_may_commit = threading.Event()
    answer_written = threading.Event()

    def answer_then_hold():
        with transaction.atomic():
            saved = answer_save(attempt, shown, right)
            answer_written.set()
            answer_may_commit.wait(10)
            return saved

    answered, submitted = {}, {}
    answerer = _on_own_connection(school.schema, answer_then_hold, answered)
    assert answer_written.wait(10)
    submitter = _on_own_connection(school.schema, lambda: attempt_submit(attempt), submitted)
    submitter.join(0.5)
    assert submitter.is_alive(), "the submit should wait for the answer being written"
    answer_may_commit.set()
    answerer.join(10)
    submitter.join(10)

    assert "error" not in answered and "error" not in submitted
    final, _ = submitted["result"]
    assert final.state == Attempt.State.SUBMITTED
    assert final.score == final.max_score > 0
