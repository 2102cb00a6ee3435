"""The quiz player in a real browser, against real daphne and the attempt websocket: a student
takes a quiz with the keyboard alone and gets the result; immediate feedback shows where the
answer comes from; an answer given offline is kept and sent once the browser is back, and a
reload resumes the attempt with every answer; the timer follows the server's clock (not the
device's) and the page says when time is up."""

import datetime as dt
import json
import re

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from courses.models import Material
from quizzes import services as quiz_services
from quizzes.attempts.selectors import attempt_questions
from quizzes.attempts.services import attempt_start
from quizzes.models import Attempt, AttemptQuestion, Quiz
from tests.quizzes.conftest import VALID

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.live]

QUOTE = "Mitochondria produce most of the ATP of a cell through respiration."
SAVED = re.compile(r"^Saved \d\d:\d\d:\d\d$")
OFFLINE = "Offline — your answers are kept on this device and sent when you're back"
# This device's clock runs two hours fast: the timer must not care.
SKEWED_CLOCK = "(() => { const real = Date.now.bind(Date); Date.now = () => real() + 7200000; })()"


def _quiz(school, kinds, *, source=None, **settings) -> Quiz:
    """A published quiz in the school's BIO-101 with one question of each kind, in order."""
    with schema_context(school.schema):
        questions = []
        for kind in kinds:
            extra = {}
            if kind == "single":
                extra["explanation"] = "Respiration happens in the mitochondria."
                if source:
                    extra["source"] = source
            questions.append(
                quiz_services.question_create(
                    course=school.course,
                    kind=kind,
                    created_by=school.teacher,
                    **VALID[kind],
                    **extra,
                )
            )
        quiz = quiz_services.quiz_create(
            course=school.course, title="Cells quiz", created_by=school.teacher, **settings
        )
        quiz_services.quiz_questions_add(quiz, [q.pk for q in questions])
        quiz_services.quiz_publish(quiz)
        return quiz


def _take_url(live, school, quiz) -> str:
    return live.url(school, f"/courses/{school.course.pk}/quizzes/{quiz.pk}/take/")


def _responses(school, quiz) -> dict:
    with schema_context(school.schema):
        return dict(
            AttemptQuestion.objects.filter(attempt__quiz=quiz).values_list("position", "response")
        )


