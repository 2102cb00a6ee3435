"""Pages for taking quizzes: the player's page (students of the course only), the review of an
attempt (the student's own; the course's teachers and the school's admins see any of the
course's), what the student's quiz page says about starting, the late-work settings and the
accommodations page. The player itself runs over the websocket; tests/browser covers it."""

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts import services as account_services
from courses import services as course_services
from courses.models import Material
from quizzes import services
from quizzes.accommodations import accommodation_set
from quizzes.attempts.selectors import attempt_questions
from quizzes.attempts.services import answer_save, attempt_start, attempt_submit
from quizzes.models import Accommodation, Attempt, Quiz
from tests.quizzes.conftest import VALID, course_in

from .conftest import text

QUOTE = "Mitochondria produce most of the ATP of a cell through respiration."


@pytest.fixture
def biology(school_a):
    return course_in(school_a)


def _material(course, title="Cell Biology"):
    return Material.objects.create(
        course=course,
        title=title,
        filename="cells.txt",
        kind=Material.Kind.TEXT,
        file="materials/cells.txt",
        size_bytes=len(QUOTE),
        sha256="0" * 64,
        state=Material.State.READY,
    )


def _quiz(school, course, kinds=("single",), *, publish=True, source=None, **settings):
    """A quiz in ``course`` holding one question of each kind (the caller is in the school's
    schema); the single-choice question cites ``source`` when given."""
    questions = []
    for kind in kinds:
        extra = {}
        if kind == "single":
            extra["explanation"] = "Respiration happens in the mitochondria."
            if source:
                extra["source"] = source
        questions.append(
            services.question_create(
                course=course, kind=kind, created_by=school.teacher, **VALID[kind], **extra
            )
        )
    quiz = services.quiz_create(
        course=course, title="Cells quiz", created_by=school.teacher, **settings
    )
    services.quiz_questions_add(quiz, [q.pk for q in questions])
    if publish:
        services.quiz_publish(quiz)
    return Quiz.objects.get(pk=quiz.pk)


def _option(attempt, position, option_text):
    question = next(q for q in attempt_questions(attempt) if q.position == position)
    return next(o["id"] for o in question.version.options if o["text"] == option_text)


def _answer(attempt, position, response):
    question = next(q for q in attempt_questions(attempt) if q.position == position)
    return answer_save(attempt, question, response)


def _taken(quiz, student, answers):
    """An attempt at ``quiz`` by ``student`` with ``answers`` ({position: response}), submitted."""
    attempt = attempt_start(quiz, student)
    for position, response in answers.items():
        _answer(attempt, position, response)
    attempt, _ = attempt_submit(attempt)
    return attempt


def _take_url(course, quiz) -> str:
    return f"/courses/{course.pk}/quizzes/{quiz.pk}/take/"


def _review_url(course, attempt) -> str:
    return f"/courses/{course.pk}/attempts/{attempt.pk}/"


def _settings_post(quiz, **changes) -> dict:
    data = {
        "title": quiz.title,
        "description": quiz.description,
        "time_limit_minutes": quiz.time_limit_minutes or "",
        "attempts_allowed": quiz.attempts_allowed,
        "show_feedback": quiz.show_feedback,
        "opens_at": "",
        "closes_at": "2031-05-01T12:00",
        "late_minutes": quiz.late_minutes,
        "late_penalty_percent": quiz.late_penalty_percent,
    }
    data.update(changes)
    return data


# --- the player's page -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_student_of_the_course_gets_the_player_wired_to_the_attempt_websocket(school_a, biology):
    with schema_context(school_a.schema):
        quiz = _quiz(school_a, biology, ("single", "numeric"), time_limit_minutes=15)
    response = school_a.client(school_a.student).get(_take_url(biology, quiz))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-ws-path="/ws/quizzes/{quiz.pk}/attempt/"' in html
    assert f'data-attempt-url="/courses/{biology.pk}/attempts/0/"' in html
    assert "quizzes/attempt.js" in html
    page = text(response)
    assert "Cells quiz" in page
    assert "2 questions." in page
    assert "You have 15 minutes once you start" in page
    assert "Mitochondrion" not in page  # the questions come over the socket, after Start
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["teacher", "admin"])
def test_the_courses_teacher_and_the_schools_admin_are_refused_the_player(
    school_a, biology, persona
):
    with schema_context(school_a.schema):
        quiz = _quiz(school_a, biology)
    response = school_a.client(getattr(school_a, persona)).get(_take_url(biology, quiz))
    assert response.status_code == 403
    with schema_context(school_a.schema):
        assert not Attempt.objects.exists()


