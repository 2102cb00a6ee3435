"""The people (roster) API: list with filters and pages, create, read, change, deactivate."""

import pytest
from django_tenants.utils import schema_context

from accounts.models import User

from .conftest import api

pytestmark = pytest.mark.django_db

ALPHA_ORDER = ["alpha-admin", "alpha-student1", "alpha-student2", "alpha-teacher"]


def usernames(response) -> list[str]:
    return [person["username"] for person in response.json()["results"]]


def test_list_shows_everyone_in_name_order_without_password_hashes(school_a, reader):
    response = reader.get("/api/v1/users/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4 and body["next"] is None and body["previous"] is None
    assert usernames(response) == ALPHA_ORDER
    admin = body["results"][0]
    assert admin == {
        "id": school_a.admin.pk,
        "username": "alpha-admin",
        "email": "alpha-admin@alpha.example",
        "first_name": "Ada",
        "last_name": "Alpha",
        "role": "admin",
        "external_id": None,
        "is_active": True,
        "date_joined": admin["date_joined"],
        "last_login": None,
    }
    assert "password" not in response.content.decode()
    assert "pbkdf2" not in response.content.decode()


def test_list_is_paginated(reader):
    first = reader.get("/api/v1/users/?page_size=3")
    assert first.json()["count"] == 4
    assert usernames(first) == ALPHA_ORDER[:3]
    assert first.json()["next"] == "http://alpha.localhost/api/v1/users/?page=2&page_size=3"
    assert first.json()["previous"] is None

    second = reader.get(first.json()["next"])
    assert usernames(second) == ALPHA_ORDER[3:]
    assert second.json()["next"] is None
    assert second.json()["previous"] == "http://alpha.localhost/api/v1/users/?page_size=3"

    past_the_end = reader.get("/api/v1/users/?page=9&page_size=3")
    assert past_the_end.status_code == 404
    assert past_the_end.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("role=student", ["alpha-student1", "alpha-student2"]),
        ("role=teacher", ["alpha-teacher"]),
        ("search=SAM2", ["alpha-student2"]),
        ("search=alpha.example&role=admin", ["alpha-admin"]),
        ("is_active=true", ALPHA_ORDER),
        ("is_active=false", []),
        ("external_id=SIS-7", ["alpha-student1"]),
        ("external_id=SIS-8", []),
    ],
)
def test_list_filters(school_a, reader, query, expected):
    with schema_context(school_a.schema):
        User.objects.filter(pk=school_a.students[0].pk).update(external_id="SIS-7")
    response = reader.get(f"/api/v1/users/?{query}")
    assert response.status_code == 200
    assert usernames(response) == expected


def test_deactivated_people_are_found_with_is_active_false(school_a, writer):
    writer.post(f"/api/v1/users/{school_a.students[1].pk}/deactivate/")
    assert usernames(writer.get("/api/v1/users/?is_active=false")) == ["alpha-student2"]
    assert "alpha-student2" not in usernames(writer.get("/api/v1/users/?is_active=true"))


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("role=wizard", "role", '"wizard" is not a valid choice.'),
        ("is_active=maybe", "is_active", "Must be a valid boolean."),
        ("rol=student", "rol", "Unknown field; the accepted fields are: "),
    ],
)
def test_bad_filters_are_400_not_ignored(reader, query, field, message):
    response = reader.get(f"/api/v1/users/?{query}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"].startswith(f"{field}: {message}")
    assert list(error["fields"]) == [field]


