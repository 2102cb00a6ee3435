"""The progress pages in a real browser, against real daphne and a real Celery worker: a
student's progress page fills in and moves as their answers are graded, with no reload; the
teacher's class dashboard shows a weak question flagged with its reason and opens it in the
bank."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from quizzes.attempts.selectors import attempt_questions
from quizzes.attempts.services import answer_save, attempt_start
from quizzes.progress.services import mastery_refresh
from tests.quizzes.test_mastery import published_quiz, response_for, take

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.live]

PUSH_TIMEOUT = 30_000


def _answer(school, attempt, question, answer):
    with schema_context(school.schema), transaction.atomic():
        shown = {aq.question_id: aq for aq in attempt_questions(attempt)}
        answer_save(attempt, shown[question.pk], response_for(question, answer))


def test_the_students_progress_page_updates_live_as_answers_are_graded(
    live_server_process, celery_worker_process, school, new_page, shot
):
    live = live_server_process
    with schema_context(school.schema):
        quiz, (q1, q2) = published_quiz(
            school.course,
            school.teacher,
            [{"topic": "Cells"}, {"topic": "Cells"}],
            show_feedback="immediately",
        )
        attempt = attempt_start(quiz, school.student)
    page = new_page()
    sign_in(page, live, school, school.student.username)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My progress").click()
    expect(page.get_by_role("heading", name="My progress", level=1)).to_be_visible()
    section = page.locator(f"#course-{school.course.pk}")
    expect(section).to_contain_text("No graded answers in this course yet.")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")

    _answer(school, attempt, q1, "right")
    overall = section.locator("[data-mastery='overall']")
    expect(overall.locator("[data-field='percent']")).to_have_text("100%", timeout=PUSH_TIMEOUT)
    expect(overall).to_contain_text("1 of 1 points · 1 question")
    cells = section.locator("[data-dimension='topics'] [data-tag='Cells']")
    expect(cells).to_contain_text("100%")

    _answer(school, attempt, q2, "wrong")
    expect(overall.locator("[data-field='percent']")).to_have_text("50%", timeout=PUSH_TIMEOUT)
    expect(cells.locator("[data-field='detail']")).to_have_text("1 of 2 points · 2 questions")
    # The bar follows the figure, and a screen reader hears what changed.
    width = overall.locator(".bar__fill").evaluate("node => node.style.width")
    assert width == "50%"
    expect(page.locator("#live-announcer")).to_contain_text("50% overall")
    shot(page, "progress-student-live")


def test_the_teacher_sees_a_weak_question_flagged_and_opens_it_in_the_bank(
    live_server_process, school, new_page, shot
):
    live = live_server_process
    with schema_context(school.schema):
        quiz, (hard, fine) = published_quiz(
            school.course,
            school.teacher,
            [{"topic": "Cells"}, {"topic": "Energy"}],
            attempts_allowed=0,
        )
        start = timezone.now() - dt.timedelta(hours=3)
        for i in range(5):
            take(
                quiz,
                school.student,
                {hard: {"option": "b"}, fine: "right"},
                now=start + dt.timedelta(minutes=10 * i),
            )
        mastery_refresh(school.student.pk, school.course.pk)
    page = new_page()
    sign_in(page, live, school, school.teacher.username)
    page.goto(live.url(school, f"/courses/{school.course.pk}/"))
    page.get_by_role("navigation", name="Course").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Class dashboard")).to_be_visible()

    heatmap = page.locator("#heatmap table")
    row = heatmap.locator(f"tr[data-student='{school.student.pk}']")
    expect(row.locator("td[data-topic='Cells']")).to_have_text("0%")
    expect(row.locator("td[data-topic='Energy']")).to_have_text("100%")

    weak = page.locator("#weak")
    expect(weak.get_by_role("heading")).to_contain_text("Questions to review")
    flagged = weak.locator(f"[data-question='{hard.pk}']")
    expect(flagged).to_contain_text("Too hard: Answers earned 0% of the points on average")
    expect(flagged).to_contain_text("Wrong option beats the key")
    expect(weak.locator(f"[data-question='{fine.pk}']")).to_have_count(0)

    stats_row = page.locator(f"#question-stats tr[data-question='{hard.pk}']")
    expect(stats_row).to_contain_text("“Ribosome” 100% of answers")
    expect(stats_row).to_contain_text("Too hard")
    expect(
        page.locator(f"#quizzes tr[data-quiz='{quiz.pk}'] [data-field='attempts']")
    ).to_have_text("5")
    shot(page, "progress-class-dashboard")

    flagged.get_by_role("link", name=f"Edit question #{hard.pk}").click()
    expect(page.get_by_role("heading", name=f"Edit question #{hard.pk}")).to_be_visible()


def test_the_admin_reads_the_school_overview_as_a_chart_and_as_a_table(
    live_server_process, school, new_page, shot
):
    live = live_server_process
    with schema_context(school.schema):
        quiz, (question,) = published_quiz(school.course, school.teacher, [{"topic": "Cells"}])
        take(quiz, school.student, {question: "right"}, now=timezone.now() - dt.timedelta(hours=1))
        mastery_refresh(school.student.pk, school.course.pk)
    page = new_page()
    sign_in(page, live, school, school.admin.username)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Overview").click()
    expect(page.get_by_role("heading", name="School overview", level=1)).to_be_visible()
    row = page.locator(f"#courses tr[data-course='{school.course.pk}']")
    expect(row).to_contain_text("BIO-101")
    expect(row.locator("td[data-label='Average mastery']")).to_have_text("100%")
    chart = page.locator("#attempts-chart")
    expect(chart.locator(".histogram__bin")).to_have_count(30)
    chart.get_by_text("Show as a table").click()
    expect(chart.get_by_role("table")).to_be_visible()
    expect(chart.get_by_role("row")).to_have_count(31)  # a header and thirty days
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    shot(page, "progress-school-overview")
    row.get_by_role("link", name="BIO-101").click()
    expect(page.get_by_role("heading", name="Class dashboard")).to_be_visible()
