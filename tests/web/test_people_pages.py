"""The admin's people pages: list, create, edit, deactivate and reactivate."""

import pytest
from django_tenants.utils import schema_context

from accounts import services as account_services
from accounts.models import User

from .conftest import text

pytestmark = pytest.mark.django_db


def test_admin_adds_a_person_through_the_form(school_a):
    response = school_a.client(school_a.admin).post(
        "/accounts/people/new/",
        {
            "username": "zoe",
            "first_name": "Zoe",
            "last_name": "Kim",
            "email": "Zoe@Alpha.example",
            "role": "teacher",
            "external_id": "T-9",
            "password": "",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/people/"
    with schema_context(school_a.schema):
        zoe = User.objects.get(username="zoe")
        assert (zoe.role, zoe.email, zoe.external_id, zoe.has_usable_password()) == (
            "teacher",
            "zoe@alpha.example",
            "T-9",
            False,
        )


def test_duplicate_username_is_shown_on_the_field_and_nothing_is_created(school_a):
    with schema_context(school_a.schema):
        before = User.objects.count()
    response = school_a.client(school_a.admin).post(
        "/accounts/people/new/", {"username": "ALPHA-teacher", "role": "student"}
    )
    assert response.status_code == 200
    assert (
        "The username &#x27;ALPHA-teacher&#x27; is taken in this school."
        in response.content.decode()
    )
    assert 'aria-invalid="true"' in response.content.decode()
    with schema_context(school_a.schema):
        assert User.objects.count() == before


def test_weak_initial_password_is_refused_on_the_password_field(school_a):
    response = school_a.client(school_a.admin).post(
        "/accounts/people/new/", {"username": "weak", "role": "student", "password": "123"}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert (
        "This password is too short. It must contain at least 8 characters."
        in form.errors["password"]
    )
    with schema_context(school_a.schema):
        assert not User.objects.filter(username="weak").exists()


def test_admin_edits_a_person(school_a):
    student = school_a.students[1]
    response = school_a.client(school_a.admin).post(
        f"/accounts/people/{student.pk}/edit/",
        {
            "username": student.username,
            "first_name": "Samantha",
            "last_name": "Alpha",
            "email": "sam2@alpha.example",
            "role": "teacher",
            "external_id": "S-2",
        },
    )
    assert response.status_code == 302
    with schema_context(school_a.schema):
        student.refresh_from_db()
        assert (student.first_name, student.email, student.role, student.external_id) == (
            "Samantha",
            "sam2@alpha.example",
            "teacher",
            "S-2",
        )


def test_edit_with_an_email_someone_else_uses_changes_nothing(school_a):
    student = school_a.students[1]
    response = school_a.client(school_a.admin).post(
        f"/accounts/people/{student.pk}/edit/",
        {
            "username": student.username,
            "first_name": "Changed",
            "email": school_a.teacher.email,
            "role": "student",
        },
    )
    assert response.status_code == 200
    assert f"Another person in this school already uses {school_a.teacher.email}." in text(response)
    with schema_context(school_a.schema):
        student.refresh_from_db()
        assert student.first_name == "Sam2"


def test_deactivate_asks_first_then_blocks_sign_in_and_reactivate_restores(school_a):
    client = school_a.client(school_a.admin)
    student = school_a.students[1]
    confirm = client.get(f"/accounts/people/{student.pk}/deactivate/")
    assert confirm.status_code == 200 and "Nothing they made or answered is deleted" in text(
        confirm
    )
    with schema_context(school_a.schema):
        student.refresh_from_db()
        assert student.is_active  # a GET changes nothing
    assert client.post(f"/accounts/people/{student.pk}/deactivate/").status_code == 302
    assert not school_a.signs_in(student.username)
    assert client.post(f"/accounts/people/{student.pk}/reactivate/").status_code == 302
    assert school_a.signs_in(student.username)


def test_the_last_admin_cannot_be_deactivated(school_a):
    client = school_a.client(school_a.admin)
    with schema_context(school_a.schema):
        other = account_services.user_create(username="admin2", role="admin")
    response = client.post(f"/accounts/people/{other.pk}/deactivate/", follow=True)
    assert "admin2 is now deactivated." in text(response)
    response = client.post(f"/accounts/people/{school_a.admin.pk}/deactivate/", follow=True)
    assert "A school needs at least one active admin; promote someone else first." in text(response)
    with schema_context(school_a.schema):
        assert User.objects.get(pk=school_a.admin.pk).is_active


def test_people_list_filters_searches_and_pages(school_a):
    with schema_context(school_a.schema):
        for i in range(30):
            account_services.user_create(
                username=f"kid{i:02}", role="student", last_name=f"Kid{i:02}"
            )
        gone = account_services.user_create(username="gone", role="student")
        account_services.user_deactivate(gone)
    client = school_a.client(school_a.admin)
    first = client.get("/accounts/people/?role=student")
    assert first.context["page"].paginator.count == 32  # 30 kids + 2 students; "gone" is inactive
    assert len(first.context["page"].object_list) == 25
    second = client.get("/accounts/people/?role=student&page=2")
    assert len(second.context["page"].object_list) == 7
    assert 'href="?role=student&amp;page=1"' in second.content.decode()
    found = client.get("/accounts/people/?q=kid07")
    assert [p.username for p in found.context["page"].object_list] == ["kid07"]
    inactive = client.get("/accounts/people/?status=inactive")
    assert [p.username for p in inactive.context["page"].object_list] == ["gone"]


def test_school_a_admin_cannot_edit_or_deactivate_a_school_b_person(school_a, school_b):
    with schema_context(school_b.schema):
        beta_only = account_services.user_create(username="beta-only", role="student")
        # An id no one in school A has, so a 404 can only mean "not in this school".
        User.objects.filter(pk=beta_only.pk).update(id=987654)
    client = school_a.client(school_a.admin)
    assert client.get("/accounts/people/987654/edit/").status_code == 404
    assert client.post("/accounts/people/987654/deactivate/").status_code == 404
    with schema_context(school_b.schema):
        assert User.objects.get(pk=987654).is_active
