"""Hot list endpoints cost a fixed number of queries, however many rows a page holds."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from accounts.services import user_create
from courses.services import course_create, enrollment_add

pytestmark = pytest.mark.django_db


def queries_for(client, url: str) -> int:
    """Statements a request runs, not counting django-tenants' `SET search_path`."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return sum(
        1 for query in captured.captured_queries if not query["sql"].startswith("SET search_path")
    )


def add_people(school, prefix: str, n: int) -> list:
    with schema_context(school.schema):
        return [user_create(username=f"{prefix}{i}", role="student") for i in range(n)]


def test_users_list_query_count_does_not_grow_with_rows(school_a, reader):
    reader.get("/api/v1/users/")  # the key's first use records last_used_at once
    few = queries_for(reader, "/api/v1/users/?page_size=500")
    add_people(school_a, "extra", 40)
    many = queries_for(reader, "/api/v1/users/?page_size=500")
    # school by host, key, count, page
    assert few == many == 4


def test_courses_list_query_count_does_not_grow_with_rows(school_a, reader):
    people = add_people(school_a, "kid", 10)
    with schema_context(school_a.schema):
        for number in range(3):
            course = course_create(code=f"C-{number}", name=f"Course {number}")
            for person in people:
                enrollment_add(course=course, user=person)
    reader.get("/api/v1/courses/")
    few = queries_for(reader, "/api/v1/courses/?page_size=500")
    with schema_context(school_a.schema):
        for number in range(3, 30):
            course = course_create(code=f"C-{number}", name=f"Course {number}")
            enrollment_add(course=course, user=people[0])
            enrollment_add(course=course, user=school_a.teacher)
    many = queries_for(reader, "/api/v1/courses/?page_size=500")
    assert few == many == 4


def test_teachers_courses_list_query_count_does_not_grow_with_rows(school_a):
    client = school_a.client(school_a.teacher)
    with schema_context(school_a.schema):
        course_create(code="T-0", name="T0", created_by=school_a.teacher)
    few = queries_for(client, "/api/v1/courses/")
    with schema_context(school_a.schema):
        for number in range(1, 25):
            course = course_create(
                code=f"T-{number}", name=f"T{number}", created_by=school_a.teacher
            )
            enrollment_add(course=course, user=school_a.students[0])
    many = queries_for(client, "/api/v1/courses/")
    # school by host, session, user, count, page
    assert few == many == 5


def test_enrollments_list_query_count_does_not_grow_with_rows(school_a, reader):
    with schema_context(school_a.schema):
        course = course_create(code="E-1", name="E", created_by=school_a.teacher)
        enrollment_add(course=course, user=school_a.students[0])
    url = f"/api/v1/courses/{course.pk}/enrollments/?page_size=500"
    reader.get(url)
    few = queries_for(reader, url)
    with schema_context(school_a.schema):
        for person in add_people(school_a, "e", 30):
            enrollment_add(course=course, user=person)
    many = queries_for(reader, url)
    # school by host, key, course (with its counts), count, page
    assert few == many == 5


def _bank_questions(school, course, n: int, material=None, job=None) -> list:
    from quizzes.services import question_create

    with schema_context(school.schema):
        return [
            question_create(
                course=course,
                kind="single",
                stem=f"Question {n}-{i}: what do mitochondria produce?",
                options=[{"text": "ATP", "correct": True}, {"text": "DNA"}],
                source={"material_id": material.pk, "page": 1} if material else None,
                generation_job=job,
            )
            for i in range(n)
        ]


