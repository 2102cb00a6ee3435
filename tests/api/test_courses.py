"""The courses API: keys see the whole school, teachers see and manage what they teach,
students see what they take; enrollments are managed by the course's teachers and admins."""

import pytest
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.services import user_create
from courses.models import Course, Enrollment
from courses.services import course_create, course_update, enrollment_add

from .conftest import api

pytestmark = pytest.mark.django_db


@pytest.fixture
def courses(school_a):
    """BIO-101 taught by the teacher with student1; CHEM-1 with nobody; OLD-1 archived."""
    with schema_context(school_a.schema):
        biology = course_create(code="BIO-101", name="Biology", created_by=school_a.teacher)
        enrollment_add(course=biology, user=school_a.students[0])
        chemistry = course_create(code="CHEM-1", name="Chemistry", description="Atoms.")
        old = course_create(code="OLD-1", name="Old")
        course_update(old, is_archived=True)
    return {"bio": biology, "chem": chemistry, "old": old}


def codes(response) -> list[str]:
    return [course["code"] for course in response.json()["results"]]


def test_key_lists_every_current_course_with_counts(courses, reader):
    response = reader.get("/api/v1/courses/")
    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": courses["bio"].pk,
                "code": "BIO-101",
                "name": "Biology",
                "description": "",
                "is_archived": False,
                "created_at": response.json()["results"][0]["created_at"],
                "student_count": 1,
                "teacher_count": 1,
            },
            {
                "id": courses["chem"].pk,
                "code": "CHEM-1",
                "name": "Chemistry",
                "description": "Atoms.",
                "is_archived": False,
                "created_at": response.json()["results"][1]["created_at"],
                "student_count": 0,
                "teacher_count": 0,
            },
        ],
    }
    assert codes(reader.get("/api/v1/courses/?include_archived=true")) == [
        "BIO-101",
        "CHEM-1",
        "OLD-1",
    ]
    assert codes(reader.get("/api/v1/courses/?page_size=1&page=2")) == ["CHEM-1"]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin", ["BIO-101", "CHEM-1"]),
        ("teacher", ["BIO-101"]),
        ("student1", ["BIO-101"]),
        ("student2", []),
    ],
)
def test_people_see_the_courses_they_may_see(school_a, courses, persona, expected):
    person = {
        "admin": school_a.admin,
        "teacher": school_a.teacher,
        "student1": school_a.students[0],
        "student2": school_a.students[1],
    }[persona]
    response = school_a.client(person).get("/api/v1/courses/")
    assert response.status_code == 200
    assert codes(response) == expected


def test_a_student_cannot_open_a_course_they_do_not_take(school_a, courses):
    client = school_a.client(school_a.students[1])
    response = client.get(f"/api/v1/courses/{courses['bio'].pk}/")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "No such course."}}
    assert (
        school_a.client(school_a.students[0])
        .get(f"/api/v1/courses/{courses['bio'].pk}/")
        .json()["code"]
        == "BIO-101"
    )


def test_a_teacher_creates_a_course_and_teaches_it(school_a):
    response = school_a.client(school_a.teacher).post(
        "/api/v1/courses/",
        {"code": "phy-2", "name": " Physics ", "description": "Forces."},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["code"], body["name"], body["description"]) == ("PHY-2", "Physics", "Forces.")
    assert (body["teacher_count"], body["student_count"]) == (1, 0)
    with schema_context(school_a.schema):
        assert Enrollment.objects.get(course_id=body["id"]).user == school_a.teacher