def _tab_to(page, locator, *, backwards=False, limit=40) -> None:
    """Press Tab (or Shift+Tab) until ``locator`` has the focus, as a keyboard user would."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        if locator.evaluate("node => node === document.activeElement"):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{locator} never got the focus by {key}")


def _status(page, position):
    return page.locator(f"#pq-{position}-status")


def test_a_student_takes_a_quiz_with_the_keyboard_alone_and_gets_the_result(
    live_server_process, school, new_page, shot
):
    live = live_server_process
    quiz = _quiz(
        school,
        ("single", "multiple", "short_answer", "numeric", "fill_blank"),
        time_limit_minutes=30,
        show_feedback=Quiz.Feedback.AFTER_SUBMIT,
    )
    page = new_page()
    sign_in(page, live, school, school.student.username)
    page.goto(live.url(school, f"/courses/{school.course.pk}/quizzes/{quiz.pk}/"))
    expect(page.locator("#quiz-availability")).to_contain_text("You can start an attempt now.")
    expect(page.locator("#quiz-availability")).to_contain_text("Attempts: 0 of 1 used.")
    _tab_to(page, page.get_by_role("link", name="Start attempt"))
    page.keyboard.press("Enter")
    page.wait_for_url(_take_url(live, school, quiz))

    expect(page.locator("#player-connection")).to_have_text("Connected")
    start = page.get_by_role("button", name="Start attempt")
    expect(start).to_be_visible()
    _tab_to(page, start)
    page.keyboard.press("Enter")

    # Question 1 (one answer): the focus lands on the question; Tab reaches the options.
    legend = page.locator("#pq-1-legend")
    expect(legend).to_be_focused()
    expect(page.get_by_role("group", name=re.compile(r"^Question 1 of 5"))).to_be_visible()
    expect(page.locator("#player-timer")).to_contain_text(re.compile(r"Time left (29:5\d|30:00)"))
    page.keyboard.press("Tab")
    expect(page.get_by_role("radio", name="Mitochondrion")).to_be_focused()
    page.keyboard.press("Space")
    expect(_status(page, 1)).to_have_text(SAVED)
    expect(page.get_by_role("button", name="Question 1, answered")).to_have_attribute(
        "aria-current", "step"
    )
    shot(page, "player-question")

    # Question 2 (every answer that applies), by the navigator.
    _tab_to(page, page.get_by_role("button", name="Question 2, not answered"), backwards=True)
    page.keyboard.press("Enter")
    expect(page.locator("#pq-2-legend")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("checkbox", name="Neon")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # Argon
    expect(page.get_by_role("checkbox", name="Argon")).to_be_checked()
    expect(_status(page, 2)).to_have_text(SAVED)

    # Question 3 (typed): saved once the typing pauses.
    _tab_to(page, page.get_by_role("button", name="Next question"))
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.locator("#pq-3").get_by_label("Your answer", exact=True)).to_be_focused()
    page.keyboard.type("ATP")
    expect(_status(page, 3)).to_have_text(SAVED)

    # Question 4 (a number with its unit): Enter saves at once.
    _tab_to(page, page.get_by_role("button", name="Next question"))
    page.keyboard.press("Enter")
    expect(page.locator("#pq-4")).to_contain_text("°C")
    page.keyboard.press("Tab")
    expect(page.locator("#pq-4").get_by_label("Your answer (a number)")).to_be_focused()
    page.keyboard.type("100,2")
    page.keyboard.press("Enter")
    expect(_status(page, 4)).to_have_text(SAVED)
    expect(page.locator("#player-progress")).to_have_text("4 of 5 answered")

    # Submit: the confirmation lists what is unanswered; Keep working is where the focus starts.
    _tab_to(page, page.get_by_role("button", name="Submit attempt…"))
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Submit your attempt?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("You have not answered 1 question:")
    expect(dialog.get_by_role("button", name="Go to question 5")).to_be_visible()
    expect(dialog.get_by_role("button", name="Keep working")).to_be_focused()
    shot(page, "player-submit-dialog", full_page=False)
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Submit now")).to_be_focused()
    page.keyboard.press("Enter")

    results = page.locator("#player-results")
    expect(results).to_be_visible()
    expect(page.get_by_role("heading", name="Your result")).to_be_focused()
    expect(results.locator(".result-score__value")).to_have_text("4 of 5 (80%)")
    expect(results.locator(".result-item")).to_have_count(5)
    expect(results.locator(".result-item").nth(0)).to_contain_text("Correct")
    expect(results.locator(".result-item").nth(4)).to_contain_text("Not answered")
    expect(results.locator(".result-item").nth(4)).to_contain_text("“mitochondrion” or")
    shot(page, "player-results")

    with schema_context(school.schema):
        attempt = Attempt.objects.get(quiz=quiz, student=school.student)
        assert (attempt.state, attempt.submit_reason, attempt.score) == (
            "submitted",
            "student",
            4.0,
        )
    review = page.get_by_role("link", name="Review this attempt")
    expect(review).to_have_attribute("href", f"/courses/{school.course.pk}/attempts/{attempt.pk}/")
    _tab_to(page, review)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Attempt 1")).to_be_visible()
    expect(page.locator("#review-result")).to_contain_text("4 of 5 (80%)")


def test_immediate_feedback_shows_the_right_answer_and_the_cited_passage(
    live_server_process, school, new_page, shot
):
    live = live_server_process
    with schema_context(school.schema):
        material = Material.objects.create(
            course=school.course,
            title="Cell Biology",
            filename="cells.txt",
            kind=Material.Kind.TEXT,
            file="materials/cells.txt",
            size_bytes=len(QUOTE),
            sha256="0" * 64,
            state=Material.State.READY,
        )
    quiz = _quiz(
        school,
        ("single", "short_answer"),
        show_feedback=Quiz.Feedback.IMMEDIATELY,
        source={"material_id": material.pk, "page": 4, "section": "Energy", "quote": QUOTE},
    )
    page = new_page()
    sign_in(page, live, school, school.student.username)
    page.goto(_take_url(live, school, quiz))
    page.get_by_role("button", name="Start attempt").click()

    question = page.locator("#pq-1")
    expect(question).to_contain_text("Your answer is final once you check it.")
    question.get_by_role("radio", name="Ribosome").check()
    expect(_status(page, 1)).to_contain_text("Not checked yet")
    assert _responses(school, quiz)[1] is None  # a choice is not sent before it is checked
    question.get_by_role("button", name="Check answer").click()

    feedback = page.locator("#pq-1-feedback")
    expect(feedback).to_contain_text("Not right — 0 of 1 point")
    expect(feedback).to_contain_text("Right answer Mitochondrion")
    expect(feedback).to_contain_text("Respiration happens in the mitochondria.")
    source = feedback.locator(".attempt-source")
    expect(source).to_contain_text("Cell Biology")
    expect(source).to_contain_text("Page 4")
    expect(source).to_contain_text("Energy")
    expect(source.locator("blockquote")).to_have_text(QUOTE)
    expect(source.get_by_role("link", name="Open Cell Biology")).to_have_attribute(
        "href", f"/courses/{school.course.pk}/materials/{material.pk}/"
    )
    expect(question.locator(".pq-option--correct")).to_contain_text("Right answer")
    expect(question.locator(".pq-option--wrong")).to_contain_text("Your answer: not right")
    # The answer is final: its controls are locked.
    expect(question.get_by_role("radio", name="Mitochondrion")).to_be_disabled()
    expect(question.get_by_role("button", name="Check answer")).to_be_disabled()
    shot(page, "player-immediate-feedback")

    # A typed answer is checked with Enter.
    page.get_by_role("button", name="Next question").click()
    box = page.get_by_label("Your answer", exact=True)
    box.fill("atp")
    box.press("Enter")
    expect(page.locator("#pq-2-feedback")).to_contain_text("Correct — 1 of 1 point")
    assert _responses(school, quiz) == {
        1: {"option": _option_id(school, quiz, 1, "Ribosome")},
        2: {"text": "atp"},
    }


def test_an_answer_given_offline_is_kept_and_sent_when_the_browser_is_back(
    live_server_process, school, new_page, shot
):
    live = live_server_process
    quiz = _quiz(school, ("single", "short_answer", "true_false"), time_limit_minutes=30)
    page = new_page()
    context = page.context
    sign_in(page, live, school, school.student.username)
    page.goto(_take_url(live, school, quiz))
    page.get_by_role("button", name="Start attempt").click()
    page.get_by_role("radio", name="Mitochondrion").check()
    expect(_status(page, 1)).to_have_text(SAVED)

    context.set_offline(True)
    expect(page.locator("#player-connection")).to_have_text(OFFLINE)
    page.get_by_role("button", name="Next question").click()
    page.get_by_label("Your answer", exact=True).fill("ATP")
    expect(_status(page, 2)).to_have_text("Not saved yet — offline")
    expect(page.get_by_role("button", name="Question 2, answered")).to_be_visible()
    shot(page, "player-offline", full_page=False)
    with schema_context(school.schema):
        attempt = Attempt.objects.get(quiz=quiz, student=school.student)
    kept = json.loads(
        page.evaluate(f"localStorage.getItem('smartedu.attempt.{attempt.pk}.pending')")
    )
    assert kept["2"]["response"] == {"text": "ATP"}
    assert _responses(school, quiz)[2] is None

    context.set_offline(False)
    expect(page.locator("#player-connection")).to_have_text("Connected", timeout=20_000)
    expect(_status(page, 2)).to_have_text(SAVED)
    assert _responses(school, quiz)[2] == {"text": "ATP"}
    assert page.evaluate(f"localStorage.getItem('smartedu.attempt.{attempt.pk}.pending')") is None

    # Offline again, answer, and leave before the browser is back: the answer waits on this
    # device and a page opened later sends it.
    context.set_offline(True)
    expect(page.locator("#player-connection")).to_have_text(OFFLINE)
    page.get_by_role("button", name="Next question").click()
    page.get_by_role("radio", name="False").check()
    expect(_status(page, 3)).to_have_text("Not saved yet — offline")
    page.close()
    context.set_offline(False)
    page = context.new_page()
    page.goto(_take_url(live, school, quiz))
    expect(page.locator("#player-connection")).to_have_text("Connected")
    # The reload resumes the attempt where the student was, with every answer.
    expect(page.locator("#pq-3")).to_be_visible()
    expect(page.get_by_role("radio", name="False")).to_be_checked()
    expect(_status(page, 3)).to_have_text(SAVED)
    assert _responses(school, quiz) == {
        1: {"option": _option_id(school, quiz, 1, "Mitochondrion")},
        2: {"text": "ATP"},
        3: {"option": "false"},
    }
    page.get_by_role("button", name="Question 1, answered").click()
    expect(page.get_by_role("radio", name="Mitochondrion")).to_be_checked()
    page.get_by_role("button", name="Question 2, answered").click()
    expect(page.get_by_label("Your answer", exact=True)).to_have_value("ATP")
    shot(page, "player-resumed", full_page=False)


def _option_id(school, quiz, position, option_text) -> str:
    with schema_context(school.schema):
        attempt = Attempt.objects.get(quiz=quiz, student=school.student)
        question = next(q for q in attempt_questions(attempt) if q.position == position)
        return next(o["id"] for o in question.version.options if o["text"] == option_text)


def test_the_timer_follows_the_servers_clock_and_the_page_says_when_time_is_up(
    live_server_process, school, new_page, shot
):
    live = live_server_process
    quiz = _quiz(school, ("single", "true_false"), time_limit_minutes=30)
    with schema_context(school.schema):
        attempt = attempt_start(quiz, school.student)
        Attempt.objects.filter(pk=attempt.pk).update(
            deadline=timezone.now() + dt.timedelta(minutes=5, seconds=4)
        )
    page = new_page()
    page.add_init_script(SKEWED_CLOCK)
    sign_in(page, live, school, school.student.username)
    page.goto(_take_url(live, school, quiz))

    timer = page.locator("#player-timer")
    expect(timer).to_be_visible()
    seconds = int(timer.get_attribute("data-seconds"))
    assert 290 <= seconds <= 304, seconds
    expect(timer).to_contain_text(re.compile(r"Time left 5:0[0-4]|4:5\d"))
    expect(page.locator("#player-warning")).to_have_text("5 minutes left.", timeout=10_000)
    expect(timer).to_have_class(re.compile("player-bar__timer--warn"))
    shot(page, "player-timer-warning", full_page=False)

    # The teacher's clock says a few seconds are left now.
    page.get_by_role("radio", name="Mitochondrion").check()
    expect(_status(page, 1)).to_have_text(SAVED)
    with schema_context(school.schema):
        Attempt.objects.filter(pk=attempt.pk).update(
            deadline=timezone.now() + dt.timedelta(seconds=6)
        )
    page.reload()
    expect(timer).to_be_visible()
    assert int(timer.get_attribute("data-seconds")) <= 6
    expect(page.locator("#player-warning")).to_have_text("Less than a minute left.")
    alert = page.locator("#player-alert")
    expect(alert).to_contain_text("Time is up", timeout=15_000)
    expect(page.locator("#player-results")).to_be_visible(timeout=15_000)
    expect(page.locator("#player-results")).to_contain_text(
        "Time is up: your attempt was submitted with the answers saved before the deadline."
    )
    expect(page.locator(".result-score__value")).to_have_text("1 of 2 (50%)")
    shot(page, "player-time-up")
    with schema_context(school.schema):
        attempt.refresh_from_db()
        assert (attempt.state, attempt.submit_reason, attempt.score) == (
            "submitted",
            "deadline",
            1.0,
        )
