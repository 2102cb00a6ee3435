"""The rules of taking a quiz, whichever surface an answer comes through (the websocket
consumer and the API call these same services; their own tests cover the wire)."""

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from quizzes import services
from quizzes.attempts.display import attempt_state
from quizzes.attempts.errors import AttemptRefused
from quizzes.attempts.rules import attempt_availability
from quizzes.attempts.selectors import attempt_questions
from quizzes.attempts.services import (
    answer_save,
    attempt_start,
    attempt_submit,
    attempts_submit_expired,
)
from quizzes.models import Accommodation, Attempt, Quiz

NOW = timezone.now().replace(microsecond=0)


@pytest.fixture(autouse=True)
def _in_school_a(school_a):
    with schema_context(school_a.schema):
        yield


@pytest.fixture
def quiz_of(school_a, biology, bank):
    """``quiz_of(kinds, **settings)``: a published quiz in Biology holding one question of each
    kind given."""

    def make(kinds=("single",), **settings):
        questions = [bank(kind) for kind in kinds]
        quiz = services.quiz_create(
            course=biology, title="Cells", created_by=school_a.teacher, **settings
        )
        services.quiz_questions_add(quiz, [q.pk for q in questions])
        services.quiz_publish(quiz)
        return Quiz.objects.get(pk=quiz.pk)

    return make


def _answer(attempt, position, response, **kw):
    attempt.refresh_from_db()
    question = next(q for q in attempt_questions(attempt) if q.position == position)
    return answer_save(attempt, question, response, **kw)


def _option_id(attempt, position, text):
    question = next(q for q in attempt_questions(attempt) if q.position == position)
    return next(o["id"] for o in question.version.options if o["text"] == text)


def test_starting_pins_every_question_and_resuming_returns_the_same_attempt(quiz_of, school_a):
    quiz = quiz_of(("single", "numeric", "short_answer"))
    attempt = attempt_start(quiz, school_a.student, now=NOW)
    again = attempt_start(quiz, school_a.student, now=NOW + dt.timedelta(minutes=5))
    assert again.pk == attempt.pk
    pinned = attempt_questions(attempt)
    assert [q.position for q in pinned] == [1, 2, 3]
    assert all(q.version_id == q.question.current_version_id for q in pinned)
    assert attempt.max_score == 3.0


def test_an_edit_after_the_start_does_not_change_what_the_attempt_grades(quiz_of, school_a):
    quiz = quiz_of(("numeric",))
    attempt = attempt_start(quiz, school_a.student, now=NOW)
    question = attempt_questions(attempt)[0].question
    services.question_update(question, answer={"value": 42, "tolerance": 0})
    saved = _answer(attempt, 1, {"value": "100.2"}, now=NOW)
    assert saved.attempt_question.score == 1.0  # graded against 100 ± 0.5, what was shown


def test_shuffled_options_are_per_attempt_and_true_false_is_never_shuffled(quiz_of, school_a):
    quiz = quiz_of(("single", "true_false"), shuffle_options=True, attempts_allowed=0)
    orders = set()
    for _ in range(12):
        attempt = attempt_start(quiz, school_a.student, now=NOW)
        single, true_false = sorted(attempt_questions(attempt), key=lambda q: q.question.kind)
        orders.add(tuple(single.option_order))
        assert true_false.option_order == ["true", "false"]
        attempt_submit(attempt, now=NOW)
    assert len(orders) > 1


def test_attempts_allowed_counts_extra_attempts_from_an_accommodation(quiz_of, school_a):
    quiz = quiz_of(attempts_allowed=1)
    attempt_submit(attempt_start(quiz, school_a.student, now=NOW), now=NOW)
    with pytest.raises(AttemptRefused) as refused:
        attempt_start(quiz, school_a.student, now=NOW)
    assert refused.value.code == "no_attempts_left"
    Accommodation.objects.create(student=school_a.student, extra_attempts=1)
    second = attempt_start(quiz, school_a.student, now=NOW)
    assert second.number == 2


def test_extra_time_lengthens_the_deadline_but_never_past_the_closing_time(quiz_of, school_a):
    Accommodation.objects.create(student=school_a.student, extra_time_percent=50)
    timed = quiz_of(time_limit_minutes=20)
    attempt = attempt_start(timed, school_a.student, now=NOW)
    assert attempt.deadline == NOW + dt.timedelta(minutes=30)
    closing = quiz_of(time_limit_minutes=20, closes_at=NOW + dt.timedelta(minutes=25))
    assert attempt_start(closing, school_a.student, now=NOW).deadline == closing.closes_at


def test_an_answer_after_the_deadline_is_refused_and_the_attempt_is_submitted(quiz_of, school_a):
    quiz = quiz_of(("single", "numeric"), time_limit_minutes=10)
    attempt = attempt_start(quiz, school_a.student, now=NOW)
    in_time = NOW + dt.timedelta(minutes=9, seconds=59)
    _answer(attempt, 1, {"option": _option_id(attempt, 1, "Mitochondrion")}, now=in_time)
    with pytest.raises(AttemptRefused) as refused:
        _answer(attempt, 2, {"value": "100"}, now=NOW + dt.timedelta(minutes=10, seconds=1))
    assert refused.value.code == "time_up"
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.SUBMITTED
    assert attempt.submit_reason == Attempt.SubmitReason.DEADLINE
    assert attempt.submitted_at == attempt.deadline
    assert attempt.score == 1.0  # the answer in time counts, the late one was not stored


