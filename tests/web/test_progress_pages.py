"""The progress pages: a student's own progress, a course's class dashboard (its teachers and
the school's admins) and the school overview (admins). Each persona sees what it may and no
more; another school's people reach none of it."""

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts import services as account_services
from courses import services as course_services
from quizzes.models import Attempt, LiveSession
from quizzes.progress.services import mastery_refresh
from tests.quizzes.test_mastery import published_quiz, take

from .conftest import text


@pytest.fixture
def taught(school_a, biology):
    """Biology with a quiz of three tagged questions; A's first student has taken it twice
    (two right, then one right), and every mastery row is computed."""
    with schema_context(school_a.schema):
        quiz, questions = published_quiz(
            biology,
            school_a.teacher,
            [
                {"topic": "Cells", "objective": "Name the organelles"},
                {"topic": "Cells"},
                {"topic": "Energy", "kind": "numeric"},
            ],
            attempts_allowed=0,
        )
        q1, q2, q3 = questions
        now = timezone.now() - dt.timedelta(hours=2)
        take(quiz, school_a.student, {q1: "right", q2: "right", q3: "wrong"}, now=now)
        take(
            quiz,
            school_a.student,
            {q1: "right", q2: "wrong", q3: "wrong"},
            now=now + dt.timedelta(hours=1),
        )
        mastery_refresh(school_a.student.pk, biology.pk)
    return quiz, questions


def _dashboard(course) -> str:
    return f"/courses/{course.pk}/dashboard/"


# --- the student's page --------------------------------------------------------------------


def test_a_student_sees_their_mastery_by_topic_and_their_recent_attempts(school_a, biology, taught):
    page = text(school_a.client(school_a.student).get("/progress/"))
    assert "BIO-101 Biology" in page
    # Latest answers: q1 right, q2 wrong, q3 wrong → 1 of 3.
    assert "Overall 33.3% 1 of 3 points · 3 questions" in page
    assert "Cells 50% 1 of 2 points · 2 questions" in page
    assert "Energy 0% 0 of 1 points · 1 question" in page
    assert "By learning objective Name the organelles 100% 1 of 1 points · 1 question" in page
    assert "Cells 2 1 of 3 (33.3%)" in page and "Cells 1 2 of 3 (66.7%)" in page
    html = school_a.client(school_a.student).get("/progress/").content.decode()
    assert f'data-ws-path="/ws/progress/student-progress/{school_a.student.pk}/"' in html
    assert '<a href="/progress/" aria-current="page">My progress</a>' in html


def test_a_student_never_sees_another_students_progress(school_a, biology, taught):
    other = school_a.students[1]
    with schema_context(school_a.schema):
        course_services.enrollment_add(course=biology, user=other, role="student")
    page = text(school_a.client(other).get("/progress/"))
    assert "BIO-101 Biology" in page
    assert "No graded answers in this course yet." in page
    assert "33.3%" not in page and "No submitted attempts yet." in page


def test_a_student_in_no_course_is_told_so(school_a):
    page = text(school_a.client(school_a.students[1]).get("/progress/"))
    assert "You aren’t enrolled in any course yet." in page


@pytest.mark.parametrize("persona", ["teacher", "admin"])
def test_the_progress_page_is_for_students(school_a, persona):
    response = school_a.client(getattr(school_a, persona)).get("/progress/")
    assert response.status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(school_a, biology):
    for path in ("/progress/", _dashboard(biology), "/school/overview/"):
        response = school_a.client().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- the class dashboard -------------------------------------------------------------------


