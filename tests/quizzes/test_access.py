"""quizzes.access answers who may open a quiz, a bank question, a generation job or a live
session, in one call each: what a person may not see does not exist for them (404), what they
may see but not change is a 403. The bank's answer keys are for the people who run the course."""

import pytest
from django_tenants.utils import schema_context

from accounts import services as account_services
from quizzes.access import (
    MANAGER_ONLY,
    generation_job_access,
    live_session_access,
    question_access,
    quiz_access,
)
from quizzes.live.services import live_session_start
from quizzes.models import GenerationJob
from quizzes.services import quiz_create, quiz_publish, quiz_questions_add
from smartedu.errors import Forbidden, NotFound
from tenants.api_auth import APIKeyPrincipal
from tenants.models import SchoolAPIKey

from .conftest import course_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def alpha(school_a, bank, biology):
    """School A's Biology bank with two questions, a draft and a published quiz, and a
    generation job."""
    with schema_context(school_a.schema):
        single, numeric = bank("single", topic="Cells"), bank("numeric")
        draft = quiz_create(course=biology, title="Draft quiz")
        published = quiz_create(course=biology, title="Published quiz")
        quiz_questions_add(published, [single.pk])
        quiz_publish(published)
        job = GenerationJob.objects.create(course=biology, count=1, kinds=["single"])
    return {
        "single": single,
        "numeric": numeric,
        "draft": draft,
        "published": published,
        "job": job,
    }


@pytest.fixture
def chemistry(school_a):
    """Chemistry in school A, with a teacher of its own who does not teach Biology."""
    with schema_context(school_a.schema):
        chemist = account_services.user_create(
            username="alpha-chemist", role="teacher", email="chem@alpha.example"
        )
    course = course_in(school_a, code="CHEM-1", name="Chemistry")
    with schema_context(school_a.schema):
        from courses import services as course_services

        course_services.enrollment_add(course=course, user=chemist, role="teacher")
        quiz = quiz_create(course=course, title="Chemistry draft")
    return {"course": course, "teacher": chemist, "draft": quiz}


def _key(school, scope: str = "read") -> APIKeyPrincipal:
    return APIKeyPrincipal(SchoolAPIKey(school=school.model, name="SIS", prefix="k", scope=scope))


# --- quizzes ---------------------------------------------------------------------------------


def test_the_courses_teacher_and_the_schools_admin_run_every_quiz(school_a, alpha):
    with schema_context(school_a.schema):
        for person in (school_a.teacher, school_a.admin):
            assert quiz_access(person, alpha["draft"].pk, manage=True) == alpha["draft"]


def test_a_student_of_the_course_sees_the_published_quiz_but_may_not_change_it(school_a, alpha):
    with schema_context(school_a.schema):
        assert quiz_access(school_a.student, alpha["published"].pk) == alpha["published"]
        with pytest.raises(Forbidden, match=MANAGER_ONLY):
            quiz_access(school_a.student, alpha["published"].pk, manage=True)


def test_a_draft_does_not_exist_for_a_student_even_when_asked_to_manage_it(school_a, alpha):
    with schema_context(school_a.schema):
        for manage in (False, True):
            with pytest.raises(NotFound, match="No such quiz."):
                quiz_access(school_a.student, alpha["draft"].pk, manage=manage)


def test_a_student_outside_the_course_gets_404_for_its_published_quiz(school_a, alpha):
    with schema_context(school_a.schema), pytest.raises(NotFound, match="No such quiz."):
        quiz_access(school_a.students[1], alpha["published"].pk)


def test_a_teacher_of_another_course_gets_404_for_a_quiz_there(school_a, alpha, chemistry):
    with schema_context(school_a.schema):
        for quiz in (alpha["draft"], alpha["published"]):
            with pytest.raises(NotFound):
                quiz_access(chemistry["teacher"], quiz.pk)
        assert quiz_access(chemistry["teacher"], chemistry["draft"].pk, manage=True)


def test_a_quiz_named_under_another_course_is_not_found_there(school_a, alpha, chemistry):
    with schema_context(school_a.schema):
        with pytest.raises(NotFound, match="No such quiz in this course."):
            quiz_access(school_a.admin, chemistry["draft"].pk, course=alpha["draft"].course)
        found = quiz_access(school_a.admin, chemistry["draft"].pk, course=chemistry["course"])
        assert found == chemistry["draft"]