def test_a_key_creates_a_course_that_nobody_teaches_yet(school_a, writer):
    response = writer.post(
        "/api/v1/courses/", {"code": "ART-1", "name": "Art"}, content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["teacher_count"] == 0


def test_students_and_read_keys_cannot_create_courses(school_a, reader):
    payload = {"code": "HACK-1", "name": "Hack"}
    student = school_a.client(school_a.student).post(
        "/api/v1/courses/", payload, content_type="application/json"
    )
    assert student.status_code == 403
    assert student.json()["error"]["message"] == (
        "Only school admins and teachers can do this; you are signed in as a student."
    )
    assert (
        reader.post("/api/v1/courses/", payload, content_type="application/json").status_code == 403
    )
    with schema_context(school_a.schema):
        assert not Course.objects.filter(code="HACK-1").exists()


def test_a_taken_course_code_is_refused(school_a, courses, writer):
    response = writer.post(
        "/api/v1/courses/", {"code": "bio-101", "name": "Again"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "code": ["A course with code BIO-101 already exists."]
    }
    with schema_context(school_a.schema):
        assert Course.objects.count() == 3


def test_the_teacher_renames_and_archives_their_course(school_a, courses):
    client = school_a.client(school_a.teacher)
    url = f"/api/v1/courses/{courses['bio'].pk}/"
    response = client.patch(url, {"name": "Biology I"}, content_type="application/json")
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["student_count"]) == ("Biology I", 1)

    response = client.patch(url, {"is_archived": True}, content_type="application/json")
    assert response.json()["is_archived"] is True
    assert codes(client.get("/api/v1/courses/")) == []
    with schema_context(school_a.schema):
        assert Course.objects.get(pk=courses["bio"].pk).name == "Biology I"


def test_a_course_code_cannot_be_changed(school_a, courses, writer):
    response = writer.patch(
        f"/api/v1/courses/{courses['chem'].pk}/", {"code": "X-1"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "code: A course's code cannot be changed."
    with schema_context(school_a.schema):
        assert Course.objects.get(pk=courses["chem"].pk).code == "CHEM-1"


def test_an_empty_name_is_refused(school_a, courses, writer):
    response = writer.patch(
        f"/api/v1/courses/{courses['chem'].pk}/", {"name": ""}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"name": ["This field may not be blank."]}


def test_a_teacher_cannot_touch_a_course_they_do_not_teach(school_a, courses):
    with schema_context(school_a.schema):
        other = user_create(username="tina", role="teacher")
        enrollment_add(course=courses["chem"], user=other, role="student")
    client = school_a.client(other)
    # Enrolled as a student: sees the course, may not change it.
    response = client.patch(
        f"/api/v1/courses/{courses['chem'].pk}/", {"name": "Mine"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "Only this course's teachers and the school's admins can change it."
    )
    # Not in the course at all: it does not exist for them.
    response = client.patch(
        f"/api/v1/courses/{courses['bio'].pk}/", {"name": "Mine"}, content_type="application/json"
    )
    assert response.status_code == 404
    with schema_context(school_a.schema):
        assert Course.objects.get(pk=courses["chem"].pk).name == "Chemistry"
        assert Course.objects.get(pk=courses["bio"].pk).name == "Biology"


def test_a_student_cannot_change_their_course(school_a, courses):
    response = school_a.client(school_a.students[0]).patch(
        f"/api/v1/courses/{courses['bio'].pk}/", {"name": "Easy"}, content_type="application/json"
    )
    assert response.status_code == 403
    with schema_context(school_a.schema):
        assert Course.objects.get(pk=courses["bio"].pk).name == "Biology"


# --- enrollments ---------------------------------------------------------------------------


def test_enrollments_list_the_courses_people(school_a, courses, reader):
    response = reader.get(f"/api/v1/courses/{courses['bio'].pk}/enrollments/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(e["username"], e["role"]) for e in results] == [
        ("alpha-student1", "student"),
        ("alpha-teacher", "teacher"),
    ]
    assert results[0] == {
        "user": school_a.students[0].pk,
        "username": "alpha-student1",
        "external_id": None,
        "first_name": "Sam1",
        "last_name": "Alpha",
        "role": "student",
        "created_at": results[0]["created_at"],
    }


def test_students_cannot_list_their_classmates(school_a, courses):
    response = school_a.client(school_a.students[0]).get(
        f"/api/v1/courses/{courses['bio'].pk}/enrollments/"
    )
    assert response.status_code == 403


def test_enroll_by_id_then_change_the_course_role(school_a, courses):
    client = school_a.client(school_a.teacher)
    url = f"/api/v1/courses/{courses['bio'].pk}/enrollments/"
    with schema_context(school_a.schema):
        helper = user_create(username="helen", role="teacher")
    response = client.post(url, {"user": helper.pk}, content_type="application/json")
    assert response.status_code == 201
    assert (response.json()["username"], response.json()["role"]) == ("helen", "teacher")

    response = client.post(
        url, {"user": helper.pk, "role": "student"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["role"] == "student"
    with schema_context(school_a.schema):
        assert Enrollment.objects.get(course=courses["bio"], user=helper).role == "student"


def test_enroll_by_external_id(school_a, courses, writer):
    with schema_context(school_a.schema):
        User.objects.filter(pk=school_a.students[1].pk).update(external_id="S-2")
    response = writer.post(
        f"/api/v1/courses/{courses['chem'].pk}/enrollments/",
        {"external_id": "S-2"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert (response.json()["username"], response.json()["role"]) == ("alpha-student2", "student")


@pytest.mark.parametrize(
    ("payload", "message", "field"),
    [
        ({"user": 999999}, "user: No person with id 999999 in this school.", "user"),
        (
            {"external_id": "NOPE"},
            "external_id: No person with external id 'NOPE' in this school.",
            "external_id",
        ),
        ({}, "Say who to enroll: give user (an id) or external_id.", "non_field_errors"),
        (
            {"user": 1, "external_id": "S-2"},
            "Give either user (an id) or external_id, not both.",
            "non_field_errors",
        ),
        ({"user": 1, "role": "dean"}, 'role: "dean" is not a valid choice.', "role"),
    ],
)
def test_bad_enrollments_are_explained_and_change_nothing(
    school_a, courses, writer, payload, message, field
):
    response = writer.post(
        f"/api/v1/courses/{courses['chem'].pk}/enrollments/",
        payload,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == message
    assert list(response.json()["error"]["fields"]) == [field]
    with schema_context(school_a.schema):
        assert not Enrollment.objects.filter(course=courses["chem"]).exists()


def test_a_student_cannot_be_enrolled_as_a_teacher(school_a, courses, writer):
    response = writer.post(
        f"/api/v1/courses/{courses['chem'].pk}/enrollments/",
        {"user": school_a.students[1].pk, "role": "teacher"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "role": ["alpha-student2 is a student and cannot teach a course."]
    }


def test_remove_someone_from_a_course(school_a, courses, writer):
    url = f"/api/v1/courses/{courses['bio'].pk}/enrollments/{school_a.students[0].pk}/"
    response = writer.delete(url)
    assert response.status_code == 204
    assert response.content == b""
    with schema_context(school_a.schema):
        assert not Enrollment.objects.filter(user=school_a.students[0]).exists()
    again = writer.delete(url)
    assert again.status_code == 404
    assert again.json()["error"]["message"] == (
        f"Person {school_a.students[0].pk} is not in BIO-101."
    )
    assert (
        writer.delete(f"/api/v1/courses/{courses['bio'].pk}/enrollments/999999/").status_code == 404
    )


def test_students_and_read_keys_cannot_enroll_or_remove(school_a, courses, reader):
    student = school_a.client(school_a.students[0])
    bio = courses["bio"].pk
    other = school_a.students[1].pk
    assert (
        student.post(
            f"/api/v1/courses/{bio}/enrollments/", {"user": other}, content_type="application/json"
        ).status_code
        == 403
    )
    assert (
        reader.post(
            f"/api/v1/courses/{bio}/enrollments/", {"user": other}, content_type="application/json"
        ).status_code
        == 403
    )
    assert (
        student.delete(f"/api/v1/courses/{bio}/enrollments/{school_a.teacher.pk}/").status_code
        == 403
    )
    with schema_context(school_a.schema):
        assert Enrollment.objects.filter(course_id=bio).count() == 2


def test_school_b_cannot_see_or_touch_school_a_courses(school_a, school_b, courses, keys_b):
    beta_key = api(school_b, keys_b.read_write)
    beta_admin = school_b.client(school_b.admin)
    bio = courses["bio"].pk
    for client in (beta_key, beta_admin):
        assert client.get("/api/v1/courses/?include_archived=true").json()["count"] == 0
        assert client.get(f"/api/v1/courses/{bio}/").status_code == 404
        assert (
            client.patch(
                f"/api/v1/courses/{bio}/", {"name": "Taken"}, content_type="application/json"
            ).status_code
            == 404
        )
        assert client.get(f"/api/v1/courses/{bio}/enrollments/").status_code == 404
        assert (
            client.delete(f"/api/v1/courses/{bio}/enrollments/{school_a.teacher.pk}/").status_code
            == 404
        )
    with schema_context(school_a.schema):
        assert Course.objects.get(pk=bio).name == "Biology"
        assert Enrollment.objects.filter(course_id=bio).count() == 2


def test_school_b_key_cannot_use_school_a_host_for_courses(school_a, courses, keys_b):
    response = api(school_a, keys_b.read_write).post(
        "/api/v1/courses/", {"code": "B-1", "name": "B"}, content_type="application/json"
    )
    assert response.status_code == 401
    with schema_context(school_a.schema):
        assert Course.objects.count() == 3