def test_question_bank_list_query_count_does_not_grow_with_rows(
    school_a, reader, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from courses.services import material_upload
    from quizzes.models import GenerationJob

    settings.MEDIA_ROOT = str(tmp_path)
    teacher = school_a.client(school_a.teacher)
    with schema_context(school_a.schema):
        course = course_create(code="Q-1", name="Quizzed", created_by=school_a.teacher)
        material, _ = material_upload(
            course=course,
            upload=SimpleUploadedFile("cells.txt", b"Mitochondria produce ATP."),
            uploaded_by=school_a.teacher,
        )
        job = GenerationJob.objects.create(course=course, count=50, kinds=["single"])
    _bank_questions(school_a, course, 2)
    url = f"/api/v1/courses/{course.pk}/questions/?page_size=500"
    reader.get(url)
    few = queries_for(reader, url)
    few_teacher = queries_for(teacher, url)
    _bank_questions(school_a, course, 30, material=material, job=job)
    _bank_questions(school_a, course, 10)
    assert reader.get(url).json()["count"] == 42
    # school by host, key, course (with its counts), count, page (with versions and materials)
    assert few == queries_for(reader, url) == 5
    # school by host, session, user, course, "teaches it?", count, page
    assert few_teacher == queries_for(teacher, url) == 7


def test_quiz_detail_query_count_does_not_grow_with_questions(school_a, reader):
    from quizzes.services import quiz_create, quiz_publish, quiz_questions_add

    student = school_a.client(school_a.students[0])
    with schema_context(school_a.schema):
        course = course_create(code="Q-2", name="Quizzed", created_by=school_a.teacher)
        enrollment_add(course=course, user=school_a.students[0])
        quiz = quiz_create(course=course, title="Unit 1")
    questions = _bank_questions(school_a, course, 2)
    with schema_context(school_a.schema):
        quiz_questions_add(quiz, [q.pk for q in questions])
        quiz_publish(quiz)
    url = f"/api/v1/quizzes/{quiz.pk}/"
    reader.get(url)
    few, few_student = queries_for(reader, url), queries_for(student, url)
    more = _bank_questions(school_a, course, 25)
    with schema_context(school_a.schema):
        quiz_questions_add(quiz, [q.pk for q in more])
    assert len(reader.get(url).json()["items"]) == 27
    # school by host, key, quiz (with its course), items (with questions and versions)
    assert few == queries_for(reader, url) == 4
    # school by host, session, user, quiz, "teaches it?" twice, items
    assert few_student == queries_for(student, url) == 7


def _grow_results(school, course, quiz, prefix: str, n: int) -> None:
    """``n`` more students in ``course``, each with a submitted attempt at ``quiz`` and their
    mastery recomputed."""
    from quizzes.progress.services import mastery_refresh
    from tests.api.test_results_api import RIGHT, take

    people = add_people(school, prefix, n)
    with schema_context(school.schema):
        for person in people:
            enrollment_add(course=course, user=person, role="student")
            take(quiz, person, RIGHT, start=0, submit=5)
            mastery_refresh(person.pk, course.pk)


@pytest.fixture
def results_course(school_a):
    from tests.api.test_attempts_api import course_with_students, make_quiz

    course = course_with_students(school_a, code="R-1")
    quiz = make_quiz(school_a, course)
    _grow_results(school_a, course, quiz, "few", 2)
    return course, quiz


def test_results_lists_query_count_does_not_grow_with_rows(school_a, reader, results_course):
    course, quiz = results_course
    student = school_a.students[0]
    urls = [
        f"/api/v1/quizzes/{quiz.pk}/attempts/?page_size=500",
        f"/api/v1/quizzes/{quiz.pk}/attempts/?page_size=500&questions=true",
        f"/api/v1/courses/{course.pk}/attempts/?page_size=500",
        f"/api/v1/students/{student.pk}/attempts/?page_size=500",
    ]
    with schema_context(school_a.schema):
        from tests.api.test_results_api import RIGHT, take

        take(quiz, student, RIGHT, start=0, submit=5)
    reader.get(urls[0])
    few = [queries_for(reader, url) for url in urls]
    _grow_results(school_a, course, quiz, "many", 25)
    assert reader.get(urls[0]).json()["count"] == 28
    # school by host, key, quiz or course or student, the deadline sweep, count, page
    # (+ the questions' scores)
    assert few == [queries_for(reader, url) for url in urls] == [6, 7, 6, 6]


def test_teachers_results_list_query_count_does_not_grow_with_rows(school_a, results_course):
    course, quiz = results_course
    teacher = school_a.client(school_a.teacher)
    url = f"/api/v1/quizzes/{quiz.pk}/attempts/?page_size=500"
    few = queries_for(teacher, url)
    _grow_results(school_a, course, quiz, "many", 25)
    assert few == queries_for(teacher, url) == 9


def test_results_csv_export_query_count_does_not_grow_with_rows(school_a, reader, results_course):
    course, quiz = results_course
    url = f"/api/v1/quizzes/{quiz.pk}/attempts/?format=csv&questions=true"

    def exported() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            response = reader.get(url)
            lines = b"".join(response.streaming_content).count(b"\n")
        statements = [q for q in captured.captured_queries if not q["sql"].startswith("SET ")]
        return len(statements), lines

    reader.get(url)
    few, few_lines = exported()
    _grow_results(school_a, course, quiz, "many", 25)
    many, many_lines = exported()
    assert (few_lines, many_lines) == (1 + 2, 1 + 27)
    # school by host, key, quiz, the deadline sweep, the quiz's questions, the questions the
    # attempts showed, the rows, their questions' scores (per 500 rows)
    assert few == many == 8


def test_course_progress_query_count_does_not_grow_with_students(school_a, reader, results_course):
    course, quiz = results_course
    url = f"/api/v1/courses/{course.pk}/progress/?page_size=500"
    reader.get(url)
    few = queries_for(reader, url)
    _grow_results(school_a, course, quiz, "many", 25)
    assert reader.get(url).json()["count"] == 29
    # school by host, key, course (with its counts), count, page, mastery, attempts submitted
    assert few == queries_for(reader, url) == 7