@pytest.mark.django_db
def test_the_player_is_404_for_a_draft_another_course_or_a_student_outside_the_course(
    school_a, biology
):
    with schema_context(school_a.schema):
        draft = _quiz(school_a, biology, publish=False)
        published = _quiz(school_a, biology)
        chemistry = course_services.course_create(
            code="CHEM-1", name="Chemistry", created_by=school_a.teacher
        )
        course_services.enrollment_add(course=chemistry, user=school_a.student)
    student = school_a.client(school_a.student)
    assert student.get(_take_url(biology, draft)).status_code == 404
    # Biology's quiz under the URL of another course the student takes.
    assert student.get(_take_url(chemistry, published)).status_code == 404
    outsider = school_a.client(school_a.students[1])  # not enrolled in Biology
    assert outsider.get(_take_url(biology, published)).status_code == 404
    assert school_a.client().get(_take_url(biology, published)).status_code == 302


# --- the student's quiz page -------------------------------------------------------------


@pytest.mark.django_db
def test_the_quiz_page_tells_a_student_they_can_start_with_attempts_time_and_deadlines(
    school_a, biology
):
    closes = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    with schema_context(school_a.schema):
        quiz = _quiz(
            school_a,
            biology,
            time_limit_minutes=20,
            attempts_allowed=2,
            closes_at=closes,
            late_minutes=60,
            late_penalty_percent=10,
        )
        Accommodation.objects.create(student=school_a.student, extra_time_percent=50)
    response = school_a.client(school_a.student).get(f"/courses/{biology.pk}/quizzes/{quiz.pk}/")
    page = text(response)
    assert "You can start an attempt now." in page
    assert "Attempts: 0 of 2 used." in page
    assert "You have 20 minutes once you start — 30 minutes with your 50% extra time" in page
    assert f"Closes {closes:%-d %b %Y, %H:%M} UTC." in page
    late = closes + dt.timedelta(minutes=60)
    assert f"Late work is accepted until {late:%-d %b %Y, %H:%M} UTC, losing 10% of the score." in (
        page
    )
    assert f'href="{_take_url(biology, quiz)}">Start attempt</a>' in response.content.decode()
    assert "You have not submitted an attempt at this quiz yet." in page


@pytest.mark.django_db
def test_the_quiz_page_says_why_a_student_cannot_start_and_offers_no_start_button(
    school_a, biology
):
    opens = timezone.now().replace(microsecond=0) + dt.timedelta(days=1)
    with schema_context(school_a.schema):
        later = _quiz(school_a, biology, opens_at=opens)
        once = _quiz(school_a, biology, attempts_allowed=1)
        _taken(once, school_a.student, {})
    client = school_a.client(school_a.student)

    not_yet = client.get(f"/courses/{biology.pk}/quizzes/{later.pk}/")
    assert "This quiz opens at" in text(not_yet)
    assert f"Opens {opens:%-d %b %Y, %H:%M} UTC." in text(not_yet)
    assert "Start attempt" not in text(not_yet)

    used_up = client.get(f"/courses/{biology.pk}/quizzes/{once.pk}/")
    assert "You have used all 1 attempt at this quiz." in text(used_up)
    assert "Attempts: 1 of 1 used." in text(used_up)
    assert "Start attempt" not in text(used_up)


@pytest.mark.django_db
def test_the_quiz_page_lists_the_students_attempts_with_score_and_a_review_link(school_a, biology):
    with schema_context(school_a.schema):
        quiz = _quiz(school_a, biology, ("single", "numeric"), attempts_allowed=0)
        first = attempt_start(quiz, school_a.student)
        first = _taken(quiz, school_a.student, {1: {"option": _option(first, 1, "Mitochondrion")}})
        attempt_start(quiz, school_a.student)  # a second, still running
    response = school_a.client(school_a.student).get(f"/courses/{biology.pk}/quizzes/{quiz.pk}/")
    page = text(response)
    html = response.content.decode()
    assert "You have an attempt in progress (attempt 2)." in page
    assert f'href="{_take_url(biology, quiz)}">Resume attempt</a>' in html
    assert "Your attempts 1" in page  # only submitted ones are listed
    assert "1 of 2 (50%)" in page
    assert f'href="{_review_url(biology, first)}"' in html


