"""Real-browser tests: Playwright drives Debian's Chromium against the live daphne process."""

import os
from pathlib import Path

import pytest
from django_tenants.utils import schema_context

from courses import services as course_services

# Sync Playwright runs an event loop in this thread; Django's ORM calls in the same test
# (creating committed data) would otherwise be refused as "async unsafe".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

SHOTS = Path("/tmp/ui-shots")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--host-resolver-rules=MAP *.localhost 127.0.0.1",
]


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Chromium is not installed (make browser installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def school(fresh_school, committed):
    """A committed school whose teacher teaches BIO-101 (``school.course``), taken by its first
    student."""
    made = fresh_school("web")
    with schema_context(made.schema):
        made.course = course_services.course_create(
            code="BIO-101", name="Biology", created_by=made.teacher
        )
        course_services.enrollment_add(course=made.course, user=made.student, role="student")
    return made


@pytest.fixture
def new_page(chromium):
    """``new_page(width=1280, height=800)``: a page in a fresh context (no shared cookies)."""
    contexts = []

    def make(width: int = 1280, height: int = 800):
        context = chromium.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def shot():
    """Save a screenshot for a person to look at (not an assertion)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    return lambda page, name, full_page=True: page.screenshot(
        path=str(SHOTS / f"{name}.png"), full_page=full_page
    )


def sign_in(page, live, school, username: str, password: str = "correct-horse-battery") -> None:
    page.goto(live.url(school, "/accounts/login/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.url(school, "/"))
