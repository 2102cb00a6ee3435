"""Importing and exporting stay inside the school whose schema the request runs in."""

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from quizzes.exchange import questions_import, quiz_export
from quizzes.models import Question, QuestionVersion
from tests.ai.conftest import course_with_people

GIFT = "::One::Pick the right one.{=right ~wrong}\n\n::Two::Two plus two?{#4}\n"


def _counts(school):
    with schema_context(school.schema):
        return Question.objects.count(), QuestionVersion.objects.count()


def test_importing_into_school_a_never_creates_rows_in_school_b(school_a, school_b):
    course = course_with_people(school_a, code="TEN-A")
    before_b = _counts(school_b)
    before_a = _counts(school_a)

    with schema_context(school_a.schema):
        report = questions_import(course, "gift", GIFT.encode(), imported_by=school_a.teacher)

    assert report.imported == 2
    assert _counts(school_a) == (before_a[0] + 2, before_a[1] + 2)
    assert _counts(school_b) == before_b
    with schema_context(school_b.schema):
        assert not Question.objects.filter(pk__in=report.question_ids, course__code="TEN-A")


def test_school_b_exporting_sees_only_its_own_quiz(school_a, school_b):
    from quizzes.models import Quiz, QuizItem

    course_a = course_with_people(school_a, code="TEN-A")
    with schema_context(school_a.schema):
        imported = questions_import(course_a, "gift", GIFT.encode(), imported_by=None)
        quiz_a = Quiz.objects.create(course=course_a, title="A only")
        for position, pk in enumerate(imported.question_ids, start=1):
            QuizItem.objects.create(quiz=quiz_a, question_id=pk, position=position)
    with schema_context(school_b.schema):
        # The same quiz id looked up in B's schema is not A's quiz: it has no questions there.
        assert not QuizItem.objects.filter(quiz_id=quiz_a.pk).exists()
        with pytest.raises(ValidationError) as error:
            quiz_export(quiz_a, "gift")
    assert error.value.messages == ["The quiz has no questions to export."]