@pytest.mark.django_db
def test_an_attempt_past_its_deadline_is_submitted_when_the_quiz_page_opens(school_a, biology):
    with schema_context(school_a.schema):
        quiz = _quiz(school_a, biology, time_limit_minutes=5)
        attempt = attempt_start(quiz, school_a.student)
        Attempt.objects.filter(pk=attempt.pk).update(
            deadline=timezone.now() - dt.timedelta(seconds=30)
        )
    page = text(school_a.client(school_a.student).get(f"/courses/{biology.pk}/quizzes/{quiz.pk}/"))
    assert "Time ran out" in page
    assert "0 of 1 (0%)" in page
    with schema_context(school_a.schema):
        attempt.refresh_from_db()
        assert (attempt.state, attempt.submit_reason) == ("submitted", "deadline")


# --- the review --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_student_reviews_their_attempt_with_right_answers_explanation_and_source(
    school_a, biology
):
    with schema_context(school_a.schema):
        material = _material(biology)
        quiz = _quiz(
            school_a,
            biology,
            ("single", "short_answer"),
            show_feedback=Quiz.Feedback.AFTER_SUBMIT,
            source={"material_id": material.pk, "page": 4, "section": "Energy", "quote": QUOTE},
        )
        attempt = attempt_start(quiz, school_a.student)
        attempt = _taken(quiz, school_a.student, {1: {"option": _option(attempt, 1, "Ribosome")}})
    response = school_a.client(school_a.student).get(_review_url(biology, attempt))
    assert response.status_code == 200
    page = text(response)
    assert "Attempt 1" in page and " by " not in page.split("Result")[0]
    assert "0 of 2 (0%)" in page
    assert "Not right" in page and "Not answered" in page
    assert "Ribosome Your answer" in page
    assert "Mitochondrion Right answer" in page
    assert "Right answer “ATP” or “adenosine triphosphate”" in page
    assert "Respiration happens in the mitochondria." in page
    assert f"Source Cell Biology Page 4 Energy {QUOTE}" in page
    assert f'href="/courses/{biology.pk}/materials/{material.pk}/"' in response.content.decode()


@pytest.mark.django_db
def test_the_review_keeps_the_right_answers_hidden_when_the_quiz_never_shows_them(
    school_a, biology
):
    with schema_context(school_a.schema):
        quiz = _quiz(school_a, biology, show_feedback=Quiz.Feedback.NEVER)
        attempt = attempt_start(quiz, school_a.student)
        attempt = _taken(quiz, school_a.student, {1: {"option": _option(attempt, 1, "Ribosome")}})
    page = text(school_a.client(school_a.student).get(_review_url(biology, attempt)))
    assert "0 of 1 (0%)" in page
    assert "Ribosome Your answer" in page
    assert "Right answer" not in page
    assert "Not right" not in page
    assert "Respiration happens in the mitochondria." not in page
    assert "Your teacher does not show the right answers for this quiz." in page


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["teacher", "admin"])
def test_the_courses_teacher_and_the_schools_admin_review_any_attempt_with_the_key(
    school_a, biology, persona
):
    with schema_context(school_a.schema):
        quiz = _quiz(school_a, biology, show_feedback=Quiz.Feedback.NEVER)
        attempt = attempt_start(quiz, school_a.student)
        attempt = _taken(quiz, school_a.student, {1: {"option": _option(attempt, 1, "Ribosome")}})
    response = school_a.client(getattr(school_a, persona)).get(_review_url(biology, attempt))
    assert response.status_code == 200
    page = text(response)
    assert f"Attempt 1 by {school_a.student.display_name}" in page
    assert "Mitochondrion Right answer" in page


