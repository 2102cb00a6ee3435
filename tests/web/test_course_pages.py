"""Course pages: role-scoped lists, create/edit/archive, managing who is in a course."""

import pytest
from django_tenants.utils import schema_context

from courses.models import Course, Enrollment

from .conftest import text

pytestmark = pytest.mark.django_db


def _members(school, course):
    with schema_context(school.schema):
        return {
            (e.user.username, e.role)
            for e in Enrollment.objects.filter(course=course).select_related("user")
        }


def test_teacher_creates_a_course_and_teaches_it(school_a):
    response = school_a.client(school_a.teacher).post(
        "/courses/new/", {"code": "chem-1", "name": "Chemistry", "description": "Atoms."}
    )
    with schema_context(school_a.schema):
        course = Course.objects.get(code="CHEM-1")
    assert response.status_code == 302 and response["Location"] == f"/courses/{course.pk}/"
    assert _members(school_a, course) == {("alpha-teacher", "teacher")}


def test_duplicate_course_code_shows_on_the_code_field(school_a, biology):
    response = school_a.client(school_a.admin).post(
        "/courses/new/", {"code": "bio-101", "name": "Again"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["A course with code BIO-101 already exists."]
    with schema_context(school_a.schema):
        assert Course.objects.count() == 1


def test_students_cannot_create_courses(school_a):
    assert (
        school_a.client(school_a.student)
        .post("/courses/new/", {"code": "X", "name": "X"})
        .status_code
        == 403
    )
    with schema_context(school_a.schema):
        assert not Course.objects.filter(code="X").exists()


def test_course_lists_are_role_scoped(school_a, biology):
    with schema_context(school_a.schema):
        Course.objects.create(code="ART-1", name="Art")
    codes = lambda user: [c.code for c in school_a.client(user).get("/courses/").context["courses"]]  # noqa: E731
    assert codes(school_a.admin) == ["ART-1", "BIO-101"]
    assert codes(school_a.teacher) == ["BIO-101"]
    assert codes(school_a.students[0]) == ["BIO-101"]
    assert codes(school_a.students[1]) == []


def test_student_sees_their_course_but_not_its_management(school_a, biology):
    response = school_a.client(school_a.students[0]).get(f"/courses/{biology.pk}/")
    page = text(response)
    assert response.status_code == 200 and "Biology" in page and "Teachers 1" in page
    assert "Add people" not in page and "Remove" not in page


def test_student_gets_404_on_a_course_they_are_not_in(school_a, biology):
    assert school_a.client(school_a.students[1]).get(f"/courses/{biology.pk}/").status_code == 404


def test_student_in_the_course_cannot_manage_it(school_a, biology):
    client = school_a.client(school_a.students[0])
    assert (
        client.post(
            f"/courses/{biology.pk}/people/add/", {"username": "alpha-student2", "role": "student"}
        ).status_code
        == 403
    )
    assert client.get(f"/courses/{biology.pk}/edit/").status_code == 403
    assert _members(school_a, biology) == {
        ("alpha-teacher", "teacher"),
        ("alpha-student1", "student"),
    }


def test_teacher_who_does_not_teach_the_course_cannot_see_or_manage_it(school_a, biology):
    with schema_context(school_a.schema):
        from accounts.services import user_create

        other = user_create(username="other-teacher", role="teacher")
    client = school_a.client(other)
    assert client.get(f"/courses/{biology.pk}/").status_code == 404
    assert (
        client.post(
            f"/courses/{biology.pk}/people/add/", {"username": "alpha-student2", "role": "student"}
        ).status_code
        == 404
    )
    assert _members(school_a, biology) == {
        ("alpha-teacher", "teacher"),
        ("alpha-student1", "student"),
    }


def test_teacher_searches_adds_changes_role_and_removes_people(school_a, biology):
    client = school_a.client(school_a.teacher)
    search = client.get(f"/courses/{biology.pk}/people/search/?q=student", HTTP_HX_REQUEST="true")
    assert [p.username for p in search.context["candidates"]] == [
        "alpha-student2"
    ]  # student1 is in already
    assert "<html" not in search.content.decode()  # a fragment for htmx
    no_js = client.get(f"/courses/{biology.pk}/?q=student2")
    assert "Add as student" in text(no_js)

    added = client.post(
        f"/courses/{biology.pk}/people/add/",
        {"username": "alpha-student2", "role": "student"},
        follow=True,
    )
    assert "Sam2 Alpha is now in BIO-101 as student." in text(added)
    refused = client.post(
        f"/courses/{biology.pk}/people/{school_a.students[1].pk}/role/",
        {"role": "teacher"},
        follow=True,
    )
    assert "alpha-student2 is a student and cannot teach a course." in text(refused)
    assert (
        client.get(f"/courses/{biology.pk}/people/{school_a.students[1].pk}/remove/").status_code
        == 200
    )
    assert ("alpha-student2", "student") in _members(school_a, biology)  # the GET only asks
    client.post(f"/courses/{biology.pk}/people/{school_a.students[1].pk}/remove/")
    assert _members(school_a, biology) == {
        ("alpha-teacher", "teacher"),
        ("alpha-student1", "student"),
    }


def test_adding_an_unknown_username_says_so(school_a, biology):
    response = school_a.client(school_a.admin).post(
        f"/courses/{biology.pk}/people/add/", {"username": "ghost", "role": "student"}, follow=True
    )
    assert "Nobody in this school has the username &#x27;ghost&#x27;." in response.content.decode()


def test_admin_edits_and_archives_then_restores_a_course(school_a, biology):
    client = school_a.client(school_a.admin)
    edited = client.post(
        f"/courses/{biology.pk}/edit/", {"name": "Biology I", "description": "Cells."}
    )
    assert edited.status_code == 302
    blank = client.post(f"/courses/{biology.pk}/edit/", {"name": "", "description": ""})
    assert blank.context["form"].errors["name"] == ["This field is required."]
    client.post(f"/courses/{biology.pk}/archive/")
    with schema_context(school_a.schema):
        course = Course.objects.get(pk=biology.pk)
        assert (course.name, course.description, course.is_archived) == (
            "Biology I",
            "Cells.",
            True,
        )
    assert [c.code for c in client.get("/courses/").context["courses"]] == []
    assert [c.code for c in client.get("/courses/?archived=1").context["courses"]] == ["BIO-101"]
    client.post(f"/courses/{biology.pk}/archive/")
    with schema_context(school_a.schema):
        assert not Course.objects.get(pk=biology.pk).is_archived


def test_school_a_course_id_on_school_b_host_is_404(school_a, school_b, biology):
    client = school_b.client(school_b.admin)
    assert client.get(f"/courses/{biology.pk}/").status_code == 404
    assert client.post(f"/courses/{biology.pk}/archive/").status_code == 404
    with schema_context(school_a.schema):
        assert not Course.objects.get(pk=biology.pk).is_archived
