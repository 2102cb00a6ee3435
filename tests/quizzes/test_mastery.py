"""Mastery: the share of points a student earned on their latest final answer to each question
of a course, overall and per topic and objective, from quiz attempts and live sessions; and the
recompute queue that keeps it current after every graded answer."""

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from courses import services as course_services
from quizzes import services
from quizzes.attempts.selectors import attempt_questions
from quizzes.attempts.services import answer_save, attempt_start, attempt_submit
from quizzes.grading import key_response
from quizzes.models import (
    LiveAnswer,
    LiveParticipant,
    LiveRound,
    LiveSession,
    Mastery,
    Question,
    Quiz,
    QuizItem,
)
from quizzes.progress.mastery import mastery_payload
from quizzes.progress.services import (
    _pending_key,
    _redis,
    mastery_refresh,
    progress_changed,
    progress_refresh_and_publish,
)
from tests.quizzes.conftest import VALID

NOW = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)


# --- building quizzes and attempts (the progress tests share these) ------------------------


def published_quiz(course, teacher, specs, **settings) -> tuple[Quiz, list[Question]]:
    """A published quiz in ``course`` holding one new accepted question per spec, in order.
    A spec is ``{"kind": …, "points": 2, "topic": …, "objective": …, **content overrides}``."""
    questions, points = [], []
    for spec in specs:
        spec = dict(spec)
        kind = spec.pop("kind", "single")
        points.append(spec.pop("points", 1))
        content = {**VALID[kind], **spec}
        questions.append(
            services.question_create(
                course=course,
                kind=kind,
                created_by=teacher,
                status=Question.Status.ACCEPTED,
                **content,
            )
        )
    quiz = services.quiz_create(course=course, title="Cells", created_by=teacher, **settings)
    services.quiz_questions_add(quiz, [q.pk for q in questions])
    for question, value in zip(questions, points, strict=True):
        QuizItem.objects.filter(quiz=quiz, question=question).update(points=value)
    services.quiz_publish(quiz)
    return Quiz.objects.get(pk=quiz.pk), questions


def wrong_response(question: Question) -> dict:
    version = question.current_version
    wrong = [o["id"] for o in version.options if not o.get("correct")]
    if question.kind in (Question.Kind.SINGLE, Question.Kind.TRUE_FALSE):
        return {"option": wrong[0]}
    if question.kind == Question.Kind.MULTIPLE:
        return {"options": wrong[:1]}
    if question.kind == Question.Kind.NUMERIC:
        return {"value": "-1"}
    return {"text": "no idea"}


def response_for(question: Question, answer) -> dict:
    """``"right"``, ``"wrong"`` or a response as sent."""
    if answer == "right":
        return key_response(question.kind, question.current_version)
    if answer == "wrong":
        return wrong_response(question)
    return answer


def take(quiz, student, answers: dict, *, submit: bool = True, now=None):
    """One attempt of ``student``: ``answers`` maps a question to "right", "wrong" or a
    response (questions left out stay unanswered); submitted unless ``submit`` is False."""
    now = now or NOW
    attempt = attempt_start(quiz, student, now=now)
    shown = {aq.question_id: aq for aq in attempt_questions(attempt)}
    for i, (question, answer) in enumerate(answers.items()):
        answer_save(
            attempt,
            shown[question.pk],
            response_for(question, answer),
            now=now + dt.timedelta(seconds=i + 1),
        )
    if submit:
        attempt, _ = attempt_submit(attempt, now=now + dt.timedelta(minutes=5))
    return attempt


# --- tests -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _in_school_a(school_a):
    with schema_context(school_a.schema):
        yield


def _rows(student, course) -> dict:
    return {
        (m.dimension, m.tag): (m.earned, m.possible, m.questions_answered)
        for m in Mastery.objects.filter(student=student, course=course)
    }


def test_mastery_splits_by_topic_and_objective_weighted_by_points(school_a, biology):
    quiz, (q1, q2, q3, q4) = published_quiz(
        biology,
        school_a.teacher,
        [
            {"topic": "Cells", "objective": "Explain respiration", "points": 2},
            {"topic": "Cells"},
            {"topic": "Energy", "kind": "numeric"},
            {"kind": "short_answer"},  # no tags: counts overall only
        ],
    )
    take(quiz, school_a.student, {q1: "right", q2: "wrong", q3: "right", q4: "wrong"})
    mastery_refresh(school_a.student.pk, biology.pk)
    assert _rows(school_a.student, biology) == {
        ("course", ""): (3.0, 5.0, 4),
        ("topic", "Cells"): (2.0, 3.0, 2),
        ("topic", "Energy"): (1.0, 1.0, 1),
        ("objective", "Explain respiration"): (2.0, 2.0, 1),
    }
    payload = mastery_payload(school_a.student.pk, biology.pk)
    assert payload["overall"] == {
        "tag": "",
        "percent": 60.0,
        "earned": 3.0,
        "possible": 5.0,
        "questions_answered": 4,
    }
    assert [(t["tag"], t["percent"]) for t in payload["topics"]] == [
        ("Cells", 66.7),
        ("Energy", 100.0),
    ]
    assert [(o["tag"], o["percent"]) for o in payload["objectives"]] == [
        ("Explain respiration", 100.0)
    ]
    assert payload["student"] == school_a.student.pk and payload["course"] == biology.pk
    assert payload["updated_at"] is not None