def test_the_sweep_submits_attempts_nobody_is_connected_to(quiz_of, school_a):
    quiz = quiz_of(time_limit_minutes=5)
    attempt = attempt_start(quiz, school_a.student, now=NOW)
    assert attempts_submit_expired(now=NOW + dt.timedelta(minutes=4)) == 0
    assert attempts_submit_expired(now=NOW + dt.timedelta(minutes=6)) == 1
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.SUBMITTED


def test_multiple_answers_earn_partial_credit_and_submit_scores_the_points(quiz_of, school_a):
    quiz = quiz_of(("multiple",))
    attempt = attempt_start(quiz, school_a.student, now=NOW)
    neon, oxygen = _option_id(attempt, 1, "Neon"), _option_id(attempt, 1, "Oxygen")
    argon = _option_id(attempt, 1, "Argon")
    assert _answer(attempt, 1, {"options": [neon]}, now=NOW).attempt_question.score == 0.5
    assert (
        _answer(attempt, 1, {"options": [neon, argon, oxygen]}, now=NOW).attempt_question.score
        == 0.5
    )
    submitted, changed = attempt_submit(attempt, now=NOW)
    assert changed and submitted.score == 0.5 and submitted.percent == 50.0


def test_a_double_submit_changes_nothing(quiz_of, school_a):
    quiz = quiz_of()
    attempt = attempt_start(quiz, school_a.student, now=NOW)
    first, changed = attempt_submit(attempt, now=NOW)
    second, changed_again = attempt_submit(attempt, now=NOW + dt.timedelta(minutes=3))
    assert changed and not changed_again
    assert second.submitted_at == first.submitted_at
    with pytest.raises(AttemptRefused) as refused:
        _answer(attempt, 1, {"option": "a"}, now=NOW)
    assert refused.value.code == "submitted"


def test_late_submissions_are_marked_and_lose_the_penalty(quiz_of, school_a):
    quiz = quiz_of(
        closes_at=NOW + dt.timedelta(minutes=10), late_minutes=60, late_penalty_percent=20
    )
    late_start = NOW + dt.timedelta(minutes=30)
    assert attempt_availability(quiz, school_a.student, now=late_start).window == "late"
    attempt = attempt_start(quiz, school_a.student, now=late_start)
    _answer(attempt, 1, {"option": _option_id(attempt, 1, "Mitochondrion")}, now=late_start)
    submitted, _ = attempt_submit(attempt, now=late_start)
    assert submitted.is_late and submitted.score == pytest.approx(0.8)
    after = NOW + dt.timedelta(minutes=71)
    assert attempt_availability(quiz, school_a.student, now=after).code == "closed"


def test_immediate_feedback_shows_the_key_and_citation_and_locks_the_answer(quiz_of, school_a):
    quiz = quiz_of(("single",), show_feedback=Quiz.Feedback.IMMEDIATELY)
    attempt = attempt_start(quiz, school_a.student, now=NOW)
    ribosome = _option_id(attempt, 1, "Ribosome")
    saved = _answer(attempt, 1, {"option": ribosome}, now=NOW)
    assert saved.feedback["correct"] is False
    assert saved.feedback["correct_answer"] == {
        "options": [_option_id(attempt, 1, "Mitochondrion")]
    }
    with pytest.raises(AttemptRefused) as refused:
        _answer(attempt, 1, {"option": _option_id(attempt, 1, "Mitochondrion")}, now=NOW)
    assert refused.value.code == "locked"


def test_feedback_after_submit_stays_hidden_until_then(quiz_of, school_a):
    quiz = quiz_of(("short_answer",), show_feedback=Quiz.Feedback.AFTER_SUBMIT)
    attempt = attempt_start(quiz, school_a.student, now=NOW)
    saved = _answer(attempt, 1, {"text": "  atp "}, now=NOW)
    assert saved.feedback is None and saved.attempt_question.score == 1.0
    state = attempt_state(attempt, now=NOW)
    assert "feedback" not in state["questions"][0] and state["questions"][0]["response"] == {
        "text": "atp"
    }
    submitted, _ = attempt_submit(attempt, now=NOW)
    state = attempt_state(submitted, now=NOW)
    assert state["questions"][0]["feedback"]["correct"] is True
    assert state["result"]["percent"] == 100.0


def test_bad_responses_are_refused_with_the_shape_expected(quiz_of, school_a):
    quiz = quiz_of(("numeric",))
    attempt = attempt_start(quiz, school_a.student, now=NOW)
    for response in ({"value": "about ten"}, "100", {"option": "a"}):
        with pytest.raises(AttemptRefused) as refused:
            _answer(attempt, 1, response, now=NOW)
        assert refused.value.code == "bad_response"
    assert attempt_questions(attempt)[0].answered_at is None


def test_only_the_courses_students_take_its_quizzes(quiz_of, school_a):
    quiz = quiz_of()
    with pytest.raises(AttemptRefused) as refused:
        attempt_start(quiz, school_a.teacher, now=NOW)
    assert refused.value.code == "not_a_student"
    assert not Attempt.objects.filter(quiz=quiz).exists()