@pytest.mark.django_db
def test_another_student_of_the_course_gets_404_for_a_students_attempt(school_a, biology):
    with schema_context(school_a.schema):
        course_services.enrollment_add(course=biology, user=school_a.students[1])
        quiz = _quiz(school_a, biology)
        attempt = _taken(quiz, school_a.student, {})
    other = school_a.client(school_a.students[1])
    assert other.get(_review_url(biology, attempt)).status_code == 404


@pytest.mark.django_db
def test_a_teacher_of_another_course_gets_404_for_this_courses_attempts(school_a, biology):
    with schema_context(school_a.schema):
        other_teacher = account_services.user_create(
            username="alpha-teacher2", role="teacher", password="x-correct-horse"
        )
        chemistry = course_services.course_create(
            code="CHEM-1", name="Chemistry", created_by=other_teacher
        )
        quiz = _quiz(school_a, biology)
        attempt = _taken(quiz, school_a.student, {})
    client = school_a.client(other_teacher)
    assert client.get(_review_url(biology, attempt)).status_code == 404
    assert client.get(_review_url(chemistry, attempt)).status_code == 404
    assert client.get(f"/courses/{biology.pk}/accommodations/").status_code == 404


@pytest.mark.django_db
def test_an_attempt_under_another_courses_url_is_404_even_for_its_student(school_a, biology):
    with schema_context(school_a.schema):
        chemistry = course_services.course_create(
            code="CHEM-1", name="Chemistry", created_by=school_a.teacher
        )
        course_services.enrollment_add(course=chemistry, user=school_a.student)
        attempt = _taken(_quiz(school_a, biology), school_a.student, {})
    assert school_a.client(school_a.student).get(_review_url(chemistry, attempt)).status_code == 404


@pytest.mark.django_db
def test_the_review_of_an_attempt_still_running_sends_the_student_back_to_the_player(
    school_a, biology
):
    with schema_context(school_a.schema):
        quiz = _quiz(school_a, biology)
        attempt = attempt_start(quiz, school_a.student)
    response = school_a.client(school_a.student).get(_review_url(biology, attempt))
    assert response.status_code == 302
    assert response["Location"] == _take_url(biology, quiz)
    teacher_view = school_a.client(school_a.teacher).get(_review_url(biology, attempt))
    assert "In progress: 0 of 1 question answered so far." in text(teacher_view)


@pytest.mark.django_db
def test_school_b_cannot_reach_school_a_players_reviews_or_accommodations(
    school_a, school_b, biology
):
    with schema_context(school_a.schema):
        quiz = _quiz(school_a, biology)
        attempt = _taken(quiz, school_a.student, {})
    with schema_context(school_b.schema):
        b_course = course_services.course_create(
            code="B-1", name="Beta course", created_by=school_b.teacher
        )
    for persona in (school_b.teacher, school_b.admin):
        client = school_b.client(persona)
        assert client.get(_take_url(b_course, quiz)).status_code == 404
        assert client.get(_review_url(b_course, attempt)).status_code == 404
        # School A's student id means nobody in B's course.
        refused = client.post(
            f"/courses/{b_course.pk}/accommodations/",
            {"student": school_a.student.pk, "extra_time_percent": 50, "extra_attempts": 1},
        )
        assert refused.status_code == 400
    # B's session is no session on A's host.
    stolen = school_a.client()
    stolen.cookies = school_b.client(school_b.admin).cookies
    assert stolen.get(_review_url(biology, attempt)).status_code == 302
    assert stolen.get(f"/courses/{biology.pk}/accommodations/").status_code == 302
    with schema_context(school_a.schema):
        assert not Accommodation.objects.exists()
    with schema_context(school_b.schema):
        assert not Accommodation.objects.exists()


