"""Quiz generation and review in a real browser, against real daphne and a real Celery worker:
a teacher asks for questions, watches the job finish live over the websocket, reviews each
draft beside its passage (edits one in place, rejects one, bulk-accepts the rest), puts them in
a new quiz, sets it up and publishes it; the student then sees it. Question text full of script
never runs."""

import json
import re

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from quizzes import services as quiz_services
from tests.ai import samples
from tests.ai.conftest import ingest_in_process, upload

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.live]

JOB_TIMEOUT = 180_000  # the worker loads the embedding model on its first job
ASKED = 6


@pytest.fixture
def ready_material(school, tmp_path):
    material, _ = upload(
        school,
        school.course,
        samples.pdf_with_pages(
            tmp_path, samples.CELL_BIOLOGY, ["Cells", "Mitochondria", None, None]
        ),
    )
    material = ingest_in_process(school, material.pk)
    assert material.state == "ready"
    return material


def _record_frames(page) -> list[dict]:
    frames = []

    def on_socket(ws):
        ws.on("framereceived", lambda payload: frames.append(json.loads(payload)))

    page.on("websocket", on_socket)
    return frames


def test_teacher_generates_reviews_and_publishes_a_quiz(
    live_server_process, celery_worker_process, school, ready_material, new_page, shot
):
    live = live_server_process
    page = new_page()
    frames = _record_frames(page)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, live, school, school.teacher.username)
    page.goto(live.url(school, f"/courses/{school.course.pk}/"))
    page.get_by_role("navigation", name="Course").get_by_role("link", name="Questions").click()
    expect(page.get_by_role("heading", name="Question bank")).to_be_visible()
    page.get_by_role("link", name="Generate questions").first.click()

    # --- ask ---
    expect(page.get_by_role("heading", name="Generate questions")).to_be_visible()
    expect(page.locator("#ai-budget")).to_contain_text("generated questions left this month")
    page.get_by_label(ready_material.title, exact=True).check()
    page.get_by_label("Number of questions").fill(str(ASKED))
    page.get_by_label("Multiple choice (one answer)").check()
    page.get_by_label("True or false").check()
    page.get_by_label("Difficulty").select_option("medium")
    page.get_by_label("Learning objectives").fill("Explain what mitochondria do")
    shot(page, "quiz-generate-form")
    page.get_by_role("button", name="Generate questions").click()

    # --- watch it run ---
    page.wait_for_url(re.compile(r"/questions/jobs/\d+/$"))
    job_id = re.search(r"/jobs/(\d+)/$", page.url).group(1)
    panel = page.locator("#job-panel .job-state")
    expect(panel).to_have_attribute("data-state", "done", timeout=JOB_TIMEOUT)
    expect(page.locator("#job-progress")).to_have_attribute("value", "100")
    progress = [f for f in frames if f.get("type") == "progress"]
    assert progress and {f["topic"] for f in progress} == {"generation"}, frames
    assert {f["key"] for f in progress} == {job_id}
    assert progress[-1]["state"] == "done", progress
    made = int(page.locator('[data-count="created"]').inner_text())
    assert made >= 3, page.locator("#job-panel").inner_text()
    shot(page, "quiz-generate-done")

    # --- review ---
    page.get_by_role("link", name=re.compile(r"^Review \d+ drafts?$")).click()
    cards = page.locator("article.qcard")
    expect(cards).to_have_count(made)
    for index in range(made):
        source = cards.nth(index).locator(".qsource")
        expect(source).to_contain_text(ready_material.title)
        expect(source).to_contain_text("Page")
        expect(source.locator(".qsource__quote")).not_to_be_empty()
        expect(source.get_by_role("link", name=re.compile("Read the passage"))).to_have_attribute(
            "href", re.compile(rf"/materials/{ready_material.pk}/\?chunk=\d+#chunk-\d+$")
        )
    shot(page, "quiz-review")

    ids = [cards.nth(i).get_attribute("data-question-id") for i in range(made)]
    edited, rejected, rest = ids[0], ids[1], ids[2:]

    # Edit the first in place: the card becomes a form, and comes back with the new wording.
    card = page.locator(f"#question-{edited}")
    card.get_by_role("link", name=f"Edit question #{edited}").click()
    stem = page.locator(f"#question-{edited} textarea[name='q{edited}-stem']")
    expect(stem).to_be_focused()
    stem.fill("Which part of the cell is called its powerhouse? (edited)")
    shot(page, "quiz-review-editing", full_page=False)
    page.locator(f"#question-{edited}").get_by_role(
        "button", name=f"Save question #{edited}"
    ).click()
    card = page.locator(f"#question-{edited}")
    expect(card.locator(".qcard__stem")).to_have_text(
        "Which part of the cell is called its powerhouse? (edited)"
    )
    expect(card.locator(".qcard__flash")).to_have_text("Saved.")

    # Reject the second, with a reason.
    card = page.locator(f"#question-{rejected}")
    card.locator("summary").click()
    card.get_by_label("Reason").fill("Too close to the first one")
    card.get_by_role("button", name=f"Reject question #{rejected}").click()
    card = page.locator(f"#question-{rejected}")
    expect(card).to_have_attribute("data-status", "rejected")
    expect(card).to_contain_text("Rejected because: Too close to the first one")

    # Ask for another in its place: the card says so, and links the new draft when it is made.
    card.get_by_role("button", name=f"Regenerate question #{rejected}").click()
    card = page.locator(f"#question-{rejected}")
    expect(card.locator(".qcard__replacing")).to_contain_text("Being replaced")
    expect(card.locator(".qcard__replaced")).to_contain_text(
        re.compile(r"Replacement ready: question #\d+\.|made no new question"),
        timeout=JOB_TIMEOUT,
    )
    shot(page, "quiz-review-replaced", full_page=False)

    # Bulk-accept the rest (the edited one included).
    for qid in [edited, *rest]:
        page.locator(f"#select-{qid}").check()
    expect(page.locator("#selected-count")).to_have_text(f"{len(rest) + 1} of {made} selected")
    page.get_by_role("button", name="Accept selected").click()
    expect(page.locator(".messages")).to_contain_text(f"Accepted {len(rest) + 1} questions.")
    # The review queue (this job's drafts) is empty now; the accepted ones wait in their tab.
    expect(page.locator("article.qcard")).to_have_count(0)
    page.get_by_role("link", name=re.compile(r"^Accepted \d+$")).click()
    for qid in [edited, *rest]:
        expect(page.locator(f"#question-{qid}")).to_have_attribute("data-status", "accepted")

    # --- into a new quiz ---
    for qid in [edited, *rest]:
        page.locator(f"#select-{qid}").check()
    page.get_by_label("New quiz title").fill("Cells check")
    page.get_by_role("button", name="Add selected to quiz").click()
    expect(page.get_by_role("heading", name="Cells check", level=1)).to_be_visible()
    expect(page.locator(".quiz-item")).to_have_count(len(rest) + 1)
    expect(page.locator(".quiz-item").first).to_contain_text("(edited)")

    # Reorder: the first question goes down one place, by keyboard.
    first = page.locator(".quiz-item").first.get_attribute("data-question-id")
    page.get_by_role("button", name="Move question 1 down").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".quiz-item").nth(1)).to_have_attribute("data-question-id", first)
    # Focus stays on the moved question's controls (CSS :focus needs the window focused; the
    # active element does not).
    page.wait_for_function(
        "(id) => document.activeElement && document.activeElement.closest('#' + id) !== null",
        arg=f"item-{first}",
    )

    # --- settings and publishing ---
    page.get_by_label("Time limit (minutes)").fill("15")
    page.get_by_label("Attempts allowed").fill("2")
    page.get_by_label("Shuffle the options").check()
    page.get_by_label("Show feedback").select_option("immediately")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".messages")).to_contain_text("Settings saved.")
    expect(page.get_by_label("Time limit (minutes)")).to_have_value("15")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#quiz-state")).to_have_text("Published")
    shot(page, "quiz-published")
    assert dialogs == []

    # The student sees it, with its settings, and none of the bank.
    student = new_page(390, 844)
    sign_in(student, live, school, school.student.username)
    student.goto(live.url(school, f"/courses/{school.course.pk}/quizzes/"))
    listed = student.locator(".quiz-list__item")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("Cells check")
    expect(listed).to_contain_text("15 minutes · 2 attempts · Feedback: after each answer")
    expect(
        student.get_by_role("navigation", name="Course").get_by_role("link", name="Questions")
    ).to_have_count(0)
    shot(student, "quiz-student-list-phone")


