"""Reading the bank and the quizzes inside a course: students list only published quizzes,
the filters narrow the bank, and school B's lists hold nothing of school A. Who may open one
question or quiz by its id is quizzes.access's (tests/quizzes/test_access.py)."""

import pytest
from django_tenants.utils import schema_context

from quizzes import selectors
from quizzes.services import question_create, quiz_create, quiz_publish, quiz_questions_add

from .conftest import VALID, course_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def alpha(school_a, bank, biology):
    """School A's Biology bank with two questions and two quizzes, one published."""
    with schema_context(school_a.schema):
        single, numeric = bank("single", topic="Cells"), bank("numeric")
        draft = quiz_create(course=biology, title="Draft quiz")
        published = quiz_create(course=biology, title="Published quiz")
        quiz_questions_add(published, [single.pk])
        quiz_publish(published)
    return {"single": single, "numeric": numeric, "draft": draft, "published": published}


def test_students_list_only_published_quizzes(school_a, alpha, biology):
    with schema_context(school_a.schema):
        titles = [q.title for q in selectors.quiz_list_for(school_a.student, biology)]
        assert titles == ["Published quiz"]
        assert {q.title for q in selectors.quiz_list_for(school_a.teacher, biology)} == {
            "Draft quiz",
            "Published quiz",
        }
        counts = {
            q.title: q.question_count for q in selectors.quiz_list_for(school_a.teacher, biology)
        }
        assert counts == {"Draft quiz": 0, "Published quiz": 1}


def test_the_bank_filters_narrow_the_list(school_a, alpha, biology):
    with schema_context(school_a.schema):
        pks = lambda **f: [q.pk for q in selectors.question_list(biology, **f)]  # noqa: E731
        assert pks() == [alpha["numeric"].pk, alpha["single"].pk]
        assert pks(kind="numeric") == [alpha["numeric"].pk]
        assert pks(status="accepted") == [alpha["single"].pk]  # accepted when added to a quiz
        assert pks(topic="cells") == [alpha["single"].pk]
        assert pks(search="organelle ATP") == [alpha["single"].pk]
        assert pks(search="organelle boil") == []
        assert selectors.bank_counts(biology) == {"draft": 1, "accepted": 1, "rejected": 0}
        assert selectors.question_topics(biology) == ["Cells"]


def test_school_b_finds_nothing_of_school_a_in_its_lists(school_a, school_b, alpha):
    beta_course = course_in(school_b, code="BIO-B")
    with schema_context(school_b.schema):
        assert list(selectors.question_list(beta_course)) == []
        assert list(selectors.quiz_list_for(school_b.admin, beta_course)) == []
        assert selectors.bank_counts(beta_course) == {"draft": 0, "accepted": 0, "rejected": 0}
        # B's own question is B's alone.
        beta_question = question_create(course=beta_course, kind="numeric", **VALID["numeric"])
        assert [q.pk for q in selectors.question_list(beta_course)] == [beta_question.pk]
    with schema_context(school_a.schema):
        assert {q.pk for q in selectors.question_list(alpha["single"].course)} == {
            alpha["single"].pk,
            alpha["numeric"].pk,
        }