def test_the_courses_teacher_sees_the_heatmap_students_and_quiz_results(school_a, biology, taught):
    quiz, _ = taught
    response = school_a.client(school_a.teacher).get(_dashboard(biology))
    assert response.status_code == 200
    page = text(response)
    name = school_a.student.display_name
    assert f"Student Cells Energy {name} 50% 0%" in page
    assert f"{name} {school_a.student.username} 33.3% 1 of 3 points · 3 questions" in page
    # Two attempts, 66.7% and 33.3%: average and median 50%.
    assert "Cells Published 2 1 50% 50%" in page
    assert "Question statistics: Cells" in page
    html = response.content.decode()
    assert 'class="heat heat--5" data-topic="Cells"' in html
    assert f'data-ws-path="/ws/progress/course-progress/{biology.pk}/"' in html
    assert f'href="/courses/{biology.pk}/dashboard/" aria-current="page">Dashboard</a>' in html


def test_the_dashboard_flags_a_weak_question_and_links_to_it_in_the_bank(school_a, biology):
    with schema_context(school_a.schema):
        quiz, (hard, easy) = published_quiz(biology, school_a.teacher, [{}, {}], attempts_allowed=0)
        for i in range(5):
            take(
                quiz,
                school_a.student,
                {hard: {"option": "b"}, easy: "right"},
                now=timezone.now() - dt.timedelta(hours=3, minutes=-10 * i),
            )
    response = school_a.client(school_a.teacher).get(_dashboard(biology))
    page = text(response)
    assert "Questions to review 1" in page
    assert (
        "Too hard: Answers earned 0% of the points on average (below 20%) over 5 answers." in page
    )
    assert "Wrong option beats the key: The wrong option “Ribosome” was chosen more often" in page
    html = response.content.decode()
    assert f'href="/courses/{biology.pk}/questions/{hard.pk}/edit/?next=' in html
    assert f'href="/courses/{biology.pk}/questions/{hard.pk}/">#{hard.pk}</a>' in html
    # The statistics table: five answers, facility 0%, the wrong option and its share.
    assert "“Ribosome” 100% of answers" in page


def test_one_quizs_statistics_open_by_its_own_address(school_a, biology, taught):
    quiz, _ = taught
    with schema_context(school_a.schema):
        later, _ = published_quiz(biology, school_a.teacher, [{}])
    client = school_a.client(school_a.teacher)
    assert "Question statistics: Cells" in text(client.get(_dashboard(biology)))
    page = text(client.get(f"/courses/{biology.pk}/dashboard/quizzes/{quiz.pk}/"))
    assert "Question statistics: Cells" in page
    assert "2 attempts by 1 student; average 50%, median 50%" in page
    assert client.get(f"/courses/{biology.pk}/dashboard/quizzes/{later.pk}/").status_code == 200


def test_a_quiz_of_another_course_is_not_found_on_the_dashboard(school_a, biology):
    with schema_context(school_a.schema):
        chemistry = course_services.course_create(
            code="CHEM-1", name="Chemistry", created_by=school_a.teacher
        )
        quiz, _ = published_quiz(chemistry, school_a.teacher, [{}])
    response = school_a.client(school_a.teacher).get(
        f"/courses/{biology.pk}/dashboard/quizzes/{quiz.pk}/"
    )
    assert response.status_code == 404


def test_the_school_admin_opens_any_courses_dashboard(school_a, biology, taught):
    response = school_a.client(school_a.admin).get(_dashboard(biology))
    assert response.status_code == 200
    assert "Mastery by student and topic" in text(response)


def test_the_courses_student_may_not_open_its_dashboard(school_a, biology, taught):
    response = school_a.client(school_a.student).get(_dashboard(biology))
    assert response.status_code == 403
    assert "50%" not in text(response)


def test_a_teacher_of_another_course_cannot_find_the_dashboard(school_a, biology, taught):
    with schema_context(school_a.schema):
        other = account_services.user_create(
            username="alpha-teacher2", role="teacher", password="correct-horse-battery"
        )
        course_services.course_create(code="ART-1", name="Art", created_by=other)
    assert school_a.client(other).get(_dashboard(biology)).status_code == 404


