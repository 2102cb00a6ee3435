"""Who reads the bank: its answer keys are for the people who manage the course. A student of
the course is refused (403) and an outsider cannot tell the question exists (404); students list
only published quizzes; nothing of school A is found from school B, whatever the id."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
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


def test_the_course_teacher_and_the_school_admin_read_bank_questions(school_a, alpha):
    with schema_context(school_a.schema):
        for person in (school_a.teacher, school_a.admin):
            question = selectors.question_get_for(person, alpha["single"].pk)
            assert question.pk == alpha["single"].pk
            assert question.current_version.options[0]["correct"] is True


def test_a_student_of_the_course_is_refused_the_bank(school_a, alpha):
    with schema_context(school_a.schema), pytest.raises(PermissionDenied):
        selectors.question_get_for(school_a.student, alpha["single"].pk)


def test_a_student_outside_the_course_cannot_tell_a_question_exists(school_a, alpha):
    outsider = school_a.students[1]
    with schema_context(school_a.schema):
        for question_id in (alpha["single"].pk, 987654):
            with pytest.raises(Http404):
                selectors.question_get_for(outsider, question_id)


def test_a_teacher_of_another_course_cannot_read_this_bank(school_a, alpha):
    from accounts import services as account_services

    with schema_context(school_a.schema):
        chemist = account_services.user_create(
            username="alpha-chemist", role="teacher", email="chem@alpha.example"
        )
        course_in(school_a, code="CHEM-1", name="Chemistry")
        with pytest.raises(Http404):
            selectors.question_get_for(chemist, alpha["single"].pk)


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


def test_a_student_gets_a_published_quiz_but_not_a_draft_nor_to_manage_it(school_a, alpha):
    with schema_context(school_a.schema):
        quiz = selectors.quiz_get_for(school_a.student, alpha["published"].pk)
        assert quiz.pk == alpha["published"].pk
        with pytest.raises(Http404):
            selectors.quiz_get_for(school_a.student, alpha["draft"].pk)
        with pytest.raises(PermissionDenied):
            selectors.quiz_get_for(school_a.student, alpha["published"].pk, manage=True)
        assert selectors.quiz_get_for(school_a.teacher, alpha["draft"].pk, manage=True)
        with pytest.raises(Http404):
            selectors.quiz_get_for(school_a.students[1], alpha["published"].pk)


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


def test_school_b_finds_nothing_of_school_a_by_id_or_in_lists(school_a, school_b, alpha):
    beta_course = course_in(school_b, code="BIO-B")
    with schema_context(school_b.schema):
        for person in (school_b.teacher, school_b.admin):
            for question in (alpha["single"], alpha["numeric"]):
                with pytest.raises(Http404):
                    selectors.question_get_for(person, question.pk)
            for quiz in (alpha["draft"], alpha["published"]):
                with pytest.raises(Http404):
                    selectors.quiz_get_for(person, quiz.pk)
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
