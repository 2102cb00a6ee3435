"""A live class session in a real browser: the teacher's host screen and a student's phone (two
browser contexts, each signed in on its own) run a two-question session against the real daphne,
from "Run live" on the quiz page to the final leaderboard."""

import re

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from quizzes import services as quiz_services
from tests.quizzes.conftest import VALID

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def live_quiz(school):
    """A published BIO-101 quiz: a one-answer question, then a true/false one."""
    with schema_context(school.schema):
        questions = [
            quiz_services.question_create(
                course=school.course,
                kind=kind,
                created_by=school.teacher,
                explanation="Cells make ATP there." if kind == "single" else "",
                **VALID[kind],
            )
            for kind in ("single", "true_false")
        ]
        quiz = quiz_services.quiz_create(
            course=school.course, title="Cells live", created_by=school.teacher
        )
        quiz_services.quiz_questions_add(quiz, [q.pk for q in questions])
        quiz_services.quiz_publish(quiz)
    return quiz


def test_a_teacher_runs_a_two_question_session_that_a_student_plays(
    live_server_process, school, live_quiz, new_page, shot
):
    live = live_server_process
    teacher = new_page()
    student = new_page(width=390, height=844)
    teacher.on("dialog", lambda dialog: dialog.accept())
    sign_in(teacher, live, school, school.teacher.username)
    sign_in(student, live, school, school.student.username)

    # --- the teacher starts a session from the quiz page ---
    teacher.goto(live.url(school, f"/courses/{school.course.pk}/quizzes/{live_quiz.pk}/"))
    teacher.get_by_role("link", name="Run live").click()
    expect(teacher.get_by_role("heading", name="Start a live session")).to_be_visible()
    teacher.get_by_label("Speed scoring").uncheck()
    teacher.get_by_role("button", name="Start live session").click()
    teacher.wait_for_url(re.compile(r"/live/\d+/$"))
    expect(teacher.locator("#live-connection")).to_have_text("Connected")
    code = teacher.locator("#live-code [aria-hidden]").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{6}", code)
    expect(teacher.locator("#live-next")).to_have_text("Start")
    expect(teacher.locator("#live-close")).to_be_disabled()
    shot(teacher, "live-host-lobby")

    # --- the student joins with the code (a wrong one first) ---
    student.get_by_role("button", name="Menu").click()
    student.get_by_role("link", name="Join live quiz").click()
    student.get_by_label("Code").fill("ZZZZZZ")
    student.get_by_role("button", name="Join").click()
    expect(student.get_by_role("alert")).to_have_text("No running session with that code.")
    student.get_by_label("Code").fill(code.lower())
    student.get_by_role("button", name="Join").click()
    student.wait_for_url(live.url(school, f"/live/{code}/"))
    expect(student.get_by_role("heading", name="You are in!")).to_be_visible()
    expect(student.locator("#live-connection")).to_have_text("Connected")
    alias = student.locator("#live-alias").inner_text()
    expect(teacher.locator("#live-participants")).to_have_text("1")

    # --- question 1: a big button, "answer received", the count on the host ---
    teacher.locator("#live-next").click()
    expect(student.get_by_role("heading", name="Question 1 of 2")).to_be_visible()
    expect(teacher.locator("#live-answered-text")).to_have_text("answered 0 / 1")
    shot(student, "live-play-question")
    student.get_by_role("button", name="Mitochondrion").click()
    expect(student.locator("#live-received")).to_have_text("Answer received. Wait for the results.")
    expect(student.get_by_role("button", name=re.compile("Ribosome"))).to_be_disabled()
    expect(teacher.locator("#live-answered-text")).to_have_text("answered 1 / 1")
    shot(teacher, "live-host-question")

    # --- reveal: the chart with its numbers, the key, the explanation, the board ---
    teacher.get_by_role("button", name="Close answers").click()
    expect(teacher.locator(".live-results__summary")).to_have_text(
        "1 of 1 participant answered: 1 right, 0 wrong."
    )
    bars = teacher.locator(".live-bars__row")
    expect(bars).to_have_count(3)
    expect(bars.nth(0)).to_contain_text("Mitochondrion")
    expect(bars.nth(0)).to_contain_text("Correct")
    expect(bars.nth(0)).to_contain_text("1 answer (100%)")
    expect(bars.nth(1)).to_contain_text("0 answers (0%)")
    expect(teacher.locator(".live-correct")).to_have_text("Right answer: Mitochondrion")
    expect(teacher.locator(".live-explanation")).to_have_text("Cells make ATP there.")
    board = teacher.get_by_role("table", name="Leaderboard")
    expect(board).to_contain_text(school.student.display_name)
    expect(student.get_by_role("heading", name="Results of question 1")).to_be_visible()
    expect(student.locator(".live-you__line")).to_have_text("Right! +1 point.")
    expect(student.locator("#live-rank")).to_have_text(" · rank 1")
    expect(student.locator(".live-board__mine")).to_contain_text("you")
    shot(teacher, "live-host-reveal")
    shot(student, "live-play-reveal")

    # --- a reload mid-session finds the same alias and score ---
    student.reload()
    expect(student.locator("#live-alias")).to_have_text(alias)
    expect(student.locator("#live-score")).to_have_text("1")
    expect(student.get_by_role("heading", name="Results of question 1")).to_be_visible()

    # --- question 2 (true or false), then the end ---
    teacher.get_by_role("button", name="Next question").click()
    expect(student.get_by_role("heading", name="Question 2 of 2")).to_be_visible()
    student.get_by_role("button", name="False").click()
    expect(student.locator("#live-received")).to_have_text("Answer received. Wait for the results.")
    expect(teacher.locator("#live-answered-text")).to_have_text("answered 1 / 1")
    teacher.get_by_role("button", name="Close answers").click()
    expect(student.locator(".live-you__line")).to_have_text("Not this time: no points.")
    expect(teacher.locator("#live-next")).to_be_disabled()  # that was the last question
    teacher.get_by_role("button", name="End session").click()
    expect(teacher.get_by_role("table", name="Final leaderboard")).to_contain_text(
        school.student.display_name
    )
    expect(student.get_by_role("heading", name="The quiz is over")).to_be_visible()
    expect(student.locator(".live-you__line")).to_have_text("Final score: 1 point · rank 1.")
    expect(student.locator("#live-connection")).to_have_text("Session finished")
    shot(teacher, "live-host-final")
    shot(student, "live-play-final")

    with schema_context(school.schema):
        from quizzes.models import LiveSession

        assert LiveSession.objects.get(join_code=code).state == "finished"