def test_create_a_person(school_a, writer):
    response = writer.post(
        "/api/v1/users/",
        {
            "username": "nina",
            "role": "teacher",
            "email": "Nina@Alpha.example",
            "first_name": "Nina",
            "last_name": "Park",
            "external_id": "T-9",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    with schema_context(school_a.schema):
        nina = User.objects.get(username="nina")
        assert not nina.has_usable_password()
    assert body == {
        "id": nina.pk,
        "username": "nina",
        "email": "nina@alpha.example",
        "first_name": "Nina",
        "last_name": "Park",
        "role": "teacher",
        "external_id": "T-9",
        "is_active": True,
        "date_joined": body["date_joined"],
        "last_login": None,
    }


def test_create_with_a_password_lets_the_person_sign_in(school_a, writer):
    response = writer.post(
        "/api/v1/users/",
        {"username": "olga", "role": "student", "password": "a-long-enough-secret"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert "password" not in response.json()
    assert school_a.signs_in("olga", "a-long-enough-secret")


def test_a_weak_password_is_refused_and_nobody_is_created(school_a, writer):
    response = writer.post(
        "/api/v1/users/",
        {"username": "olga", "role": "student", "password": "123"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "too short" in response.json()["error"]["message"]
    with schema_context(school_a.schema):
        assert not User.objects.filter(username="olga").exists()


def test_a_taken_username_or_email_is_refused_with_field_messages(school_a, writer):
    response = writer.post(
        "/api/v1/users/",
        {"username": "ALPHA-TEACHER", "role": "student", "email": "alpha-admin@alpha.example"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "username": ["The username 'ALPHA-TEACHER' is taken in this school."],
        "email": ["Another person in this school already uses alpha-admin@alpha.example."],
    }
    with schema_context(school_a.schema):
        assert User.objects.count() == 4


def test_missing_and_unknown_fields_are_named(writer):
    response = writer.post(
        "/api/v1/users/", {"username": "pat", "emial": "x@y.z"}, content_type="application/json"
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert list(fields) == ["emial"]
    assert fields["emial"][0].startswith("Unknown field; the accepted fields are: email, ")
    response = writer.post("/api/v1/users/", {"username": "pat"}, content_type="application/json")
    assert response.json()["error"] == {
        "code": "validation_error",
        "message": "role: This field is required.",
        "fields": {"role": ["This field is required."]},
    }


def test_malformed_json_is_400_with_a_message_and_nothing_changes(school_a, writer):
    response = writer.post(
        "/api/v1/users/", '{"username": "pat", ', content_type="application/json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "malformed_request"
    assert error["message"].startswith("The request body could not be read: JSON parse error")
    with schema_context(school_a.schema):
        assert User.objects.count() == 4


def test_a_json_list_instead_of_an_object_is_a_validation_error(writer):
    response = writer.post("/api/v1/users/", ["pat"], content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Invalid data. Expected a dictionary, but got list."
    )


def test_unsupported_media_type_is_415(writer):
    response = writer.post("/api/v1/users/", "username=pat", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_read_one_person(school_a, reader):
    response = reader.get(f"/api/v1/users/{school_a.teacher.pk}/")
    assert response.status_code == 200
    assert response.json()["username"] == "alpha-teacher"
    assert response.json()["role"] == "teacher"


def test_unknown_person_is_404(reader):
    response = reader.get("/api/v1/users/999999/")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "No person with id 999999 in this school."}
    }


def test_change_a_person(school_a, writer):
    student = school_a.students[0]
    response = writer.patch(
        f"/api/v1/users/{student.pk}/",
        {"first_name": "Samantha", "external_id": "S-77"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["first_name"] == "Samantha"
    assert response.json()["external_id"] == "S-77"
    assert response.json()["username"] == "alpha-student1"
    with schema_context(school_a.schema):
        stored = User.objects.get(pk=student.pk)
        assert (stored.first_name, stored.external_id, stored.last_name) == (
            "Samantha",
            "S-77",
            "Alpha",
        )


def test_change_refuses_is_active_and_points_to_the_right_endpoint(school_a, writer):
    response = writer.patch(
        f"/api/v1/users/{school_a.teacher.pk}/",
        {"is_active": False, "first_name": "X"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "is_active: Use the deactivate and reactivate endpoints to change this."
    )
    with schema_context(school_a.schema):
        teacher = User.objects.get(pk=school_a.teacher.pk)
        assert teacher.is_active and teacher.first_name == "Tom"


def test_change_to_a_taken_email_changes_nothing(school_a, writer):
    response = writer.patch(
        f"/api/v1/users/{school_a.teacher.pk}/",
        {"email": "alpha-admin@alpha.example", "first_name": "Tim"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "email": ["Another person in this school already uses alpha-admin@alpha.example."]
    }
    with schema_context(school_a.schema):
        teacher = User.objects.get(pk=school_a.teacher.pk)
        assert (teacher.email, teacher.first_name) == ("alpha-teacher@alpha.example", "Tom")


def test_deactivate_blocks_sign_in_and_reactivate_restores_it(school_a, writer):
    student = school_a.students[1]
    response = writer.post(f"/api/v1/users/{student.pk}/deactivate/")
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert not school_a.signs_in("alpha-student2")

    response = writer.post(f"/api/v1/users/{student.pk}/reactivate/")
    assert response.status_code == 200
    assert response.json()["is_active"] is True
    assert school_a.signs_in("alpha-student2")


def test_the_last_admin_cannot_be_deactivated_or_demoted(school_a, writer):
    admin = school_a.admin
    response = writer.post(f"/api/v1/users/{admin.pk}/deactivate/")
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "validation_error",
        "message": "A school needs at least one active admin; promote someone else first.",
        "fields": {
            "non_field_errors": [
                "A school needs at least one active admin; promote someone else first."
            ]
        },
    }
    response = writer.patch(
        f"/api/v1/users/{admin.pk}/", {"role": "teacher"}, content_type="application/json"
    )
    assert response.status_code == 400
    with schema_context(school_a.schema):
        stored = User.objects.get(pk=admin.pk)
        assert stored.is_active and stored.role == "admin"


def test_read_key_cannot_change_or_deactivate(school_a, reader):
    student = school_a.students[0]
    assert (
        reader.patch(
            f"/api/v1/users/{student.pk}/", {"first_name": "X"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert reader.post(f"/api/v1/users/{student.pk}/deactivate/").status_code == 403
    with schema_context(school_a.schema):
        stored = User.objects.get(pk=student.pk)
        assert stored.is_active and stored.first_name == "Sam1"


def test_school_a_people_are_not_reachable_from_school_b(school_a, school_b, keys_b):
    with schema_context(school_b.schema):
        beta_ids = set(User.objects.values_list("pk", flat=True))
    only_in_a = [
        person
        for person in [school_a.admin, school_a.teacher, *school_a.students]
        if person.pk not in beta_ids
    ]
    assert only_in_a, "school A must have an id school B lacks for this test to mean anything"
    beta = api(school_b, keys_b.read_write)
    target = only_in_a[0]
    assert beta.get(f"/api/v1/users/{target.pk}/").status_code == 404
    assert (
        beta.patch(
            f"/api/v1/users/{target.pk}/", {"first_name": "Hacked"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert beta.post(f"/api/v1/users/{target.pk}/deactivate/").status_code == 404
    assert "alpha" not in beta.get("/api/v1/users/?page_size=500").content.decode()
    with schema_context(school_a.schema):
        stored = User.objects.get(pk=target.pk)
        assert stored.is_active and stored.first_name == target.first_name


def test_an_id_both_schools_use_means_each_schools_own_person(school_a, school_b, keys_b):
    with schema_context(school_b.schema):
        shared_id = User.objects.order_by("pk").values_list("pk", flat=True).first()
        beta_person = User.objects.get(pk=shared_id).username
    response = api(school_b, keys_b.read).get(f"/api/v1/users/{shared_id}/")
    assert response.status_code == 200
    assert response.json()["username"] == beta_person
    assert beta_person.startswith("beta-")
