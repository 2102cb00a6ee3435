"""Home page per role, sign in/out, and who may open which page."""

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from accounts import services as account_services

from .conftest import text

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "/accounts/people/",
    "/accounts/people/new/",
    "/accounts/invitations/",
    "/courses/roster/",
    "/school/api-keys/",
    "/school/ai/",
]


def test_anonymous_visitor_is_sent_to_sign_in(school_a):
    response = Client(HTTP_HOST=school_a.host).get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_admin_home_shows_school_overview(school_a):
    with schema_context(school_a.schema):
        account_services.invitation_create(
            email="new@alpha.example",
            role="teacher",
            invited_by=school_a.admin,
            base_url="http://x",
        )
    page = text(school_a.client(school_a.admin).get("/"))
    assert "Alpha Academy" in page
    assert "School overview" in page
    # alpha has 1 admin, 1 teacher, 2 students, no course, 1 pending invitation
    assert "1 Admin 1 Teacher 2 Students 0 Courses 1 Pending invitation" in page
    for link in ("People", "Invitations", "Roster import", "API keys"):
        assert link in page


def test_teacher_home_lists_taught_courses_with_student_counts(school_a, biology):
    response = school_a.client(school_a.teacher).get("/")
    page = text(response)
    assert "Courses you teach" in page
    assert "BIO-101 Biology 1 student" in page
    assert "School overview" not in page and "API keys" not in page


def test_student_home_lists_only_their_courses(school_a, biology):
    enrolled, other = school_a.students
    assert "BIO-101 Biology" in text(school_a.client(enrolled).get("/"))
    other_page = text(school_a.client(other).get("/"))
    assert "BIO-101" not in other_page
    assert "You aren’t enrolled in any course yet." in other_page


def test_sign_in_with_the_form_then_sign_out_with_post(school_a):
    client = Client(HTTP_HOST=school_a.host)
    response = client.post(
        "/accounts/login/", {"username": "alpha-teacher", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.get("/accounts/logout/").status_code == 405  # signing out is never a GET
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302


def test_wrong_password_shows_a_clear_error(school_a):
    response = Client(HTTP_HOST=school_a.host).post(
        "/accounts/login/", {"username": "alpha-teacher", "password": "nope"}
    )
    assert response.status_code == 200
    assert "Please enter a correct username and password." in text(response)


@pytest.mark.parametrize("path", ADMIN_PAGES)
@pytest.mark.parametrize("persona", ["teacher", "student"])
def test_admin_pages_are_forbidden_to_teachers_and_students(school_a, path, persona):
    user = school_a.teacher if persona == "teacher" else school_a.student
    response = school_a.client(user).get(path)
    assert response.status_code == 403
    assert "You can’t open this page" in text(response)


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_open_for_the_admin(school_a, path):
    assert school_a.client(school_a.admin).get(path).status_code == 200


@pytest.mark.parametrize("path", ADMIN_PAGES + ["/courses/"])
def test_school_b_admin_session_cannot_reach_school_a_pages(school_a, school_b, path):
    client = school_b.client(school_b.admin)
    client.defaults["HTTP_HOST"] = school_a.host
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_layout_has_skip_link_labelled_nav_and_post_sign_out(school_a):
    html = school_a.client(school_a.admin).get("/").content.decode()
    assert '<a class="skip-link" href="#main">Skip to content</a>' in html
    assert '<main id="main"' in html
    assert (
        'aria-controls="site-nav"' in html
        and '<nav id="site-nav" class="site-nav" aria-label="Main">' in html
    )
    assert 'action="/accounts/logout/"' in html and 'method="post"' in html
    assert "/static/vendor/htmx.min.js" in html


def test_public_landing_page_has_no_school(db):
    response = Client(HTTP_HOST="localhost").get("/")
    assert response.status_code == 200
    assert "Open yours, for example" in text(response)