def test_the_latest_answer_to_a_question_replaces_an_earlier_one(school_a, biology):
    quiz, (q1, q2) = published_quiz(
        biology, school_a.teacher, [{"topic": "Cells"}, {"topic": "Cells"}], attempts_allowed=0
    )
    take(quiz, school_a.student, {q1: "right", q2: "wrong"}, now=NOW)
    take(quiz, school_a.student, {q1: "wrong"}, now=NOW + dt.timedelta(minutes=10))
    mastery_refresh(school_a.student.pk, biology.pk)
    # q1: the second attempt's wrong answer replaces the first's right one; q2 unanswered the
    # second time, so its first answer still stands.
    assert _rows(school_a.student, biology)[("course", "")] == (0.0, 2.0, 2)
    take(quiz, school_a.student, {q1: "right", q2: "right"}, now=NOW + dt.timedelta(minutes=20))
    mastery_refresh(school_a.student.pk, biology.pk)
    assert _rows(school_a.student, biology)[("topic", "Cells")] == (2.0, 2.0, 2)


def test_an_answer_open_to_change_counts_only_once_its_attempt_is_submitted(school_a, biology):
    quiz, (q1,) = published_quiz(
        biology, school_a.teacher, [{"topic": "Cells"}], show_feedback="after_submit"
    )
    attempt = take(quiz, school_a.student, {q1: "right"}, submit=False)
    mastery_refresh(school_a.student.pk, biology.pk)
    # Counting it now would tell the student the answer is right before the quiz does.
    assert mastery_payload(school_a.student.pk, biology.pk)["overall"] is None
    attempt_submit(attempt, now=NOW + dt.timedelta(minutes=5))
    mastery_refresh(school_a.student.pk, biology.pk)
    assert mastery_payload(school_a.student.pk, biology.pk)["overall"]["percent"] == 100.0


def test_an_answer_locked_by_immediate_feedback_counts_at_once(school_a, biology):
    quiz, (q1, q2) = published_quiz(
        biology, school_a.teacher, [{}, {}], show_feedback="immediately"
    )
    take(quiz, school_a.student, {q1: "right", q2: "wrong"}, submit=False)
    mastery_refresh(school_a.student.pk, biology.pk)
    assert _rows(school_a.student, biology) == {("course", ""): (1.0, 2.0, 2)}


def _live_answer(quiz, question, student, *, score, at, position=1, points=1):
    session = LiveSession.objects.filter(quiz=quiz).first() or LiveSession.objects.create(
        quiz=quiz, host=quiz.created_by, join_code=f"J{quiz.pk:05d}"
    )
    live_round = LiveRound.objects.create(
        session=session,
        position=position,
        question=question,
        version=question.current_version,
        points=points,
        opened_at=at - dt.timedelta(seconds=20),
    )
    participant, _ = LiveParticipant.objects.get_or_create(
        session=session, student=student, defaults={"alias": f"fox-{student.pk}"}
    )
    return LiveAnswer.objects.create(
        round=live_round,
        participant=participant,
        response={"option": "a"},
        score=score,
        points_awarded=1000 * score,
        elapsed_ms=1500,
        answered_at=at,
    )


def test_live_answers_count_and_the_later_of_an_attempt_and_a_live_answer_wins(school_a, biology):
    quiz, (q1, q2) = published_quiz(
        biology, school_a.teacher, [{"topic": "Cells"}, {}], attempts_allowed=0
    )
    take(quiz, school_a.student, {q1: "wrong"}, now=NOW)
    _live_answer(quiz, q1, school_a.student, score=1.0, at=NOW + dt.timedelta(hours=1) / 2)
    # q2 was only ever answered live, for 3 points.
    _live_answer(quiz, q2, school_a.student, score=0.0, at=NOW, position=2, points=3)
    mastery_refresh(school_a.student.pk, biology.pk)
    assert _rows(school_a.student, biology) == {
        ("course", ""): (1.0, 4.0, 2),
        ("topic", "Cells"): (1.0, 1.0, 1),
    }
    # A later attempt answer replaces the live one again.
    take(quiz, school_a.student, {q1: "wrong"}, now=NOW + dt.timedelta(hours=1) * 0.9)
    mastery_refresh(school_a.student.pk, biology.pk)
    assert _rows(school_a.student, biology)[("topic", "Cells")] == (0.0, 1.0, 1)