def test_a_school_wide_api_key_runs_every_quiz(school_a, alpha, chemistry):
    with schema_context(school_a.schema):
        for quiz in (alpha["draft"], chemistry["draft"]):
            assert quiz_access(_key(school_a), quiz.pk, manage=True) == quiz


def test_the_refusal_can_say_what_was_refused(school_a, alpha):
    with schema_context(school_a.schema), pytest.raises(Forbidden, match="export it"):
        quiz_access(
            school_a.student, alpha["published"].pk, manage=True, denied="Only … export it."
        )


# --- the bank and generation jobs ----------------------------------------------------------


def test_the_courses_teacher_and_the_schools_admin_read_bank_questions(school_a, alpha):
    with schema_context(school_a.schema):
        for person in (school_a.teacher, school_a.admin, _key(school_a)):
            question = question_access(person, alpha["single"].pk)
            assert question.pk == alpha["single"].pk
            assert question.current_version.options[0]["correct"] is True


def test_a_student_of_the_course_is_refused_the_bank_with_403(school_a, alpha):
    with schema_context(school_a.schema), pytest.raises(Forbidden, match=MANAGER_ONLY):
        question_access(school_a.student, alpha["single"].pk)


def test_a_student_outside_the_course_cannot_tell_a_question_exists(school_a, alpha):
    with schema_context(school_a.schema):
        for question_id in (alpha["single"].pk, 987654):
            with pytest.raises(NotFound, match="No such question."):
                question_access(school_a.students[1], question_id)


def test_a_teacher_of_another_course_gets_404_for_its_bank(school_a, alpha, chemistry):
    with schema_context(school_a.schema):
        with pytest.raises(NotFound):
            question_access(chemistry["teacher"], alpha["single"].pk)
        with pytest.raises(NotFound):
            generation_job_access(chemistry["teacher"], alpha["job"].pk)


def test_a_question_named_under_another_course_is_not_found_there(school_a, alpha, chemistry):
    with schema_context(school_a.schema):
        with pytest.raises(NotFound, match="No such question in this course."):
            question_access(school_a.admin, alpha["single"].pk, course=chemistry["course"])
        with pytest.raises(NotFound, match="No such generation job in this course."):
            generation_job_access(school_a.admin, alpha["job"].pk, course=chemistry["course"])


def test_generation_jobs_are_for_the_people_who_run_the_course(school_a, alpha):
    with schema_context(school_a.schema):
        assert generation_job_access(school_a.teacher, alpha["job"].pk) == alpha["job"]
        with pytest.raises(Forbidden):
            generation_job_access(school_a.student, alpha["job"].pk)
        with pytest.raises(NotFound, match="No such generation job."):
            generation_job_access(school_a.students[1], alpha["job"].pk)


# --- live sessions ---------------------------------------------------------------------------


def test_a_live_session_opens_for_its_host_and_nobody_else(school_a, alpha, chemistry):
    biology = alpha["published"].course
    with schema_context(school_a.schema):
        session = live_session_start(alpha["published"], school_a.teacher)
        found = live_session_access(
            school_a.admin, alpha["published"].pk, session.pk, course=biology
        )
        assert found == session
        with pytest.raises(Forbidden):
            live_session_access(school_a.student, alpha["published"].pk, session.pk, course=biology)
        with pytest.raises(NotFound, match="No such live session of this quiz."):
            live_session_access(school_a.teacher, alpha["draft"].pk, session.pk, course=biology)
        with pytest.raises(NotFound):
            live_session_access(
                chemistry["teacher"], alpha["published"].pk, session.pk, course=biology
            )


# --- schools ---------------------------------------------------------------------------------


def test_school_b_finds_nothing_of_school_a_whatever_the_id(school_a, school_b, alpha):
    with schema_context(school_b.schema):
        for person in (school_b.teacher, school_b.admin, _key(school_b)):
            for question in (alpha["single"], alpha["numeric"]):
                with pytest.raises(NotFound):
                    question_access(person, question.pk)
            for quiz in (alpha["draft"], alpha["published"]):
                with pytest.raises(NotFound):
                    quiz_access(person, quiz.pk)
            with pytest.raises(NotFound):
                generation_job_access(person, alpha["job"].pk)