# --- late-work settings ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_settings_form_saves_late_minutes_and_the_late_penalty(school_a, biology):
    with schema_context(school_a.schema):
        quiz = _quiz(school_a, biology, publish=False)
    client = school_a.client(school_a.teacher)
    form = client.get(f"/courses/{biology.pk}/quizzes/{quiz.pk}/")
    assert "Late work (minutes after closing)" in text(form)
    assert f'href="/courses/{biology.pk}/accommodations/"' in form.content.decode()

    response = client.post(
        f"/courses/{biology.pk}/quizzes/{quiz.pk}/",
        _settings_post(quiz, late_minutes=90, late_penalty_percent=25),
    )
    assert response.status_code == 302
    with schema_context(school_a.schema):
        quiz.refresh_from_db()
        assert (quiz.late_minutes, quiz.late_penalty_percent) == (90, 25)
    # Left empty, both mean none.
    client.post(
        f"/courses/{biology.pk}/quizzes/{quiz.pk}/",
        _settings_post(quiz, late_minutes="", late_penalty_percent=""),
    )
    with schema_context(school_a.schema):
        quiz.refresh_from_db()
        assert (quiz.late_minutes, quiz.late_penalty_percent) == (0, 0)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "late_minutes, penalty, message",
    [
        (-5, 10, "Late minutes is 0 (no late work) to 43200."),
        (50000, 10, "Late minutes is 0 (no late work) to 43200."),
        (30, 150, "The late penalty is 0 to 100 percent."),
        (30, -1, "The late penalty is 0 to 100 percent."),
        ("soon", 10, "Enter a whole number."),
    ],
)
def test_the_settings_form_refuses_bad_late_values_with_a_message_and_changes_nothing(
    school_a, biology, late_minutes, penalty, message
):
    with schema_context(school_a.schema):
        quiz = _quiz(school_a, biology, publish=False, late_minutes=15, late_penalty_percent=5)
    response = school_a.client(school_a.teacher).post(
        f"/courses/{biology.pk}/quizzes/{quiz.pk}/",
        _settings_post(
            quiz, title="Renamed", late_minutes=late_minutes, late_penalty_percent=penalty
        ),
    )
    assert response.status_code == 400
    assert message in text(response)
    with schema_context(school_a.schema):
        quiz.refresh_from_db()
        assert (quiz.title, quiz.late_minutes, quiz.late_penalty_percent) == ("Cells quiz", 15, 5)


# --- accommodations ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["teacher", "admin"])
def test_the_accommodations_page_lists_the_courses_students_with_theirs(school_a, biology, persona):
    with schema_context(school_a.schema):
        accommodation_set(
            school_a.student,
            extra_time_percent=50,
            extra_attempts=2,
            note="Reading support",
            updated_by=school_a.admin,
        )
    response = school_a.client(getattr(school_a, persona)).get(
        f"/courses/{biology.pk}/accommodations/"
    )
    assert response.status_code == 200
    page = text(response)
    assert "Students of BIO-101 1" in page
    assert f"{school_a.student.display_name} {school_a.student.username} 50% 2 Reading support" in (
        page
    )
    assert f"by {school_a.admin.display_name}" in page
    assert school_a.students[1].username not in page  # not in this course


@pytest.mark.django_db
def test_a_student_is_refused_the_accommodations_page_and_cannot_set_one(school_a, biology):
    client = school_a.client(school_a.student)
    assert client.get(f"/courses/{biology.pk}/accommodations/").status_code == 403
    response = client.post(
        f"/courses/{biology.pk}/accommodations/",
        {"student": school_a.student.pk, "extra_time_percent": 400, "extra_attempts": 20},
    )
    assert response.status_code == 403
    with schema_context(school_a.schema):
        assert not Accommodation.objects.exists()