def test_a_students_mastery_never_includes_another_students_answers(school_a, biology):
    other = school_a.students[1]
    course_services.enrollment_add(course=biology, user=other, role="student")
    quiz, (q1, q2) = published_quiz(biology, school_a.teacher, [{"topic": "Cells"}, {}])
    take(quiz, school_a.student, {q1: "wrong", q2: "wrong"})
    take(quiz, other, {q1: "right", q2: "right"})
    _live_answer(quiz, q2, other, score=1.0, at=NOW + dt.timedelta(hours=2) / 3)
    mastery_refresh(school_a.student.pk, biology.pk)
    mastery_refresh(other.pk, biology.pk)
    assert _rows(school_a.student, biology) == {
        ("course", ""): (0.0, 2.0, 2),
        ("topic", "Cells"): (0.0, 1.0, 1),
    }
    assert _rows(other, biology)[("course", "")] == (2.0, 2.0, 2)
    assert mastery_payload(school_a.student.pk, biology.pk)["overall"]["percent"] == 0.0


def test_mastery_of_one_course_ignores_answers_in_another(school_a, biology):
    chemistry = course_services.course_create(code="CHEM-1", name="Chemistry")
    course_services.enrollment_add(course=chemistry, user=school_a.student, role="student")
    bio_quiz, (bio_q,) = published_quiz(biology, school_a.teacher, [{"topic": "Cells"}])
    chem_quiz, (chem_q,) = published_quiz(chemistry, school_a.teacher, [{"topic": "Cells"}])
    take(bio_quiz, school_a.student, {bio_q: "right"})
    take(chem_quiz, school_a.student, {chem_q: "wrong"})
    mastery_refresh(school_a.student.pk, biology.pk)
    assert _rows(school_a.student, biology)[("topic", "Cells")] == (1.0, 1.0, 1)


def test_recomputing_is_idempotent_and_drops_rows_of_tags_no_longer_answered(school_a, biology):
    quiz, (q1,) = published_quiz(biology, school_a.teacher, [{"topic": "Cells"}])
    take(quiz, school_a.student, {q1: "right"})
    first = mastery_refresh(school_a.student.pk, biology.pk)
    again = mastery_refresh(school_a.student.pk, biology.pk)
    assert [(m.dimension, m.tag, m.earned) for m in first] == [
        (m.dimension, m.tag, m.earned) for m in again
    ]
    assert Mastery.objects.filter(student=school_a.student, course=biology).count() == 2
    Question.objects.filter(pk=q1.pk).update(topic="Respiration")
    mastery_refresh(school_a.student.pk, biology.pk)
    assert set(_rows(school_a.student, biology)) == {("course", ""), ("topic", "Respiration")}


# --- the recompute queue -------------------------------------------------------------------


@pytest.fixture
def pending_marks(school_a, biology):
    key = _pending_key(school_a.student.pk, biology.pk)
    _redis().delete(key)
    yield key
    _redis().delete(key)


def test_an_answer_after_a_recompute_started_queues_another_so_the_last_is_never_lost(
    school_a, biology, eager_tasks, pending_marks
):
    quiz, (q1, q2) = published_quiz(
        biology, school_a.teacher, [{}, {}], show_feedback="immediately"
    )
    attempt = take(quiz, school_a.student, {q1: "right"}, submit=False)
    progress_changed(school_a.student.pk, biology.pk)
    assert mastery_payload(school_a.student.pk, biology.pk)["overall"]["questions_answered"] == 1
    # The second answer of the burst arrives a moment later, well inside the dedupe window.
    shown = {aq.question_id: aq for aq in attempt_questions(attempt)}
    answer_save(attempt, shown[q2.pk], wrong_response(q2), now=NOW + dt.timedelta(seconds=3))
    progress_changed(school_a.student.pk, biology.pk)
    assert mastery_payload(school_a.student.pk, biology.pk)["overall"] == {
        "tag": "",
        "percent": 50.0,
        "earned": 1.0,
        "possible": 2.0,
        "questions_answered": 2,
    }
    assert not _redis().exists(pending_marks)


def test_answers_while_a_recompute_waits_queue_nothing_and_the_waiting_one_reads_them(
    school_a, biology, eager_tasks, pending_marks
):
    quiz, (q1,) = published_quiz(biology, school_a.teacher, [{}], show_feedback="immediately")
    _redis().set(pending_marks, "1", ex=60)  # a recompute is already queued
    take(quiz, school_a.student, {q1: "right"}, submit=False)
    progress_changed(school_a.student.pk, biology.pk)
    assert not Mastery.objects.filter(student=school_a.student).exists()
    # The queued recompute runs: it clears the mark first, then reads the answer.
    payload = progress_refresh_and_publish(school_a.student.pk, biology.pk)
    assert payload["event"] == "mastery" and payload["overall"]["percent"] == 100.0
    assert not _redis().exists(pending_marks)


def test_a_submitted_attempt_always_queues_its_own_recompute(
    school_a, biology, eager_tasks, pending_marks
):
    quiz, (q1,) = published_quiz(biology, school_a.teacher, [{}])
    attempt = take(quiz, school_a.student, {q1: "right"})
    _redis().set(pending_marks, "1", ex=60)
    progress_changed(school_a.student.pk, biology.pk, submitted_attempt=attempt.pk)
    assert mastery_payload(school_a.student.pk, biology.pk)["overall"]["percent"] == 100.0