PAYLOADS = ("<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "[x](javascript:alert(3))")


def test_question_text_full_of_script_never_runs(live_server_process, school, new_page, shot):
    payload = " ".join(PAYLOADS)
    with schema_context(school.schema):
        question = quiz_services.question_create(
            course=school.course,
            kind="single",
            stem=f"Which is safe? {payload}",
            options=[
                {"text": f"This {PAYLOADS[1]}", "correct": True, "feedback": PAYLOADS[0]},
                {"text": f"That {PAYLOADS[2]}"},
            ],
            explanation=f"Because {payload}",
        )
        # A quote from material is shown as it is, as text.
        type(question).objects.filter(pk=question.pk).update(source_quote=payload)
        quiz = quiz_services.quiz_create(course=school.course, title="Safe quiz")
        quiz_services.quiz_questions_add(quiz, [question.pk])
    live = live_server_process
    page = new_page(390, 844)  # on a phone
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, live, school, school.teacher.username)

    page.goto(live.url(school, f"/courses/{school.course.pk}/questions/"))
    card = page.locator(f"#question-{question.pk}")
    expect(card.locator(".qcard__stem")).to_contain_text("Which is safe?")
    expect(card.locator(".qsource__quote")).to_have_text(payload)
    expect(card.locator(".qcard__stem a")).to_have_count(0)  # the javascript: link is text
    card.get_by_role("link", name=f"Edit question #{question.pk}").click()
    expect(page.locator(f"#question-{question.pk} form")).to_be_visible()
    shot(page, "quiz-xss-bank-phone")
    page.goto(live.url(school, f"/courses/{school.course.pk}/quizzes/{quiz.pk}/"))
    expect(page.locator(".quiz-item")).to_contain_text("Which is safe?")
    page.wait_for_timeout(500)  # an onerror handler would fire once the image failed to load

    assert dialogs == []
    assert page.evaluate("document.querySelectorAll('main img, main script').length") == 0


def test_without_a_websocket_the_job_page_polls_until_the_job_is_done(
    live_server_process, celery_worker_process, school, ready_material, new_page
):
    from quizzes.generation.lifecycle import generation_job_create

    live = live_server_process
    page = new_page()
    sockets = []

    def refuse(ws):
        sockets.append(ws)
        ws.close(code=1011, reason="no websockets here")  # e.g. a proxy that drops upgrades

    page.route_web_socket(re.compile(r"/ws/progress/generation/\d+/$"), refuse)
    sign_in(page, live, school, school.teacher.username)
    with schema_context(school.schema):
        job = generation_job_create(
            course=school.course, requested_by=school.teacher, count=2, kinds=["true_false"]
        )
    page.goto(live.url(school, f"/courses/{school.course.pk}/questions/jobs/{job.pk}/"))

    expect(page.locator("#job-panel .job-state")).to_have_attribute(
        "data-state", "done", timeout=JOB_TIMEOUT
    )
    assert len(sockets) == 1  # it tried once, then polled the panel
    expect(page.get_by_role("link", name=re.compile(r"^Review \d+ drafts?$"))).to_be_visible()