@pytest.mark.django_db
def test_saving_an_accommodation_says_so_and_counts_from_the_next_attempt(school_a, biology):
    with schema_context(school_a.schema):
        quiz = _quiz(school_a, biology, time_limit_minutes=10, attempts_allowed=1)
        running = attempt_start(quiz, school_a.student)
    client = school_a.client(school_a.teacher)
    response = client.post(
        f"/courses/{biology.pk}/accommodations/",
        {
            "student": school_a.student.pk,
            "extra_time_percent": 50,
            "extra_attempts": 2,
            "note": "  Extra time  for dyslexia ",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0].endswith(
        f"/courses/{biology.pk}/accommodations/#student-{school_a.student.pk}"
    )
    assert (
        f"Saved: {school_a.student.display_name} gets 50% extra time and 2 extra attempts."
        in text(response)
    )
    with schema_context(school_a.schema):
        saved = Accommodation.objects.get(student=school_a.student)
        assert (saved.extra_time_percent, saved.extra_attempts, saved.note, saved.updated_by) == (
            50,
            2,
            "Extra time for dyslexia",
            school_a.teacher,
        )
        running.refresh_from_db()
        assert running.extra_time_percent == 0  # the running attempt keeps its deadline
    page = text(school_a.client(school_a.student).get(f"/courses/{biology.pk}/quizzes/{quiz.pk}/"))
    assert "Attempts: 1 of 3 used." in page
    assert "15 minutes with your 50% extra time" in page


@pytest.mark.django_db
def test_the_edit_link_fills_the_form_with_the_students_accommodation(school_a, biology):
    with schema_context(school_a.schema):
        accommodation_set(school_a.student, extra_time_percent=25, extra_attempts=1, note="x")
    client = school_a.client(school_a.teacher)
    page = client.get(f"/courses/{biology.pk}/accommodations/")
    assert f'href="?student={school_a.student.pk}#accommodation-form"' in page.content.decode()
    form = client.get(f"/courses/{biology.pk}/accommodations/?student={school_a.student.pk}")
    html = form.content.decode()
    assert f'<option value="{school_a.student.pk}" selected>' in html
    assert 'name="extra_time_percent" value="25"' in html
    assert 'name="extra_attempts" value="1"' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes, message",
    [
        ({"extra_time_percent": 401}, "Extra time is a whole number from 0 to 400."),
        ({"extra_time_percent": -10}, "Extra time is a whole number from 0 to 400."),
        ({"extra_attempts": 21}, "Extra attempts is a whole number from 0 to 20."),
        ({"extra_attempts": "two"}, "Enter a whole number."),
        ({"extra_time_percent": ""}, "Type 0 for no extra time."),
        ({"student": ""}, "Choose a student."),
        ({"note": "x" * 301}, "Ensure this value has at most 300 characters (it has 301)."),
    ],
)
def test_bad_accommodation_input_is_refused_with_a_message_and_nothing_changes(
    school_a, biology, changes, message
):
    with schema_context(school_a.schema):
        accommodation_set(school_a.student, extra_time_percent=25, extra_attempts=1, note="kept")
    data = {
        "student": school_a.student.pk,
        "extra_time_percent": 50,
        "extra_attempts": 2,
        "note": "",
        **changes,
    }
    response = school_a.client(school_a.teacher).post(
        f"/courses/{biology.pk}/accommodations/", data
    )
    assert response.status_code == 400
    assert message in text(response)
    with schema_context(school_a.schema):
        kept = Accommodation.objects.get(student=school_a.student)
        assert (kept.extra_time_percent, kept.extra_attempts, kept.note) == (25, 1, "kept")


@pytest.mark.django_db
def test_a_student_of_another_course_cannot_be_given_an_accommodation_here(school_a, biology):
    response = school_a.client(school_a.teacher).post(
        f"/courses/{biology.pk}/accommodations/",
        {"student": school_a.students[1].pk, "extra_time_percent": 50, "extra_attempts": 0},
    )
    assert response.status_code == 400
    assert "Choose a student." in text(response)
    with schema_context(school_a.schema):
        assert not Accommodation.objects.exists()


@pytest.mark.django_db
def test_accommodation_set_refuses_non_students_and_values_out_of_range(school_a):
    from django.core.exceptions import ValidationError

    with schema_context(school_a.schema):
        with pytest.raises(ValidationError) as refused:
            accommodation_set(school_a.teacher, extra_time_percent=10, extra_attempts=0)
        assert refused.value.message_dict == {"student": ["Accommodations are for students only."]}
        with pytest.raises(ValidationError) as refused:
            accommodation_set(
                school_a.student, extra_time_percent=True, extra_attempts=99, note="n" * 301
            )
        assert refused.value.message_dict == {
            "extra_time_percent": ["Extra time is a whole number from 0 to 400."],
            "extra_attempts": ["Extra attempts is a whole number from 0 to 20."],
            "note": ["The note is at most 300 characters (this one has 301)."],
        }
        assert not Accommodation.objects.exists()
        first = accommodation_set(school_a.student, extra_time_percent=400, extra_attempts=20)
        again = accommodation_set(school_a.student, extra_time_percent=0, extra_attempts=0)
        assert first.pk == again.pk
        assert (again.extra_time_percent, again.extra_attempts) == (0, 0)
