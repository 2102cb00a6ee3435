"""Course material and the tutor in a real browser, against real daphne and a real Celery
worker: a teacher drops files and watches them become ready live; a student asks the tutor,
watches the answer stream, opens a cited passage and gets an honest "not covered"; the teacher
reads the trace."""

import base64
import json
import re

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from ai.tutor import services as tutor
from tests.ai import samples
from tests.ai.conftest import ingest_in_process, upload

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.live]

READY_TIMEOUT = 120_000  # the worker loads the embedding model on its first job
ANSWER_TIMEOUT = 60_000


@pytest.fixture
def ready_material(school, tmp_path):
    """BIO-101 holds a 4-page PDF about cells, ingested here as the worker would."""
    material, _ = upload(
        school, school.course, samples.pdf_with_pages(tmp_path, samples.CELL_BIOLOGY)
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


def _drop(page, selector: str, files: list[tuple[str, bytes, str]]) -> None:
    """Drop files onto an element, as dragging them from the desktop does."""
    transfer = page.evaluate_handle(
        """(files) => {
            const transfer = new DataTransfer();
            for (const f of files) {
                const bytes = Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], f.name, { type: f.type }));
            }
            return transfer;
        }""",
        [
            {"name": name, "data": base64.b64encode(data).decode(), "type": kind}
            for name, data, kind in files
        ],
    )
    page.locator(selector).dispatch_event("dragenter", {"dataTransfer": transfer})
    page.locator(selector).dispatch_event("drop", {"dataTransfer": transfer})


def test_teacher_drops_files_and_watches_the_material_become_ready_live(
    live_server_process, celery_worker_process, school, new_page, shot, tmp_path
):
    live = live_server_process
    pdf = samples.pdf_with_pages(tmp_path, samples.CELL_BIOLOGY, ["Cells", None, "Nucleus", None])
    page = new_page()
    frames = _record_frames(page)
    sign_in(page, live, school, school.teacher.username)
    page.goto(live.url(school, f"/courses/{school.course.pk}/"))
    page.get_by_role("navigation", name="Course").get_by_role("link", name="Materials").click()
    expect(page.get_by_role("heading", name="Materials", exact=True)).to_be_visible()
    expect(page.locator("#dropzone")).to_be_visible()
    page.evaluate("window.__samePage = true")  # survives only if the page is never reloaded

    _drop(
        page,
        "#dropzone",
        [("cells.pdf", pdf.read_bytes(), "application/pdf"), ("empty.txt", b"", "text/plain")],
    )

    report = page.locator("#upload-results")
    expect(report.locator(".upload-result--uploaded")).to_contain_text("cells.pdf")
    refused = report.locator(".upload-result--rejected")
    expect(refused).to_contain_text("empty.txt")
    expect(refused).to_contain_text("This file is empty: there is nothing in it to read.")
    row = page.locator("tr.material-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("cells")
    shot(page, "materials-uploading")

    expect(row).to_have_attribute("data-state", "ready", timeout=READY_TIMEOUT)
    expect(row.locator('[data-role="state"]')).to_have_text("Ready")
    expect(row.locator("progress")).to_have_count(0)
    assert page.evaluate("window.__samePage") is True
    material_id = row.get_attribute("data-material-id")
    progress = [f for f in frames if f.get("type") == "progress"]
    assert progress and all(f["topic"] == "material" for f in progress), frames
    assert {f["key"] for f in progress} == {material_id}
    shot(page, "materials-ready")

    row.get_by_role("link", name="cells", exact=True).click()
    expect(page.get_by_role("heading", name="cells", exact=True)).to_be_visible()
    passages = page.locator("li.chunk")
    expect(passages.first).to_contain_text("The cell is the basic unit of life.")
    expect(passages.first).to_contain_text("Page 1")


def test_student_watches_the_answer_stream_and_opens_a_cited_passage(
    live_server_process, celery_worker_process, school, ready_material, new_page, shot
):
    live = live_server_process
    page = new_page()
    frames = _record_frames(page)
    sign_in(page, live, school, school.student.username)
    page.goto(live.url(school, f"/courses/{school.course.pk}/tutor/"))
    expect(page.locator("#tutor-connection")).to_have_text("Connected")

    box = page.get_by_label("Your question", exact=True)
    box.fill("What do mitochondria produce?")
    box.press("Enter")

    turn = page.locator("li.turn").first
    expect(turn).to_contain_text("You asked What do mitochondria produce?")
    expect(turn).to_have_attribute("data-state", "done", timeout=ANSWER_TIMEOUT)
    kinds = [f.get("type") for f in frames]
    assert "delta" in kinds and kinds.index("delta") < kinds.index("done"), kinds
    expect(turn.locator(".answer-text")).to_contain_text(
        "“Mitochondria are the powerhouses of the cell.” [1]"
    )
    expect(turn).not_to_have_class(re.compile(r"turn--not-covered"))
    shot(page, "tutor-answer", full_page=False)

    citation = turn.locator(".answer-text button.cite").first
    expect(citation).to_be_visible()
    citation.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text(ready_material.title)
    expect(dialog.locator("#passage-where")).to_contain_text("Page")
    expect(dialog.locator("#passage-quote")).to_contain_text("Mitochondria")
    shot(page, "tutor-passage", full_page=False)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(citation).to_be_focused()

    citation.click()
    dialog.get_by_role("link", name="Read it in the material").click()
    page.wait_for_url(f"**/materials/{ready_material.pk}/?chunk=*")
    target = page.locator("li.chunk--target")
    expect(target).to_have_count(1)
    expect(target).to_be_in_viewport()
    expect(target).to_contain_text("Mitochondria are the powerhouses of the cell.")

    page.go_back()
    expect(page.locator("#tutor-connection")).to_have_text("Connected")
    box = page.get_by_label("Your question", exact=True)
    box.fill("Who won the football world cup in 1998?")
    page.get_by_role("button", name="Ask").click()
    off_topic = page.locator("li.turn").first
    expect(off_topic).to_contain_text("You asked Who won the football world cup in 1998?")
    expect(off_topic).to_have_attribute("data-state", "done", timeout=ANSWER_TIMEOUT)
    expect(off_topic).to_have_class(re.compile(r"turn--not-covered"))
    expect(off_topic).to_contain_text("Not in the course material")
    expect(off_topic).to_contain_text("The course material does not cover this")
    expect(off_topic.locator("button.cite")).to_have_count(0)
    expect(page.locator("li.turn")).to_have_count(2)
    shot(page, "tutor-not-covered", full_page=False)


def test_teacher_opens_the_trace_of_a_student_question(
    live_server_process, school, ready_material, new_page, shot, settings
):
    settings.LLM_PROVIDER = "offline"
    with schema_context(school.schema):
        turn = tutor.tutor_turn_create(
            course=school.course, asked_by=school.student, question="Where is DNA kept?"
        )
        turn = tutor.tutor_answer(turn.pk, emit=lambda event: None)
    live = live_server_process
    page = new_page()
    sign_in(page, live, school, school.teacher.username)
    page.goto(live.url(school, f"/courses/{school.course.pk}/"))
    page.get_by_role("navigation", name="Course").get_by_role("link", name="Tutor traces").click()
    expect(page.get_by_role("heading", name="Tutor traces")).to_be_visible()
    page.get_by_role("link", name="Where is DNA kept?").click()

    expect(page.get_by_role("heading", name="Trace of a tutor question")).to_be_visible()
    expect(page.locator(".trace-question")).to_have_text("Where is DNA kept?")
    rows = page.locator("section[aria-labelledby=retrieved-title] .trace-table tbody tr")
    expect(rows).to_have_count(len(turn.retrieved))
    expect(rows.first).to_contain_text(ready_material.title)
    expect(page.locator(".trace-facts")).to_contain_text("offline/extractive")
    shot(page, "tutor-trace")


def test_an_answer_on_its_way_survives_a_dropped_connection(
    live_server_process, celery_worker_process, school, ready_material, new_page
):
    live = live_server_process
    page = new_page()
    connections = []

    def route(ws):
        server = ws.connect_to_server()
        connections.append(ws)
        if len(connections) > 1:
            return

        def from_server(message):
            ws.send(message)
            if json.loads(message).get("type") == "asked":
                # The network drops right after the question is accepted, before any answer.
                ws.close(code=4000, reason="network gone")
                server.close()

        server.on_message(from_server)

    page.route_web_socket(re.compile(r"/ws/courses/\d+/tutor/$"), route)
    sign_in(page, live, school, school.student.username)
    page.goto(live.url(school, f"/courses/{school.course.pk}/tutor/"))
    expect(page.locator("#tutor-connection")).to_have_text("Connected")

    page.get_by_label("Your question", exact=True).fill("What does the nucleus hold?")
    page.get_by_role("button", name="Ask").click()

    turn = page.locator("li.turn").first
    expect(turn).to_contain_text("You asked What does the nucleus hold?")
    expect(turn).to_have_attribute("data-state", "done", timeout=ANSWER_TIMEOUT)
    expect(turn.locator(".answer-text")).to_contain_text("genetic material")
    expect(turn.locator(".answer-text button.cite").first).to_be_visible()
    expect(page.locator("#tutor-connection")).to_have_text("Connected")
    assert len(connections) == 2  # the page reconnected by itself