def test_the_dashboard_of_a_course_without_answers_says_what_to_do(school_a, biology):
    page = text(school_a.client(school_a.teacher).get(_dashboard(biology)))
    assert "No graded answers to tagged questions yet." in page
    assert "No quizzes yet." in page


def test_school_b_cannot_reach_school_as_dashboard(school_a, school_b, biology, taught):
    assert school_b.client(school_b.teacher).get(_dashboard(biology)).status_code == 404
    client = school_b.client(school_b.admin)
    client.defaults["HTTP_HOST"] = school_a.host
    response = client.get(_dashboard(biology))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- the school overview -------------------------------------------------------------------


def test_the_admin_sees_every_courses_figures_attempts_per_day_and_live_sessions(
    school_a, biology, taught
):
    quiz, _ = taught
    with schema_context(school_a.schema):
        course_services.course_create(code="ART-1", name="Art")
        LiveSession.objects.create(quiz=quiz, host=school_a.teacher, join_code="RUN123")
        LiveSession.objects.create(
            quiz=quiz, host=school_a.teacher, join_code="OLD123", state="finished"
        )
        submitted_today = Attempt.objects.filter(
            state="submitted", submitted_at__date=timezone.localdate()
        ).count()
    response = school_a.client(school_a.admin).get("/school/overview/")
    assert response.status_code == 200
    page = text(response)
    assert "2 Courses 2 Attempts in the last 30 days 1 Live session now" in page
    # students, teachers, materials, quizzes (published), attempts 7 / 30 days, mastery
    assert "ART-1 Art 0 0 0 0 0 0 —" in page
    assert "BIO-101 Biology 1 1 0 1 (1 published) 2 2 33.3%" in page
    assert "Live quiz sessions now 1 Quiz Course Host State Participants Started" in page
    assert "Cells BIO-101 Tom Alpha Waiting for students 0" in page
    today = timezone.localdate()
    assert f"{today:%a} {today.day} {today:%b %Y} {submitted_today}" in page
    html = response.content.decode()
    assert f'href="/courses/{biology.pk}/dashboard/">BIO-101</a>' in html
    assert '<a href="/school/overview/" aria-current="page">Overview</a>' in html


@pytest.mark.parametrize("persona", ["teacher", "student"])
def test_the_school_overview_is_for_admins(school_a, persona):
    assert school_a.client(getattr(school_a, persona)).get("/school/overview/").status_code == 403


def test_school_b_sees_only_its_own_courses_and_cannot_reach_school_as_overview(
    school_a, school_b, biology, taught
):
    own = text(school_b.client(school_b.admin).get("/school/overview/"))
    assert "BIO-101 Biology" not in own
    client = school_b.client(school_b.admin)
    client.defaults["HTTP_HOST"] = school_a.host
    response = client.get("/school/overview/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_demo_school_starts_with_results_on_its_dashboard(db, capsys):
    from django.core.management import call_command
    from django.test import Client

    from accounts.models import User
    from courses.models import Course
    from quizzes.models import Mastery

    call_command("bootstrap")
    call_command("bootstrap")  # running it again adds nothing
    assert "Seeded two submitted attempts of student2" in capsys.readouterr().out
    with schema_context("demo"):
        course = Course.objects.get(code="BIO-101")
        attempts = Attempt.objects.filter(quiz__course=course, state="submitted")
        assert sorted(attempts.values_list("student__username", "number")) == [
            ("student2", 1),
            ("student2", 2),
        ]
        assert Mastery.objects.filter(
            course=course, student__username="student2", dimension="topic"
        ).exists()
        teacher = User.objects.get(username="teacher")
    client = Client(HTTP_HOST="demo.localhost")
    with schema_context("demo"):
        client.force_login(teacher)
    page = text(client.get(f"/courses/{course.pk}/dashboard/"))
    assert "Mastery by student and topic Each cell:" in page
    assert "Cells and energy: check-up Published 2 1" in page
