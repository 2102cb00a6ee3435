"""Quizzes: settings are checked before anything is saved, questions go in from the course's own
bank (drafts are accepted on the way in, rejected ones are refused), the order is the teacher's,
and only a quiz with accepted questions can be published. Questions a quiz uses or an attempt
showed cannot be deleted."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import schema_context

from quizzes.models import Question, Quiz, QuizItem
from quizzes.services import (
    question_delete,
    question_reject,
    quiz_create,
    quiz_publish,
    quiz_question_remove,
    quiz_questions_add,
    quiz_questions_reorder,
    quiz_unpublish,
    quiz_update,
)

from .conftest import course_in, show_in_attempt

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz(school_a, biology):
    with schema_context(school_a.schema):
        return quiz_create(course=biology, title="Cells", created_by=school_a.teacher)


def order(quiz) -> list[int]:
    return list(QuizItem.objects.filter(quiz=quiz).values_list("question_id", flat=True))


def test_a_new_quiz_is_a_draft_with_the_default_settings(school_a, quiz):
    with schema_context(school_a.schema):
        quiz.refresh_from_db()
        assert quiz.state == "draft" and quiz.published_at is None
        assert (quiz.time_limit_minutes, quiz.attempts_allowed, quiz.show_feedback) == (
            None,
            1,
            "after_submit",
        )


def test_settings_are_saved_when_valid(school_a, biology):
    opens = timezone.now()
    with schema_context(school_a.schema):
        quiz = quiz_create(
            course=biology,
            title="  Cells   quiz ",
            description="<b>Chapter</b> 1",
            time_limit_minutes=1440,
            attempts_allowed=0,
            shuffle_questions=True,
            show_feedback="never",
            opens_at=opens,
            closes_at=opens + dt.timedelta(days=1),
        )
        quiz.refresh_from_db()
        assert (quiz.title, quiz.description, quiz.time_limit_minutes) == (
            "Cells quiz",
            "Chapter 1",
            1440,
        )
        assert (quiz.attempts_allowed, quiz.shuffle_questions, quiz.show_feedback) == (
            0,
            True,
            "never",
        )
        quiz_update(quiz, attempts_allowed=100, time_limit_minutes=None)
        quiz.refresh_from_db()
        assert (quiz.attempts_allowed, quiz.time_limit_minutes) == (100, None)


NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("settings", "errors"),
    [
        ({"title": "  "}, {"title": ["A quiz needs a title."]}),
        ({"title": "x" * 201}, {"title": ["At most 200 characters."]}),
        (
            {"time_limit_minutes": 0},
            {"time_limit_minutes": ["A time limit is 1 to 1440 minutes (empty for none)."]},
        ),
        (
            {"time_limit_minutes": 1441},
            {"time_limit_minutes": ["A time limit is 1 to 1440 minutes (empty for none)."]},
        ),
        (
            {"time_limit_minutes": "30"},
            {"time_limit_minutes": ["A time limit is 1 to 1440 minutes (empty for none)."]},
        ),
        (
            {"time_limit_minutes": True},
            {"time_limit_minutes": ["A time limit is 1 to 1440 minutes (empty for none)."]},
        ),
        (
            {"attempts_allowed": -1},
            {"attempts_allowed": ["Attempts allowed is 0 (unlimited) to 100."]},
        ),
        (
            {"attempts_allowed": 101},
            {"attempts_allowed": ["Attempts allowed is 0 (unlimited) to 100."]},
        ),
        (
            {"attempts_allowed": None},
            {"attempts_allowed": ["Attempts allowed is 0 (unlimited) to 100."]},
        ),
        ({"shuffle_options": "yes"}, {"shuffle_options": ["Yes or no (true/false)."]}),
        (
            {"show_feedback": "sometimes"},
            {"show_feedback": ["One of immediately, after_submit, after_close, never."]},
        ),
        (
            {"opens_at": NOW, "closes_at": NOW - dt.timedelta(hours=1)},
            {"closes_at": ["The quiz must close after it opens."]},
        ),
        (
            {"opens_at": NOW, "closes_at": NOW},
            {"closes_at": ["The quiz must close after it opens."]},
        ),
        ({"opens_at": "tomorrow"}, {"opens_at": ["A date and time (or empty)."]}),
        ({"passmark": 50}, {"passmark": ["Unknown quiz setting."]}),
        (
            {"attempts_allowed": 101, "show_feedback": "x"},
            {
                "attempts_allowed": ["Attempts allowed is 0 (unlimited) to 100."],
                "show_feedback": ["One of immediately, after_submit, after_close, never."],
            },
        ),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_saved(school_a, biology, quiz, settings, errors):
    with schema_context(school_a.schema):
        with pytest.raises(ValidationError) as caught:
            quiz_update(quiz, **settings)
        assert caught.value.message_dict == errors
        fresh = Quiz.objects.get(pk=quiz.pk)
        assert (fresh.title, fresh.attempts_allowed, fresh.time_limit_minutes) == ("Cells", 1, None)
        assert (fresh.opens_at, fresh.closes_at, fresh.show_feedback) == (
            None,
            None,
            "after_submit",
        )
        if "title" not in settings:
            with pytest.raises(ValidationError):
                quiz_create(course=biology, title="Another", **settings)
            assert Quiz.objects.count() == 1


def test_closing_before_the_saved_opening_is_refused(school_a, quiz):
    with schema_context(school_a.schema):
        quiz_update(quiz, opens_at=NOW)
        with pytest.raises(ValidationError) as caught:
            quiz_update(quiz, closes_at=NOW - dt.timedelta(minutes=1))
        assert caught.value.message_dict == {"closes_at": ["The quiz must close after it opens."]}
        assert Quiz.objects.get(pk=quiz.pk).closes_at is None


def test_questions_are_added_in_order_and_drafts_are_accepted(school_a, bank, quiz):
    with schema_context(school_a.schema):
        first, second, third = bank("single"), bank("numeric"), bank("true_false")
        assert first.status == "draft"
        items = quiz_questions_add(quiz, [second.pk, first.pk], points=2)
        assert [(i.question_id, i.position, i.points) for i in items] == [
            (second.pk, 1, 2),
            (first.pk, 2, 2),
        ]
        quiz_questions_add(quiz, [str(third.pk)])
        assert order(quiz) == [second.pk, first.pk, third.pk]
        assert set(Question.objects.values_list("status", flat=True)) == {"accepted"}


@pytest.mark.parametrize(
    "problem", ["rejected", "other_course", "already", "missing", "empty", "garbage"]
)
def test_adding_a_question_that_does_not_belong_adds_nothing(school_a, bank, quiz, problem):
    with schema_context(school_a.schema):
        good, bad = bank("single"), bank("numeric")
        if problem == "already":
            quiz_questions_add(quiz, [good.pk])
        ids, message = {
            "rejected": ([good.pk, bad.pk], f"Rejected questions cannot go into a quiz: {bad.pk}"),
            "other_course": ([good.pk, bad.pk], f"No such question in this course: {bad.pk}."),
            "already": ([bad.pk, good.pk], f"Already in this quiz: {good.pk}."),
            "missing": ([good.pk, 987654], "No such question in this course: 987654."),
            "empty": ([], "Choose at least one question."),
            "garbage": ([good.pk, "two"], "Question ids are whole numbers."),
        }[problem]
        if problem == "rejected":
            question_reject(bad, reason="Ambiguous")
        elif problem == "other_course":
            chemistry = course_in(school_a, code="CHEM-1", name="Chemistry")
            Question.objects.filter(pk=bad.pk).update(course=chemistry)
        before = order(quiz)
        statuses = dict(Question.objects.values_list("pk", "status"))
        with pytest.raises(ValidationError) as caught:
            quiz_questions_add(quiz, ids)
        assert message in caught.value.message_dict["questions"][0]
        assert order(quiz) == before
        assert dict(Question.objects.values_list("pk", "status")) == statuses


def test_school_b_cannot_put_school_a_questions_in_its_quiz(school_a, school_b, bank):
    with schema_context(school_a.schema):
        alpha_ids = [bank("single").pk, bank("numeric").pk]
    beta_course = course_in(school_b, code="BIO-B")
    with schema_context(school_b.schema):
        beta_quiz = quiz_create(course=beta_course, title="Beta quiz")
        with pytest.raises(ValidationError) as caught:
            quiz_questions_add(beta_quiz, alpha_ids)
        assert caught.value.message_dict["questions"][0].startswith(
            "No such question in this course"
        )
        assert QuizItem.objects.count() == 0
    with schema_context(school_a.schema):
        assert set(Question.objects.values_list("status", flat=True)) == {"draft"}


def test_reorder_puts_the_questions_in_the_given_order(school_a, bank, quiz):
    with schema_context(school_a.schema):
        a, b, c = bank("single"), bank("numeric"), bank("true_false")
        quiz_questions_add(quiz, [a.pk, b.pk, c.pk])
        quiz_questions_reorder(quiz, [c.pk, a.pk, b.pk])
        assert order(quiz) == [c.pk, a.pk, b.pk]
        assert list(QuizItem.objects.filter(quiz=quiz).values_list("position", flat=True)) == [
            1,
            2,
            3,
        ]


@pytest.mark.parametrize("which", ["missing_one", "repeated", "stranger", "garbage"])
def test_reorder_must_name_every_question_once(school_a, bank, quiz, which):
    with schema_context(school_a.schema):
        a, b = bank("single"), bank("numeric")
        quiz_questions_add(quiz, [a.pk, b.pk])
        ids = {
            "missing_one": [b.pk],
            "repeated": [b.pk, a.pk, a.pk],
            "stranger": [b.pk, a.pk, 987654],
            "garbage": [b.pk, None],
        }[which]
        with pytest.raises(ValidationError):
            quiz_questions_reorder(quiz, ids)
        assert order(quiz) == [a.pk, b.pk]


def test_remove_takes_one_question_out(school_a, bank, quiz):
    with schema_context(school_a.schema):
        a, b = bank("single"), bank("numeric")
        quiz_questions_add(quiz, [a.pk, b.pk])
        quiz_question_remove(quiz, a.pk)
        assert order(quiz) == [b.pk]
        assert Question.objects.filter(pk=a.pk).exists()  # still in the bank
        with pytest.raises(ValidationError) as caught:
            quiz_question_remove(quiz, a.pk)
        assert caught.value.message_dict == {"question": ["That question is not in this quiz."]}
        quiz_questions_add(quiz, [a.pk])
        assert order(quiz) == [b.pk, a.pk]


def test_an_empty_quiz_cannot_be_published(school_a, quiz):
    with schema_context(school_a.schema):
        with pytest.raises(ValidationError) as caught:
            quiz_publish(quiz)
        assert caught.value.messages == ["Add at least one question before publishing this quiz."]
        assert Quiz.objects.get(pk=quiz.pk).state == "draft"


def test_a_quiz_with_a_question_rejected_since_it_was_added_cannot_be_published(
    school_a, bank, quiz
):
    with schema_context(school_a.schema):
        a, b = bank("single"), bank("numeric")
        quiz_questions_add(quiz, [a.pk, b.pk])
        question_reject(b, reason="Wrong unit")
        with pytest.raises(ValidationError) as caught:
            quiz_publish(quiz)
        assert caught.value.messages == [
            f"Every question must be accepted before publishing; not accepted: {b.pk}."
        ]
        assert Quiz.objects.get(pk=quiz.pk).state == "draft"


def test_publish_and_unpublish(school_a, bank, quiz):
    with schema_context(school_a.schema):
        quiz_questions_add(quiz, [bank("single").pk])
        quiz_publish(quiz)
        quiz.refresh_from_db()
        published_at = quiz.published_at
        assert quiz.state == "published" and published_at is not None
        quiz_unpublish(quiz)
        quiz.refresh_from_db()
        assert quiz.state == "draft"
        quiz_publish(quiz)
        quiz.refresh_from_db()
        assert quiz.state == "published" and quiz.published_at == published_at


def test_a_question_in_a_quiz_cannot_be_deleted(school_a, bank, quiz):
    with schema_context(school_a.schema):
        question = bank("single")
        quiz_questions_add(quiz, [question.pk])
        with pytest.raises(ValidationError) as caught:
            question_delete(question)
        assert caught.value.messages == [
            "This question is in a quiz; remove it from the quiz first."
        ]
        assert Question.objects.filter(pk=question.pk).exists()


def test_a_question_students_have_seen_cannot_be_deleted(school_a, bank, quiz):
    with schema_context(school_a.schema):
        question = bank("single")
        quiz_questions_add(quiz, [question.pk])
        show_in_attempt(question, school_a.student, quiz=quiz)
        quiz_question_remove(quiz, question.pk)
        with pytest.raises(ValidationError) as caught:
            question_delete(question)
        assert caught.value.messages == [
            "Students have seen this question, so it is kept for their results; reject it instead."
        ]
        assert Question.objects.filter(pk=question.pk).exists()


def test_an_unused_question_is_deleted_with_its_versions(school_a, bank):
    with schema_context(school_a.schema):
        question, other = bank("single"), bank("numeric")
        question_delete(question)
        assert list(Question.objects.values_list("pk", flat=True)) == [other.pk]
        from quizzes.models import QuestionVersion

        assert list(QuestionVersion.objects.values_list("question_id", flat=True)) == [other.pk]


def test_a_question_in_a_published_quiz_cannot_be_rejected_until_it_leaves_the_quiz(
    school_a, biology, quiz, bank
):
    with schema_context(school_a.schema):
        question = bank("single")
        quiz_questions_add(quiz, [question.pk])
        quiz_publish(quiz)
        with pytest.raises(ValidationError) as refused:
            question_reject(question, reason="wrong key")
        assert "published quiz (“Cells”)" in refused.value.messages[0]
        question.refresh_from_db()
        assert question.status == Question.Status.ACCEPTED
        quiz_unpublish(quiz)
        assert question_reject(question).status == Question.Status.REJECTED
