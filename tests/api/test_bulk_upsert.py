"""Roster sync through POST /api/v1/users/bulk-upsert/: a per-record report, bad records never
stop good ones, and re-sending a batch changes nothing."""

import pytest
from django_tenants.utils import schema_context

from accounts.models import User
from courses.models import Course, Enrollment
from courses.services import course_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/users/bulk-upsert/"


@pytest.fixture
def biology(school_a):
    with schema_context(school_a.schema):
        return course_create(code="BIO-101", name="Biology")


def upsert(client, records):
    return client.post(URL, {"records": records}, content_type="application/json")


def test_report_has_an_outcome_and_reasons_for_every_record(school_a, writer, biology):
    records = [
        {
            "external_id": "S-1",
            "username": "ann",
            "email": "ann@example.com",
            "first_name": "Ann",
            "last_name": "Lee",
            "role": "student",
            "course_code": "bio-101",
        },
        {"username": "alpha-student1", "first_name": "Samuel"},
        {"username": "alpha-student2", "first_name": "Sam2", "last_name": "Alpha"},
        {"external_id": "S-3", "username": "carl", "role": "wizard"},
        {"external_id": "S-4", "username": "dina", "course_code": "NOPE-9"},
        {"first_name": "Nobody"},
        {"external_id": 5, "username": "eve", "role": None},
    ]
    response = upsert(writer, records)
    assert response.status_code == 200
    assert response.json() == {
        "summary": {"created": 2, "updated": 1, "unchanged": 1, "rejected": 3},
        "results": [
            {
                "row": 1,
                "outcome": "created",
                "username": "ann",
                "external_id": "S-1",
                "reasons": [],
                "changes": ["enrolled in BIO-101"],
            },
            {
                "row": 2,
                "outcome": "updated",
                "username": "alpha-student1",
                "external_id": "",
                "reasons": [],
                "changes": ["first_name"],
            },
            {
                "row": 3,
                "outcome": "unchanged",
                "username": "alpha-student2",
                "external_id": "",
                "reasons": [],
                "changes": [],
            },
            {
                "row": 4,
                "outcome": "rejected",
                "username": "carl",
                "external_id": "S-3",
                "reasons": ["role: Unknown role 'wizard'; use one of: admin, student, teacher."],
                "changes": [],
            },
            {
                "row": 5,
                "outcome": "rejected",
                "username": "dina",
                "external_id": "S-4",
                "reasons": ["no course with code 'NOPE-9'; create it first"],
                "changes": [],
            },
            {
                "row": 6,
                "outcome": "rejected",
                "username": "",
                "external_id": "",
                "reasons": ["username or external_id is required"],
                "changes": [],
            },
            {
                "row": 7,
                "outcome": "created",
                "username": "eve",
                "external_id": "5",
                "reasons": [],
                "changes": [],
            },
        ],
    }
    with schema_context(school_a.schema):
        ann = User.objects.get(username="ann")
        assert (ann.external_id, ann.email, ann.role) == ("S-1", "ann@example.com", "student")
        assert Enrollment.objects.get(user=ann).course.code == "BIO-101"
        assert User.objects.get(username="alpha-student1").first_name == "Samuel"
        assert User.objects.get(username="eve").role == "student"
        assert not User.objects.filter(username__in=["carl", "dina"]).exists()
        assert User.objects.count() == 6


def test_resending_the_same_batch_changes_nothing(school_a, writer, biology):
    records = [
        {
            "external_id": f"S-{i}",
            "username": f"kid{i}",
            "first_name": f"Kid{i}",
            "last_name": "Roe",
            "role": "student",
            "course_code": "BIO-101",
        }
        for i in range(1, 6)
    ] + [
        {
            "external_id": "T-1",
            "username": "alpha-teacher",
            "course_code": "BIO-101",
            "course_role": "teacher",
        }
    ]
    first = upsert(writer, records).json()
    assert first["summary"] == {"created": 5, "updated": 1, "unchanged": 0, "rejected": 0}
    assert first["results"][5]["changes"] == ["external_id", "enrolled in BIO-101"]

    again = upsert(writer, records).json()
    assert again["summary"] == {"created": 0, "updated": 0, "unchanged": 6, "rejected": 0}
    assert {result["outcome"] for result in again["results"]} == {"unchanged"}
    with schema_context(school_a.schema):
        assert User.objects.count() == 9
        assert Enrollment.objects.filter(course__code="BIO-101").count() == 6


def test_a_duplicate_email_is_rejected_but_the_records_after_it_are_applied(school_a, writer):
    records = [
        {"username": "dup", "email": "ALPHA-ADMIN@alpha.example"},
        {"username": "fine", "email": "fine@example.com"},
    ]
    body = upsert(writer, records).json()
    assert [result["outcome"] for result in body["results"]] == ["rejected", "created"]
    assert body["results"][0]["reasons"] == [
        "email: Another person in this school already uses alpha-admin@alpha.example."
    ]
    with schema_context(school_a.schema):
        assert User.objects.filter(username="fine").exists()
        assert not User.objects.filter(username="dup").exists()


def test_more_than_1000_records_are_refused_whole(school_a, writer):
    records = [{"username": f"p{i}"} for i in range(1001)]
    response = upsert(writer, records)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "records: Ensure this field has no more than 1000 elements."
    )
    with schema_context(school_a.schema):
        assert User.objects.count() == 4


def test_exactly_1000_records_are_accepted(school_a, writer):
    records = [{"username": f"p{i:04d}"} for i in range(1000)]
    response = upsert(writer, records)
    assert response.status_code == 200
    assert response.json()["summary"] == {
        "created": 1000,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    with schema_context(school_a.schema):
        assert User.objects.count() == 1004


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"records": []}, "records: This list may not be empty."),
        ({}, "records: This field is required."),
        ({"records": {"username": "x"}}, 'records: Expected a list of items but got type "dict".'),
        ({"records": ["ann"]}, "records[0]: Invalid data. Expected a dictionary, but got str."),
        (
            {"records": [{"username": "ok"}, {"username": ["a", "b"]}]},
            "records[1].username: Not a valid string.",
        ),
    ],
)
def test_a_batch_that_is_not_a_list_of_records_is_400_and_writes_nothing(
    school_a, writer, body, message
):
    response = writer.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"].startswith(message)
    with schema_context(school_a.schema):
        assert User.objects.count() == 4


def test_a_misspelt_key_in_a_record_is_named(school_a, writer):
    response = upsert(writer, [{"username": "ok"}, {"username": "zed", "emial": "z@example.com"}])
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(
        "records[1].emial: Unknown field; the accepted fields are: course_code, course_role, "
    )
    with schema_context(school_a.schema):
        assert not User.objects.filter(username__in=["ok", "zed"]).exists()


def test_read_key_and_teachers_cannot_bulk_upsert(school_a, reader):
    records = [{"username": "sneaky"}]
    assert upsert(reader, records).status_code == 403
    assert upsert(school_a.client(school_a.teacher), records).status_code == 403
    with schema_context(school_a.schema):
        assert not User.objects.filter(username="sneaky").exists()
        assert Course.objects.count() == 0
