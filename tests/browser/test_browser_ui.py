"""What people see and do in a real browser, against real daphne (and a real Celery worker
for the roster import, whose progress arrives over the websocket)."""

import json

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from courses import services as course_services

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def school(fresh_school, committed):
    """A committed school whose teacher teaches BIO-101, taken by its first student."""
    made = fresh_school("ui")
    with schema_context(made.schema):
        course = course_services.course_create(
            code="BIO-101", name="Biology", created_by=made.teacher
        )
        course_services.enrollment_add(course=course, user=made.students[0])
        course_services.course_create(
            code="CHEM-2", name="Chemistry for beginners", created_by=made.teacher
        )
    return made


def test_each_role_signs_in_and_sees_its_home(live_server_process, school, new_page, shot):
    live = live_server_process
    expectations = {
        "admin": (school.admin, "School overview", ["People", "API keys", "Roster import"]),
        "teacher": (school.teacher, "Courses you teach", ["My teaching"]),
        "student": (school.student, "Your courses", ["My courses"]),
    }
    for role, (user, heading, nav_links) in expectations.items():
        page = new_page()
        sign_in(page, live, school, user.username)
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        nav = page.get_by_role("navigation", name="Main")
        for link in nav_links:
            expect(nav.get_by_role("link", name=link)).to_be_visible()
        expect(page.locator(".brand__name")).to_have_text(school.model.name)
        if role == "teacher":
            expect(page.locator(".course-card")).to_have_count(2)
            expect(page.locator(".course-card").first).to_contain_text("1 student")
        if role == "student":
            expect(page.locator(".course-card")).to_have_count(1)
            expect(page.locator(".course-card")).to_contain_text("Biology")
        shot(page, f"home-{role}")
        page.locator(".user-menu summary").click()
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(live.url(school, "/accounts/login/"))


def test_keyboard_only_sign_in_and_reach_the_main_nav(live_server_process, school, new_page):
    live = live_server_process
    page = new_page()
    page.goto(live.url(school, "/accounts/login/"))

    def focused():
        return page.evaluate(
            "document.activeElement.textContent.trim() || document.activeElement.id"
        )

    assert focused() == "id_username"  # the sign-in form starts focused on its first field
    page.keyboard.type(school.admin.username)
    page.keyboard.press("Tab")
    assert focused() == "id_password"
    page.keyboard.type("correct-horse-battery")
    page.keyboard.press("Enter")
    page.wait_for_url(live.url(school, "/"))
    page.keyboard.press("Tab")
    assert focused() == "Skip to content"
    page.keyboard.press("Enter")  # the skip link moves focus to <main>, past the header
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")  # back up through the user menu into the main nav
    assert focused() == "AI"  # the main nav's last link
    page.goto(live.url(school, "/"))
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert focused() == "Home"
    page.keyboard.press("Tab")
    assert focused() == "People"
    # The focus ring is drawn: an outline of real width on the focused link.
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    page.wait_for_url(live.url(school, "/accounts/people/"))
    expect(page.get_by_role("heading", name="People", exact=True)).to_be_visible()


def test_phone_shows_a_menu_button_that_opens_the_nav(live_server_process, school, new_page, shot):
    live = live_server_process
    page = new_page(375, 812)
    sign_in(page, live, school, school.admin.username)
    toggle = page.get_by_role("button", name="Menu")
    nav_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="People")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(nav_link).to_be_hidden()
    assert (
        page.evaluate("document.documentElement.scrollWidth") <= 375
    )  # nothing overflows sideways
    shot(page, "phone-home", full_page=False)
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(nav_link).to_be_visible()
    shot(page, "phone-menu-open", full_page=False)
    page.keyboard.press("Escape")
    expect(nav_link).to_be_hidden()
    expect(toggle).to_be_focused()


def test_admin_creates_an_api_key_and_sees_it_once(live_server_process, school, new_page, shot):
    live = live_server_process
    page = new_page()
    sign_in(page, live, school, school.admin.username)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("Gradebook sync")
    page.get_by_label("Scope").select_option("read_write")
    page.get_by_role("button", name="Create key").click()
    secret_box = page.get_by_label("New API key")
    expect(secret_box).to_be_visible()
    secret = secret_box.input_value()
    assert "." in secret and len(secret) > 30
    expect(page.get_by_text("This is the only time the full key is shown")).to_be_visible()
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#copy-status")).not_to_be_empty()
    shot(page, "api-key-created")
    page.goto(live.url(school, "/school/api-keys/"))
    expect(page.get_by_role("cell", name="Gradebook sync", exact=True)).to_be_visible()
    assert secret not in page.content()


def test_admin_uploads_a_roster_and_watches_it_finish_live(
    live_server_process, celery_worker_process, school, new_page, shot, tmp_path
):
    live = live_server_process
    rows = ["username,email,first_name,last_name,role,course_code,course_role"]
    rows += [
        f"pupil{i:03},pupil{i:03}@example.org,Pupil,N{i:03},student,BIO-101,student"
        for i in range(400)
    ]
    rows.append("ghost,ghost@example.org,Ghost,Row,student,NOPE-1,student")
    csv_file = tmp_path / "class-list.csv"
    csv_file.write_text("\n".join(rows) + "\n")

    page = new_page()
    frames = []
    page.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda payload: frames.append(json.loads(payload))),
    )
    sign_in(page, live, school, school.admin.username)
    page.goto(live.url(school, "/courses/roster/"))
    page.get_by_label("Roster CSV").set_input_files(str(csv_file))
    page.get_by_role("button", name="Upload and import").click()
    page.wait_for_url("**/courses/roster/*/")
    page.evaluate("window.__samePage = true")  # survives only if the page is never reloaded

    expect(page.get_by_role("heading", name="Import finished")).to_be_visible(timeout=30_000)
    assert page.evaluate("window.__samePage") is True
    assert any(frame.get("state") == "running" for frame in frames), frames
    assert all(frame["topic"] == "roster-import" for frame in frames)
    summary = page.locator(".stats")
    expect(summary).to_contain_text("400 Created")
    expect(summary).to_contain_text("1 Rejected")
    rejected = page.locator("#import-report tr.outcome--rejected")
    expect(rejected).to_have_count(1)
    expect(rejected).to_contain_text("no course with code 'NOPE-1'; create it first")
    expect(page.locator("#import-report tbody tr")).to_have_count(401)
    shot(page, "roster-import-done", full_page=False)

    page.reload()  # the finished report renders without the websocket too
    expect(page.get_by_role("heading", name="Import finished")).to_be_visible()
    expect(page.locator("#import-report tbody tr")).to_have_count(401)
